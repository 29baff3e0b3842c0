"""Object storage behind one interface; the backend is chosen by configuration
(`ANCHOR_STORE` names a module of `store/backends/`)."""

from __future__ import annotations

from ..config import Settings
from .base import ObjectStore, Progress
from .keys import face_key, music_key, output_key, product_image_key, safe_ext, validate_key, video_key
from .local import LocalStore


def open_store(settings: Settings) -> ObjectStore:
    from ..registry import STORES

    return STORES.open(settings)


__all__ = ["face_key",
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
