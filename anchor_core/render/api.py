"""`render_event`: the event's master video from its latest timeline, stored under
outputs/{event_id}/master.mp4 and recorded in the catalog."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..ads.api import AdSlot, generate_ads
from ..catalog import Catalog
from ..catalog import events as events_repo
from ..catalog.ids import new_id
from ..catalog.music import list_music
from ..config import Settings
from ..executor import make_executor
from ..store import LocalStore, output_key
from .inputs import (
    TimelineData,
    choose_audio_master,
    features_event_time,
    latest_timeline,
    music_gain_curve,
    synced_angles,
)
from .master import MasterInputs, RenderResult, render_master
from .plan import AdBreak, AngleSource, OutputFormat

Progress = Callable[[float, float, str], None]


@dataclass(frozen=True)
class EventRender:
    render_id: str
    object_key: str
    path: str
    result: RenderResult
    ads: int
    audio_master: str


def _slot_ads(cat: Catalog, store: LocalStore, event_id: str, tl: TimelineData, angles: dict[str, AngleSource],
              fmt: OutputFormat) -> list[AdBreak]:
    slots = [AdSlot(i, s, d) for i, s, d, _ in tl.ad_slots]
    return generate_ads(cat, store, event_id, tl.timeline_id, slots, tl.segments, angles, fmt)


def preview_ads(cat: Catalog, store: LocalStore, event_id: str, *, fmt: OutputFormat | None = None) -> int:
    """Make (or reuse) the product clip of every ad slot of the latest timeline without rendering
    the master, so a producer can watch them and change the products first. Returns the count."""
    tl = latest_timeline(cat, event_id)
    angles, _, _ = synced_angles(cat, store, event_id)
    return len(_slot_ads(cat, store, event_id, tl, angles, fmt or OutputFormat()))


def render_event(
    cat: Catalog, store: LocalStore, settings: Settings, event_id: str, *, fmt: OutputFormat | None = None,
    out: str | Path | None = None, progress: Progress | None = None, with_ads: bool = True,
) -> EventRender:
    fmt = fmt or OutputFormat()
    event = events_repo.get_event(cat, event_id)
    tl = latest_timeline(cat, event_id)
    angles, aspect, rates = synced_angles(cat, store, event_id)
    feats = features_event_time(cat, angles)
    master_id = choose_audio_master(angles, rates, feats, tl.duration_s)
    ads = _slot_ads(cat, store, event_id, tl, angles, fmt) if with_ads else []
    music = list_music(cat, event_id)
    music_path = str(store.path_for(music[0].object_key)) if music else None
    inputs = MasterInputs(
        duration_s=tl.duration_s, segments=tl.segments, angles=angles, source_aspect=aspect, zooms=tl.zooms,
        ads=ads, chapters=tl.chapters, audio_master_id=master_id, music_path=music_path,
        music_gain=music_gain_curve(feats, master_id, tl.duration_s) if music_path else None,
    )
    if event.status in ("analyzed", "completed", "failed"):
        events_repo.set_event_status(cat, event_id, "generating")
    executor = make_executor(settings)
    try:
        with tempfile.TemporaryDirectory(prefix="render-", dir=settings.home) as tmp:
            tmp_out = Path(tmp) / "master.mp4"
            result = render_master(inputs, tmp_out, fmt=fmt, executor=executor, progress=progress,
                                   title=event.name, workers=settings.workers)
            key = output_key(event_id, "master.mp4")
            store.put_file(key, tmp_out)
            if out:
                Path(out).parent.mkdir(parents=True, exist_ok=True)
                store.copy_to(key, out)
    except BaseException:
        if events_repo.get_event(cat, event_id).status == "generating":
            events_repo.set_event_status(cat, event_id, "failed")
        raise
    finally:
        executor.shutdown()
    if events_repo.get_event(cat, event_id).status == "generating":
        events_repo.set_event_status(cat, event_id, "completed")
    render_id = new_id("rnd")
    with cat.transaction() as cur:
        cur.execute(
            "INSERT INTO renders (id, event_id, timeline_id, kind, object_key, status, duration_s, meta)"
            " VALUES (?, ?, ?, 'master', ?, 'done', ?, ?)",
            [render_id, event_id, tl.timeline_id, key, result.duration_s,
             json.dumps({"audio_master": master_id, "ads": len(ads), "chunks": result.chunks,
                         "loudness": result.loudness, "format": fmt.__dict__})],
        )
    return EventRender(render_id, key, str(store.path_for(key)), result, len(ads), master_id)
