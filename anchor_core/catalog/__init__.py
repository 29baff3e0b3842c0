"""The catalog: one DuckDB file, one small repository module per entity group."""

from .db import Catalog, migrate

__all__ = ["Catalog", "migrate"]
