"""Reels in the catalog (the only SQL of this stage)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from ..catalog import Catalog


def record_reel(cat: Catalog, *, reel_id: str, event_id: str, query: str, vibe: str, duration_s: float,
                object_key: str, moments: list[dict[str, Any]]) -> None:
    with cat.transaction() as cur:
        cur.execute(
            "INSERT INTO reels (id, event_id, query, vibe, duration_s, object_key, status, moments)"
            " VALUES (?, ?, ?, ?, ?, ?, 'done', ?)",
            [reel_id, event_id, query, vibe, duration_s, object_key, json.dumps(moments)],
        )


def list_reels(cat: Catalog, event_id: str) -> pl.DataFrame:
    """The event's reels, newest first."""
    return cat.frame("SELECT id, query, vibe, duration_s, object_key, moments, created_at FROM reels"
                     " WHERE event_id = ? ORDER BY created_at DESC, id", [event_id])
