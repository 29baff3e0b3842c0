"""Colours from pictures: a product's dominant colour for its ad, and the grade that pulls an
ad toward the scene it interrupts (the platform's color_grade_to_match)."""

from __future__ import annotations

import numpy as np


def dominant_colour(rgb: np.ndarray, k: int = 4, seed: int = 0) -> tuple[int, int, int]:
    """The most populous saturated cluster (k-means on a subsample); grey if the image is grey."""
    px = rgb.reshape(-1, 3).astype(np.float32)
    rng = np.random.default_rng(seed)
    if len(px) > 4000:
        px = px[rng.choice(len(px), 4000, replace=False)]
    sat = px.max(axis=1) - px.min(axis=1)
    pool = px[sat > 40] if np.count_nonzero(sat > 40) > 50 else px
    centres = pool[rng.choice(len(pool), min(k, len(pool)), replace=False)]
    for _ in range(12):
        d = ((pool[:, None, :] - centres[None]) ** 2).sum(axis=2)
        lab = d.argmin(axis=1)
        for j in range(len(centres)):
            members = pool[lab == j]
            if len(members):
                centres[j] = members.mean(axis=0)
    counts = np.bincount(lab, minlength=len(centres))
    c = centres[int(np.argmax(counts))]
    # Darken so white type on it stays readable.
    lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    if lum > 140:
        c = c * (140 / lum)
    r, g, b = (int(np.clip(v, 0, 255)) for v in c)
    return r, g, b


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def grade_gains(ad_rgb: np.ndarray, scene_rgb: np.ndarray, strength: float = 0.35) -> tuple[float, float, float]:
    """Per-channel gains moving the ad's mean colour part of the way toward the scene's."""
    a = ad_rgb.reshape(-1, 3).mean(axis=0) + 1.0
    s = scene_rgb.reshape(-1, 3).mean(axis=0) + 1.0
    ratio = np.clip(s / a, 0.6, 1.6)
    gains = 1.0 + strength * (ratio - 1.0)
    # Keep overall brightness: normalise so the gains average 1.
    gains = gains / gains.mean()
    return float(gains[0]), float(gains[1]), float(gains[2])
