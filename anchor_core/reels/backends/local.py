"""Words of the query against each window's description and sound tags; the vibe as a target
point in feature space. No network."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...config import Settings
from ...registry import Backend
from ..model import MomentSearch, SearchRequest
from ..rank import query_mask, vibe_scores


@dataclass(frozen=True)
class LocalSearch:
    name: str = "local"

    def score_windows(self, request: SearchRequest) -> np.ndarray:
        f = request.features.frame
        scores = vibe_scores(f, request.vibe)
        return np.where(query_mask(f, request.query), scores, -np.inf)


def _open(settings: Settings) -> MomentSearch:
    return LocalSearch()


BACKEND: Backend[MomentSearch] = Backend("local", "query words against tags; vibe from the features", _open)
