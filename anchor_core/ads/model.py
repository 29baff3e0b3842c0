"""The ads stage's plain data: what a generator is asked for, what the render gets back, and
the interface every generator backend (local, Veo) implements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class AdRequest:
    slot_index: int
    duration_s: float
    title: str
    price: str
    image_path: str
    scene_frame: str | None  # a still of the scene before the slot, for the grade
    prompt: str = ""


@dataclass(frozen=True)
class AdBreak:
    """A filled ad slot as the render plays it: the clip over [start_s, start_s + duration_s)."""

    start_s: float
    duration_s: float
    clip_path: str
    overlay_text: str = ""  # sponsor line drawn during the ad (drawn literally, never parsed)


class AdGenerator(Protocol):
    @property
    def name(self) -> str: ...

    def generate(self, req: AdRequest, out: Path, *, width: int, height: int, fps: float) -> Path: ...
