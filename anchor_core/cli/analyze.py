"""`anchor analyze EVENT [--backend local]`: the feature table of every angle."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import ValidationError
from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("analyze", help="measure action, cuts, faces, speech, crowd and whistles per window")
    p.add_argument("event", help="event id")
    p.add_argument("--backend", default=None, help="analyzer backend (default: ANCHOR_ANALYZER, else local;"
                   " `anchor backends` lists them)")
    p.add_argument("--window-ms", type=int, default=2000, help="window length (default 2000)")
    p.add_argument("--force", action="store_true", help="ignore cached results and decode every angle again")
    p.add_argument("--json", action="store_true")
    p.add_argument("--yes", action="store_true", help="confirm a paid analysis (TwelveLabs bills indexed minutes)")
    p.add_argument("--background", action="store_true", help="queue it as a job for `anchor worker`; prints the job id")
    p.set_defaults(func=cmd_analyze)


def cmd_analyze(args: argparse.Namespace, ctx: Context) -> int:
    if (args.backend or ctx.settings.analyzer_backend) == "twelvelabs":
        from ..twelvelabs.upload import cost_estimate

        cost = cost_estimate(ctx.catalog(), args.event)
        if cost["to_index"] and not args.yes:
            raise ValidationError(
                f"TwelveLabs will index {cost['to_index']} of {cost['angles']} angle(s), about "
                f"{cost['indexed_minutes']:.1f} indexed minute(s) billed to your key; run again with --yes to go on")
        if cost["to_index"]:
            print(f"anchor: TwelveLabs indexes {cost['to_index']} angle(s), about {cost['indexed_minutes']:.1f} "
                  "indexed minute(s)", file=sys.stderr)
    result = ctx.run_job("analyze", {"event": args.event, "window_ms": args.window_ms, "force": args.force,
                                     "backend": args.backend}, background=args.background)
    if result is None:
        return 0
    for reason in result["failed"].values():
        print(f"anchor: warning: {reason}", file=sys.stderr)
    if args.json:
        ctx.out(result, True)
    else:
        import polars as pl

        summary = pl.DataFrame(result["angles"])
        ctx.out(summary.select("file", "angle", "windows", "action_mean", "action_max", "speech_share",
                               "crowd_mean", "cuts", "key_moments", "faces_max", "source"))
    return 0
