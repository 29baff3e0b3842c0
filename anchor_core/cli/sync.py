"""`anchor sync EVENT [--reference VIDEO]` and `anchor sync FILE FILE... [--reference FILE|auto]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("sync", help="sync angles by their sound: offsets, clock drift, confidence")
    p.add_argument("targets", nargs="+", metavar="EVENT|FILE",
                   help="an event id, or two or more files (the first is the reference unless --reference)")
    p.add_argument("--reference", metavar="VIDEO",
                   help="the clock: with an event, a video id or an ingested file name (default: chosen "
                        "by measurement, an angle with real sound that overlaps the most others); with "
                        "files, one of them, or 'auto'")
    p.add_argument("--json", action="store_true")
    p.add_argument("--background", action="store_true",
                   help="(an event) queue it as a job for `anchor worker`; prints the job id")
    p.set_defaults(func=cmd_sync)


def cmd_sync(args: argparse.Namespace, ctx: Context) -> int:
    from ..executor import make_executor
    from ..sync import resolve_reference, sync_files

    files = len(args.targets) >= 2 and all(Path(t).is_file() for t in args.targets)
    if not files and len(args.targets) != 1:
        missing = [t for t in args.targets if not Path(t).is_file()]
        raise ValidationError(f"not files: {', '.join(missing)}; give one event id or two or more files")
    if not files:
        result = ctx.run_job("sync", {"event": args.targets[0], "reference": args.reference},
                             background=args.background)
        if result is None:
            return 0
        return _print_rows(args, ctx, result["angles"])
    if args.background:
        raise ValidationError("--background needs an event: files given directly are synced here and now")
    ref: int | None = 0
    if args.reference is not None:
        ref = None if args.reference == "auto" else resolve_reference(
            [(t, Path(t).name) for t in args.targets], args.reference, what="the files given")
    executor = make_executor(ctx.settings, max_workers=2)
    try:
        results = sync_files(args.targets, ref, executor=executor, progress=ctx.progress("sync"),
                             ffmpeg=ctx.settings.ffmpeg)
    finally:
        executor.shutdown()
    return _print_rows(args, ctx, [r.public() for r in results])


def _print_rows(args: argparse.Namespace, ctx: Context, rows: list[dict[str, Any]]) -> int:
    if args.json:
        ctx.out(rows, True)
        return 0
    for r in rows:
        if r["reference"]:
            print(f"{Path(r['file']).name:32s} reference (the clock)"
                  + (f"  ({r['reference_note']})" if r.get("reference_note") else ""))
            continue
        sigma = f" ± {r['drift_sigma_ppm']:.1f}" if r.get("drift_sigma_ppm") and r["drift_ppm"] else ""
        line = f"{Path(r['file']).name:32s} {r['status']:9s} offset {r['offset_s']:+.4f} s, drift " \
               f"{r['drift_ppm']:+.1f}{sigma} ppm, confidence {r['confidence']:.2f}"
        if r.get("offset_doubt_ms"):
            line += f" (offset ± {r['offset_doubt_ms'] / 2:.0f} ms: the room blurs the direct sound)"
        note = r.get("reason") or r.get("drift_note")
        print(line + (f"  ({note})" if note else ""))
    return 0
