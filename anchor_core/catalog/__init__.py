"""The catalog: one DuckDB file, one small repository module per entity group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .db import Catalog, CatalogBusy, migrate

if TYPE_CHECKING:
    from ..config import Settings


def open_catalog(settings: Settings, *, create: bool = False) -> Catalog:
    """The configured catalog (`ANCHOR_CATALOG`, default duckdb). Only commands that start
    something (`event create`, `demo`) pass `create`: the others must not leave an empty
    catalog in whatever folder they were run from."""
    from ..registry import CATALOGS

    return CATALOGS.open(settings, create=create)


__all__ = ["Catalog", "CatalogBusy", "migrate", "open_catalog"]
