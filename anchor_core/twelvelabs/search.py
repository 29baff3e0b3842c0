"""Marengo search hits and embeddings, and their placement on an angle's analysis windows.

Hits are ranked by `rank` (1 = best): v1.3 returns neither `score` nor `confidence`. Clip
embeddings (Marengo 3.0, 512-d, visual and audio) come with the indexed video and are cached in
the catalog, so a second reel costs one text embedding.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..catalog import Catalog
from ..errors import ValidationError
from . import EMBED_DIM, INDEX_MODEL
from .client import Sleep, call
from .config import TLConfig
from .store import clip_embeddings, save_clip_embeddings

SEARCH_OPTIONS = ["visual", "audio"]
EMBED_OPTIONS = ["visual", "audio"]
PAGE_LIMIT = 50  # the API's maximum
MAX_HITS = 500  # stop walking pages after this many clips
IMAGE_TYPES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"}


@dataclass(frozen=True)
class Hit:
    remote_video_id: str
    start_s: float  # uploaded file's time
    end_s: float
    rank: int


def search_hits(client: Any, cfg: TLConfig, index_id: str, query: str, image: str | Path | None = None, *,
                sleep: Sleep, page_limit: int = PAGE_LIMIT) -> list[Hit]:
    """Every clip matching the text and/or image query (all pages, up to MAX_HITS), best rank first."""
    if image is not None:
        p = Path(image)
        if not p.is_file() or p.suffix.lower() not in IMAGE_TYPES:
            raise ValidationError(f"{image}: the face photo must be an existing image file "
                                  f"({', '.join(sorted(IMAGE_TYPES))})")

    def run() -> list[Hit]:
        kwargs: dict[str, Any] = {"index_id": index_id, "search_options": SEARCH_OPTIONS, "group_by": "clip",
                                  "operator": "or", "page_limit": page_limit}
        if query.strip():
            kwargs["query_text"] = query.strip()
        with ExitStack() as stack:
            if image is not None:  # re-opened per attempt, like every multipart body
                fh = stack.enter_context(open(image, "rb"))
                kwargs.update(query_media_type="image", query_media_file=(Path(image).name, fh, "image/*"))
            out = []
            for item in client.search.query(**kwargs):  # the pager walks GET /search/{page_token}
                if item.video_id is None or item.start is None or item.end is None or item.rank is None:
                    continue
                out.append(Hit(str(item.video_id), float(item.start), float(item.end), int(item.rank)))
                if len(out) >= MAX_HITS:
                    break
            return sorted(out, key=lambda h: h.rank)

    return call(cfg, "search the event", run, sleep=sleep)


def text_embedding(client: Any, cfg: TLConfig, text: str, *, sleep: Sleep) -> np.ndarray:
    from twelvelabs.types import TextInputRequest

    r = call(cfg, "embed the vibe", lambda: client.embed.v_2.create(
        input_type="text", model_name=INDEX_MODEL, text=TextInputRequest(input_text=text)), sleep=sleep)
    vec = np.asarray(r.data[0].embedding, dtype=np.float32)
    if vec.shape != (EMBED_DIM,):
        raise ValidationError(f"TwelveLabs returned a {vec.shape[0]}-d text embedding; Marengo 3.0 gives "
                              f"{EMBED_DIM}-d (check the index model)")
    return vec


def clip_vectors(cat: Catalog, client: Any, cfg: TLConfig, index_id: str, remote_video_id: str, *,
                 sleep: Sleep) -> list[tuple[str, float, float, np.ndarray]]:
    """(option, start, end, vector) per clip of an indexed video: from the catalog, else fetched once."""
    cached = clip_embeddings(cat, remote_video_id, INDEX_MODEL)
    if cached:
        return cached
    v = call(cfg, "read clip embeddings", lambda: client.indexes.videos.retrieve(
        index_id, remote_video_id, embedding_option=EMBED_OPTIONS), sleep=sleep)
    segs = (v.embedding.video_embedding.segments or []) if v.embedding and v.embedding.video_embedding else []
    rows = [(str(s.embedding_option or "visual"), float(s.start_offset_sec or 0.0), float(s.end_offset_sec or 0.0),
             list(s.float_ or [])) for s in segs if s.float_ and (s.embedding_scope or "clip") == "clip"]
    save_clip_embeddings(cat, remote_video_id, INDEX_MODEL, rows)
    return [(o, s, e, np.asarray(x, dtype=np.float32)) for o, s, e, x in rows]


def window_similarity(starts_s: np.ndarray, window_s: float, clips: list[tuple[str, float, float, np.ndarray]],
                      target: np.ndarray, offset_s: float = 0.0) -> np.ndarray:
    """Per window (own-time starts): mean over options of the cosine of the clip covering its middle
    to `target`, scaled to 0..1; NaN where no clip covers it."""
    t = target / (np.linalg.norm(target) or 1.0)
    mids = starts_s + window_s / 2 - offset_s
    by_opt: dict[str, list[tuple[float, float, float]]] = {}
    for opt, s, e, vec in clips:
        by_opt.setdefault(opt, []).append((s, e, float(vec @ t / (np.linalg.norm(vec) or 1.0))))
    out = np.full(len(starts_s), np.nan)
    for i, m in enumerate(mids):
        sims = [next((c for s, e, c in spans if s <= m < e), np.nan) for spans in by_opt.values()]
        sims = [x for x in sims if np.isfinite(x)]
        if sims:
            out[i] = (float(np.mean(sims)) + 1.0) / 2.0
    return out


def hit_relevance(starts_s: np.ndarray, window_s: float, hits: list[Hit], offset_s: float = 0.0) -> np.ndarray:
    """Per window: 1 for the best-ranked overlapping hit down to ~0 for the last; NaN = no hit."""
    out = np.full(len(starts_s), np.nan)
    n = max(len(hits), 1)
    for h in sorted(hits, key=lambda x: x.rank, reverse=True):  # better ranks overwrite worse
        a, b = h.start_s + offset_s, h.end_s + offset_s
        hit = (starts_s < b) & (starts_s + window_s > a)
        out[hit] = 1.0 - (h.rank - 1) / n
    return out
