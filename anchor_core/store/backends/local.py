"""A folder under ANCHOR_HOME (the embedded default)."""

from __future__ import annotations

from ...config import Settings
from ...registry import Backend
from ..base import ObjectStore
from ..local import LocalStore


def _open(settings: Settings) -> ObjectStore:
    return LocalStore(settings.store_root)


BACKEND: Backend[ObjectStore] = Backend("local", "files under ANCHOR_HOME/store", _open)
