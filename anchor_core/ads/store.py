"""Ad clips and Veo operations in the catalog (the only SQL of this stage)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from ..catalog import Catalog
from ..catalog.ids import new_id


def record_ad(cat: Catalog, *, event_id: str, timeline_id: str, slot_idx: int, product_id: str, backend: str,
              object_key: str, prompt: str, duration_ms: int, requested_backend: str | None = None,
              fallback_reason: str = "", negative_prompt: str = "", context: dict[str, Any] | None = None) -> str:
    """One made clip: who made it, who was asked to (they differ after a fallback) and why."""
    ad_id = new_id("ad")
    with cat.transaction() as cur:
        cur.execute(
            "INSERT INTO ads (id, event_id, timeline_id, slot_idx, product_id, backend, object_key, prompt,"
            " duration_ms, status, requested_backend, fallback_reason, negative_prompt, context)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ready', ?, ?, ?, ?)",
            [ad_id, event_id, timeline_id, slot_idx, product_id, backend, object_key, prompt, duration_ms,
             requested_backend or backend, fallback_reason or None, negative_prompt or None,
             json.dumps(context) if context is not None else None],
        )
    return ad_id


@dataclass(frozen=True)
class StoredAd:
    backend: str
    requested_backend: str
    fallback_reason: str
    context: dict[str, Any] | None


def ad_by_key(cat: Catalog, event_id: str, object_key: str) -> StoredAd | None:
    """The newest row of a clip already in the store (who made it, and any fallback reason)."""
    rows = cat.frame("SELECT backend, requested_backend, fallback_reason, context FROM ads WHERE event_id = ?"
                     " AND object_key = ? ORDER BY created_at DESC LIMIT 1", [event_id, object_key])
    if rows.height == 0:
        return None
    r = rows.row(0, named=True)
    ctx = r["context"]
    return StoredAd(str(r["backend"]), str(r["requested_backend"] or r["backend"]), str(r["fallback_reason"] or ""),
                    json.loads(ctx) if isinstance(ctx, str) else ctx)


def set_fallback_reason(cat: Catalog, event_id: str, object_key: str, reason: str, requested_backend: str) -> None:
    """A reused fallback clip stands in for a newer failure: say the newer reason."""
    with cat.transaction() as cur:
        cur.execute("UPDATE ads SET fallback_reason = ?, requested_backend = ? WHERE event_id = ? AND object_key = ?",
                    [reason, requested_backend, event_id, object_key])


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
    """The event's ad clips, newest first, with the product title (untrusted: escape it when shown),
    the prompt and scene context it was made from, the backend and any fallback reason."""
    return cat.frame("SELECT a.slot_idx, p.title, a.object_key, a.prompt, a.backend, a.requested_backend,"
                     " a.fallback_reason, a.negative_prompt, a.context FROM ads a LEFT JOIN products p"
                     " ON p.id = a.product_id WHERE a.event_id = ? ORDER BY a.created_at DESC", [event_id])


def generated_count(cat: Catalog, event_id: str) -> int:
    """Paid generations of the event so far (started or finished, not failed): the cap counts these."""
    row = cat.frame("SELECT count(*) AS n FROM ad_operations WHERE event_id = ? AND state <> 'failed'", [event_id])
    return int(row["n"][0])


@dataclass(frozen=True)
class CatalogJournal:
    """Where the Veo backend writes each operation's name the moment it exists, so a crashed or
    timed-out run resumes polling that operation instead of paying for a new one."""

    cat: Catalog
    event_id: str

    def find(self, cache_key: str) -> str | None:
        """The operation already started for these inputs (running or done), if any."""
        rows = self.cat.frame("SELECT operation FROM ad_operations WHERE cache_key = ? AND state <> 'failed'",
                              [cache_key])
        return str(rows["operation"][0]) if rows.height else None

    def started(self, cache_key: str, model: str, operation: str, slot_idx: int) -> None:
        with self.cat.transaction() as cur:
            cur.execute("DELETE FROM ad_operations WHERE cache_key = ?", [cache_key])
            cur.execute("INSERT INTO ad_operations (cache_key, event_id, slot_idx, model, operation, state)"
                        " VALUES (?, ?, ?, ?, ?, 'running')", [cache_key, self.event_id, slot_idx, model, operation])

    def finished(self, cache_key: str, state: str, reason: str = "") -> None:
        """`done` keeps the operation for reuse; `failed` lets the next run ask again."""
        with self.cat.transaction() as cur:
            cur.execute("UPDATE ad_operations SET state = ?, reason = ?, updated_at = current_timestamp"
                        " WHERE cache_key = ?", [state, reason or None, cache_key])


def operations(cat: Catalog, event_id: str) -> pl.DataFrame:
    return cat.frame("SELECT cache_key, slot_idx, model, operation, state, reason FROM ad_operations"
                     " WHERE event_id = ? ORDER BY created_at", [event_id])
