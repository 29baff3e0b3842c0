"""What every command handler gets: settings, lazily opened catalog and store, output helpers."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings, load_settings

if TYPE_CHECKING:  # the catalog pulls duckdb and polars: imported when a command first opens it
    from ..catalog import Catalog
    from ..store import ObjectStore

ProgressFn = Callable[[float, float, str], None]


class Context:
    def __init__(self, settings: Settings, *, quiet: bool = False) -> None:
        self.settings = settings
        self.quiet = quiet
        self._catalog: Catalog | None = None
        self._store: ObjectStore | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Context:
        return cls(load_settings(getattr(args, "home", None)), quiet=getattr(args, "quiet", False))

    def catalog(self, *, create: bool = False) -> Catalog:
        """The catalog; only commands that start something pass `create` (see open_catalog)."""
        if self._catalog is None:
            from ..catalog import open_catalog

            self._catalog = open_catalog(self.settings, create=create)
            from ..workdir import sweep_stale

            sweep_stale(self.settings.tmp_root)  # work folders of commands that were killed
        return self._catalog

    def store(self) -> ObjectStore:
        if self._store is None:
            from ..store import open_store

            self._store = open_store(self.settings)
        return self._store

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    def out(self, obj: Any, json_mode: bool = False) -> None:
        """Print a result: JSON when asked, else text (frames print as tables)."""
        if json_mode:
            print(json.dumps(to_jsonable(obj), indent=2, default=str))
        elif isinstance(obj, str):
            print(obj)
        elif _is_frame(obj):
            import polars as pl

            with pl.Config(tbl_rows=200, tbl_cols=30, fmt_str_lengths=60, tbl_width_chars=200):
                print(obj)
        else:
            print(json.dumps(to_jsonable(obj), indent=2, default=str))

    def progress(self, label: str) -> ProgressFn:
        """A callback(done, total, message) that keeps one progress line updated on stderr."""
        state = {"last": 0.0}

        def report(done: float, total: float, message: str = "") -> None:
            if self.quiet:
                return
            now = time.monotonic()
            finished = total and done >= total
            if not finished and now - state["last"] < 0.2:
                return
            state["last"] = now
            pct = f"{100.0 * done / total:5.1f}%" if total else "     "
            line = f"\r{label}: {pct} {message}"[:120]
            sys.stderr.write(line.ljust(80) + ("\n" if finished else ""))
            sys.stderr.flush()

        return report


def _is_frame(obj: Any) -> bool:
    """A polars DataFrame? Without importing polars: no frame exists before polars was imported."""
    pl = sys.modules.get("polars")
    return pl is not None and isinstance(obj, pl.DataFrame)


def to_jsonable(obj: Any) -> Any:
    if _is_frame(obj):
        return [to_jsonable(r) for r in obj.to_dicts()]
    if is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return obj.item()
    return obj
