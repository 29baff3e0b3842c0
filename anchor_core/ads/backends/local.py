"""Product clips rendered with ffmpeg from the product's image, title and price (no network)."""

from __future__ import annotations

from typing import Any

from ...config import Settings
from ...registry import Backend
from ..local import LocalAdGenerator
from ..model import AdGenerator


def _open(settings: Settings, **_: Any) -> AdGenerator:
    return LocalAdGenerator(settings.ffmpeg)


BACKEND: Backend[AdGenerator] = Backend("local", "a still product clip made with ffmpeg", _open)
