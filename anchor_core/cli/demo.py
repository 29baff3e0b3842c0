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
    p.add_argument("--analyzer", help="analyzer backend for this run (default ANCHOR_ANALYZER, else local)")
    p.add_argument("--search", help="reel search backend for this run (default ANCHOR_SEARCH, else local)")
    p.add_argument("--ads", help="ad generator for this run (default ANCHOR_ADS, else local); a paid one "
                   "generates because running the demo with it asks for it")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    from dataclasses import replace

    from ..demo.pipeline import STEPS, build_demo_event, run_pipeline
    from .report import export_report

    started = time.monotonic()
    chosen = {k: v for k, v in (("analyzer_backend", args.analyzer), ("search_backend", args.search),
                                ("ad_backend", args.ads)) if v}
    if chosen:  # the switch is configuration only: the same pipeline, other backends
        options = dict(ctx.settings.options)
        if args.ads:
            options.setdefault("ANCHOR_VEO_AUTOGENERATE", "true")
        ctx.settings = replace(ctx.settings, options=tuple(sorted(options.items())), **chosen)
    cat, store = ctx.catalog(create=True), ctx.store()
    result = build_demo_event(cat, store, ctx.settings, fresh=args.fresh, progress=ctx.progress("demo media"))
    out_dir = ctx.settings.home / "demo-outputs"
    if not args.only_setup:
        run_pipeline(cat, store, ctx.settings, result, out_dir=out_dir, progress_for=ctx.progress, steps=STEPS)
    measured = measured_facts(cat, result.event_id)
    if not (args.only_setup or args.no_report):
        ctx.close()
        result.outputs["report"] = str(export_report(ctx.settings.home, result.event_id, out_dir / "report.html"))
    summary = {
        "event_id": result.event_id,
        "media": str(result.media_dir),
        "angles": result.videos,
        "music": result.music_id,
        "products": len(result.product_ids),
        "measured": measured,
        "outputs": result.outputs,
        "seconds": round(time.monotonic() - started, 1),
    }
    if args.json:
        ctx.out(summary, True)
        return 0
    print(f"demo event {result.event_id} in {ctx.settings.home}")
    for name, vid in result.videos.items():  # what the pipeline measured, the truth beside it
        a, m = result.truth["angles"][name], measured["angles"].get(vid, {})
        if m.get("status") == "synced":
            found = f"offset {m['offset_s']:+.3f} s, drift {m['drift_ppm']:+.0f} ppm"
        else:
            found = m.get("reason") or "not synced yet"
        print(f"  {name:8s} {vid}  {a['width']}x{a['height']} {a['fps']:g} fps, {found}"
              f" (truth {a['offset_s']:+.3f} s, {a['drift_ppm']:+.0f} ppm)")
    bpm = measured.get("tempo_bpm")
    print(f"  music    {result.music_id}  {f'{bpm:.1f} BPM' if bpm else 'beats not analysed yet'}"
          f" (truth {result.truth['music']['tempo_bpm']:g} BPM)")
    print(f"  products {len(result.product_ids)} from the Shopify CSV export")
    for label, path in result.outputs.items():
        print(f"  {label:9s} {path}")
    print(f"done in {summary['seconds']} s; ground truth: {result.media_dir / 'truth.json'}")
    print(result.event_id)
    return 0


def measured_facts(cat: Any, event_id: str) -> dict[str, Any]:
    """Offsets, drift and tempo as the catalog holds them (what the pipeline found, not the truth)."""
    from ..music import event_music
    from ..sync import load_angles

    angles = {a.video_id: {"status": a.status, "offset_s": a.offset_s, "drift_ppm": a.drift_ppm,
                           "reason": a.reason, "reference": a.is_reference}
              for a in load_angles(cat, event_id, require_synced=False).angles}
    music = event_music(cat, event_id)
    return {"angles": angles, "tempo_bpm": music.tempo_bpm if music else None}
