"""`anchor timeline EVENT` builds and stores the edit; `anchor export EVENT --format F --out FILE`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("timeline", help="score the angles and build the edit (segments, zooms, ad slots, chapters)")
    p.add_arguments_later(_timeline_arguments)
    p.set_defaults(func=cmd_timeline)
    e = sub.add_parser("export", help="write the timeline for an editor or a video platform")
    e.add_arguments_later(_export_arguments)
    e.set_defaults(func=cmd_export)


def _timeline_arguments(p: argparse.ArgumentParser) -> None:
    from ..timeline import STRATEGIES

    p.add_argument("event")
    p.add_argument("--profile", help="a profile name (sports, concert, wedding, conference) or a JSON file")
    p.add_argument("--strategy", choices=STRATEGIES, help="override the profile's switching strategy")
    p.add_argument("--json", action="store_true")


def _export_arguments(e: argparse.ArgumentParser) -> None:
    from ..export import ALL_FORMATS

    e.add_argument("event")
    e.add_argument("--format", required=True, choices=ALL_FORMATS, dest="fmt")
    e.add_argument("--out", required=True, help="file to write")
    e.add_argument("--timeline", help="a timeline id (default: the latest)")
    e.add_argument("--fps", type=float, default=30.0, help="edit rate for editor formats (default 30)")


def cmd_timeline(args: argparse.Namespace, ctx: Context) -> int:
    from ..timeline import timeline_event

    tid, tl = timeline_event(ctx.catalog(), args.event, profile=args.profile, strategy=args.strategy)
    counts = {"segments": len(tl.segments), "zooms": len(tl.zooms), "ad_slots": len(tl.ad_slots),
              "chapters": len(tl.chapters)}
    summary = {
        "timeline_id": tid, "profile": f"{tl.profile_name} v{tl.profile_version}", "strategy": tl.strategy,
        "duration_s": tl.duration_ms / 1000.0, "beat_synced": tl.beat_synced, "audio_master": tl.audio_master,
    }
    for vid in tl.unsynced:
        print(f"anchor: warning: angle {vid} is not synced and was left out of the edit; see `anchor sync {args.event}`",
              file=sys.stderr)
    if args.json:  # the edit itself, not only its size
        ctx.out(dict(summary, counts=counts, unsynced=list(tl.unsynced), **tl.frames()), True)
        return 0
    for s in tl.segments:
        print(f"{s.start_ms / 1000:8.2f} – {s.end_ms / 1000:8.2f}  {s.angle_type:8s} {s.video_id}  score {s.score:.1f}")
    for c in tl.chapters:
        print(f"chapter {c.timestamp_ms / 1000:8.2f}  {c.title}")
    for a in tl.ad_slots:
        print(f"ad slot {a.timestamp_ms / 1000:8.2f}  {a.duration_ms / 1000:.0f} s  score {a.score:.0f}")
    for z in tl.zooms:
        print(f"zoom    {z.start_ms / 1000:8.2f}  {z.duration_ms / 1000:.1f} s  x{z.zoom_factor:.2f}  {z.video_id}")
    print(f"{summary['profile']}, {tl.strategy}, {summary['duration_s']:.1f} s: "
          + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
          + (", cuts on the beat" if tl.beat_synced else ""))
    print(tid)
    return 0


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from ..export import export_event

    path = export_event(ctx.catalog(), ctx.store(), args.event, args.fmt, args.out, timeline_id=args.timeline,
                        rate=args.fps)
    print(path)
    return 0
