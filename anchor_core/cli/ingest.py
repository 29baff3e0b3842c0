"""`anchor ingest EVENT FILE... --angle TYPE` and `anchor music EVENT FILE`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..errors import AnchorError
from ..kinds import ANGLE_TYPES
from .context import Context

if TYPE_CHECKING:
    from ..ingest import IngestResult


def register(sub: Any) -> None:
    ing = sub.add_parser("ingest", help="add camera angles to an event")
    ing.add_argument("event")
    ing.add_argument("files", nargs="+", metavar="FILE")
    ing.add_argument("--angle", required=True, choices=ANGLE_TYPES, help="angle type of these files")
    ing.add_argument("--json", action="store_true")
    ing.set_defaults(func=cmd_ingest)
    mus = sub.add_parser("music", help="add the event's music track and analyse its beats")
    mus.add_argument("event")
    mus.add_argument("file")
    mus.add_argument("--json", action="store_true")
    mus.add_argument("--background", action="store_true",
                     help="copy the file now, queue the beat analysis as a job; prints the job id")
    mus.set_defaults(func=cmd_music)


def _summary(r: IngestResult, name: str) -> dict[str, Any]:
    d: dict[str, Any] = {"id": r.id, "file": name, "name": r.name, "created": r.created, "object_key": r.object_key}
    if r.angle_type is not None:
        d["angle"] = r.angle_type
    if r.duration_s is not None:
        d["duration_s"] = round(r.duration_s, 3)
    if r.probe is not None:
        if r.probe.video:
            w, h = r.probe.video.display_size
            d["video"] = f"{w}x{h} {r.probe.video.real_fps:g} fps{' VFR' if r.probe.video.vfr else ''}"
        d["audio"] = f"{r.probe.audio.sample_rate} Hz" if r.probe.audio else None
    d["warnings"] = list(r.warnings)
    return d


def _describe(item: dict[str, Any]) -> str:
    """`wide, 160x90 25 fps, 2.0 s` (what is known of it)."""
    facts = [item.get("angle"), item.get("video")]
    if item.get("video") and not item.get("audio"):
        facts.append("no audio")
    if item.get("duration_s") is not None:
        facts.append(f"{item['duration_s']:g} s")
    return ", ".join(f for f in facts if f)


def _line(item: dict[str, Any]) -> str:
    if item["created"]:
        return f"{item['file']}: added as {item['id']} ({_describe(item)})"
    return (f"{item['file']}: already in the event as {item['id']} ({item['name']}, {_describe(item)}); "
            "nothing new was stored")


def warn(message: str) -> None:
    print(f"anchor: warning: {message}", file=sys.stderr)


def cmd_ingest(args: argparse.Namespace, ctx: Context) -> int:
    from ..ingest import ingest_video

    cat, store = ctx.catalog(), ctx.store()
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    for f in args.files:
        try:
            r = ingest_video(cat, store, args.event, f, angle_type=args.angle, progress=_bytes(ctx, f),
                             ffmpeg=ctx.settings.ffmpeg)
            results.append(_summary(r, f))
            for w in r.warnings:
                warn(w)
        except AnchorError as exc:
            failures.append(str(exc))
    if args.json:
        ctx.out({"ingested": results, "errors": failures}, True)
    else:
        for item in results:
            print(_line(item))
    if failures:
        raise AnchorError("; ".join(failures))
    return 0


def cmd_music(args: argparse.Namespace, ctx: Context) -> int:
    from ..ingest import ingest_music

    cat, store = ctx.catalog(), ctx.store()
    r = ingest_music(cat, store, args.event, args.file, progress=_bytes(ctx, args.file), ffmpeg=ctx.settings.ffmpeg)
    summary = _summary(r, args.file)
    for w in r.warnings:
        warn(w)
    result = ctx.run_job("music", {"event": args.event, "music_id": r.id}, background=args.background)
    if result is None:
        return 0
    summary.update({k: v for k, v in result.items() if k not in ("event_id", "music_id", "duration_s")})
    if args.json:
        ctx.out(summary, True)
        return 0
    meter = f"{result['meter']}/4" if result["meter"] else "meter unclear"
    low = " (low: the beats are a guess, cuts will not snap to them)" if result["low_confidence"] else ""
    print(f"{args.file}: {result['duration_s']:.1f} s, {result['tempo_bpm']:.1f} BPM, {meter}, "
          f"{result['beats']} beats, {len(result['downbeats_s'])} downbeats, "
          f"confidence {result['confidence']:.2f}{low}")
    print(r.id)
    return 0


def _bytes(ctx: Context, name: str) -> Any:
    report = ctx.progress(f"copy {name}")
    return lambda done, total: report(done, total or 0, f"{done / 1e6:.1f} MB")
