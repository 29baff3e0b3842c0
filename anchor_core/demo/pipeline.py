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
from ..store import LocalStore
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
    cat: Catalog, store: LocalStore, settings: Settings, *, fresh: bool = False, progress: Progress | None = None,
) -> DemoResult:
    media, truth = ensure_demo_media(settings, fresh=fresh, progress=progress)
    existing = cat.frame(
        "SELECT id FROM events WHERE name = ? AND json_extract_string(meta, '$.demo') = 'true'"
        " ORDER BY created_at DESC LIMIT 1", [DEMO_NAME],
    )
    if existing.height and not fresh:
        event_id = existing["id"][0]
    else:
        event_id = events_repo.create_event(cat, DEMO_NAME, "sports", meta={"demo": True, "media": str(media)}).id
    result = DemoResult(event_id, media, truth)
    for name, angle in truth["angles"].items():
        r = ingest_video(cat, store, event_id, media / angle["file"], angle_type=angle["angle_type"])
        result.videos[name] = r.id
    result.music_id = ingest_music(cat, store, event_id, media / truth["music"]["file"]).id
    report = import_shopify_csv(cat, store, media / truth["products"]["csv"], source="demo-csv")
    products_repo.select_for_event(cat, event_id, report.product_ids)
    result.product_ids = report.product_ids
    return result
