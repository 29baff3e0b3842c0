"""Marengo search for the reel's query (visual + audio, or a face photo), embeddings for its vibe.

A window matches when a search hit overlaps it; its score mixes the hit's rank with the vibe's
cosine similarity to the clip's embedding. Needs the event analysed with
ANCHOR_ANALYZER=twelvelabs (that is where its index and video ids come from).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ...config import Settings
from ...errors import ConfigError, NotFoundError, ValidationError
from ...registry import Backend
from ...twelvelabs.client import open_client
from ...twelvelabs.config import TLConfig, load_config
from ...twelvelabs.search import clip_vectors, hit_relevance, search_hits, text_embedding, window_similarity
from ...twelvelabs.store import INDEX, VIDEO, get_remote
from ..model import MomentSearch, SearchRequest
from ..rank import VIBES, vibe_scores

VIBE_TEXT = {"high_energy": "high energy action moments", "emotional": "emotional moments: faces, joy and tears",
             "calm": "calm, quiet moments"}
QUERY_WEIGHT = 0.6  # of a matching window's score; the rest is the vibe


@dataclass(frozen=True)
class TwelveLabsSearch:
    cfg: TLConfig
    face_image: str | None = None  # "find me by photo": sent as an image query
    page_limit: int = 50  # hits per search page (the API's maximum)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    name: str = "twelvelabs"

    def score_windows(self, request: SearchRequest) -> np.ndarray:
        if request.vibe not in VIBES:
            raise ValidationError(f"unknown vibe {request.vibe!r}; choose one of {', '.join(VIBES)}")
        cat = request.catalog
        if cat is None:
            raise ConfigError("the twelvelabs search needs the catalog (its index and video ids live there)")
        index = get_remote(cat, request.event_id, "", INDEX)
        if index is None:
            raise NotFoundError(f"event {request.event_id} has no TwelveLabs index: run `ANCHOR_ANALYZER=twelvelabs "
                                f"anchor analyze {request.event_id}` first, or use ANCHOR_SEARCH=local")
        f = request.features.frame
        window_s = request.features.window_s
        client = open_client(self.cfg)
        vibe = vibe_scores(f, request.vibe)  # the local answer, kept where no embedding covers a window
        target = text_embedding(client, self.cfg, VIBE_TEXT[request.vibe], sleep=self.sleep)
        relevance = np.full(f.height, np.nan)
        hits = None
        if request.query.strip() or self.face_image:
            hits = search_hits(client, self.cfg, index.remote_id, request.query, self.face_image, sleep=self.sleep,
                               page_limit=self.page_limit)
        rows = f.with_row_index("_row")
        for (vid,), part in rows.partition_by("video_id", as_dict=True).items():
            video = get_remote(cat, request.event_id, str(vid), VIDEO)
            if video is None or video.state != "ready":
                continue
            idx = part["_row"].to_numpy()
            starts = part["t_ms"].to_numpy() / 1000.0
            offset = float(video.meta.get("offset_s", 0.0))
            clips = clip_vectors(cat, client, self.cfg, index.remote_id, video.remote_id, sleep=self.sleep)
            sim = window_similarity(starts, window_s, clips, target, offset)
            vibe[idx] = np.where(np.isfinite(sim), sim, vibe[idx])
            if hits is not None:
                relevance[idx] = hit_relevance(starts, window_s, [h for h in hits if h.remote_video_id ==
                                                                  video.remote_id], offset)
        if hits is None:
            return vibe
        return np.where(np.isfinite(relevance), QUERY_WEIGHT * relevance + (1 - QUERY_WEIGHT) * vibe, -np.inf)


def _open(settings: Settings, face_image: str | None = None) -> MomentSearch:
    return TwelveLabsSearch(load_config(settings), face_image)


BACKEND: Backend[MomentSearch] = Backend("twelvelabs", "Marengo search (visual + audio, face photo); vibe by "
                                         "embeddings; needs a key", _open, requires=("TWELVELABS_API_KEY",))
