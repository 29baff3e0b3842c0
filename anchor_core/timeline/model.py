"""The timeline as plain data: segments, zooms, ad slots, chapters, all in event milliseconds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl


@dataclass(frozen=True)
class Segment:
    start_ms: int
    end_ms: int
    video_id: str
    angle_type: str
    score: float

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class ZoomMoment:
    start_ms: int
    duration_ms: int
    zoom_factor: float
    video_id: str


@dataclass(frozen=True)
class AdSlot:
    timestamp_ms: int
    duration_ms: int
    score: float


@dataclass(frozen=True)
class ChapterMark:
    timestamp_ms: int
    title: str
    kind: str  # start | highlight


@dataclass(frozen=True)
class Timeline:
    duration_ms: int
    segments: tuple[Segment, ...]
    zooms: tuple[ZoomMoment, ...]
    ad_slots: tuple[AdSlot, ...]
    chapters: tuple[ChapterMark, ...]
    beat_synced: bool
    strategy: str
    profile_name: str
    profile_version: int
    inputs_hash: str
    meta: dict[str, Any] = field(default_factory=dict)
    audio_master: str = ""  # the angle whose microphone is heard throughout (video id)
    timeline_id: str = ""  # set once stored

    @property
    def duration_s(self) -> float:
        return self.duration_ms / 1000.0

    @property
    def unsynced(self) -> tuple[str, ...]:
        """Angles left out of this edit because sync could not place them."""
        return tuple(self.meta.get("unsynced", ()))

    def frames(self) -> dict[str, pl.DataFrame]:
        """Polars frames for plots and SQL (segments, zooms, ad_slots, chapters)."""
        def frame(rows: tuple[Any, ...], cols: dict[str, type[pl.DataType] | pl.DataType]) -> pl.DataFrame:
            return pl.DataFrame([asdict(r) for r in rows], schema=cols) if rows else pl.DataFrame(schema=cols)

        return {
            "segments": frame(self.segments, {"start_ms": pl.Int64, "end_ms": pl.Int64, "video_id": pl.Utf8,
                                              "angle_type": pl.Utf8, "score": pl.Float64}),
            "zooms": frame(self.zooms, {"start_ms": pl.Int64, "duration_ms": pl.Int64, "zoom_factor": pl.Float64,
                                        "video_id": pl.Utf8}),
            "ad_slots": frame(self.ad_slots, {"timestamp_ms": pl.Int64, "duration_ms": pl.Int64,
                                              "score": pl.Float64}),
            "chapters": frame(self.chapters, {"timestamp_ms": pl.Int64, "title": pl.Utf8, "kind": pl.Utf8}),
        }

    def angle_at(self, t_ms: float) -> str:
        for s in self.segments:
            if s.start_ms <= t_ms < s.end_ms:
                return s.video_id
        return self.segments[-1].video_id if self.segments else ""
