"""Opening the catalog and bringing its schema up to date.

DuckDB allows one writing process per file, so a Catalog holds one connection and hands out
cursors (one per thread); close it when done so another process can open the file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from ..errors import AnchorError, NotFoundError
from ..workdir import os_reason
from .migrations import MIGRATIONS

# DuckDB's file-handle registry is process-wide: opening and closing the same file from several
# threads at once can fail with "Unique file handle conflict" (seen 3 in 800 cycles, 4 threads).
_CONNECT_LOCK = threading.Lock()


class Catalog:
    """A handle on the catalog database. Repository modules take one of these."""

    def __init__(self, path: str | Path, *, migrations: list[tuple[int, str, str]] | None = None,
                 create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise NotFoundError(
                f"no Anchor catalog at {self.path.resolve()}: run the command from the folder that holds "
                "your `data/`, pass --home DIR or set ANCHOR_HOME (`anchor event create` starts a new one)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _CONNECT_LOCK:
                self._conn = duckdb.connect(str(self.path))
        except OSError as exc:
            raise AnchorError(f"cannot create the catalog {self.path}: {os_reason(exc)}; "
                              "choose a writable --home") from exc
        except duckdb.Error as exc:
            text = str(exc).lower()
            hint = (" Is another Anchor process using it?" if "lock" in text else
                    " The folder is read-only: choose a writable --home." if "read-only" in text else
                    " The disk is full: free some space." if "no space" in text else "")
            raise AnchorError(f"cannot open the catalog {self.path}: {exc}.{hint}") from exc
        self._lock = threading.RLock()
        migrate(self._conn, MIGRATIONS if migrations is None else migrations)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._conn.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing writes; serialised inside this process."""
        with self._lock, self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def frame(self, sql: str, params: list[object] | None = None) -> pl.DataFrame:
        """Run a query and return a polars frame (the stubs lack `.pl()`, hence one place)."""
        with self.cursor() as cur:
            rel = cur.execute(sql, params or [])
            return rel.pl()  # type: ignore[attr-defined]

    def schema_version(self) -> int:
        with self.cursor() as cur:
            row = cur.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def close(self) -> None:
        with _CONNECT_LOCK:
            self._conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def migrate(conn: duckdb.DuckDBPyConnection, migrations: list[tuple[int, str, str]]) -> list[int]:
    """Apply every migration newer than the recorded version, each in its own transaction."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, description VARCHAR,"
        " applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    current = int(row[0]) if row else 0
    numbers = [m[0] for m in migrations]
    if len(set(numbers)) != len(numbers):
        raise AnchorError("catalog migrations must have unique numbers")
    applied = []
    for number, description, sql in sorted(migrations):  # features append theirs in any order
        if number <= current:
            continue
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(sql)
            conn.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [number, description])
            conn.execute("COMMIT")
        except Exception as exc:
            conn.execute("ROLLBACK")
            raise AnchorError(f"catalog migration {number} ({description}) failed: {exc}") from exc
        applied.append(number)
    return applied
