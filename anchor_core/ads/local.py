"""The local ad generator: a product clip rendered with ffmpeg from the product's image,
title and price — no network. The Veo backend implements the same `AdGenerator` interface."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..media import run_ffmpeg
from ..media.commands import still_clip_args
from ..media.filters import default_font, write_text_file
from .colours import dominant_colour, grade_gains, hex_colour
from .model import AdRequest


def _read_rgb(path: str) -> np.ndarray:
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"cannot read image {path}")
    return img[:, :, ::-1]


def wrap_title(title: str, width: int = 32, max_lines: int = 2) -> list[str]:
    """Break a title into at most two lines at spaces; an over-long title is cut with an ellipsis."""
    words = " ".join(title.split()).split(" ")
    lines: list[str] = []
    cur = ""
    for w in words:
        while len(w) > width:  # a single very long word
            lines.append((cur + " " + w[: width - len(cur) - 1]).strip() if cur else w[:width])
            w = w[width - len(cur) - 1 :] if cur else w[width:]
            cur = ""
        if len(cur) + len(w) + (1 if cur else 0) <= width:
            cur = f"{cur} {w}".strip()
        else:
            lines.append(cur)
            cur = w
    if cur:
        lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "\u2026"
    return lines or [""]


@dataclass(frozen=True)
class LocalAdGenerator:
    ffmpeg: str | None = None
    name: str = "local"

    def generate(self, req: AdRequest, out: Path, *, width: int, height: int, fps: float) -> Path:
        image = _read_rgb(req.image_path)
        bar = hex_colour(dominant_colour(image))
        gains = (1.0, 1.0, 1.0)
        if req.scene_frame:
            gains = grade_gains(image, _read_rgb(req.scene_frame))
        with tempfile.TemporaryDirectory(prefix="ad-") as tmp:
            lines = wrap_title(req.title)
            title = write_text_file(tmp, "title.txt", "\n".join(lines))
            price = write_text_file(tmp, "price.txt", req.price)
            args = still_clip_args(req.image_path, out, width=width, height=height, fps=fps,
                                   duration_s=req.duration_s, fontfile=default_font(), title_file=title,
                                   price_file=price, bar_colour=bar, grade=gains, title_lines=len(lines),
                                   title_chars=max(len(ln) for ln in lines))
            run_ffmpeg(args, path=out, what="rendering the product clip failed", ffmpeg=self.ffmpeg)
        return out
