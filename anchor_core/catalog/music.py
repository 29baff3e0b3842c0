"""Music tracks of an event (the file; its analysis is written by `anchor_core.music.store`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .db import Catalog


@dataclass(frozen=True)
class MusicTrack:
    id: str
    event_id: str
    object_key: str
    original_name: str | None
    content_hash: str
    duration_s: float
    tempo_bpm: float | None


_COLS = "id, event_id, object_key, original_name, content_hash, duration_s, tempo_bpm"


def _row(r: tuple[Any, ...]) -> MusicTrack:
    return MusicTrack(r[0], r[1], r[2], r[3], r[4], float(r[5] or 0.0), r[6])


def insert_music(
    cat: Catalog, *, music_id: str, event_id: str, object_key: str, original_name: str,
    content_hash: str, size_bytes: int, duration_s: float, probe: dict[str, Any],
) -> MusicTrack:
    with cat.transaction() as cur:
        cur.execute(
            "INSERT INTO music (id, event_id, object_key, original_name, content_hash, size_bytes,"
            " duration_s, probe) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [music_id, event_id, object_key, original_name, content_hash, size_bytes, duration_s,
             json.dumps(probe)],
        )
    found = find_music_by_hash(cat, event_id, content_hash)
    assert found is not None
    return found


def find_music_by_hash(cat: Catalog, event_id: str, content_hash: str) -> MusicTrack | None:
    with cat.cursor() as cur:
        row = cur.execute(
            f"SELECT {_COLS} FROM music WHERE event_id = ? AND content_hash = ?", [event_id, content_hash]
        ).fetchone()
    return _row(row) if row else None


def list_music(cat: Catalog, event_id: str) -> list[MusicTrack]:
    with cat.cursor() as cur:
        rows = cur.execute(
            f"SELECT {_COLS} FROM music WHERE event_id = ? ORDER BY created_at, id", [event_id]
        ).fetchall()
    return [_row(r) for r in rows]
