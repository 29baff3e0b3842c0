"""Which recording is the clock: one with real sound that overlaps the most others the longest.

The reference is what every other angle is measured against, so an angle without sound (no
track, digital silence, a muted camera's hiss floor) would leave everything else unplaced.
These are the pure measurements; `api` runs the alignments they need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pair import Prepared, silence_reason

SOUND_DBFS = -60.0  # a second quieter than this has no sound worth correlating
SOUND_SHARE = 0.5  # a reference has sound in at least this share of its seconds
LINK_S = 1.0  # two recordings overlapping less than this do not count as overlapping
TIE_S = 1.0  # total overlaps this close are a tie (then the longer recording wins)


@dataclass(frozen=True)
class Activity:
    """How much of a recording has sound: its share of seconds above SOUND_DBFS and its level."""

    share: float
    level_dbfs: float


def activity(samples: np.ndarray, *, rate_hz: int, window_s: float = 1.0) -> Activity:
    """Share of `window_s` windows whose RMS reaches SOUND_DBFS, and the overall RMS level."""
    x = np.asarray(samples, dtype=np.float32)
    n = int(rate_hz * window_s)
    if x.size == 0:
        return Activity(0.0, -200.0)
    k = max(1, x.size // n)
    head = x[: k * n].astype(np.float64).reshape(k, n) if x.size >= n else x.astype(np.float64)[None, :]
    rms = np.sqrt(np.mean(head**2, axis=1))
    level = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    share = float(np.mean(rms >= 10 ** (SOUND_DBFS / 20)))
    return Activity(share, 20 * np.log10(level + 1e-12))


def reference_issue(p: Prepared | None, why_missing: str = "") -> str | None:
    """Why this recording should not be the clock (None: it may be)."""
    if p is None:
        return why_missing or "it has no usable audio"
    silent = silence_reason(p)
    if silent:
        return silent
    a = activity(p.fine, rate_hz=p.rate)
    if a.share < SOUND_SHARE:
        return (f"the audio is near-silent: sound in {a.share:.0%} of its seconds "
                f"(level {a.level_dbfs:.0f} dBFS; a reference needs sound in most of them)")
    return None


def can_anchor(p: Prepared | None) -> bool:
    """Has some sound at all (a last resort when no recording passes `reference_issue`)."""
    return p is not None and silence_reason(p) is None


def overlaps(start_s: np.ndarray, end_s: np.ndarray) -> np.ndarray:
    """Pairwise overlap in seconds of recordings spanning [start, end) on one clock (diagonal 0)."""
    s = np.asarray(start_s, dtype=np.float64)
    e = np.asarray(end_s, dtype=np.float64)
    ov = np.clip(np.minimum(e[:, None], e[None, :]) - np.maximum(s[:, None], s[None, :]), 0.0, None)
    np.fill_diagonal(ov, 0.0)
    return ov


def best_connected(start_s: np.ndarray, end_s: np.ndarray, candidates: list[int]) -> tuple[int, int, float]:
    """(index, others overlapped, total overlap s) of the candidate that overlaps the most
    others for the longest; totals within TIE_S go to the longer recording."""
    ov = overlaps(start_s, end_s)
    count = (ov >= LINK_S).sum(axis=1)
    total = np.where(ov >= LINK_S, ov, 0.0).sum(axis=1)
    length = np.asarray(end_s) - np.asarray(start_s)
    top = max(int(count[i]) for i in candidates)
    tied = [i for i in candidates if count[i] == top]
    most = max(float(total[i]) for i in tied)
    close = [i for i in tied if total[i] >= most - TIE_S]
    pick = max(close, key=lambda i: (float(length[i]), -i))
    return pick, int(count[pick]), float(total[pick])
