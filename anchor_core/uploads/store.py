"""Uploads in the catalog (the only SQL of this module): a server restart loses none."""

from __future__ import annotations

import json
from datetime import datetime

from ..catalog import Catalog
from ..catalog.ids import new_id
from ..errors import NotFoundError
from .model import Upload

_COLS = "id, backend, backend_id, object_key, size_bytes, part_bytes, content_type, state, meta"


def _row(r: tuple) -> Upload:  # type: ignore[type-arg]
    return Upload(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), r[6], r[7], json.loads(r[8]) if r[8] else {})


def record_upload(cat: Catalog, *, backend: str, backend_id: str, key: str, size_bytes: int, part_bytes: int,
                  content_type: str, meta: dict[str, object]) -> Upload:
    up = Upload(new_id("upl"), backend, backend_id, key, size_bytes, part_bytes, content_type, "open", dict(meta))
    with cat.transaction() as cur:
        cur.execute(f"INSERT INTO uploads ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [up.upload_id, backend, backend_id, key, size_bytes, part_bytes, content_type, "open",
                     json.dumps(up.meta)])
    return up


def get_upload(cat: Catalog, upload_id: str) -> Upload:
    with cat.cursor() as cur:
        r = cur.execute(f"SELECT {_COLS} FROM uploads WHERE id = ?", [upload_id]).fetchone()
    if r is None:
        raise NotFoundError(f"no upload {upload_id!r}; `anchor uploads list` shows them")
    return _row(r)


def set_state(cat: Catalog, upload_id: str, state: str) -> None:
    with cat.transaction() as cur:
        cur.execute("UPDATE uploads SET state = ?, updated_at = current_timestamp WHERE id = ?", [state, upload_id])


def list_uploads(cat: Catalog, *, state: str | None = None, before: datetime | None = None) -> list[Upload]:
    sql, args = f"SELECT {_COLS} FROM uploads WHERE 1=1", list[object]()
    if state:
        sql, args = sql + " AND state = ?", [*args, state]
    if before is not None:
        sql, args = sql + " AND created_at < ?", [*args, before]
    with cat.cursor() as cur:
        return [_row(r) for r in cur.execute(sql + " ORDER BY created_at, id", args).fetchall()]


def find_by_backend_id(cat: Catalog, backend: str, backend_id: str) -> Upload | None:
    """The upload a part URL names (one indexed lookup per part PUT, not a scan of every upload)."""
    with cat.cursor() as cur:
        r = cur.execute(f"SELECT {_COLS} FROM uploads WHERE backend = ? AND backend_id = ?",
                        [backend, backend_id]).fetchone()
    return _row(r) if r else None
