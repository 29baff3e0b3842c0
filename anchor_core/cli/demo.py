"""`anchor demo`: the main job on the embedded default — no keys, no network."""

from __future__ import annotations

import argparse
import time
from typing import Any

from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="generate the demo event and run the whole pipeline on it")
    p.add_argument("--fresh", action="store_true", help="regenerate the demo media and a new event")
    p.add_argument("--only-setup", action="store_true", help="generate and ingest only; run no pipeline step")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    from ..demo.pipeline import STEPS, build_demo_event, run_pipeline
    from .report import export_report

    started = time.monotonic()
    cat, store = ctx.catalog(), ctx.store()
    result = build_demo_event(cat, store, ctx.settings, fresh=args.fresh, progress=ctx.progress("demo media"))
    out_dir = ctx.settings.home / "demo-outputs"
    if not args.only_setup:
        run_pipeline(cat, store, ctx.settings, result, out_dir=out_dir, progress_for=ctx.progress, steps=STEPS)
        if not args.no_report:
            ctx.close()
            result.outputs["report"] = str(export_report(ctx.settings.home, result.event_id, out_dir / "report.html"))
    summary = {
        "event_id": result.event_id,
        "media": str(result.media_dir),
        "angles": result.videos,
        "music": result.music_id,
        "products": len(result.product_ids),
        "outputs": result.outputs,
        "seconds": round(time.monotonic() - started, 1),
    }
    if args.json:
        ctx.out(summary, True)
        return 0
    print(f"demo event {result.event_id} in {ctx.settings.home}")
    for name, vid in result.videos.items():
        a = result.truth["angles"][name]
        print(f"  {name:8s} {vid}  {a['width']}x{a['height']} {a['fps']:g} fps, offset {a['offset_s']:+.3f} s,"
              f" drift {a['drift_ppm']:+.0f} ppm")
    print(f"  music    {result.music_id}  {result.truth['music']['tempo_bpm']:g} BPM")
    print(f"  products {len(result.product_ids)} from the Shopify CSV export")
    for label, path in result.outputs.items():
        print(f"  {label:9s} {path}")
    print(f"done in {summary['seconds']} s; ground truth: {result.media_dir / 'truth.json'}")
    print(result.event_id)
    return 0
