"""`anchor ads EVENT [--yes] [--json]`: the product clips of the latest timeline's ad slots.

With a paid backend (ANCHOR_ADS=veo) it first prints what would be generated and its estimated
cost; only `--yes` spends money. Per slot it prints who made the clip and why the configured
backend's clip is not the one shown (a fallback reason), so a failure is never silent."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("ads", help="make the ad clips of the latest timeline's slots (paid Veo clips need --yes)")
    p.add_argument("event")
    p.add_argument("--yes", action="store_true", help="confirm paid generation (ANCHOR_ADS=veo) at the printed cost")
    p.add_argument("--size", default="1280x720", help="output WIDTHxHEIGHT (default 1280x720; taller = 9:16 clips)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ads)


def cmd_ads(args: argparse.Namespace, ctx: Context) -> int:
    from ..ads import estimate_cost, event_ads
    from ..media import OutputFormat
    from .render import parse_size

    w, h = parse_size(args.size)
    fmt = OutputFormat(width=w, height=h, fps=args.fps)
    cat, store = ctx.catalog(), ctx.store()
    notes: list[str] = []
    plan = event_ads(cat, store, ctx.settings, args.event, fmt, plan_only=True, warn=notes.append)
    clips, seconds, cost = estimate_cost(ctx.settings, plan)
    backend = ctx.settings.ad_backend
    for note in notes:
        print(f"anchor: warning: {note}", file=sys.stderr)
    if clips and not args.yes:
        summary = {"event_id": args.event, "backend": backend, "confirmed": False, "to_generate": clips,
                   "billed_seconds": seconds, "estimated_cost_usd": cost,
                   "slots": [r.to_dict() for r in plan]}
        if args.json:
            ctx.out(summary, True)
        else:
            for r in plan:
                what = f"would generate {r.duration_s:g} s" if r.needs_generation else (
                    f"stays local: {r.fallback_reason}" if r.fallback_reason else "already made")
                print(f"slot {r.slot_index} at {r.start_s:.1f} s: {what}")
            print(f"{backend} would generate {clips} clip(s), {seconds:g} s billed, about ${cost:.2f} "
                  "(estimate; ANCHOR_VEO_PRICE_PER_S). Nothing was generated: run again with --yes to confirm.")
        return 0
    if clips and not args.json:
        print(f"{backend}: generating {clips} clip(s), {seconds:g} s billed, about ${cost:.2f}", file=sys.stderr)
    reports = event_ads(cat, store, ctx.settings, args.event, fmt, confirmed=args.yes,
                        progress=ctx.progress("ads"), warn=lambda m: None)
    if args.json:
        ctx.out({"event_id": args.event, "backend": backend, "confirmed": args.yes, "to_generate": clips,
                 "billed_seconds": seconds, "estimated_cost_usd": cost, "slots": [r.to_dict() for r in reports]},
                True)
        return 0
    if not reports:
        print("no ad clips: the latest timeline has no ad slots, or no selected product has an image")
    for r in reports:
        made = "reused" if r.reused else "made"
        tail = f"; fallback: {r.fallback_reason}" if r.fallback_reason else ""
        print(f"slot {r.slot_index} at {r.start_s:.1f} s ({r.duration_s:g} s): {r.backend} ({made}) "
              f"{r.object_key}{tail}")
    return 0
