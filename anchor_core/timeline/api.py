"""Timelines for events: gather sync, features and beats from the catalog, build, store."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..catalog import Catalog
from ..catalog.events import get_event
from ..catalog.music import list_music
from ..errors import NotFoundError
from ..music.store import load_beats
from ..store import LocalStore
from .build import build_timeline, event_beats
from .grid import FEATURE_COLUMNS, AngleInfo, Grid, build_grid
from .model import Timeline
from .profile import Profile
from .profiles_store import resolve_profile
from .store import save_timeline


@dataclass(frozen=True)
class EventInputs:
    """Everything a rebuild needs, loaded once (the notebook re-scores on this without I/O)."""

    event_id: str
    event_type: str
    grid: Grid
    beats_s: tuple[float, ...]
    unsynced: tuple[str, ...]


def event_angles(cat: Catalog, store: LocalStore, event_id: str) -> tuple[list[AngleInfo], list[str]]:
    rows = cat.frame(
        "SELECT id, angle_type, object_key, coalesce(duration_s, 0), sync_status, sync_offset_s, sync_drift_ppm"
        " FROM videos WHERE event_id = ? ORDER BY created_at, id", [event_id])
    if rows.height == 0:
        raise NotFoundError(f"event {event_id} has no footage; ingest some with `anchor ingest {event_id} FILE`")
    never_synced = rows["sync_status"].is_null().all()
    if never_synced and rows.height > 1:
        raise NotFoundError(f"event {event_id} has not been synced; run `anchor sync {event_id}` first")
    angles, unsynced = [], []
    for vid, atype, key, dur, status, off, drift in rows.iter_rows():
        if status == "synced" or never_synced:
            angles.append(AngleInfo(vid, atype, float(off or 0.0), float(drift or 0.0), float(dur),
                                    str(store.path_for(key))))
        else:
            unsynced.append(vid)
    return angles, unsynced


def event_features(cat: Catalog, video_ids: list[str]) -> pl.DataFrame:
    marks = ", ".join("?" for _ in video_ids)
    return cat.frame(f"SELECT {', '.join(FEATURE_COLUMNS)} FROM features WHERE video_id IN ({marks})"
                     " ORDER BY video_id, t_ms", list[object](video_ids))


def load_event_inputs(cat: Catalog, store: LocalStore, event_id: str, window_ms: int = 2000) -> EventInputs:
    ev = get_event(cat, event_id)
    angles, unsynced = event_angles(cat, store, event_id)
    if not angles:
        raise NotFoundError(f"no angle of event {event_id} is synced; check `anchor sync {event_id}` for the reasons")
    feats = event_features(cat, [a.video_id for a in angles])
    if feats.height == 0:
        raise NotFoundError(f"event {event_id} has no features yet; run `anchor analyze {event_id}` first")
    grid = build_grid(feats, angles, window_ms)
    beats: list[float] = []
    music = list_music(cat, event_id)
    if music:
        beats = event_beats(load_beats(cat, event_id), music[0].duration_s, grid.duration_ms / 1000.0)
    return EventInputs(event_id, ev.event_type, grid, tuple(beats), tuple(unsynced))


def timeline_event(cat: Catalog, store: LocalStore, event_id: str, *, profile: str | Profile | None = None,
                   strategy: str | None = None) -> tuple[str, Timeline]:
    """Build the event's timeline with a profile (name, JSON file, or object) and store it."""
    ev = get_event(cat, event_id)
    pid, prof = resolve_profile(cat, profile, ev.event_type)
    inputs = load_event_inputs(cat, store, event_id, prof.window_ms)
    tl = build_timeline(inputs.grid, prof, beats_s=inputs.beats_s, strategy=strategy, event_type=ev.event_type)
    if inputs.unsynced:
        tl = Timeline(**{**tl.__dict__, "meta": dict(tl.meta, unsynced=list(inputs.unsynced))})
    return save_timeline(cat, event_id, tl, pid), tl
