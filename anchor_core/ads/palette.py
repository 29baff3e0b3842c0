"""A picture's dominant palette as named colours with hex codes, for the ad prompt.

k-means in CIELAB (perceptual distances) on a subsample, farthest-point seeded so the same
picture always gives the same palette; each cluster is named by the nearest entry of a small
table of plain colour words a video model understands."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Plain names a prompt can use, with a representative sRGB value each.
NAMED_COLOURS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("black", (15, 15, 15)), ("charcoal", (54, 69, 79)), ("grey", (128, 128, 128)), ("silver", (192, 192, 192)),
    ("white", (245, 245, 245)), ("red", (200, 30, 35)), ("dark red", (120, 20, 25)), ("orange", (240, 130, 30)),
    ("brown", (110, 70, 40)), ("beige", (220, 205, 170)), ("tan", (200, 160, 110)), ("gold", (212, 175, 55)),
    ("yellow", (245, 220, 40)), ("olive", (110, 115, 40)), ("lime green", (140, 210, 60)),
    ("green", (40, 150, 60)), ("dark green", (20, 80, 35)), ("teal", (0, 128, 128)), ("turquoise", (60, 200, 200)),
    ("sky blue", (120, 185, 235)), ("blue", (40, 80, 200)), ("navy", (20, 30, 90)), ("purple", (120, 50, 150)),
    ("magenta", (210, 40, 160)), ("pink", (240, 150, 180)),
)


@dataclass(frozen=True)
class PaletteColour:
    name: str
    hex: str
    share: float  # fraction of the picture's pixels in this cluster

    def __str__(self) -> str:
        return f"{self.name} ({self.hex})"


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB uint8 (..., 3) -> CIELAB float32 (L 0-100, a and b about -128..127)."""
    flat = np.ascontiguousarray(rgb.reshape(-1, 1, 3), dtype=np.float32) / 255.0
    return cv2.cvtColor(flat, cv2.COLOR_RGB2LAB).reshape(rgb.shape[:-1] + (3,))


def from_lab(lab: np.ndarray) -> np.ndarray:
    """CIELAB float (..., 3) -> sRGB float in 0..1 (clipped)."""
    flat = np.ascontiguousarray(lab.reshape(-1, 1, 3), dtype=np.float32)
    return np.clip(cv2.cvtColor(flat, cv2.COLOR_LAB2RGB).reshape(lab.shape), 0.0, 1.0)


_NAMED_LAB = to_lab(np.array([c for _, c in NAMED_COLOURS], np.uint8))


def colour_name(lab: np.ndarray) -> str:
    """The table's name nearest to one CIELAB colour."""
    d = ((_NAMED_LAB - np.asarray(lab, np.float32)[None]) ** 2).sum(axis=1)
    return NAMED_COLOURS[int(np.argmin(d))][0]


def dominant_palette(rgb: np.ndarray, k: int = 5, top: int = 4, min_share: float = 0.05,
                     sample: int = 6000) -> tuple[PaletteColour, ...]:
    """The picture's main colours, most common first; clusters with the same name are merged."""
    lab = to_lab(rgb).reshape(-1, 3)
    if len(lab) > sample:
        lab = lab[np.linspace(0, len(lab) - 1, sample).astype(np.int64)]
    centres = _farthest_points(lab, k)
    for _ in range(15):
        label = ((lab[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        for j in range(len(centres)):
            members = lab[label == j]
            if len(members):
                centres[j] = members.mean(axis=0)
    counts = np.bincount(label, minlength=len(centres)) / len(lab)
    merged: dict[str, tuple[float, np.ndarray]] = {}
    for j in np.argsort(-counts):
        name = colour_name(centres[j])
        share, centre = merged.get(name, (0.0, centres[j]))
        merged[name] = (share + float(counts[j]), centre)
    out = []
    for name, (share, centre) in sorted(merged.items(), key=lambda kv: -kv[1][0]):
        if share >= min_share:
            r, g, b = (int(round(v * 255)) for v in from_lab(centre[None])[0])
            out.append(PaletteColour(name, f"#{r:02x}{g:02x}{b:02x}", round(share, 3)))
    return tuple(out[:top])


def _farthest_points(lab: np.ndarray, k: int) -> np.ndarray:
    """Deterministic seeds: the mean's nearest pixel, then each next the farthest from all chosen."""
    first = int(((lab - lab.mean(axis=0)) ** 2).sum(axis=1).argmin())
    chosen = [lab[first]]
    dist = ((lab - chosen[0]) ** 2).sum(axis=1)
    for _ in range(1, min(k, len(lab))):
        nxt = int(dist.argmax())
        chosen.append(lab[nxt])
        dist = np.minimum(dist, ((lab - lab[nxt]) ** 2).sum(axis=1))
    return np.array(chosen, np.float32)
