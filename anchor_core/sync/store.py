"""Sync results in the catalog: the videos' sync columns and the plot data in sync_details.
The only SQL of this stage, and the only reader of an angle's sync state."""

from __future__ import annotations

import json
from typing import Any

from ..catalog import Catalog
from .model import Angle, EventAngles, SyncResult, place_on_event_clock


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


def load_event_angles(cat: Catalog, event_id: str) -> EventAngles:
    """Every angle of the event with its probe facts and sync, on the event clock."""
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT id, angle_type, object_key, coalesce(duration_s, 0), probe, sync_status, sync_offset_s,"
            " sync_drift_ppm, sync_confidence, sync_reason, coalesce(is_reference, false), original_name"
            " FROM videos WHERE event_id = ? ORDER BY created_at, id", [event_id]).fetchall()
    angles = []
    for vid, atype, key, dur, probe_s, status, off, drift, conf, reason, is_ref, name in rows:
        p: dict[str, Any] = json.loads(probe_s) if probe_s else {}
        v = p.get("video") or {}
        w, h = int(v.get("width") or 16), int(v.get("height") or 9)
        if v.get("rotation") in (90, 270):
            w, h = h, w
        audio = p.get("audio") or {}
        angles.append(Angle(
            video_id=vid, angle_type=atype, object_key=key, duration_s=float(dur), offset_s=float(off or 0.0),
            drift_ppm=float(drift or 0.0), status=status or "pending", reason=reason or "",
            confidence=float(conf if conf is not None else 0.0), is_reference=bool(is_ref), name=name or "",
            width=w, height=h, has_audio=bool(audio), audio_rate=int(audio.get("sample_rate") or 0),
        ))
    return place_on_event_clock(event_id, angles)


def sync_details(cat: Catalog, event_id: str) -> dict[str, dict[str, Any]]:
    """The stored correlation data per video id (for plots)."""
    with cat.cursor() as cur:
        rows = cur.execute("SELECT video_id, detail FROM sync_details WHERE event_id = ?", [event_id]).fetchall()
    return {vid: json.loads(d) for vid, d in rows if d}


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
