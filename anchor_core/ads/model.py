"""The ads stage's plain data: what a generator is asked for, what the render gets back, which
products the ads cycle through (and which are left out, and why), and the interface every
generator backend (local, Veo) implements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import AnchorError


@dataclass(frozen=True)
class AdRequest:
    slot_index: int
    duration_s: float
    title: str
    price: str
    image_path: str
    scene_frame: str | None  # a still of the scene before the slot, for the grade
    prompt: str = ""
    negative_prompt: str = ""
    aspect_ratio: str = "16:9"  # 9:16 for vertical reels
    cache_key: str = ""  # digest of what a paid generation depends on (prompt, image, model, length, aspect)


@dataclass(frozen=True)
class AdBreak:
    """A filled ad slot as the render plays it: the clip over [start_s, start_s + duration_s)."""

    start_s: float
    duration_s: float
    clip_path: str
    overlay_text: str = ""  # sponsor line drawn during the ad (drawn literally, never parsed)
    object_key: str = ""  # the clip in the object store
    backend: str = ""  # who made the clip ("local" after a fallback)
    fallback_reason: str = ""  # why the configured backend's clip is not the one shown ("" = none)


class AdsWarning(UserWarning):
    """Something the ads had to leave out (a product without an image); said, never silent."""


@dataclass(frozen=True)
class LeftOut:
    """A selected sponsor product the ads cannot show, and why."""

    product_id: str
    title: str
    reason: str

    def __str__(self) -> str:
        return f"sponsor product {self.title!r} ({self.product_id}) {self.reason}; it is left out of the ads"


@dataclass(frozen=True)
class AdRotation:
    """The event's selected products in the order ads cycle through them (those with an image in
    the store), and the selected ones left out."""

    product_ids: tuple[str, ...]
    left_out: tuple[LeftOut, ...] = ()

    @property
    def warnings(self) -> list[str]:
        return [str(x) for x in self.left_out]


class AdGenerator(Protocol):
    @property
    def name(self) -> str: ...

    def generate(self, req: AdRequest, out: Path, *, width: int, height: int, fps: float) -> Path: ...


class AdGenerationFailed(AnchorError):
    """A backend could not make this slot's clip (filtered, quota, server error, timeout); the
    slot falls back to the local clip and the message is recorded as the reason."""


class OperationJournal(Protocol):
    """Where a paid backend records a long-running operation the moment it starts (see ads.store)."""

    def find(self, cache_key: str) -> str | None: ...

    def started(self, cache_key: str, model: str, operation: str, slot_idx: int) -> None: ...

    def finished(self, cache_key: str, state: str, reason: str = "") -> None: ...
