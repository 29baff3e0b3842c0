"""Renders in the catalog (the only SQL of this stage)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from ..catalog import Catalog
from ..catalog.ids import new_id


def record_render(cat: Catalog, *, event_id: str, timeline_id: str | None, kind: str, object_key: str | None,
                  duration_s: float, meta: dict[str, Any]) -> str:
    render_id = new_id("rnd")
    with cat.transaction() as cur:
        cur.execute(
            "INSERT INTO renders (id, event_id, timeline_id, kind, object_key, status, duration_s, meta)"
            " VALUES (?, ?, ?, ?, ?, 'done', ?, ?)",
            [render_id, event_id, timeline_id, kind, object_key, duration_s, json.dumps(meta)],
        )
    return render_id


def list_renders(cat: Catalog, event_id: str) -> pl.DataFrame:
    """The event's renders, newest first."""
    return cat.frame("SELECT id, kind, object_key, duration_s, meta, created_at FROM renders WHERE event_id = ?"
                     " ORDER BY created_at DESC, id", [event_id])


def latest_master(cat: Catalog, event_id: str) -> dict[str, Any] | None:
    """The newest master render (object key, duration, when), or None."""
    rows = cat.frame("SELECT object_key, duration_s, created_at FROM renders WHERE event_id = ? AND kind = 'master'"
                     " ORDER BY created_at DESC LIMIT 1", [event_id])
    return rows.row(0, named=True) if rows.height else None
