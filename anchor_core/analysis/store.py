"""Features and their cache records in the catalog (SQL for this stage stays here)."""

from __future__ import annotations

import json

import polars as pl

from ..catalog import Catalog
from .measure import AngleMeasures


def cached_measures(cat: Catalog, video_id: str, key: str) -> AngleMeasures | None:
    """The stored raw measures when they were made from the same file, analyzer and parameters."""
    row = cat.frame("SELECT cache_key, detail FROM feature_runs WHERE video_id = ?", [video_id])
    if row.height == 0 or row["cache_key"][0] != key or row["detail"][0] is None:
        return None
    detail = row["detail"][0]
    data = json.loads(detail) if isinstance(detail, str) else detail
    if "measures" not in data:
        return None
    return AngleMeasures.from_json(data["measures"])


def save_features(cat: Catalog, features: pl.DataFrame, runs: dict[str, tuple[str, AngleMeasures]],
                  backend: str = "local") -> None:
    """Replace the features of the analysed angles and record how they were made, atomically."""
    ids = sorted(set(features["video_id"].to_list()) | set(runs))
    with cat.transaction() as cur:
        if ids:
            marks = ", ".join("?" for _ in ids)
            cur.execute(f"DELETE FROM features WHERE video_id IN ({marks})", ids)
        if features.height:
            cur.register("incoming_features", features.to_arrow())
            cur.execute("INSERT INTO features SELECT * FROM incoming_features")
            cur.unregister("incoming_features")
        if ids:  # provenance rows belong to the features they describe; none = all local
            cur.execute(f"DELETE FROM feature_provenance WHERE video_id IN ({marks})", ids)
        for vid, (key, m) in runs.items():
            cur.execute("DELETE FROM feature_runs WHERE video_id = ?", [vid])
            cur.execute(
                "INSERT INTO feature_runs (video_id, backend, cache_key, window_ms, detail) VALUES (?, ?, ?, ?, ?)",
                [vid, backend, key, m.window_ms, json.dumps({"measures": m.to_json()})],
            )


FEATURE_COLUMNS = ("video_id", "t_ms", "action_intensity", "scene_cut", "scene_type", "faces", "speech",
                   "crowd_energy", "audio_events", "visual_complexity", "key_moment", "description")


def load_features(cat: Catalog, video_ids: list[str]) -> tuple[pl.DataFrame, dict[str, int]]:
    """The contract columns of these angles (own time) and the window each was analysed with."""
    if not video_ids:
        return pl.DataFrame(), {}
    marks = ", ".join("?" for _ in video_ids)
    feats = cat.frame(f"SELECT {', '.join(FEATURE_COLUMNS)} FROM features WHERE video_id IN ({marks})"
                      " ORDER BY video_id, t_ms", list[object](video_ids))
    runs = cat.frame(f"SELECT video_id, window_ms FROM feature_runs WHERE video_id IN ({marks})",
                     list[object](video_ids))
    return feats, {v: int(w) for v, w in runs.iter_rows() if w}


def feature_backends(cat: Catalog, event_id: str) -> dict[str, str]:
    """video id → the backend whose run filled the angle's features (for showing who measured what)."""
    with cat.cursor() as cur:
        rows = cur.execute("SELECT r.video_id, r.backend FROM feature_runs r JOIN videos v ON v.id = r.video_id "
                           "WHERE v.event_id = ?", [event_id]).fetchall()
    return {str(v): str(b) for v, b in rows}
