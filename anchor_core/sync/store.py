"""Sync results in the catalog: the videos' sync columns and the plot data in sync_details."""

from __future__ import annotations

import json

from ..catalog import Catalog
from .api import SyncResult


def save_sync(cat: Catalog, event_id: str, video_ids: list[str], results: list[SyncResult]) -> None:
    ref_id = next((v for v, r in zip(video_ids, results, strict=True) if r.reference), None)
    with cat.transaction() as cur:
        for vid, r in zip(video_ids, results, strict=True):
            cur.execute(
                "UPDATE videos SET sync_offset_s = ?, sync_drift_ppm = ?, sync_confidence = ?, sync_method = ?,"
                " sync_status = ?, sync_reason = ?, is_reference = ?, updated_at = now() WHERE id = ?",
                [r.offset_s if r.status == "synced" else None, r.drift_ppm if r.status == "synced" else None,
                 r.confidence, r.method, r.status, r.reason or None, r.reference, vid],
            )
            detail = dict(r.detail)
            detail.update(offset_s=r.offset_s, drift_ppm=r.drift_ppm, confidence=r.confidence, status=r.status)
            cur.execute("DELETE FROM sync_details WHERE event_id = ? AND video_id = ?", [event_id, vid])
            cur.execute(
                "INSERT INTO sync_details (event_id, video_id, reference_video_id, detail) VALUES (?, ?, ?, ?)",
                [event_id, vid, ref_id, json.dumps(_plain(detail))],
            )


def _plain(obj: object) -> object:
    """JSON-safe copy (numpy scalars and infinities become plain values)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, float):
        return obj if obj == obj and abs(obj) != float("inf") else None
    if hasattr(obj, "item"):
        return _plain(obj.item())  # type: ignore[attr-defined]
    return obj
