"""Shot boundaries from per-frame scores: hard cuts (adaptive content change) and fades.

Pure functions over arrays, in the spirit of PySceneDetect's AdaptiveDetector: a frame is a
cut when its content change towers over its neighbours' (so fast motion and slow fades, whose
neighbours change as much, are not cuts) and the new picture persists (so a flash is not one).
"""

from __future__ import annotations

import numpy as np


def detect_cuts(times_s: np.ndarray, content: np.ndarray, persist: np.ndarray, *, ratio: float = 3.0,
                min_content: float = 12.0, min_scene_s: float = 0.4, neighbours: int = 2) -> np.ndarray:
    """Times of the first frame of each new shot.

    content[i]: mean change from frame i-1 to i; persist[i]: change from frame i-1 to i+1
    (large when the new picture stays, small for a one-frame flash).
    """
    c = np.asarray(content, dtype=np.float64)
    n = len(c)
    if n < 3:
        return np.zeros(0)
    pad = np.pad(c, neighbours, mode="edge")
    around = np.zeros(n)
    for k in range(1, neighbours + 1):
        around += pad[neighbours - k:neighbours - k + n] + pad[neighbours + k:neighbours + k + n]
    around /= 2 * neighbours
    score = c / np.maximum(around, 1.0)
    cand = np.flatnonzero((score >= ratio) & (c >= min_content) & (np.asarray(persist) >= 0.5 * c))
    cand = cand[cand > 0]
    out: list[int] = []
    for i in cand:  # keep the strongest of candidates closer than a minimum shot
        if out and times_s[i] - times_s[out[-1]] < min_scene_s:
            if c[i] > c[out[-1]]:
                out[-1] = int(i)
            continue
        out.append(int(i))
    return np.asarray(times_s, dtype=np.float64)[out] if out else np.zeros(0)


def detect_fades(times_s: np.ndarray, luma: np.ndarray, *, black: float = 16.0,
                 min_len_s: float = 0.2) -> list[tuple[float, float, str]]:
    """(start_s, end_s, "fade out"|"fade in") where the picture ramps to or from black."""
    t = np.asarray(times_s, dtype=np.float64)
    y = np.asarray(luma, dtype=np.float64)
    if len(y) < 3:
        return []
    dark = y < black
    fades: list[tuple[float, float, str]] = []
    edges = np.flatnonzero(np.diff(dark.astype(np.int8)))
    for e in edges:
        going_dark = bool(dark[e + 1])
        if going_dark:  # walk back while the picture was getting darker
            j = e
            while j > 0 and y[j - 1] > y[j] + 0.5:
                j -= 1
            if t[e + 1] - t[j] >= min_len_s:
                fades.append((float(t[j]), float(t[e + 1]), "fade out"))
        else:
            j = e + 1
            while j < len(y) - 1 and y[j + 1] > y[j] + 0.5:
                j += 1
            if t[j] - t[e] >= min_len_s:
                fades.append((float(t[e]), float(t[j]), "fade in"))
    return fades


class ThroughBlack:
    """Streaming detector of shot changes that pass through black (fade out, new shot fades in).

    The content detector cannot see them (every frame changes a little), yet an editor calls the
    first frame that leaves the black the start of a new shot, unless the same picture comes back.
    Compares the last clearly visible picture before the black with the first one after it.
    """

    def __init__(self, *, black: float = 12.0, visible: float = 24.0, rise: float = 1.5,
                 same_corr: float = 0.5, hard: float = 12.0, flat: float = 2.0) -> None:
        self.black, self.visible, self.rise, self.same_corr = black, visible, rise, same_corr
        self.hard, self.flat = hard, flat
        self.cuts: list[float] = []
        self._last_visible: np.ndarray | None = None
        self._before: np.ndarray | None = None
        self._in_black = False
        self._floor = 0.0
        self._pending: float | None = None
        self._armed = False

    def feed(self, times_s: np.ndarray, luma: np.ndarray, content: np.ndarray, sigs: np.ndarray,
             spread: np.ndarray) -> None:
        """sigs: (n, k) brightness-normalised thumbnails; spread: their raw standard deviation.

        A black entered by a hard cut belongs to the next shot (cut to black, fade up), so only
        a gradual fade to black arms the comparison.
        """
        for t, y, c, sig, sd in zip(times_s, luma, content, sigs, spread, strict=True):
            if sd < self.flat:
                sig = np.zeros_like(sig)  # a flat picture has no structure to compare
            if y < self.black:
                if not self._in_black:
                    self._in_black, self._floor, self._pending = True, float(y), None
                    self._before = self._last_visible
                    self._armed = self._last_visible is not None and c < self.hard
                self._floor = min(self._floor, float(y))
                if y > self._floor + self.rise:
                    self._pending = self._pending if self._pending is not None else float(t)
                else:
                    self._pending = None
                continue
            if self._in_black:
                self._in_black = False
                if self._pending is None:
                    self._pending = float(t)
            if y >= self.visible:
                if self._armed and self._pending is not None and self._before is not None:
                    both_flat = not sig.any() and not self._before.any()
                    corr = float(np.dot(sig, self._before) / max(len(sig), 1))
                    if not both_flat and corr < self.same_corr:
                        self.cuts.append(self._pending)
                self._armed, self._pending = False, None
                self._last_visible = sig


def signatures(small: np.ndarray, grid: tuple[int, int] = (9, 16)) -> tuple[np.ndarray, np.ndarray]:
    """(n, h, w) -> (n, gh*gw) zero-mean, unit-variance thumbnails (brightness-independent), and
    each thumbnail's raw standard deviation."""
    n, h, w = small.shape
    gh, gw = grid
    kh, kw = max(1, h // gh), max(1, w // gw)
    th = small[:, :kh * gh, :kw * gw].reshape(n, gh, kh, gw, kw).mean(axis=(2, 4)).reshape(n, -1)
    th = th - th.mean(axis=1, keepdims=True)
    sd = th.std(axis=1)
    return th / np.maximum(sd[:, None], 1e-3), sd
