"""Remote ids and caches in the catalog (SQL for this backend stays here).

`remote_assets` holds one row per (event, angle, kind): the event's index (video_id ''), an
angle's indexing task, its indexed video and its Pegasus task. A row is written the moment the
service issues the id, before anything waits on it, so a restart finds it and resumes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ..catalog import Catalog

INDEX, TASK, VIDEO, ANALYSIS = "index", "task", "video", "analysis"


@dataclass(frozen=True)
class Remote:
    event_id: str
    video_id: str
    kind: str
    remote_id: str
    state: str
    meta: dict[str, Any]


def get_remote(cat: Catalog, event_id: str, video_id: str, kind: str) -> Remote | None:
    f = cat.frame("SELECT remote_id, state, meta FROM remote_assets WHERE event_id = ? AND video_id = ? AND kind = ?",
                  [event_id, video_id, kind])
    if f.height == 0:
        return None
    meta = f["meta"][0]
    return Remote(event_id, video_id, kind, f["remote_id"][0], f["state"][0],
                  json.loads(meta) if isinstance(meta, str) else dict(meta or {}))


def put_remote(cat: Catalog, event_id: str, video_id: str, kind: str, remote_id: str, state: str,
               meta: dict[str, Any] | None = None) -> Remote:
    """Insert or replace; meta is merged into what is stored."""
    key = [event_id, video_id, kind]
    with cat.transaction() as cur:  # one open of the catalog: this runs between network calls
        old = cur.execute("SELECT remote_id, meta FROM remote_assets WHERE event_id = ? AND video_id = ? AND kind = ?",
                          key).fetchone()
        kept = json.loads(old[1]) if old and old[0] == remote_id and old[1] else {}
        merged = {**kept, **(meta or {})}
        cur.execute("DELETE FROM remote_assets WHERE event_id = ? AND video_id = ? AND kind = ?", key)
        cur.execute("INSERT INTO remote_assets (event_id, video_id, kind, remote_id, state, meta) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [event_id, video_id, kind, remote_id, state, json.dumps(merged)])
    return Remote(event_id, video_id, kind, remote_id, state, merged)


def forget(cat: Catalog, event_id: str, video_id: str | None = None, kinds: tuple[str, ...] = ()) -> None:
    sql, args = "DELETE FROM remote_assets WHERE event_id = ?", [event_id]
    if video_id is not None:
        sql, args = sql + " AND video_id = ?", [*args, video_id]
    if kinds:
        sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
        args += list(kinds)
    with cat.transaction() as cur:
        cur.execute(sql, args)


def remote_frame(cat: Catalog, event_id: str) -> pl.DataFrame:
    return cat.frame("SELECT video_id, kind, remote_id, state, meta FROM remote_assets WHERE event_id = ? "
                     "ORDER BY video_id, kind", [event_id])


def set_event_index(cat: Catalog, event_id: str, index_id: str | None) -> None:
    """The index id on the event itself (`events.meta.twelvelabs_index_id`), for anyone reading events."""
    with cat.transaction() as cur:
        row = cur.execute("SELECT meta FROM events WHERE id = ?", [event_id]).fetchone()
        meta = json.loads(row[0]) if row and row[0] else {}
        if index_id is None:
            meta.pop("twelvelabs_index_id", None)
        else:
            meta["twelvelabs_index_id"] = index_id
        cur.execute("UPDATE events SET meta = ?, updated_at = now() WHERE id = ?", [json.dumps(meta), event_id])


def clip_embeddings(cat: Catalog, remote_video_id: str, model: str) -> list[tuple[str, float, float, np.ndarray]]:
    f = cat.frame("SELECT option, start_s, end_s, vector FROM clip_embeddings WHERE remote_video_id = ? AND model = ?"
                  " ORDER BY option, start_s", [remote_video_id, model])
    return [(o, float(s), float(e), np.asarray(v, dtype=np.float32)) for o, s, e, v in f.iter_rows()]


def save_clip_embeddings(cat: Catalog, remote_video_id: str, model: str,
                         rows: list[tuple[str, float, float, list[float]]]) -> None:
    with cat.transaction() as cur:
        cur.execute("DELETE FROM clip_embeddings WHERE remote_video_id = ? AND model = ?", [remote_video_id, model])
        for option, s, e, vec in rows:
            cur.execute("INSERT OR REPLACE INTO clip_embeddings VALUES (?, ?, ?, ?, ?, ?)",
                        [remote_video_id, model, option, s, e, vec])


def save_provenance(cat: Catalog, prov: pl.DataFrame) -> None:
    """Replace the provenance rows of the angles in `prov` (video_id, t_ms, backend, remote_columns, reason)."""
    ids = sorted(set(prov["video_id"].to_list()))
    if not ids:
        return
    with cat.transaction() as cur:
        cur.execute(f"DELETE FROM feature_provenance WHERE video_id IN ({', '.join('?' for _ in ids)})", ids)
        cur.register("incoming_provenance", prov.to_arrow())
        cur.execute("INSERT INTO feature_provenance (video_id, t_ms, backend, remote_columns, reason) "
                    "SELECT video_id, t_ms, backend, remote_columns, reason FROM incoming_provenance")
        cur.unregister("incoming_provenance")


def load_provenance(cat: Catalog, video_ids: list[str]) -> pl.DataFrame:
    if not video_ids:
        return pl.DataFrame()
    marks = ", ".join("?" for _ in video_ids)
    return cat.frame(f"SELECT video_id, t_ms, backend, remote_columns, reason FROM feature_provenance "
                     f"WHERE video_id IN ({marks}) ORDER BY video_id, t_ms", list[object](video_ids))
