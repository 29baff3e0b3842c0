"""Object storage behind one interface; the backend is chosen by configuration."""

from __future__ import annotations

from ..config import Settings
from ..errors import ConfigError
from .base import ObjectStore, Progress
from .keys import music_key, output_key, product_image_key, safe_ext, validate_key, video_key
from .local import LocalStore


def open_store(settings: Settings) -> LocalStore:
    if settings.store_backend != "local":
        raise ConfigError(f"object store backend {settings.store_backend!r} is not available; use 'local'")
    return LocalStore(settings.store_root)


__all__ = [
    "LocalStore",
    "ObjectStore",
    "Progress",
    "music_key",
    "open_store",
    "output_key",
    "product_image_key",
    "safe_ext",
    "validate_key",
    "video_key",
]
