"""Generated drum tracks with known beats (kick on 1 and 3, snare on 2 and 4, hi-hats on
eighths, optional swing, optional tempo change) and the beat F-measure (±70 ms)."""

from __future__ import annotations

import numpy as np
from scipy import signal

from anchor_core.music.analysis import SR


def track(bpms: tuple[float, ...], seconds: float, swing: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    y = np.zeros(n, np.float32)
    kt = np.arange(int(0.25 * SR)) / SR
    kick = np.sin(2 * np.pi * np.cumsum(50 + 100 * np.exp(-kt * 30)) / SR) * np.exp(-kt * 12)
    st = np.arange(int(0.15 * SR)) / SR
    snare = (rng.standard_normal(len(st)) * 0.5 + np.sin(2 * np.pi * 190 * st)) * np.exp(-st * 25) * 0.6
    hn = int(0.03 * SR)
    hat = signal.lfilter(*signal.butter(4, 7000, btype="high", fs=SR), rng.standard_normal(hn))
    hat = hat * np.exp(-np.arange(hn) / SR * 150) * 0.3

    def add(t: float, x: np.ndarray) -> None:
        i = int(t * SR)
        j = min(n, i + len(x))
        if i < n:
            y[i:j] += x[: j - i]

    beats = []
    t, k = 0.0, 0
    part = seconds / len(bpms)
    while t < seconds - 0.5:
        period = 60.0 / bpms[min(int(t // part), len(bpms) - 1)]
        beats.append(t)
        add(t, kick if k % 2 == 0 else snare)
        add(t, hat)
        add(t + period * (0.5 + swing), hat * 0.7)
        t += period
        k += 1
    y += rng.standard_normal(n).astype(np.float32) * 0.01
    return y, np.array(beats)


def fmeasure(est: list[float] | np.ndarray, ref: list[float] | np.ndarray, window: float = 0.07) -> float:
    """Beat F-measure as mir_eval computes it (one-to-one matches within ±window, first 5 s ignored)."""
    e = np.asarray(est, float)
    r = np.asarray(ref, float)
    e, r = e[e >= 5], r[r >= 5]
    used: set[int] = set()
    hits = 0
    for b in r:
        if not len(e):
            break
        d = np.abs(e - b)
        j = int(np.argmin(d))
        if d[j] <= window and j not in used:
            used.add(j)
            hits += 1
    p = hits / max(1, len(e))
    rc = hits / max(1, len(r))
    return 2 * p * rc / max(1e-9, p + rc)
