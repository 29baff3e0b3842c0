"""`anchor render EVENT [--out FILE]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import ValidationError
from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("render", help="render the event's master video from its latest timeline")
    p.add_argument("event")
    p.add_argument("--out", help="write a preview to this file only (the stored master stays as it is)")
    p.add_argument("--size", default="1280x720", help="output WIDTHxHEIGHT (default 1280x720)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--no-ads", action="store_true",
                   help="leave the ad slots as footage (a preview: the stored master stays as it is)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--background", action="store_true", help="queue it as a job for `anchor worker`; prints the job id")
    p.set_defaults(func=cmd_render)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise ValidationError(f"--size {text!r} is not WIDTHxHEIGHT") from exc
    if not (64 <= w <= 7680 and 64 <= h <= 4320) or w % 2 or h % 2:
        raise ValidationError(f"--size {text!r}: use even sizes between 64x64 and 7680x4320")
    return w, h


def cmd_render(args: argparse.Namespace, ctx: Context) -> int:
    import os

    w, h = parse_size(args.size)
    job_args = {"event": args.event, "width": w, "height": h, "fps": args.fps,
                "out": os.path.abspath(args.out) if args.out else None, "with_ads": not args.no_ads}
    summary = ctx.run_job("render", job_args, background=args.background)
    if summary is None:
        return 0
    for name in summary["unsynced"]:
        print(f"anchor: warning: {name} is not synced and was left out of the master; see `anchor sync {args.event}`",
              file=sys.stderr)
    for note in summary["warnings"]:
        print(f"anchor: warning: {note}", file=sys.stderr)
    if args.json:
        ctx.out({k: v for k, v in summary.items() if k != "event_id"}, True)
    else:
        print(f"{summary['kind']}: {summary['path']} ({summary['duration_s']:.1f} s, {summary['ads']} ad(s), "
              f"measured {summary['loudness_lufs']} LUFS, true peak {summary['true_peak_dbtp']} dBTP)")
    return 0
