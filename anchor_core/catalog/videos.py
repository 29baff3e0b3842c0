"""Videos (angles) of an event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from ..errors import NotFoundError
from .db import Catalog
from .status import check_angle_type, check_transition


@dataclass(frozen=True)
class Video:
    id: str
    event_id: str
    angle_type: str
    object_key: str
    original_name: str | None
    content_hash: str
    size_bytes: int
    duration_s: float
    probe: dict[str, Any]
    status: str
    sync_offset_s: float | None
    sync_drift_ppm: float | None
    sync_confidence: float | None
    sync_status: str | None


_COLS = (
    "id, event_id, angle_type, object_key, original_name, content_hash, size_bytes, duration_s, probe,"
    " status, sync_offset_s, sync_drift_ppm, sync_confidence, sync_status"
)


def _row(r: tuple[Any, ...]) -> Video:
    return Video(
        id=r[0], event_id=r[1], angle_type=r[2], object_key=r[3], original_name=r[4], content_hash=r[5],
        size_bytes=int(r[6] or 0), duration_s=float(r[7] or 0.0), probe=json.loads(r[8]) if r[8] else {},
        status=r[9], sync_offset_s=r[10], sync_drift_ppm=r[11], sync_confidence=r[12], sync_status=r[13],
    )


def insert_video(
    cat: Catalog, *, video_id: str, event_id: str, angle_type: str, object_key: str, original_name: str,
    content_hash: str, size_bytes: int, duration_s: float, probe: dict[str, Any], status: str = "uploaded",
) -> Video:
    check_angle_type(angle_type)
    with cat.transaction() as cur:
        cur.execute(
            "INSERT INTO videos (id, event_id, angle_type, object_key, original_name, content_hash,"
            " size_bytes, duration_s, probe, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [video_id, event_id, angle_type, object_key, original_name, content_hash, size_bytes,
             duration_s, json.dumps(probe), status],
        )
    return get_video(cat, video_id)


def get_video(cat: Catalog, video_id: str) -> Video:
    with cat.cursor() as cur:
        row = cur.execute(f"SELECT {_COLS} FROM videos WHERE id = ?", [video_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no video {video_id!r}")
    return _row(row)


def find_by_hash(cat: Catalog, event_id: str, content_hash: str) -> Video | None:
    with cat.cursor() as cur:
        row = cur.execute(
            f"SELECT {_COLS} FROM videos WHERE event_id = ? AND content_hash = ?", [event_id, content_hash]
        ).fetchone()
    return _row(row) if row else None


def list_videos(cat: Catalog, event_id: str) -> list[Video]:
    with cat.cursor() as cur:
        rows = cur.execute(
            f"SELECT {_COLS} FROM videos WHERE event_id = ? ORDER BY created_at, id", [event_id]
        ).fetchall()
    return [_row(r) for r in rows]


def videos_frame(cat: Catalog, event_id: str) -> pl.DataFrame:
    """The event's angles as a frame (for notebooks, reports and the timeline adapter)."""
    return cat.frame(
            "SELECT id AS video_id, angle_type, original_name, object_key, duration_s, status,"
            " sync_offset_s, sync_drift_ppm, sync_confidence, sync_status, sync_reason, is_reference"
            " FROM videos WHERE event_id = ? ORDER BY created_at, id",
            [event_id],
        )


def set_video_status(cat: Catalog, video_id: str, status: str) -> None:
    with cat.transaction() as cur:
        row = cur.execute("SELECT status FROM videos WHERE id = ?", [video_id]).fetchone()
        if row is None:
            raise NotFoundError(f"no video {video_id!r}")
        check_transition("video", row[0], status)
        cur.execute("UPDATE videos SET status = ?, updated_at = now() WHERE id = ?", [status, video_id])
