"""The catalog: one DuckDB file, one small repository module per entity group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .db import Catalog, migrate

if TYPE_CHECKING:
    from ..config import Settings


def open_catalog(settings: Settings) -> Catalog:
    """The configured catalog (`ANCHOR_CATALOG`, default duckdb)."""
    from ..registry import CATALOGS

    return CATALOGS.open(settings)


__all__ = ["Catalog", "migrate", "open_catalog"]
