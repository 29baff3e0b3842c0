"""How intense a window is on its own angle's scale over the event, and when the event bursts.

Analysers differ in scale: the local one's wide angle peaks near 6 while a closeup reaches 9.5,
TwelveLabs says 8 for anything lively. So the seed's "zoom at intensity ≥ 8" is read on a
relative level: the window's rank among the angle's windows over the event, mapped so that the
profile's top share (the top decile by default) spans 8–10, and damped where the window does not
stand out from the angle's typical (median) level by the profile's contrast (so a flat angle's
noise never zooms). Multiplying an angle's intensities by a factor leaves the level of every
window that stands out by the contrast unchanged.
"""

from __future__ import annotations

import numpy as np

from .grid import Grid
from .profile import Profile

EVENT_TOP_SHARE = 0.1  # the event level always reads each angle's top decile as 8, whatever the zoom's scale
REACTION_TYPES = ("crowd",)  # angles that show the stands, not the play


def relative_levels(action: np.ndarray, eligible: np.ndarray, *, top_share: float,
                    min_contrast: float) -> np.ndarray:
    """(angles × windows) levels in 0..10. `top_share` 0 keeps the analyser's own numbers."""
    if top_share <= 0:
        return np.where(eligible, action, 0.0)
    out = np.zeros_like(action, dtype=np.float64)
    cut = 1.0 - top_share
    for i in range(action.shape[0]):
        m = eligible[i]
        x = action[i, m]
        if x.size == 0:
            continue
        values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
        mid = (np.cumsum(counts) - 0.5 * counts) / x.size  # mid-rank percentile: ties share one level
        rank = mid[inverse]
        level = np.where(rank >= cut - 1e-12, 8.0 + 2.0 * (rank - cut) / top_share, 8.0 * rank / cut)
        if min_contrast > 0:
            level = level * np.clip((x - float(np.median(x))) / min_contrast, 0.0, 1.0)
        out[i, m] = np.clip(level, 0.0, 10.0)
    return out


def zoom_levels(grid: Grid, p: Profile) -> np.ndarray:
    """The intensity the zoom rule (≥ threshold, very intense ≥ zoom_very_intense) reads; zero
    on angles the profile never zooms."""
    out = np.zeros_like(grid.action, dtype=np.float64)
    rows = [i for i, a in enumerate(grid.angles) if a.angle_type in p.zoom_angle_types]
    if rows:
        out[rows] = relative_levels(grid.action[rows], grid.eligible[rows], top_share=p.zoom_top_share,
                                    min_contrast=p.zoom_min_contrast)
    return out


def event_relative(grid: Grid, p: Profile) -> np.ndarray:
    """Each angle's relative level on the top-decile scale, whatever scale the zoom reads."""
    return relative_levels(grid.action, grid.eligible, top_share=EVENT_TOP_SHARE, min_contrast=p.zoom_min_contrast)


def _evidence(grid: Grid, play: np.ndarray | None) -> np.ndarray:
    """(angles × windows) whose evidence counts: the angles with footage, only the `play` ones
    (bool per angle) where any of them has footage."""
    el = grid.eligible
    if play is not None and play.any():
        mine = el & play[:, None]
        el = np.where(mine.any(axis=0)[None, :], mine, el)
    return np.asarray(el, dtype=bool)


def event_levels(grid: Grid, p: Profile, *, play: np.ndarray | None = None,
                 rel: np.ndarray | None = None) -> np.ndarray:
    """Per window, the event's intensity from every angle's evidence: the mean relative level of
    the angles with footage (one hot camera among calm ones is not the event bursting). `play`
    (bool per angle): only these angles' evidence counts where any of them has footage. `rel`:
    `event_relative`, when the caller has it."""
    rel = event_relative(grid, p) if rel is None else rel
    el = _evidence(grid, play)
    count = el.sum(axis=0)
    return np.divide(np.where(el, rel, 0.0).sum(axis=0), count, out=np.zeros(grid.n), where=count > 0)


def on_the_play(grid: Grid) -> np.ndarray:
    """Per angle: it shows the play, not the stands (whose phone shakes for any cheer)."""
    return np.array([a.angle_type not in REACTION_TYPES for a in grid.angles], dtype=bool)


def event_peak(grid: Grid, p: Profile, *, rel: np.ndarray | None = None) -> np.ndarray:
    """Per window, the most any angle on the play shows, each on its own relative scale (the
    stands count only where nothing else has footage): the action that chapters and ad breaks
    read, so their seed thresholds (a chapter at 8, a calm break at 3 or less) mean the same on
    every event, as the zoom's 8 does, whatever the analyser's scale."""
    rel = event_relative(grid, p) if rel is None else rel
    if not grid.angles:
        return np.zeros(grid.n)
    return np.asarray(np.where(_evidence(grid, on_the_play(grid)), rel, 0.0).max(axis=0), dtype=np.float64)


def runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
