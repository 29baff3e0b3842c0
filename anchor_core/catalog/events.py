"""Events: create, read, status changes."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from ..errors import NotFoundError, ValidationError
from .db import Catalog
from .ids import new_id
from .status import check_event_type, check_transition


@dataclass(frozen=True)
class Event:
    id: str
    name: str
    event_type: str
    status: str
    music_metadata: dict[str, Any] | None
    meta: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


_COLS = "id, name, event_type, status, music_metadata, meta, created_at, updated_at"


def _row(row: tuple[Any, ...]) -> Event:
    return Event(
        id=row[0], name=row[1], event_type=row[2], status=row[3],
        music_metadata=json.loads(row[4]) if row[4] else None,
        meta=json.loads(row[5]) if row[5] else None,
        created_at=row[6], updated_at=row[7],
    )


MAX_NAME = 200
# Invisible characters that reorder or hide text (bidi overrides and isolates): a name shown in a
# report, an editor export or a terminal must read as what it is.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_event_name(name: object) -> str:
    """One line of visible text, trimmed; ValidationError saying what to change otherwise."""
    if not isinstance(name, str):
        raise ValidationError(f"an event name must be text (got {type(name).__name__})")
    name = name.strip()
    if not name:
        raise ValidationError("an event needs a name: give one line of text, e.g. \"Cup final 2024\"")
    for ch in name:
        kind = unicodedata.category(ch)
        if ch in "\r\n\u2028\u2029\x85" or kind in ("Zl", "Zp"):
            raise ValidationError(f"an event name must be a single line: {_shown(name)} contains a line break; "
                                  "remove it and retry")
        if kind in ("Cc", "Cs") or ch in _BIDI:
            raise ValidationError(f"an event name must be plain text: {_shown(name)} contains the control character "
                                  f"U+{ord(ch):04X}; remove it and retry")
    if len(name) > MAX_NAME:
        raise ValidationError(f"an event name is at most {MAX_NAME} characters (this one has {len(name)}); "
                              "shorten it and retry")
    return name


def _shown(name: str) -> str:
    return repr(name) if len(name) <= 60 else repr(name[:60]) + "…"


def create_event(cat: Catalog, name: str, event_type: str, *, meta: dict[str, Any] | None = None) -> Event:
    name = check_event_name(name)
    check_event_type(event_type)
    event_id = new_id("evt")
    with cat.transaction() as cur:
        cur.execute(
            "INSERT INTO events (id, name, event_type, meta) VALUES (?, ?, ?, ?)",
            [event_id, name, event_type, json.dumps(meta) if meta else None],
        )
    return get_event(cat, event_id)


def get_event(cat: Catalog, event_id: str) -> Event:
    with cat.cursor() as cur:
        row = cur.execute(f"SELECT {_COLS} FROM events WHERE id = ?", [event_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no event {event_id!r}; `anchor event list` shows the events")
    return _row(row)


def list_events(cat: Catalog) -> pl.DataFrame:
    return cat.frame(
            "SELECT e.id, e.name, e.event_type, e.status, e.created_at,"
            " (SELECT count(*) FROM videos v WHERE v.event_id = e.id) AS videos"
            " FROM events e ORDER BY e.created_at, e.id"
        )


def set_event_status(cat: Catalog, event_id: str, status: str) -> Event:
    with cat.transaction() as cur:
        row = cur.execute("SELECT status FROM events WHERE id = ?", [event_id]).fetchone()
        if row is None:
            raise NotFoundError(f"no event {event_id!r}")
        check_transition("event", row[0], status)
        cur.execute("UPDATE events SET status = ?, updated_at = now() WHERE id = ?", [status, event_id])
    return get_event(cat, event_id)


def advance_event_status(cat: Catalog, event_id: str, *path: str) -> Event:
    """Walk through several states (e.g. uploading → uploaded) checking each step."""
    event = get_event(cat, event_id)
    for status in path:
        if event.status != status:
            event = set_event_status(cat, event_id, status)
    return event


def set_music_metadata(cat: Catalog, event_id: str, metadata: dict[str, Any]) -> None:
    with cat.transaction() as cur:
        cur.execute(
            "UPDATE events SET music_metadata = ?, updated_at = now() WHERE id = ?",
            [json.dumps(metadata), event_id],
        )


def find_flagged_event(cat: Catalog, name: str, flag: str) -> str | None:
    """The newest event of this name whose meta has `flag` set true (e.g. the demo event)."""
    with cat.cursor() as cur:
        row = cur.execute(
            "SELECT id FROM events WHERE name = ? AND json_extract_string(meta, '$.' || ?) = 'true'"
            " ORDER BY created_at DESC LIMIT 1", [name, flag]).fetchone()
    return str(row[0]) if row else None
