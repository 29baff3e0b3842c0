"""The local ad generator: a product clip rendered with ffmpeg from the product's image,
title and price — no network. The Veo backend implements the same `AdGenerator` interface.

The text is measured in the font that draws it and fitted to the panel (shrunk, wrapped to two
lines, then ellipsized), and the panel sits beside the product image, never on it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import MediaError
from ..media import run_ffmpeg
from ..media.commands import AdLayout, PanelText, ad_layout, still_clip_args
from ..media.filters import FittedText, TextMeasure, default_font, fit_text, write_text_file
from .colours import dominant_colour, grade_gains, hex_colour
from .model import AdRequest

TEXT_BORDER = 2  # drawtext borderw around the panel's type


def _read_rgb(path: str, what: str) -> np.ndarray:
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise MediaError(f"cannot read the {what} as an image: re-import the product with a PNG or JPEG image",
                         path=path)
    return img[:, :, ::-1]


@dataclass(frozen=True)
class PanelCopy:
    """Title and price as fitted to a layout's panel."""

    title: FittedText
    price: FittedText


def fit_panel(layout: AdLayout, title: str, price: str, measure: TextMeasure) -> PanelCopy:
    """The title on at most two lines and the price on one, each as large as its area allows."""
    t, p = layout.title, layout.price
    return PanelCopy(
        fit_text(title, measure, width=t.w, height=t.h, max_size=layout.title_sizes[0],
                 min_size=layout.title_sizes[1], max_lines=2, border=TEXT_BORDER),
        fit_text(price, measure, width=p.w, height=p.h, max_size=layout.price_sizes[0],
                 min_size=layout.price_sizes[1], max_lines=1, border=TEXT_BORDER),
    )


def panel_lines(layout: AdLayout, copy: PanelCopy, folder: str | Path, measure: TextMeasure) -> list[PanelText]:
    """One text file and position (panel pixels) per non-empty line; title and price are
    centred together in the panel's height, each within its own area's width."""
    t, p = layout.title, layout.price
    used_t = _block_height(copy.title, measure)
    used_p = _block_height(copy.price, measure)
    gap = p.y - t.bottom
    shift = max(0, (p.bottom - t.y - used_t - gap - used_p) // 2)
    out = []
    for name, x, y0, fit in (("title", t.x, t.y + shift, copy.title),
                             ("price", p.x, t.y + shift + used_t + gap, copy.price)):
        for k, line in enumerate(fit.lines):
            if line.strip():
                f = write_text_file(folder, f"{name}{k}.txt", line)
                out.append(PanelText(f, fit.size, x + TEXT_BORDER, y0 + TEXT_BORDER + k * fit.line_step))
    return out


def _block_height(fit: FittedText, measure: TextMeasure) -> int:
    if not any(ln.strip() for ln in fit.lines):
        return 0
    return (len(fit.lines) - 1) * fit.line_step + measure.line_height(fit.size) + 2 * TEXT_BORDER


@dataclass(frozen=True)
class LocalAdGenerator:
    ffmpeg: str | None = None
    name: str = "local"

    def generate(self, req: AdRequest, out: Path, *, width: int, height: int, fps: float) -> Path:
        image = _read_rgb(req.image_path, "product image")
        bar = hex_colour(dominant_colour(image))
        gains = (1.0, 1.0, 1.0)
        if req.scene_frame:
            gains = grade_gains(image, _read_rgb(req.scene_frame, "scene frame"))
        layout = ad_layout(width, height)
        font = default_font()
        measure = TextMeasure(font)
        copy = fit_panel(layout, req.title, req.price, measure)
        # the text files go beside the clip: the caller's work folder (swept if we are killed)
        with tempfile.TemporaryDirectory(prefix=".ad-text-", dir=out.parent) as tmp:
            args = still_clip_args(req.image_path, out, layout=layout, image_size=(image.shape[1], image.shape[0]),
                                   fps=fps, duration_s=req.duration_s, fontfile=font,
                                   lines=panel_lines(layout, copy, tmp, measure), bar_colour=bar, grade=gains,
                                   border=TEXT_BORDER)
            run_ffmpeg(args, path=out, what="rendering the product clip failed", ffmpeg=self.ffmpeg)
        return out
