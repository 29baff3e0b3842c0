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


def cmd_reel(args: argparse.Namespace, ctx: Context) -> int:
    from ..reels import make_reel
    from ..render import OutputFormat

    w, h = parse_size(args.size)
    r = make_reel(ctx.catalog(), ctx.store(), ctx.settings, args.event, query=args.query, vibe=args.vibe,
                  duration_s=args.duration, fmt=OutputFormat(width=w, height=h), progress=ctx.progress("reel"))
    summary = {"reel_id": r.reel_id, "path": r.path, "object_key": r.object_key, "duration_s": r.duration_s,
               "moments": [m.__dict__ for m in r.moments]}
    if args.json:
        ctx.out(summary, True)
    else:
        print(f"reel: {r.path} ({r.duration_s:.1f} s, {len(r.moments)} moments)")
    return 0
