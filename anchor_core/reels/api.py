"""`make_reel`: query + vibe + duration → a short highlight video, stored with its moments."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..catalog import Catalog
from ..catalog import events as events_repo
from ..catalog.ids import new_id
from ..catalog.music import list_music
from ..config import Settings
from ..errors import NotFoundError, ValidationError
from ..executor import make_executor
from ..render.inputs import features_event_time, synced_angles
from ..render.master import MasterInputs, render_master
from ..render.plan import AngleSource, OutputFormat, Segment
from ..store import LocalStore, output_key
from .rank import Moment, pick_moments, query_mask, vibe_scores

Progress = Callable[[float, float, str], None]
MUSIC_VOLUME = 0.6


@dataclass(frozen=True)
class ReelResult:
    reel_id: str
    object_key: str
    path: str
    moments: list[Moment]
    duration_s: float


def plan_reel(feats: pl.DataFrame, query: str, vibe: str, duration_s: float) -> list[Moment]:
    if duration_s < 4:
        raise ValidationError("a reel must be at least 4 s long")
    if feats.height == 0:
        raise NotFoundError("the event has no analysed windows; run `anchor analyze` first")
    mask = query_mask(feats, query)
    if not mask.any():
        raise NotFoundError(f"nothing in the event matches {query!r}; try other words or an empty query")
    return pick_moments(feats, vibe_scores(feats, vibe), mask, budget_s=duration_s)


def reel_inputs(moments: list[Moment], angles: dict[str, AngleSource], aspect: dict[str, float],
                music: str | None) -> MasterInputs:
    """Lay the moments end to end; each gets a virtual angle whose clock maps reel time onto
    the moment's footage, so the master renderer can cut and crossfade them unchanged."""
    segs: list[Segment] = []
    virt: dict[str, AngleSource] = {}
    virt_aspect: dict[str, float] = {}
    t = 0.0
    for k, m in enumerate(moments):
        a = angles[m.video_id]
        vid = f"m{k}"
        virt[vid] = AngleSource(vid, a.path, a.offset_s + (t - m.start_s), a.drift_ppm, a.duration_s,
                                a.has_audio, a.angle_type)
        virt_aspect[vid] = aspect.get(m.video_id, 16 / 9)
        segs.append(Segment(t, t + m.duration_s, vid))
        t += m.duration_s
    return MasterInputs(duration_s=t, segments=segs, angles=virt, source_aspect=virt_aspect, music_path=music,
                        music_volume=MUSIC_VOLUME, audio_follows_picture=True)


def make_reel(
    cat: Catalog, store: LocalStore, settings: Settings, event_id: str, *, query: str = "", vibe: str = "high_energy",
    duration_s: float = 30.0, fmt: OutputFormat | None = None, progress: Progress | None = None,
) -> ReelResult:
    fmt = fmt or OutputFormat()
    events_repo.get_event(cat, event_id)
    angles, aspect, _ = synced_angles(cat, store, event_id)
    moments = plan_reel(features_event_time(cat, angles), query, vibe, duration_s)
    music = list_music(cat, event_id)
    inputs = reel_inputs(moments, angles, aspect, str(store.path_for(music[0].object_key)) if music else None)
    reel_id = new_id("reel")
    key = output_key(reel_id, "reel.mp4")
    executor = make_executor(settings)
    try:
        with tempfile.TemporaryDirectory(prefix="reel-", dir=settings.home) as tmp:
            out = Path(tmp) / "reel.mp4"
            render_master(inputs, out, fmt=fmt, executor=executor, progress=progress, chunk_s=15.0,
                          workers=settings.workers, title=f"Reel: {query or vibe}")
            store.put_file(key, out)
    finally:
        executor.shutdown()
    with cat.transaction() as cur:
        cur.execute(
            "INSERT INTO reels (id, event_id, query, vibe, duration_s, object_key, status, moments)"
            " VALUES (?, ?, ?, ?, ?, ?, 'done', ?)",
            [reel_id, event_id, query, vibe, inputs.duration_s, key,
             json.dumps([m.__dict__ for m in moments])],
        )
    return ReelResult(reel_id, key, str(store.path_for(key)), moments, inputs.duration_s)
