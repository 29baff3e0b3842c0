"""`anchor analyze EVENT [--backend local]`: the feature table of every angle."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("analyze", help="measure action, cuts, faces, speech, crowd and whistles per window")
    p.add_argument("event", help="event id")
    p.add_argument("--backend", default=None, help="analyzer backend (default: ANCHOR_ANALYZER, else local;"
                   " `anchor backends` lists them)")
    p.add_argument("--window-ms", type=int, default=2000, help="window length (default 2000)")
    p.add_argument("--force", action="store_true", help="ignore cached results and decode every angle again")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_analyze)


def cmd_analyze(args: argparse.Namespace, ctx: Context) -> int:
    from ..analysis import AnalysisParams, analysis_summary, run_analysis
    from ..catalog import videos as videos_repo

    cat = ctx.catalog()
    result = run_analysis(cat, ctx.store(), ctx.settings, args.event, params=AnalysisParams(window_ms=args.window_ms),
                          progress=ctx.progress("analyze"), force=args.force, backend=args.backend)
    summary = analysis_summary(result, videos_repo.list_videos(cat, args.event))
    for reason in result.failed.values():
        print(f"anchor: warning: {reason}", file=sys.stderr)
    if args.json:
        ctx.out({"event_id": args.event, "angles": summary, "failed": result.failed}, True)
    else:
        ctx.out(summary.select("file", "angle", "windows", "action_mean", "action_max", "speech_share",
                               "crowd_mean", "cuts", "key_moments", "faces_max", "source"))
    return 0
