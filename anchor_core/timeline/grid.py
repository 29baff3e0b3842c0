"""The event-time grid: every angle's features resampled onto one window grid, with eligibility.

Features arrive in each angle's own time; sync (offset + drift) places them in event time.
Building the grid is the slow part of a timeline (done once per event); scoring and switching
run on its arrays and are cheap enough to redo on every slider move.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ..analysis import FEATURE_COLUMNS
from ..errors import ValidationError
from ..sync import EDGE_TOL_S, Angle


@dataclass(frozen=True)
class Grid:
    """(angles × windows) arrays in event time; window k spans [k*w, min((k+1)*w, duration))."""

    window_ms: int
    duration_ms: int
    angles: tuple[Angle, ...]
    eligible: np.ndarray  # bool: the angle has footage for the whole window
    action: np.ndarray
    faces: np.ndarray
    speech: np.ndarray
    crowd: np.ndarray
    complexity: np.ndarray
    key_moment: np.ndarray
    scene_cut: np.ndarray
    scene_type: np.ndarray  # int codes into scene_types
    scene_types: tuple[str, ...]
    events: dict[str, np.ndarray]  # audio event name -> bool (angles × windows)
    description: np.ndarray  # object (angles × windows)
    digest: str = field(default="")

    @property
    def n(self) -> int:
        return int(self.eligible.shape[1])

    @property
    def starts_ms(self) -> np.ndarray:
        return np.arange(self.n, dtype=np.int64) * self.window_ms

    def index(self, angle_type: str) -> list[int]:
        return [i for i, a in enumerate(self.angles) if a.angle_type == angle_type]

    def covers(self, i: int, t0_s: float, t1_s: float) -> bool:
        """Angle i has footage over [t0, t1] in event time."""
        return self.angles[i].covers(t0_s, t1_s)


def build_grid(features: pl.DataFrame, angles: Sequence[Angle], window_ms: int = 2000) -> Grid:
    """Resample each angle's features (own time) onto the event's window grid.

    The event runs from 0 (the earliest synced footage) to the last synced footage. A window
    is eligible for an angle only when the footage covers all of it, so no cut ever lands on
    an angle that has nothing to show.
    """
    if not angles:
        raise ValidationError("no synced angles to edit: ingest footage and run `anchor sync` first")
    missing = [c for c in FEATURE_COLUMNS if c not in features.columns]
    if missing:
        raise ValidationError(f"the feature table lacks the column(s) {', '.join(missing)}")
    end_ms = max(a.event_end_s for a in angles) * 1000.0
    if end_ms <= 0:
        raise ValidationError("the synced angles all end before the reference starts: nothing to edit")
    duration_ms = int(np.floor(end_ms + 1e-6))
    n = max(1, int(np.ceil(duration_ms / window_ms)))
    A = len(angles)
    starts = np.arange(n, dtype=np.float64) * window_ms
    ends = np.minimum(starts + window_ms, duration_ms)
    centres = (starts + ends) / 2.0

    scene_types = tuple(sorted(set(features["scene_type"].unique().to_list()) | {"none"})) if features.height \
        else ("none",)
    code_of = {s: i for i, s in enumerate(scene_types)}
    vocab: set[str] = set()
    if features.height:
        vocab = set(features["audio_events"].explode().drop_nulls().unique().to_list())

    eligible = np.zeros((A, n), dtype=bool)
    zeros = lambda dt=np.float64: np.zeros((A, n), dtype=dt)  # noqa: E731
    action, speech, crowd, complexity = zeros(), zeros(), zeros(), zeros()
    faces = zeros(np.int32)
    key, cut = zeros(bool), zeros(bool)
    stype = np.full((A, n), code_of["none"], dtype=np.int32)
    events = {e: zeros(bool) for e in sorted(vocab)}
    desc = np.full((A, n), "", dtype=object)
    parts = {k[0]: v for k, v in features.sort("t_ms").partition_by("video_id", as_dict=True).items()} \
        if features.height else {}
    for i, a in enumerate(angles):
        tol = EDGE_TOL_S * 1000.0
        own0 = a.source_time(starts / 1000.0) * 1000.0
        own1 = a.source_time(ends / 1000.0) * 1000.0
        eligible[i] = (own0 >= -tol) & (own1 <= a.duration_s * 1000.0 + tol)
        f = parts.get(a.video_id)
        if f is None or f.height == 0:
            continue
        t = f["t_ms"].to_numpy().astype(np.float64)
        step = float(np.median(np.diff(t))) if t.size > 1 else float(window_ms)
        own_c = a.source_time(centres / 1000.0) * 1000.0
        j = np.searchsorted(t, own_c, side="right") - 1
        ok = (j >= 0) & (own_c < t[np.clip(j, 0, None)] + step) & (own_c <= a.duration_s * 1000.0 + tol)
        jj = np.clip(j, 0, t.size - 1)


        action[i] = np.clip(_take(f, "action_intensity", ok, jj), 0, 10)
        speech[i] = np.clip(_take(f, "speech", ok, jj), 0, 1)
        crowd[i] = np.clip(_take(f, "crowd_energy", ok, jj), 0, 1)
        complexity[i] = np.clip(_take(f, "visual_complexity", ok, jj), 0, 1)
        faces[i] = _take(f, "faces", ok, jj, np.int32)
        key[i] = _take(f, "key_moment", ok, jj, bool)
        # a cut anywhere inside the event window counts, not only at its centre
        cut_t = t[f["scene_cut"].to_numpy().astype(bool)]
        if cut_t.size:
            lo = np.searchsorted(cut_t, own0 - step + 1e-6, side="left")
            hi = np.searchsorted(cut_t, own1, side="left")
            cut[i] = hi > lo
        codes = np.array([code_of[s] for s in f["scene_type"].to_list()], dtype=np.int32)
        stype[i] = np.where(ok, codes[jj], code_of["none"])
        for e in events:
            m = f["audio_events"].list.contains(e).fill_null(False).to_numpy().astype(bool)
            events[e][i] = ok & m[jj]
        d = np.array(f["description"].fill_null("").to_list(), dtype=object)
        desc[i] = np.where(ok, d[jj], "")
    h = hashlib.sha256()
    h.update(repr([(a.video_id, a.angle_type, round(a.offset_s, 6), round(a.drift_ppm, 3), round(a.duration_s, 4))
                   for a in angles]).encode())
    for arr in (eligible, action, faces, speech, crowd, complexity, key, cut, stype):
        h.update(np.ascontiguousarray(arr).tobytes())
    for e in sorted(events):
        h.update(e.encode() + events[e].tobytes())
    return Grid(window_ms, duration_ms, tuple(angles), eligible, action, faces, speech, crowd, complexity, key, cut,
                stype, scene_types, events, desc, h.hexdigest()[:16])


def _take(f: pl.DataFrame, col: str, ok: np.ndarray, jj: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    vals: np.ndarray = f[col].fill_null(0).to_numpy().astype(dtype)
    return np.where(ok, vals[jj], np.zeros(1, dtype=dtype))
