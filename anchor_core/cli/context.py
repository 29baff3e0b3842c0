"""What every command handler gets: settings, lazily opened catalog and store, output helpers."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..config import Settings, load_settings
from ..jsonsafe import _is_frame, to_jsonable

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

    def run_job(self, kind: str, args: dict[str, Any], *, background: bool = False,
                label: str | None = None) -> dict[str, Any] | None:
        """Run a job here (recorded in the catalog) and return its result; with `background`,
        queue it for `anchor worker`, print its id as the last line and return None."""
        from ..errors import AnchorError
        from ..jobs import run_foreground, submit_job

        cat = self.catalog()
        if background:
            job, created = submit_job(cat, kind, args)
            if not created:
                print(f"anchor: the same {kind} job is already {job.status}; not starting a second one",
                      file=sys.stderr)
            elif not self.quiet:
                print(f"anchor: queued; `anchor worker` runs it (anchor serve starts one), "
                      f"`anchor jobs show {job.id}` follows it", file=sys.stderr)
            print(job.id)
            return None
        job = run_foreground(self.settings, cat, kind, args, event_id=args.get("event"),
                             echo=self.progress(label or kind))
        if job.status == "done":
            return job.result or {}
        if job.status == "cancelled":
            raise AnchorError(f"job {job.id} ({kind}) was cancelled; `anchor jobs retry {job.id}` runs it again")
        raise AnchorError(job.error or f"job {job.id} ({kind}) failed")

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
