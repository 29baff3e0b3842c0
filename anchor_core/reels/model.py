"""What a reel search backend answers: a score for each analysed window of the event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..analysis import EventFeatures
from ..catalog import Catalog


@dataclass(frozen=True)
class SearchRequest:
    event_id: str
    features: EventFeatures  # synced angles only, event time
    query: str
    vibe: str
    catalog: Catalog | None = None  # for backends that keep ids or caches in the catalog


class MomentSearch(Protocol):
    """A search / ranking backend: one score per row of `request.features.frame`; -inf for a
    window that does not match the query (it is never used)."""

    @property
    def name(self) -> str: ...

    def score_windows(self, request: SearchRequest) -> np.ndarray: ...
