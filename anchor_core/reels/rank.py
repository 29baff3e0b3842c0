"""Personal reels: find the windows that match a query, rank them by how close they are to a
vibe, and pick moments that fit a duration budget. Pure functions over the feature table."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..errors import ValidationError

# Each vibe is a target point in feature space (all features scaled to 0..1) with weights.
VIBES: dict[str, dict[str, tuple[float, float]]] = {
    "high_energy": {"action": (1.0, 3.0), "crowd": (1.0, 2.0), "key": (1.0, 1.5), "speech": (0.0, 0.5)},
    "emotional": {"action": (0.45, 1.0), "crowd": (0.7, 1.5), "faces": (1.0, 2.0), "speech": (0.5, 0.5),
                  "key": (1.0, 1.0)},
    "calm": {"action": (0.1, 3.0), "crowd": (0.15, 2.0), "speech": (0.2, 0.5), "complexity": (0.5, 0.5)},
}
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Moment:
    video_id: str
    start_s: float  # event time
    end_s: float
    score: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def query_mask(feats: pl.DataFrame, query: str) -> np.ndarray:
    """Windows whose description or audio tags share a word with the query (all when empty)."""
    words = set(_WORD.findall(query.lower()))
    if not words:
        return np.ones(feats.height, bool)
    desc = feats["description"].to_list()
    tags = feats["audio_events"].to_list()
    out = np.zeros(feats.height, bool)
    for i, (d, t) in enumerate(zip(desc, tags, strict=True)):
        have = set(_WORD.findall((d or "").lower())) | {str(x).lower() for x in (t or [])}
        out[i] = bool(words & have)
    return out


def vibe_scores(feats: pl.DataFrame, vibe: str) -> np.ndarray:
    """Similarity to the vibe's target: 1 - weighted mean absolute distance, in 0..1."""
    if vibe not in VIBES:
        raise ValidationError(f"unknown vibe {vibe!r}; choose one of {', '.join(VIBES)}")
    cols = {
        "action": np.clip(feats["action_intensity"].to_numpy() / 10.0, 0, 1),
        "crowd": np.clip(feats["crowd_energy"].to_numpy(), 0, 1),
        "speech": np.clip(feats["speech"].to_numpy(), 0, 1),
        "faces": np.clip(feats["faces"].to_numpy() / 3.0, 0, 1),
        "key": feats["key_moment"].to_numpy().astype(float),
        "complexity": np.clip(feats["visual_complexity"].to_numpy(), 0, 1),
    }
    total = np.zeros(feats.height)
    wsum = 0.0
    for name, (target, weight) in VIBES[vibe].items():
        total += weight * np.abs(cols[name] - target)
        wsum += weight
    return 1.0 - total / wsum


def pick_moments(
    feats: pl.DataFrame, scores: np.ndarray, mask: np.ndarray, *, budget_s: float, window_s: float = 2.0,
    min_moment_s: float = 4.0, max_moment_s: float = 8.0, min_gap_s: float = 4.0, keep_ratio: float = 0.6,
) -> list[Moment]:
    """Greedy by score: grow each seed window into a moment of min..max length on the same angle,
    no two moments overlapping or closer than min_gap_s in event time (so the reel spreads over
    the event), total within the budget. Seeds scoring below keep_ratio x the best are not used:
    a reel is shorter rather than padded with dull moments. Returned in event order.
    Crossfades overlap footage beyond each cut, so they do not change the reel's length."""
    if feats.height == 0:
        return []
    t = feats["t_event_s"].to_numpy()
    vid = feats["video_id"].to_numpy()
    order = np.argsort(-np.where(mask, scores, -np.inf), kind="stable")
    chosen: list[Moment] = []
    used = 0.0
    per_angle: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for v in np.unique(vid):
        sel = vid == v
        per_angle[str(v)] = (t[sel], np.where(mask[sel], scores[sel], -np.inf))
    best = float(np.max(np.where(mask, scores, -np.inf)))
    for i in order:
        if not mask[i] or used > budget_s - min_moment_s + 1e-6 or scores[i] < keep_ratio * best:
            break
        v = str(vid[i])
        ts, sc = per_angle[v]
        start, end = float(t[i]), float(t[i]) + window_s
        # Grow toward the better neighbour until the moment is long enough (or good windows run out).
        while end - start < min_moment_s or (end - start < max_moment_s and _neighbour_score(ts, sc, start, end, window_s) > scores[i] - 0.15):
            left = _score_at(ts, sc, start - window_s)
            right = _score_at(ts, sc, end)
            if max(left, right) == -np.inf:
                break
            if right >= left:
                end += window_s
            else:
                start -= window_s
        room = budget_s - used
        if end - start > room:
            end = start + room
        if end - start < min_moment_s - 1e-6:
            continue
        if any(start < m.end_s + min_gap_s and end > m.start_s - min_gap_s for m in chosen):
            continue
        chosen.append(Moment(v, start, end, float(scores[i])))
        used += end - start
    return sorted(chosen, key=lambda m: m.start_s)


def _score_at(ts: np.ndarray, sc: np.ndarray, t: float) -> float:
    k = np.flatnonzero(np.abs(ts - t) < 1e-3)
    return float(sc[k[0]]) if k.size else float("-inf")


def _neighbour_score(ts: np.ndarray, sc: np.ndarray, start: float, end: float, window_s: float) -> float:
    return max(_score_at(ts, sc, start - window_s), _score_at(ts, sc, end))


def reel_length(moments: list[Moment]) -> float:
    return sum(m.duration_s for m in moments)
