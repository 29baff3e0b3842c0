"""Ad clips in the catalog (the only SQL of this stage)."""

from __future__ import annotations

import polars as pl

from ..catalog import Catalog
from ..catalog.ids import new_id


def record_ad(cat: Catalog, *, event_id: str, timeline_id: str, slot_idx: int, product_id: str, backend: str,
              object_key: str, prompt: str, duration_ms: int) -> str:
    ad_id = new_id("ad")
    with cat.transaction() as cur:
        cur.execute(
            "INSERT INTO ads (id, event_id, timeline_id, slot_idx, product_id, backend, object_key, prompt,"
            " duration_ms, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ready')",
            [ad_id, event_id, timeline_id, slot_idx, product_id, backend, object_key, prompt, duration_ms],
        )
    return ad_id


def forget_ads(cat: Catalog, event_id: str, keep: set[str]) -> None:
    """Drop the event's ad rows whose clip is not one of `keep` (those clips were deleted)."""
    kept = sorted(keep)
    with cat.transaction() as cur:
        if kept:
            marks = ", ".join("?" for _ in kept)
            cur.execute(f"DELETE FROM ads WHERE event_id = ? AND (object_key IS NULL OR object_key NOT IN ({marks}))",
                        [event_id, *kept])
        else:
            cur.execute("DELETE FROM ads WHERE event_id = ?", [event_id])


def list_ads(cat: Catalog, event_id: str) -> pl.DataFrame:
    """The event's ad clips, newest first, with the product title (untrusted: escape it when shown)."""
    return cat.frame("SELECT a.slot_idx, p.title, a.object_key, a.prompt, a.backend FROM ads a LEFT JOIN products p"
                     " ON p.id = a.product_id WHERE a.event_id = ? ORDER BY a.created_at DESC", [event_id])
