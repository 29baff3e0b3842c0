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
    p.add_argument("--background", action="store_true", help="queue it as a job for `anchor worker`; prints the job id")


def _export_arguments(e: argparse.ArgumentParser) -> None:
    from ..export import ALL_FORMATS

    e.add_argument("event")
    e.add_argument("--format", required=True, choices=ALL_FORMATS, dest="fmt")
    e.add_argument("--out", required=True, help="file to write")
    e.add_argument("--timeline", help="a timeline id (default: the latest)")
    e.add_argument("--fps", type=float, default=30.0, help="edit rate for editor formats (default 30)")


def cmd_timeline(args: argparse.Namespace, ctx: Context) -> int:
    import os

    profile = os.path.abspath(args.profile) if args.profile and os.path.isfile(args.profile) else args.profile
    summary = ctx.run_job("timeline", {"event": args.event, "profile": profile, "strategy": args.strategy},
                          background=args.background)
    if summary is None:
        return 0
    for vid in summary["unsynced"]:
        print(f"anchor: warning: angle {vid} is not synced and was left out of the edit; see `anchor sync {args.event}`",
              file=sys.stderr)
    if args.json:  # the edit itself, not only its size
        ctx.out({k: v for k, v in summary.items() if k != "event_id"}, True)
        return 0
    for s in summary["segments"]:
        print(f"{s['start_ms'] / 1000:8.2f} – {s['end_ms'] / 1000:8.2f}  {s['angle_type']:8s} {s['video_id']}  "
              f"score {s['score']:.1f}")
    for c in summary["chapters"]:
        print(f"chapter {c['timestamp_ms'] / 1000:8.2f}  {c['title']}")
    for a in summary["ad_slots"]:
        print(f"ad slot {a['timestamp_ms'] / 1000:8.2f}  {a['duration_ms'] / 1000:.0f} s  score {a['score']:.0f}")
    for z in summary["zooms"]:
        print(f"zoom    {z['start_ms'] / 1000:8.2f}  {z['duration_ms'] / 1000:.1f} s  x{z['zoom_factor']:.2f}  "
              f"{z['video_id']}")
    print(f"{summary['profile']}, {summary['strategy']}, {summary['duration_s']:.1f} s: "
          + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in summary["counts"].items())
          + (", cuts on the beat" if summary["beat_synced"] else ""))
    print(summary["timeline_id"])
    return 0


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from ..export import export_event

    path = export_event(ctx.catalog(), ctx.store(), args.event, args.fmt, args.out, timeline_id=args.timeline,
                        rate=args.fps)
    print(path)
    return 0
