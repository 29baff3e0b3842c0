"""Synthetic feature tables with a known right answer, for tests, benchmarks and the notebook.

Stretches of event time each have a "hot" angle (the one whose footage shows the action) or
none (nothing clearly best: the wide is right). Every angle's features carry noise and rare
one-window distractor spikes, as real analysers do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ..sync import Angle

DEFAULT_TYPES = ("wide", "closeup", "medium", "closeup", "goal", "medium")


@dataclass(frozen=True)
class HotTruth:
    """(start_ms, end_ms, angle index) stretches tiling the event; index -1 = nothing clearly best."""

    stretches: tuple[tuple[int, int, int], ...]
    fallback: int  # the angle that is right when nothing is hot (the wide)

    def angle_at(self, t_ms: np.ndarray) -> np.ndarray:
        starts = np.array([s[0] for s in self.stretches])
        idx = np.clip(np.searchsorted(starts, t_ms, side="right") - 1, 0, len(self.stretches) - 1)
        ang = np.array([s[2] for s in self.stretches])[idx]
        return np.where(ang < 0, self.fallback, ang)


def hot_angle_features(duration_s: float, *, angle_types: tuple[str, ...] = DEFAULT_TYPES, window_ms: int = 2000,
                       seed: int = 0, noise: float = 0.8, spike_rate: float = 0.03, quiet_share: float = 0.2,
                       stretch_s: tuple[float, float] = (6.0, 18.0)) -> tuple[pl.DataFrame, list[Angle], HotTruth]:
    rng = np.random.default_rng(seed)
    A = len(angle_types)
    dur_ms = int(duration_s * 1000)
    stretches: list[tuple[int, int, int]] = []
    t, last = 0, -2
    while t < dur_ms:
        length = int(rng.uniform(*stretch_s) * 1000)
        hot = -1 if rng.random() < quiet_share else int(rng.integers(0, A))
        while hot == last:
            hot = int(rng.integers(0, A))
        stretches.append((t, min(dur_ms, t + length), hot))
        t, last = t + length, hot
    truth = HotTruth(tuple(stretches), fallback=angle_types.index("wide") if "wide" in angle_types else 0)
    n = int(np.ceil(dur_ms / window_ms))
    starts = np.arange(n) * window_ms
    # the share of each window that each angle is hot for (windows straddle changes)
    hot_share = np.zeros((A, n))
    for s0, s1, h in stretches:
        if h < 0:
            continue
        lo = np.clip(s0 - starts, 0, window_ms)
        hi = np.clip(s1 - starts, 0, window_ms)
        hot_share[h] += (hi - lo) / window_ms
    base = rng.uniform(2.0, 4.0, size=(A, n))
    action = base + hot_share * rng.uniform(4.5, 6.0, size=(A, n)) + rng.normal(0, noise, size=(A, n))
    spikes = rng.random((A, n)) < spike_rate
    action = np.where(spikes, rng.uniform(7.0, 9.5, size=(A, n)), action)
    action = np.clip(action, 0, 10)
    frames = []
    for i, at in enumerate(angle_types):
        a = action[i]
        frames.append(pl.DataFrame({
            "video_id": [f"cam{i}"] * n, "t_ms": starts.astype(np.int64), "action_intensity": a,
            "scene_cut": rng.random(n) < 0.03, "scene_type": np.where(a > 7, "fast_action", "static").tolist(),
            "faces": (rng.random(n) < (0.6 if at == "closeup" else 0.2)).astype(np.int32),
            "speech": np.clip(rng.normal(0.2, 0.1, n), 0, 1), "crowd_energy": np.clip(a / 10 + rng.normal(0, .05, n), 0, 1),
            "audio_events": [["cheer"] if x > 8.5 else ([] if x > 2.5 else ["silence"]) for x in a],
            "visual_complexity": rng.uniform(0.2, 0.8, n), "key_moment": a > 9.2,
            "description": ["fast action" if x > 7 else "" for x in a],
        }, schema_overrides={"faces": pl.Int32}))
    angles = [Angle(f"cam{i}", at, f"cam{i}.mp4", duration_s) for i, at in enumerate(angle_types)]
    return pl.concat(frames), angles, truth
