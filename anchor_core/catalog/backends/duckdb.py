"""One DuckDB file in ANCHOR_HOME (the embedded default)."""

from __future__ import annotations

from ...config import Settings
from ...registry import Backend
from ..db import Catalog


def _open(settings: Settings, *, create: bool = False) -> Catalog:
    return Catalog(settings.catalog_path, create=create)


BACKEND: Backend[Catalog] = Backend("duckdb", "ANCHOR_HOME/catalog.duckdb", _open)
