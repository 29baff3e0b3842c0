"""`anchor analyze EVENT [--backend local]`: the feature table of every angle."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import ConfigError
from .context import Context

BACKENDS = ("local",)


def register(sub: Any) -> None:
    p = sub.add_parser("analyze", help="measure action, cuts, faces, speech, crowd and whistles per window")
    p.add_argument("event", help="event id")
    p.add_argument("--backend", default=None, help="analyzer backend (default from settings: local)")
    p.add_argument("--window-ms", type=int, default=2000, help="window length (default 2000)")
    p.add_argument("--force", action="store_true", help="ignore cached results and decode every angle again")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_analyze)


def cmd_analyze(args: argparse.Namespace, ctx: Context) -> int:
    backend = args.backend or ctx.settings.analyzer_backend
    if backend not in BACKENDS:
        raise ConfigError(f"analyzer backend {backend!r} is not available here; choose one of {', '.join(BACKENDS)}"
                          " (the TwelveLabs backend needs its API key configured)")
    from ..analysis import AnalysisParams, analysis_summary, analyze_event
    from ..catalog import videos as videos_repo
    from ..executor import make_executor

    cat = ctx.catalog()
    executor = make_executor(ctx.settings, max_workers=2)
    try:
        result = analyze_event(cat, ctx.store(), args.event, params=AnalysisParams(window_ms=args.window_ms),
                               executor=executor, progress=ctx.progress("analyze"), force=args.force)
    finally:
        executor.shutdown()
    summary = analysis_summary(result, videos_repo.list_videos(cat, args.event))
    for reason in result.failed.values():
        print(f"anchor: warning: {reason}", file=sys.stderr)
    if args.json:
        ctx.out({"event_id": args.event, "angles": summary, "failed": result.failed}, True)
    else:
        ctx.out(summary.select("file", "angle", "windows", "action_mean", "action_max", "speech_share",
                               "crowd_mean", "cuts", "key_moments", "faces_max", "source"))
    return 0
