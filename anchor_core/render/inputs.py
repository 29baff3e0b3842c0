"""Gather what a render needs from the catalog: the latest timeline, synced angles, music and
its gain curve, chapters. SQL lives in the catalog's tables; this module only reads them."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..catalog import Catalog
from ..errors import NotFoundError
from ..store import LocalStore
from .master import ENVELOPE_RATE, Chapter
from .plan import AngleSource, Segment, Zoom


@dataclass(frozen=True)
class TimelineData:
    timeline_id: str
    duration_s: float
    segments: list[Segment]
    zooms: list[Zoom]
    ad_slots: list[tuple[int, float, float, float]]  # idx, start_s, duration_s, score
    chapters: list[Chapter]


def latest_timeline(cat: Catalog, event_id: str) -> TimelineData:
    tl = cat.frame(
        "SELECT id, duration_ms FROM timelines WHERE event_id = ? ORDER BY created_at DESC, id LIMIT 1", [event_id]
    )
    if tl.height == 0:
        raise NotFoundError(f"event {event_id} has no timeline yet; run `anchor timeline {event_id}` first")
    tid, dur = tl["id"][0], tl["duration_ms"][0] / 1000.0
    segs = cat.frame("SELECT start_ms, end_ms, video_id FROM timeline_segments WHERE timeline_id=? ORDER BY idx", [tid])
    zooms = cat.frame("SELECT start_ms, duration_ms, zoom_factor FROM timeline_zooms WHERE timeline_id=? ORDER BY idx",
                      [tid])
    ads = cat.frame("SELECT idx, timestamp_ms, duration_ms, score FROM timeline_ad_slots WHERE timeline_id=? "
                    "ORDER BY idx", [tid])
    chs = cat.frame("SELECT timestamp_ms, title FROM timeline_chapters WHERE timeline_id=? ORDER BY idx", [tid])
    return TimelineData(
        tid, dur,
        [Segment(r[0] / 1000, r[1] / 1000, r[2]) for r in segs.iter_rows()],
        [Zoom(r[0] / 1000, r[1] / 1000, float(r[2])) for r in zooms.iter_rows()],
        [(int(r[0]), r[1] / 1000, r[2] / 1000, float(r[3])) for r in ads.iter_rows()],
        [Chapter(r[0] / 1000, r[1]) for r in chs.iter_rows()],
    )


def synced_angles(cat: Catalog, store: LocalStore, event_id: str) -> tuple[dict[str, AngleSource], dict[str, float], dict[str, int]]:
    """Angles with their sync (unsynced angles keep offset 0 and are flagged by the timeline)."""
    rows = cat.frame(
        "SELECT id, object_key, angle_type, duration_s, probe, coalesce(sync_offset_s, 0) AS off,"
        " coalesce(sync_drift_ppm, 0) AS drift FROM videos WHERE event_id = ? ORDER BY created_at, id", [event_id]
    )
    angles: dict[str, AngleSource] = {}
    aspect: dict[str, float] = {}
    rates: dict[str, int] = {}
    for vid, key, atype, dur, probe, off, drift in rows.iter_rows():
        p = json.loads(probe) if probe else {}
        v = p.get("video") or {}
        w, h = v.get("width", 16), v.get("height", 9)
        if v.get("rotation") in (90, 270):
            w, h = h, w
        audio = p.get("audio")
        angles[vid] = AngleSource(vid, str(store.path_for(key)), float(off), float(drift), float(dur), bool(audio), atype)
        aspect[vid] = w / max(h, 1)
        rates[vid] = int(audio["sample_rate"]) if audio else 0
    return angles, aspect, rates


def features_event_time(cat: Catalog, angles: dict[str, AngleSource]) -> pl.DataFrame:
    """Every feature column of the angles, plus each window's start in event time (sync applied)
    and the angle type: what the render, the reels and the notebook's plots read."""
    if not angles:
        return pl.DataFrame()
    ids = list(angles)
    f = cat.frame(f"SELECT * FROM features WHERE video_id IN ({', '.join('?' for _ in ids)}) ORDER BY video_id, t_ms",
                  list(ids))
    if f.height == 0:
        return f.with_columns(pl.lit(0.0).alias("t_event_s"), pl.lit("").alias("angle_type"))
    vid = pl.col("video_id")
    off = vid.replace_strict({k: a.offset_s for k, a in angles.items()}, return_dtype=pl.Float64)
    drift = vid.replace_strict({k: a.drift_ppm for k, a in angles.items()}, return_dtype=pl.Float64)
    return f.with_columns((off + pl.col("t_ms") / 1000.0 * (1 + drift * 1e-6)).alias("t_event_s"),
                          vid.replace_strict({k: a.angle_type for k, a in angles.items()},
                                             return_dtype=pl.Utf8).alias("angle_type"))


def choose_audio_master(angles: dict[str, AngleSource], rates: dict[str, int], feats: pl.DataFrame,
                        duration_s: float) -> str:
    """The microphone to hear throughout: covers most of the event, then the best rate, then
    the clearest voice (mean speech score)."""
    best, best_key = next(iter(angles)), (-1.0, 0, 0.0)
    for vid, a in angles.items():
        if not a.has_audio:
            continue
        cover = max(0.0, min(a.event_end, duration_s) - max(a.offset_s, 0.0)) / max(duration_s, 1e-9)
        speech = 0.0
        if feats.height:
            sub = feats.filter(pl.col("video_id") == vid)
            speech = float(np.mean(sub["speech"].to_numpy())) if sub.height else 0.0
        key = (round(cover, 2), rates.get(vid, 0), speech)
        if key > best_key:
            best, best_key = vid, key
    return best


def music_gain_curve(feats: pl.DataFrame, audio_master: str, duration_s: float, *, base: float = 0.5,
                     ducked: float = 0.2, lifted: float = 1.2, window_s: float = 2.0) -> np.ndarray:
    """The platform's music levels: 0.5 under the event, 0.2 while someone speaks, 1.2 when the
    action is intense (≥ 8), smoothed so changes glide over about half a second."""
    n = int(np.ceil(duration_s * ENVELOPE_RATE)) + 1
    g = np.full(n, base)
    if feats.height:
        t = np.arange(n) / ENVELOPE_RATE
        inten = feats.group_by((pl.col("t_event_s") / window_s).floor().alias("w")).agg(
            pl.col("action_intensity").max())
        hi = {int(w) for w, v in inten.iter_rows() if v is not None and v >= 8}
        sp = feats.filter(pl.col("video_id") == audio_master)
        speaking = {int(np.floor(r[0] / window_s)) for r in sp.select("t_event_s", "speech").iter_rows() if r[1] >= 0.5}
        w = np.floor(t / window_s).astype(int)
        g = np.where(np.isin(w, list(hi)), lifted, g)
        g = np.where(np.isin(w, list(speaking)), ducked, g)
        k = max(1, int(0.5 * ENVELOPE_RATE))
        g = np.convolve(np.pad(g, (k, k), mode="edge"), np.ones(k) / k, mode="same")[k:-k]
    return g
