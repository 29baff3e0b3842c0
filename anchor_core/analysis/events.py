"""The analysis stage's read model: the feature table in event time, with its window.

Analyzers write features in each angle's own time; consumers (timeline, render, reels,
notebooks) read them here, placed on the event clock by sync's `Angle` mapping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..catalog import Catalog
from ..errors import ValidationError
from ..sync import Angle
from .store import FEATURE_COLUMNS, load_features

DEFAULT_WINDOW_MS = 2000


@dataclass(frozen=True)
class EventFeatures:
    """Contract columns + `t_event_s` (window start, event time) + `angle_type`, for the given
    (synced) angles only, and the analysis window they were measured on."""

    frame: pl.DataFrame
    window_ms: int

    @property
    def window_s(self) -> float:
        return self.window_ms / 1000.0

    @property
    def empty(self) -> bool:
        return self.frame.height == 0


def event_features(cat: Catalog, angles: Sequence[Angle]) -> EventFeatures:
    """The features of these angles in event time. Angles analysed with different windows are
    refused (the grid and the reels assume one), with the command that fixes it."""
    by_id = {a.video_id: a for a in angles}
    raw, windows = load_features(cat, list(by_id))
    return place_features(raw, angles, windows)


def place_features(raw: pl.DataFrame, angles: Sequence[Angle], windows: dict[str, int] | None = None) -> EventFeatures:
    """Pure: features in own time + angles -> the event-time read model."""
    by_id = {a.video_id: a for a in angles}
    if raw.height == 0:
        empty = pl.DataFrame(schema={**{c: raw.schema.get(c, pl.Utf8) for c in raw.columns},
                                     "t_event_s": pl.Float64, "angle_type": pl.Utf8})
        return EventFeatures(empty, DEFAULT_WINDOW_MS)
    raw = raw.filter(pl.col("video_id").is_in(list(by_id)))
    window_ms = _window(raw, windows or {})
    cols = [c for c in FEATURE_COLUMNS if c in raw.columns]
    parts = [part.select(cols).with_columns(a.event_time(pl.col("t_ms") / 1000.0).alias("t_event_s"),
                                            pl.lit(a.angle_type, dtype=pl.Utf8).alias("angle_type"))
             for a in angles for part in [raw.filter(pl.col("video_id") == a.video_id)] if part.height]
    frame = pl.concat(parts) if parts else raw.select(cols).with_columns(
        pl.lit(0.0).alias("t_event_s"), pl.lit("").alias("angle_type")).head(0)
    return EventFeatures(frame, window_ms)


def _window(raw: pl.DataFrame, windows: dict[str, int]) -> int:
    found = {v: windows[v] for v in raw["video_id"].unique().to_list() if v in windows}
    for v, part in raw.partition_by("video_id", as_dict=True).items():
        vid = str(v[0])
        if vid not in found and part.height > 1:  # no run record (imported features): the spacing
            found[vid] = int(np.median(np.diff(np.sort(part["t_ms"].to_numpy()))))
    distinct = sorted(set(found.values()))
    if len(distinct) > 1:
        raise ValidationError(f"the angles were analysed with different windows ({', '.join(map(str, distinct))} ms); "
                              "run `anchor analyze EVENT --force --window-ms N` with one window")
    return distinct[0] if distinct else DEFAULT_WINDOW_MS
