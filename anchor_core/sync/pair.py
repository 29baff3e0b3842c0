"""Aligning one recording against another: coarse search over the whole overlap at a low rate,
then windows spread along the overlap refined to sub-millisecond at the full rate, fitted as a
line so both the offset and the clock drift come out — and honest failure when there is no
single convincing answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import fft as sfft
from scipy.ndimage import uniform_filter1d

from .correlate import band_mask, correlate_window, decimate, find_peak, gcc_phat, whitened_spectrum

FINE_RATE = 16000
COARSE_FACTOR = 8  # coarse search at 2 kHz: locates the match to a few ms, enough for the windows
COARSE_BAND = (150.0, 950.0)
FINE_BAND = (150.0, 7000.0)
MAX_DRIFT_PPM = 1000.0


@dataclass(frozen=True)
class PairResult:
    offset_s: float  # x's first sample plays at this time of ref
    drift_ppm: float
    confidence: float  # 0..1
    status: str  # "synced" | "unsynced"
    reason: str = ""
    method: str = "gcc-phat coarse 4 kHz + 16 kHz windows, linear drift fit"
    detail: dict = field(default_factory=dict)


@dataclass
class Prepared:
    """A recording ready for alignment: full-rate samples and the coarse copy."""

    fine: np.ndarray
    coarse: np.ndarray
    rate: int = FINE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.fine) / self.rate


def prepare(samples: np.ndarray, rate: int = FINE_RATE) -> Prepared:
    x = np.asarray(samples, dtype=np.float32)
    return Prepared(x, decimate(x, COARSE_FACTOR), rate)


def silence_reason(p: Prepared) -> str | None:
    if p.fine.size < p.rate:  # under a second
        return "the recording has less than one second of audio"
    rms = float(np.sqrt(np.mean(p.coarse.astype(np.float64) ** 2)))
    if rms < 1e-4:
        return "the audio track is silent (nothing to correlate)"
    return None


def _coarse_candidates(ref: Prepared, x: Prepared, chunk_s: float, n_chunks: int,
                       ref_cache: dict) -> list[tuple[float, float, float, float]]:
    """(chunk start in x s, implied offset s, margin, zscore) for chunks spread over x."""
    rc = ref.rate // COARSE_FACTOR
    lc = int(chunk_s * rc)
    n = sfft.next_fast_len(len(ref.coarse) + lc)
    key = (n, lc)
    if key not in ref_cache:
        mask = band_mask(n, rc, *COARSE_BAND)
        ref_cache.clear()
        ref_cache[key] = (mask, whitened_spectrum(ref.coarse, n, mask))
    mask, ref_w = ref_cache[key]
    span = max(0, len(x.coarse) - lc)
    starts = np.linspace(0, span, n_chunks).astype(int) if n_chunks > 1 else np.array([span // 2])
    out = []
    neg_n = int(0.75 * lc)
    pos_n = max(1, len(ref.coarse) - int(0.25 * lc))
    lags = np.concatenate([np.arange(-neg_n, 0), np.arange(pos_n)]).astype(np.float64)
    box = int(0.01 * rc) | 1
    for s in starts:
        chunk = x.coarse[s : s + lc]
        corr = gcc_phat(ref_w, whitened_spectrum(chunk, n, mask), n)
        # Positions from -3/4 of the chunk (it starts before ref) to len(ref) - 1/4 chunk. Clock
        # drift smears the peak over a few ms inside a chunk (300 ppm over 30 s = 9 ms), so the
        # correlation energy is integrated over that spread before looking for the peak.
        valid = np.concatenate([corr[n - neg_n :], corr[:pos_n]])
        np.square(valid, out=valid)
        energy = uniform_filter1d(valid, box)
        np.sqrt(np.maximum(energy, 0, out=energy), out=energy)
        peak = find_peak(energy, lags, int(0.05 * rc))
        out.append((s / rc, peak.lag / rc - s / rc, peak.margin, peak.zscore))
    return out


def _consensus(cands: list[tuple[float, float, float, float]]) -> tuple[list[int], float]:
    """The largest set of chunk estimates that agree up to a plausible drift."""
    best: list[int] = []
    best_score = -1.0
    for si, oi, _, _z in cands:
        members = [j for j, (sj, oj, _, _) in enumerate(cands)
                   if abs(oj - oi) <= MAX_DRIFT_PPM * 1e-6 * abs(sj - si) + 0.03]
        score = sum(cands[j][3] for j in members)
        if score > best_score:
            best, best_score = members, score
    return best, best_score


def align_pair(ref: Prepared, x: Prepared, *, ref_cache: dict | None = None, window_s: float = 8.0,
               max_windows: int = 20) -> PairResult:
    """Offset and drift of x against ref, or 'unsynced' with the reason."""
    for p, who in ((ref, "reference"), (x, "recording")):
        why = silence_reason(p)
        if why:
            return PairResult(0.0, 0.0, 0.0, "unsynced", f"{who}: {why}")
    ref_cache = {} if ref_cache is None else ref_cache
    chunk_s = min(30.0, x.duration_s if x.duration_s < 20.0 else x.duration_s / 2)
    n_chunks = 1 if x.duration_s < 20.0 else 3
    cands = _coarse_candidates(ref, x, chunk_s, n_chunks, ref_cache)
    members, _ = _consensus(cands)
    if len(members) < 2 and n_chunks > 1:  # disagreement or partial overlap: look closer
        cands = _coarse_candidates(ref, x, min(chunk_s, 20.0), 8, ref_cache)
        members, _ = _consensus(cands)
    strong = [j for j in members if cands[j][3] >= 12.0]
    if not strong:
        best = max(cands, key=lambda c: c[3])
        return PairResult(0.0, 0.0, 0.0, "unsynced",
                          f"no overlap found: the best match (z={best[3]:.1f}) is at noise level",
                          detail={"candidates": cands})
    if len(members) == 1 and len(cands) > 1:
        lone = cands[members[0]]
        if lone[3] < 20.0 and lone[2] < 1.5:
            return PairResult(0.0, 0.0, 0.0, "unsynced",
                              f"no overlap found: only one weak, isolated match (z={lone[3]:.1f})",
                              detail={"candidates": cands})
        if lone[2] < 1.15:
            return PairResult(0.0, 0.0, 0.0, "unsynced",
                              "ambiguous: the best match is barely above others (repeated content?)",
                              detail={"candidates": cands})
    pts = np.array([[cands[j][0], cands[j][1]] for j in members])
    slope0 = 0.0
    if len(pts) >= 2 and np.ptp(pts[:, 0]) > 60:
        slope0 = float(np.polyfit(pts[:, 0], pts[:, 1], 1)[0])
    base = pts[np.argmax([cands[j][3] for j in members])]
    offset0 = float(base[1] - slope0 * base[0])
    margin = float(np.median([cands[j][2] for j in members]))
    return _refine(ref, x, offset0, slope0, margin, window_s, max_windows, cands)


def _refine(ref: Prepared, x: Prepared, offset0: float, slope0: float, margin: float, window_s: float,
            max_windows: int, cands: list) -> PairResult:
    rate = ref.rate
    search = 0.25 if slope0 == 0.0 else 0.1
    # The part of x that lies inside ref (by the coarse estimate).
    t0 = max(0.0, -offset0) + search
    t1 = min(x.duration_s, (ref.duration_s - offset0) / (1 + slope0)) - search
    win = min(window_s, max(1.0, (t1 - t0)))
    if t1 - t0 < min(1.0, win):
        return PairResult(0.0, 0.0, 0.0, "unsynced", "the overlap is shorter than one second")
    n_win = int(np.clip((t1 - t0) // max(win, 30.0) + 1, 3, max_windows)) if t1 - t0 > 2 * win else 1
    starts = np.linspace(t0, max(t0, t1 - win), n_win)
    times, offsets, weights = [], [], []
    detail_corr: dict = {}
    for s in starts:
        pred = offset0 + s * (1 + slope0)
        a = int(round((pred - search) * rate))
        b = int(round((pred + win + search) * rate))
        if a < 0 or b > len(ref.fine):
            continue
        xs = x.fine[int(round(s * rate)) : int(round((s + win) * rate))]
        if abs(slope0) > 5e-6:  # undo the estimated drift inside the window so its peak stays sharp
            xs = np.interp(np.arange(len(xs) * (1 + slope0)) / (1 + slope0), np.arange(len(xs)), xs).astype(np.float32)
        seg = ref.fine[a:b]
        if np.sqrt(np.mean(xs.astype(np.float64) ** 2)) < 1e-5 or np.sqrt(np.mean(seg.astype(np.float64) ** 2)) < 1e-5:
            continue
        peak = correlate_window(seg, xs, rate, *FINE_BAND)
        if peak.zscore < 6.0:
            continue
        pos = (a + peak.lag) / rate
        times.append(s)
        offsets.append(pos - s)
        weights.append(min(peak.zscore, 60.0))
        if not detail_corr:
            detail_corr = {"peak_s": float(pos - s)}
    if not times:
        return PairResult(0.0, 0.0, 0.0, "unsynced", "windows along the overlap found no consistent match")
    t = np.asarray(times)
    o = np.asarray(offsets)
    w = np.asarray(weights)
    keep = np.ones(len(t), bool)
    slope, intercept = 0.0, float(np.average(o, weights=w))
    for _ in range(3):  # fit, drop outliers, refit
        if keep.sum() >= 3 and np.ptp(t[keep]) > 30:
            slope, intercept = np.polyfit(t[keep], o[keep], 1, w=w[keep])
        else:
            slope, intercept = 0.0, float(np.average(o[keep], weights=w[keep]))
        resid = o - (intercept + slope * t)
        mad = np.median(np.abs(resid[keep])) * 1.4826
        keep = np.abs(resid) <= max(3 * mad, 0.002)
    resid = o - (intercept + slope * t)
    rms = float(np.sqrt(np.mean(resid[keep] ** 2))) if keep.any() else 1.0
    inliers = float(keep.mean())
    drift_ppm = float(slope * 1e6)
    if abs(drift_ppm) > MAX_DRIFT_PPM:
        return PairResult(0.0, 0.0, 0.0, "unsynced", f"implausible clock drift ({drift_ppm:.0f} ppm)")
    # Evidence: how far above noise the windows' peaks stand, how many agree on one line, how
    # tightly; the coarse margin (best vs next distinct peak) guards against repeated content.
    z_med = float(np.median(w[keep])) if keep.any() else 0.0
    conf = float(np.clip((z_med - 6.0) / 14.0, 0, 1) * inliers * np.exp(-rms / 0.003)
                 * (0.4 + 0.6 * np.clip((margin - 1.0) / 0.5, 0, 1)))
    if keep.sum() == 1:
        conf *= 0.7
    detail = {
        "window_t_s": t.tolist(), "window_offset_s": o.tolist(), "inliers": keep.tolist(),
        "residual_rms_ms": rms * 1000, "coarse_candidates": [list(c) for c in cands], "margin": margin,
    }
    detail.update(_correlation_curve(ref, x, float(intercept), float(slope)))
    status = "synced" if conf >= 0.2 else "unsynced"
    reason = "" if status == "synced" else f"weak agreement (margin {margin:.2f}, {inliers:.0%} windows agree)"
    return PairResult(float(intercept), drift_ppm, conf, status, reason, detail=detail)


def _correlation_curve(ref: Prepared, x: Prepared, offset: float, slope: float, half_s: float = 0.1,
                       win_s: float = 6.0) -> dict:
    """Lag vs correlation around the chosen offset, for the notebook's plot."""
    rate = ref.rate
    s = max(0.0, -offset) + half_s
    win = min(win_s, x.duration_s - s)
    pred = offset + s * (1 + slope)
    a, b = int((pred - half_s) * rate), int((pred + win + half_s) * rate)
    if win <= 0.5 or a < 0 or b > len(ref.fine):
        return {}
    xs = x.fine[int(s * rate) : int((s + win) * rate)]
    seg = ref.fine[a:b]
    n = sfft.next_fast_len(len(seg) + len(xs))
    mask = band_mask(n, rate, *FINE_BAND)
    corr = gcc_phat(whitened_spectrum(seg, n, mask), whitened_spectrum(xs, n, mask), n)[: len(seg) - len(xs) + 1]
    lags = (a + np.arange(len(corr))) / rate - s
    step = max(1, len(corr) // 400)
    return {"lags_s": lags[::step].tolist(), "corr": corr[::step].astype(float).tolist(), "peak_s": offset}
