"""Sync's read model: every angle of an event on the event clock, and the one rule for which
angles take part in the edit. Everything downstream (timeline, render, ads, reels, export,
notebooks) reads angles only through this.

The reference angle is the clock: stored offsets are in its time. Event time 0 is the earliest
synced footage, so nothing recorded before the reference started is dropped; the reference's
first sample plays at event time `-origin_s` (>= 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

# Times on either clock: seconds as a float, a numpy array, or a polars expression.
Times = TypeVar("Times", float, "np.ndarray", "pl.Expr")

EDGE_TOL_S = 0.001  # container rounding: footage that ends 1 ms early still counts as covering


@dataclass(frozen=True)
class Angle:
    """One recording. Its sample at own time t plays at event time offset_s + t * (1 + drift_ppm * 1e-6)."""

    video_id: str
    angle_type: str
    object_key: str
    duration_s: float
    offset_s: float = 0.0  # event time of the first sample
    drift_ppm: float = 0.0
    status: str = "synced"  # synced | unsynced | pending (never synced)
    reason: str = ""
    confidence: float = 1.0
    is_reference: bool = False
    name: str = ""
    width: int = 16  # as displayed (rotation applied)
    height: int = 9
    has_audio: bool = True
    audio_rate: int = 48000

    @property
    def rate(self) -> float:
        return 1.0 + self.drift_ppm * 1e-6

    @property
    def synced(self) -> bool:
        return self.status == "synced"

    @property
    def aspect(self) -> float:
        return self.width / max(self.height, 1)

    @property
    def label(self) -> str:
        return self.name or self.video_id

    def event_time(self, own_s: Times) -> Times:
        """The one drift formula: own time -> event time (floats, arrays or polars expressions)."""
        return own_s * self.rate + self.offset_s

    def source_time(self, event_s: Times) -> Times:
        """Event time -> the angle's own time."""
        return (event_s - self.offset_s) / self.rate

    @property
    def event_start_s(self) -> float:
        return self.offset_s

    @property
    def event_end_s(self) -> float:
        return self.event_time(self.duration_s)

    def covers(self, t0_s: float, t1_s: float) -> bool:
        """Footage over all of [t0, t1] in event time."""
        return self.event_start_s - EDGE_TOL_S <= t0_s and t1_s <= self.event_end_s + EDGE_TOL_S

    def shifted(self, by_s: float, **changes: Any) -> Angle:
        """The same recording on a clock moved by `by_s` (reels lay moments on their own clock)."""
        return replace(self, offset_s=self.offset_s + by_s, **changes)


@dataclass(frozen=True)
class EventAngles:
    """All angles of an event, in catalog order, offsets already in event time."""

    event_id: str
    angles: tuple[Angle, ...]
    origin_s: float = 0.0  # reference time at event time 0 (<= 0)

    @property
    def synced(self) -> tuple[Angle, ...]:
        return tuple(a for a in self.angles if a.synced)

    @property
    def unsynced(self) -> tuple[Angle, ...]:
        return tuple(a for a in self.angles if not a.synced)

    @property
    def reference(self) -> Angle | None:
        return next((a for a in self.angles if a.is_reference), None)

    def by_id(self) -> dict[str, Angle]:
        return {a.video_id: a for a in self.angles}

    @property
    def span_s(self) -> tuple[float, float]:
        """Event time covered by synced footage: (0, end)."""
        s = self.synced
        return (0.0, max(a.event_end_s for a in s)) if s else (0.0, 0.0)


def place_on_event_clock(event_id: str, angles: list[Angle]) -> EventAngles:
    """Move the clock so event time 0 is the earliest synced footage (offsets come in reference time).

    The one rule for taking part: an angle is in the edit only when sync placed it. A lone
    angle that was never synced is its own reference and counts as synced."""
    if len(angles) == 1 and angles[0].status == "pending":
        angles = [replace(angles[0], status="synced", is_reference=True, offset_s=0.0, drift_ppm=0.0)]
    synced = [a for a in angles if a.synced]
    origin = min([0.0, *(a.offset_s for a in synced)]) if synced else 0.0
    placed = tuple(replace(a, offset_s=a.offset_s - origin) if a.synced else a for a in angles)
    return EventAngles(event_id, placed, origin)


@dataclass(frozen=True)
class SyncResult:
    """One angle on the reference clock: its sample at own time t plays at
    offset_s + t * (1 + drift_ppm * 1e-6)."""

    file: str
    offset_s: float
    drift_ppm: float
    confidence: float
    status: str  # "synced" | "unsynced"
    reason: str = ""
    method: str = ""
    reference: bool = False
    detail: dict = field(default_factory=dict)
    drift_sigma_ppm: float | None = None  # standard error of the drift; None when not measurable
    drift_note: str = ""  # why the drift was not measured (then drift_ppm is 0), else ""

    def public(self) -> dict:
        sigma = None if self.drift_sigma_ppm is None else round(self.drift_sigma_ppm, 2)
        d = {"file": self.file, "offset_s": round(self.offset_s, 6), "drift_ppm": round(self.drift_ppm, 2),
             "drift_sigma_ppm": sigma, "confidence": round(self.confidence, 3), "status": self.status,
             "reference": self.reference}
        if self.reference and self.detail.get("reference_note"):
            d["reference_note"] = self.detail["reference_note"]
        doubt = float(self.detail.get("direct_path_doubt_ms") or 0.0)
        if doubt and self.status == "synced":
            d["offset_doubt_ms"] = round(doubt, 1)
        if self.drift_note and self.status == "synced":
            d["drift_note"] = self.drift_note
        if self.status != "synced":
            d["reason"] = self.reason
        return d
