"""The demo match's script: when things happen, in event time (seconds). Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class MatchScript:
    duration_s: float = 120.0
    action_bursts: tuple[tuple[float, float], ...] = ((18.0, 26.0), (52.0, 58.0), (84.0, 92.0))
    whistles: tuple[float, ...] = (2.0, 27.5, 44.0, 60.5, 94.0, 112.0)
    whistle_len_s: tuple[float, ...] = (0.9, 0.6, 0.5, 0.6, 0.7, 1.2)
    speech: tuple[tuple[float, float], ...] = ((5.0, 15.0), (31.0, 41.0), (64.0, 76.0), (95.0, 101.0))
    idle: tuple[tuple[float, float], ...] = ((30.0, 40.0), (66.0, 80.0), (100.0, 110.0))
    seed: int = 7
    flash_s: float = 0.25  # scoreboard light stays on this long from each whistle onset
    extra: dict[str, float] = field(default_factory=dict)

    def excitement(self, t: np.ndarray) -> np.ndarray:
        """0 (idle) .. 1 (burst peak), smooth ramps so motion and crowd noise build and fade."""
        t = np.asarray(t, dtype=np.float64)
        out = np.full(t.shape, 0.12)
        for a, b in self.action_bursts:
            rise = np.clip((t - (a - 1.0)) / 1.0, 0.0, 1.0)
            fall = np.clip(((b + 2.0) - t) / 2.0, 0.0, 1.0)
            out = np.maximum(out, np.minimum(rise, fall))
        for a, b in self.idle:
            inside = (t >= a) & (t <= b)
            out = np.where(inside, np.minimum(out, 0.02), out)
        return out

    def flash(self, t: float) -> bool:
        return any(w <= t < w + self.flash_s for w in self.whistles)
