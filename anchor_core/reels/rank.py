"""Personal reels: find the windows that match a query and score them by how close they are to a
vibe (`pick` then chooses the moments). Pure functions over the feature table."""

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


def reel_length(moments: list[Moment]) -> float:
    return sum(m.duration_s for m in moments)
