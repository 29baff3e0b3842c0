"""Opening the catalog and bringing its schema up to date.

DuckDB lets one process at a time open a file for writing. A long analysis or render must not
lock every other command out ("Could not set lock"), so a Catalog holds the file only while an
operation runs: the first cursor or transaction opens it, the last one to finish closes it, and
threads of one process share that connection through cursors. A locked open is retried with a
short bounded backoff; then the error names the process that holds the file.
"""

from __future__ import annotations

import re
import threading
import time
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
DEFAULT_LOCK_WAIT_S = 20.0


class CatalogBusy(AnchorError):
    """Another process held the catalog file for longer than we were willing to wait."""


class Catalog:
    """A handle on the catalog database. Repository modules take one of these."""

    def __init__(self, path: str | Path, *, migrations: list[tuple[int, str, str]] | None = None,
                 create: bool = True, lock_wait_s: float = DEFAULT_LOCK_WAIT_S) -> None:
        self.path = Path(path)
        self.lock_wait_s = lock_wait_s
        if not create and not self.path.is_file():
            raise NotFoundError(
                f"no Anchor catalog at {self.path.resolve()}: run the command from the folder that holds "
                "your `data/`, pass --home DIR or set ANCHOR_HOME (`anchor event create` starts a new one)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AnchorError(f"cannot create the catalog {self.path}: {os_reason(exc)}; "
                              "choose a writable --home") from exc
        self._lock = threading.RLock()  # serialises transactions inside this process
        self._hold_lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self.opens = 0  # how many times the file was opened (for tests and benchmarks)
        with self._held() as conn:
            migrate(conn, MIGRATIONS if migrations is None else migrations)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_wait_s
        delay = 0.01
        while True:
            try:
                with _CONNECT_LOCK:
                    conn = duckdb.connect(str(self.path))
                self.opens += 1
                return conn
            except OSError as exc:
                raise AnchorError(f"cannot open the catalog {self.path}: {os_reason(exc)}; "
                                  "choose a writable --home") from exc
            except duckdb.Error as exc:
                text = str(exc)
                low = text.lower()
                if "lock" in low and time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(0.25, delay * 2)
                    continue
                if "lock" in low:
                    raise CatalogBusy(
                        f"the catalog {self.path} is in use by {holder_of(text)} and stayed locked for "
                        f"{self.lock_wait_s:.0f} s; wait for it to finish, or stop it if it hangs") from exc
                hint = (" The folder is read-only: choose a writable --home." if "read-only" in low else
                        " The disk is full: free some space." if "no space" in low else "")
                raise AnchorError(f"cannot open the catalog {self.path}: {exc}.{hint}") from exc

    @contextmanager
    def _held(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The open connection, opening the file for the first user and closing it after the last."""
        with self._hold_lock:
            if self._conn is None:
                self._conn = self._connect()
            self._users += 1
            conn = self._conn
        try:
            yield conn
        finally:
            with self._hold_lock:
                self._users -= 1
                if self._users == 0 and self._conn is not None:
                    with _CONNECT_LOCK:
                        self._conn.close()
                    self._conn = None

    @contextmanager
    def session(self) -> Iterator[Catalog]:
        """Keep the file open across several operations (a page of reads), then release it."""
        with self._held():
            yield self

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._held() as conn:
            cur = conn.cursor()
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
        """Nothing stays open between operations; kept so callers can scope a Catalog."""

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def holder_of(message: str) -> str:
    """'process 123 (anchor render ev_1)' from DuckDB's lock error, as far as it can be told."""
    m = re.search(r"PID (\d+)", message)
    if not m:
        return "another process"
    pid = int(m.group(1))
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        cmd = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    except OSError:
        cmd = ""
    return f"process {pid}" + (f" ({cmd[:120]})" if cmd else "")


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
