"""`anchor reel EVENT --query TEXT --vibe high_energy|emotional|calm --duration 30`."""

from __future__ import annotations

import argparse
from typing import Any

from .context import Context
from .render import parse_size


def register(sub: Any) -> None:
    p = sub.add_parser("reel", help="make a personal highlight reel")
    p.add_arguments_later(_reel_arguments)
    p.set_defaults(func=cmd_reel)


def _reel_arguments(p: argparse.ArgumentParser) -> None:
    from ..reels import VIBES

    p.add_argument("event")
    p.add_argument("--query", default="", help="words to look for (empty: every moment)")
    p.add_argument("--vibe", default="high_energy", choices=sorted(VIBES))
    p.add_argument("--duration", type=float, default=30.0, help="seconds (at most)")
    p.add_argument("--size", default="1280x720")
    p.add_argument("--json", action="store_true")
    p.add_argument("--face", metavar="PHOTO", help="find this person (a photo; needs a search that takes images, "
                   "ANCHOR_SEARCH=twelvelabs)")
    p.add_argument("--background", action="store_true", help="queue it as a job for `anchor worker`; prints the job id")


def cmd_reel(args: argparse.Namespace, ctx: Context) -> int:
    import os

    w, h = parse_size(args.size)
    face = os.path.abspath(args.face) if args.face else None
    if face and not os.path.isfile(face):
        from ..errors import ValidationError

        raise ValidationError(f"--face {args.face}: no such photo")
    job_args = {"event": args.event, "query": args.query, "vibe": args.vibe, "duration_s": args.duration,
                "width": w, "height": h} | ({"face": face} if face else {})
    summary = ctx.run_job("reel", job_args, background=args.background)
    if summary is None:
        return 0
    if args.json:
        ctx.out({k: v for k, v in summary.items() if k != "event_id"}, True)
    else:
        print(f"reel: {summary['path']} ({summary['duration_s']:.1f} s, {len(summary['moments'])} moments)")
    return 0
