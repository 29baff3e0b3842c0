"""Cross-correlation primitives: band-limited GCC-PHAT, sub-sample peaks, peak margins.

GCC-PHAT whitens the cross-spectrum so every frequency votes equally for the delay (robust to
each microphone's EQ and room), but it over-weights noise-only bands, so it is band-limited
to where event sound lives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft
from scipy import signal


def decimate(x: np.ndarray, factor: int) -> np.ndarray:
    """Anti-aliased integer downsampling (polyphase), float32 in and out."""
    if factor == 1:
        return x.astype(np.float32, copy=False)
    return signal.resample_poly(x, 1, factor).astype(np.float32)


def band_mask(n_fft: int, rate: int, lo_hz: float, hi_hz: float) -> np.ndarray:
    f = np.fft.rfftfreq(n_fft, 1.0 / rate)
    m = ((f >= lo_hz) & (f <= hi_hz)).astype(np.float32)
    # Soft edges avoid ringing in the correlation.
    edge = max(1, int(len(f) * 0.01))
    on = np.flatnonzero(m)
    if on.size:
        a, b = on[0], on[-1]
        ramp = np.hanning(2 * edge)[:edge]
        m[a : a + edge] *= ramp[: len(m[a : a + edge])]
        m[max(a, b - edge + 1) : b + 1] *= ramp[::-1][-len(m[max(a, b - edge + 1) : b + 1]) :]
    return m


def whitened_spectrum(x: np.ndarray, n_fft: int, mask: np.ndarray) -> np.ndarray:
    """The PHAT-weighted, band-limited spectrum of x (unit magnitude inside the band)."""
    spec = sfft.rfft(x, n_fft, workers=-1)
    mag = np.abs(spec)
    floor = np.median(mag[mask > 0]) * 1e-3 + 1e-12 if np.any(mask > 0) else 1e-12
    return (spec / (mag + floor) * mask).astype(np.complex64)


def gcc_phat(ref_w: np.ndarray, x_w: np.ndarray, n_fft: int) -> np.ndarray:
    """Correlation of two whitened spectra: index k = x starts k samples into ref (wrapped)."""
    return sfft.irfft(ref_w * np.conj(x_w), n_fft, workers=-1).astype(np.float32)


@dataclass(frozen=True)
class Peak:
    lag: float  # samples, sub-sample precision; x's start position in ref
    height: float
    margin: float  # best / next distinct peak (>= 1)
    zscore: float


def find_peak(corr: np.ndarray, lags: np.ndarray, exclude: int) -> Peak:
    """Best peak with parabolic refinement, its margin over the next peak at least `exclude`
    samples away, and its z-score against the correlation's robust spread."""
    i = int(np.argmax(corr))
    h = float(corr[i])
    delta = 0.0
    if 0 < i < len(corr) - 1:
        a, b, c = float(corr[i - 1]), h, float(corr[i + 1])
        denom = a - 2 * b + c
        if denom < 0:
            delta = 0.5 * (a - c) / denom
    left = corr[: max(0, i - exclude)]
    right = corr[i + exclude + 1 :]
    second = max(float(left.max()) if left.size else 0.0, float(right.max()) if right.size else 0.0)
    # Robust spread from a subsample: medians of millions of points are the slow part.
    sample = corr[:: max(1, len(corr) // 200_000)]
    med = float(np.median(sample))
    mad = float(np.median(np.abs(sample - med))) * 1.4826 + 1e-12
    margin = h / second if second > 1e-12 else float("inf")
    return Peak(float(lags[i]) + delta, h, max(1.0, margin), (h - med) / mad)


def correlate_window(ref: np.ndarray, x: np.ndarray, rate: int, lo_hz: float, hi_hz: float,
                     exclude_s: float = 0.02) -> Peak:
    """Where does x (short) sit inside ref (a slightly longer excerpt)? Lag in samples from
    ref's start; x must lie fully inside ref for the answer to be meaningful."""
    n = sfft.next_fast_len(len(ref) + len(x))
    mask = band_mask(n, rate, lo_hz, hi_hz)
    corr = gcc_phat(whitened_spectrum(ref, n, mask), whitened_spectrum(x, n, mask), n)
    valid = corr[: max(1, len(ref) - len(x) + 1)]
    return find_peak(valid, np.arange(len(valid), dtype=np.float64), int(exclude_s * rate))
