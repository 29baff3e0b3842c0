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
from scipy.ndimage import uniform_filter1d


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


def parabolic(corr: np.ndarray, i: int) -> float:
    """Sub-sample position of the peak at index i (a parabola through it and its neighbours)."""
    if 0 < i < len(corr) - 1:
        a, b, c = float(corr[i - 1]), float(corr[i]), float(corr[i + 1])
        denom = a - 2 * b + c
        if denom < 0:
            return i + 0.5 * (a - c) / denom
    return float(i)


def find_peak(corr: np.ndarray, lags: np.ndarray, exclude: int) -> Peak:
    """Best peak with parabolic refinement, its margin over the next peak at least `exclude`
    samples away, and its z-score against the correlation's robust spread."""
    i = int(np.argmax(corr))
    h = float(corr[i])
    delta = parabolic(corr, i) - i
    left = corr[: max(0, i - exclude)]
    right = corr[i + exclude + 1 :]
    second = max(float(left.max()) if left.size else 0.0, float(right.max()) if right.size else 0.0)
    # Robust spread from a subsample: medians of millions of points are the slow part.
    sample = corr[:: max(1, len(corr) // 200_000)]
    med = float(np.median(sample))
    mad = float(np.median(np.abs(sample - med))) * 1.4826 + 1e-12
    margin = h / second if second > 1e-12 else float("inf")
    return Peak(float(lags[i]) + delta, h, max(1.0, margin), (h - med) / mad)


DIRECT_LEAD_S = 0.1  # a wet room's reflections can outweigh the direct sound this far from it
DIRECT_SIDE_S = 0.03  # how far either side of a candidate is looked at
DIRECT_FRAC = 0.35  # a direct-path candidate stands at least this high against the strongest peak
DIRECT_QUIET = 0.35  # beyond the direct path, at most this share of the energy on its inner side


def direct_path(corr: np.ndarray, top: int, *, rate_hz: int) -> tuple[int, int]:
    """(index, spread) of the direct path near the strongest peak `top`.

    In a wet room the strongest lag is often a reflection or the reverberant build-up, not
    the direct sound. Reverberation only ever arrives after the direct sound, so in the
    correlation it lies on one side of the direct path (the wetter recording's side) and
    nothing but noise lies on the other: the direct path is the outermost strong peak whose
    outer side is quiet while its inner side is busy, and clearly so compared with the other
    outermost candidate (a dry pair's pitch sidelobes are symmetric and move nothing). When
    strong candidates exist but neither edge is clear, the strongest stays and `spread` says
    over how many samples the candidates lie (0: no doubt)."""
    lead, side = int(DIRECT_LEAD_S * rate_hz), int(DIRECT_SIDE_S * rate_hz)
    lo, hi = max(0, top - lead), min(len(corr), top + lead + 1)
    outside = np.concatenate([corr[:lo], corr[hi:]])  # the noise floor, away from the room's echoes
    floor = outside if outside.size >= 0.02 * rate_hz else corr
    med = float(np.median(floor))
    sigma = 1.4826 * float(np.median(np.abs(floor - med))) + 1e-12
    found, _ = signal.find_peaks(corr[lo:hi], height=max(DIRECT_FRAC * float(corr[top]), 6.0 * sigma))
    cands = sorted({top, *(int(k) + lo for k in found)})
    first, last = cands[0], cands[-1]
    if first == last:
        return top, 0
    energy = np.clip(np.square(np.maximum(corr, 0.0)) - sigma**2, 0.0, None)
    guard = max(1, int(0.00015 * rate_hz))  # the candidate's own peak is neither side

    def quiet(at: int, outward: int) -> float:
        after = float(energy[at + guard + 1 : at + side].sum())
        before = float(energy[max(0, at - side + 1) : max(0, at - guard)].sum())
        outer, inner = (after, before) if outward > 0 else (before, after)
        return outer / (inner + 1e-30)

    q_last, q_first = quiet(last, +1), quiet(first, -1)
    if last != top and q_last < DIRECT_QUIET and q_first > 2 * q_last:
        return last, 0
    if first != top and q_first < DIRECT_QUIET and q_last > 2 * q_first:
        return first, 0
    return top, last - first


def smear_energy(corr: np.ndarray, width: int) -> np.ndarray:
    """Correlation energy integrated over `width` samples: clock drift inside a window spreads
    the peak over that many lags, and the spread's centre is the window centre's lag."""
    if width <= 1:
        return corr
    e = uniform_filter1d(np.square(corr), width | 1)
    return np.sqrt(np.maximum(e, 0.0, out=e), out=e)


def correlate_window(ref: np.ndarray, x: np.ndarray, rate: int, lo_hz: float, hi_hz: float,
                     exclude_s: float = 0.02, smear_samples: int = 1) -> Peak:
    """Where does x (short) sit inside ref (a slightly longer excerpt)? Lag in samples from
    ref's start; x must lie fully inside ref for the answer to be meaningful. `smear_samples`:
    how far drift may have spread the peak (1: a sharp peak)."""
    return find_peak(*window_correlation(ref, x, rate, lo_hz, hi_hz, smear_samples), int(exclude_s * rate))


def window_correlation(ref: np.ndarray, x: np.ndarray, rate: int, lo_hz: float, hi_hz: float,
                       smear_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(correlation, lags in samples from ref's start) for every placement of x inside ref."""
    n = sfft.next_fast_len(len(ref) + len(x))
    mask = band_mask(n, rate, lo_hz, hi_hz)
    corr = gcc_phat(whitened_spectrum(ref, n, mask), whitened_spectrum(x, n, mask), n)
    valid = smear_energy(corr[: max(1, len(ref) - len(x) + 1)], smear_samples)
    return valid, np.arange(len(valid), dtype=np.float64)
