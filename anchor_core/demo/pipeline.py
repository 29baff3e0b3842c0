"""`anchor demo`: make the demo media (once), build the demo event and run what the pipeline has."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..catalog import events as events_repo
from ..catalog import products as products_repo
from ..config import Settings
from ..executor import make_executor
from ..ingest import ingest_music, ingest_video
from ..products_csv import import_shopify_csv
from ..store import ObjectStore
from .generate import GENERATOR_VERSION, generate_demo

Progress = Callable[[float, float, str], None]
DEMO_NAME = "Demo match"


@dataclass
class DemoResult:
    event_id: str
    media_dir: Path
    truth: dict[str, Any]
    videos: dict[str, str] = field(default_factory=dict)  # angle name -> video id
    music_id: str | None = None
    product_ids: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)


def ensure_demo_media(settings: Settings, *, fresh: bool = False, progress: Progress | None = None) -> tuple[Path, dict[str, Any]]:
    media = settings.home / "demo-media"
    truth_path = media / "truth.json"
    if truth_path.is_file() and not fresh:
        truth = json.loads(truth_path.read_text())
        if truth.get("generator_version") == GENERATOR_VERSION:
            return media, truth
    executor = make_executor(settings)
    try:
        truth = generate_demo(media, executor=executor, progress=progress)
    finally:
        executor.shutdown()
    return media, truth


def build_demo_event(
    cat: Catalog, store: ObjectStore, settings: Settings, *, fresh: bool = False, progress: Progress | None = None,
) -> DemoResult:
    media, truth = ensure_demo_media(settings, fresh=fresh, progress=progress)
    existing = events_repo.find_flagged_event(cat, DEMO_NAME, "demo")
    if existing and not fresh:
        event_id = existing
    else:
        event_id = events_repo.create_event(cat, DEMO_NAME, "sports", meta={"demo": True, "media": str(media)}).id
    result = DemoResult(event_id, media, truth)
    for name, angle in truth["angles"].items():
        r = ingest_video(cat, store, event_id, media / angle["file"], angle_type=angle["angle_type"],
                         ffmpeg=settings.ffmpeg)
        result.videos[name] = r.id
    result.music_id = ingest_music(cat, store, event_id, media / truth["music"]["file"], ffmpeg=settings.ffmpeg).id
    report = import_shopify_csv(cat, store, media / truth["products"]["csv"], source="demo-csv")
    products_repo.select_for_event(cat, event_id, report.product_ids)
    result.product_ids = report.product_ids
    return result


STEPS = ("music", "sync", "analyze", "timeline", "render", "reel", "exports")


def run_pipeline(cat: Catalog, store: ObjectStore, settings: Settings, result: DemoResult, *,
                 out_dir: Path, progress_for: Callable[[str], Progress] | None = None,
                 steps: tuple[str, ...] = STEPS) -> DemoResult:
    """The offline pipeline on the demo event: beats, sync, analysis, timeline, master, reel and
    the editor/chapter exports. Every step is the same public function the CLI calls."""
    from ..analysis import run_analysis
    from ..export import export_event
    from ..music import analyze_music, event_music, save_music_analysis
    from ..reels import make_reel
    from ..render import render_event
    from ..sync import sync_event
    from ..timeline import timeline_event

    def prog(label: str) -> Progress | None:
        return progress_for(label) if progress_for else None

    eid = result.event_id
    out_dir.mkdir(parents=True, exist_ok=True)
    music = event_music(cat, eid)
    if "music" in steps and music and music.tempo_bpm is None:
        save_music_analysis(cat, eid, music.id, analyze_music(str(store.path_for(music.object_key)),
                                                              ffmpeg=settings.ffmpeg))
    if "sync" in steps:
        executor = make_executor(settings, max_workers=2)
        try:
            sync_event(cat, store, eid, executor=executor, progress=prog("sync"), ffmpeg=settings.ffmpeg)
        finally:
            executor.shutdown()
    if "analyze" in steps:
        run_analysis(cat, store, settings, eid, progress=prog("analyze"))
    if "timeline" in steps:
        tid, tl = timeline_event(cat, eid)
        result.outputs["timeline"] = f"{tid} ({len(tl.segments)} segments, {len(tl.zooms)} zooms, " \
                                     f"{len(tl.ad_slots)} ad slots, {len(tl.chapters)} chapters)"
    if "render" in steps:
        r = render_event(cat, store, settings, eid, progress=prog("render"))
        result.outputs["master"] = str(r.path)
    if "reel" in steps:
        reel = make_reel(cat, store, settings, eid, query="", vibe="high_energy", duration_s=20.0,
                         progress=prog("reel"))
        result.outputs["reel"] = reel.path
    if "exports" in steps:
        for fmt, name in (("otio", "timeline.otio"), ("fcpxml", "timeline.fcpxml"), ("edl", "timeline.edl"),
                          ("vtt", "chapters.vtt")):
            result.outputs[fmt] = str(export_event(cat, store, eid, fmt, out_dir / name))
    return result
