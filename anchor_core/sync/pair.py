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

from .correlate import (
    band_mask,
    decimate,
    direct_path,
    find_peak,
    gcc_phat,
    parabolic,
    whitened_spectrum,
    window_correlation,
)
from .drift import MIN_DRIFT_OVERLAP_S, DriftFit, fit_drift

FINE_RATE = 16000
COARSE_FACTOR = 8  # coarse search at 2 kHz: locates the match to a few ms, enough for the windows
COARSE_BAND = (150.0, 950.0)
FINE_BAND = (150.0, 7000.0)
MAX_DRIFT_PPM = 1000.0
COARSE_TIMING_S = 0.005  # how far a coarse chunk's offset may be off (drift smears it)
SMEAR_TOL_S = 2.5e-4  # drift left inside a fine window may spread its peak this much
PEAK_Z = 6.0  # a window's strongest peak this far above its noise: it found x
PICK_Z = 4.0  # the same where the other windows agree it should be (far fewer places to look)


@dataclass(frozen=True)
class PairResult:
    offset_s: float  # x's first sample plays at this time of ref
    drift_ppm: float
    confidence: float  # 0..1
    status: str  # "synced" | "unsynced"
    reason: str = ""
    method: str = "gcc-phat coarse 2 kHz + 16 kHz windows, linear drift fit"
    detail: dict = field(default_factory=dict)
    drift_sigma_ppm: float | None = None  # standard error of the fitted drift; None: not measurable
    drift_note: str = ""  # "" when the drift was measured, else why not (then drift_ppm is 0)


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
               max_windows: int = 20, direct_path: bool = True) -> PairResult:
    """Offset and drift of x against ref, or 'unsynced' with the reason. `direct_path`: lock
    each window onto the direct sound rather than the room's strongest reflection."""
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
        top = max(cands, key=lambda c: c[3])
        return PairResult(0.0, 0.0, 0.0, "unsynced",
                          f"no overlap found: the best match (z={top[3]:.1f}) is at noise level",
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
    best = _refine_group(ref, x, cands, members, window_s, max_windows, direct_path)
    # Repeated content (the same chant, jingle or announcement twice) can outvote the true
    # placement in the coarse pass; the fine windows tell them apart, so a weak answer gets
    # the next distinct placements tried too.
    rest = [j for j in range(len(cands)) if j not in members]
    for _ in range(2):
        if best.confidence >= 0.5 or not rest:
            break
        alt, _ = _consensus([cands[j] for j in rest])
        group = [rest[k] for k in alt]
        rest = [j for j in rest if j not in group]
        if max(cands[j][3] for j in group) < 12.0:
            continue
        r = _refine_group(ref, x, cands, group, window_s, max_windows, direct_path)
        if r.confidence > best.confidence:
            best = r
    return best


def _refine_group(ref: Prepared, x: Prepared, cands: list, members: list[int], window_s: float,
                  max_windows: int, direct_path: bool) -> PairResult:
    """The fine search around one coarse placement (the chunks in `members` agree on it)."""
    pts = np.array([[cands[j][0], cands[j][1]] for j in members])
    slope0, slope0_sigma = 0.0, MAX_DRIFT_PPM * 1e-6
    if len(pts) >= 2 and np.ptp(pts[:, 0]) > 60:
        slope0 = float(np.polyfit(pts[:, 0], pts[:, 1], 1)[0])
        slope0_sigma = COARSE_TIMING_S / float(np.ptp(pts[:, 0]))
    base = pts[np.argmax([cands[j][3] for j in members])]
    offset0 = float(base[1] - slope0 * base[0])
    margin = float(np.median([cands[j][2] for j in members]))
    return _refine(ref, x, offset0, slope0, slope0_sigma, margin, window_s, max_windows, cands, direct_path)


@dataclass
class _Window:
    """One fine window: where it sits in x, its correlation against ref and what it found."""

    start_s: float  # in x
    win_s: float
    ref_start: int  # ref sample where the correlation's lag 0 sits
    used_slope: float  # the drift the window was resampled by
    corr: np.ndarray
    offset_s: float  # at the window's centre, from its strongest peak
    weight: float  # that peak's z-score (capped)
    floor: float  # the correlation's median and robust spread, for the z-score of any lag
    noise: float

    @property
    def centre_s(self) -> float:
        return self.start_s + self.win_s / 2

    def z_at(self, index: int) -> float:
        return (float(self.corr[index]) - self.floor) / self.noise

    def offset_at(self, index: float, rate: int) -> float:
        """The offset (at the window's centre) that lag `index` of the correlation means.

        Drift left inside the window moves the peak to the window's centre, so the offset is
        stated there, plus the part of the drift the resampling already took out."""
        return (self.ref_start + index) / rate - self.start_s + self.used_slope * self.win_s / 2

    def index_of(self, offset_s: float, rate: int) -> float:
        """The correlation lag (samples) that means `offset_s` at the window's centre."""
        return (offset_s - self.used_slope * self.win_s / 2 + self.start_s) * rate - self.ref_start


def _measure(ref: Prepared, x: Prepared, offset: float, slope: float, starts: np.ndarray, win: float,
             search: float, smear_s: float) -> tuple[list[_Window], int]:
    """Every window of x that has sound on both sides, correlated against ref (resampled by
    the current drift estimate so its peak stays sharp); callers decide which ones found x."""
    rate = ref.rate
    used = slope if abs(slope) > 5e-6 else 0.0
    box = max(1, int(round(smear_s * rate)))
    out = []
    tried = 0
    for s in starts:
        pred = offset + s * (1 + slope)
        a = int(round((pred - search) * rate))
        b = int(round((pred + win * (1 + slope) + search) * rate))
        if a < 0 or b > len(ref.fine):
            continue
        xs = x.fine[int(round(s * rate)) : int(round((s + win) * rate))]
        if used:
            xs = np.interp(np.arange(len(xs) * (1 + used)) / (1 + used), np.arange(len(xs)), xs).astype(np.float32)
        seg = ref.fine[a:b]
        if np.sqrt(np.mean(xs.astype(np.float64) ** 2)) < 1e-5 or np.sqrt(np.mean(seg.astype(np.float64) ** 2)) < 1e-5:
            continue
        tried += 1
        corr, lags = window_correlation(seg, xs, rate, *FINE_BAND, smear_samples=box)
        peak = find_peak(corr, lags, int(0.02 * rate))
        sample = corr[:: max(1, len(corr) // 20_000)]
        floor = float(np.median(sample))
        noise = 1.4826 * float(np.median(np.abs(sample - floor))) + 1e-12
        w = _Window(float(s), win, a, used, corr, 0.0, min(peak.zscore, 60.0), floor, noise)
        w.offset_s = w.offset_at(peak.lag, rate)
        out.append(w)
    return out, tried


def _stack(windows: list[_Window], intercept: float, slope: float, rate: int, half: int,
           smooth: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The windows' correlations (energy smoothed over `smooth` lags when > 1) laid over each
    other along the line offset = intercept + slope * t: (stack over lags -half..half from the
    line, each window's lag index of the line). A room is the same in every window and its
    noise is not, so the stack shows the room's structure where one window shows noise."""
    centres = np.array([int(round(w.index_of(intercept + slope * w.centre_s, rate))) for w in windows])
    stack = np.zeros(2 * half + 1)
    for w, k in zip(windows, centres, strict=True):
        c = w.corr if smooth <= 1 else uniform_filter1d(np.square(np.maximum(w.corr, 0.0)), smooth | 1)
        lo, hi = k - half, k + half + 1
        a, b = max(lo, 0), min(hi, len(c))
        if b > a:
            stack[a - lo : b - lo] += w.weight * c[a:b]
    return stack, centres


def _scan_drift(windows: list[_Window], intercept: float, slope: float, rate: int, search_s: float
                ) -> tuple[float, float, float]:
    """(intercept, slope, slope resolution) of the line along which the windows' correlations
    stack highest, over every plausible drift: each window alone may pick a different
    reflection of a wet room, their stack does not."""
    t = np.array([w.centre_s for w in windows])
    tm, extent = float(t.mean()), float(np.ptp(t))
    at = intercept + slope * tm  # the current line at the windows' mean time
    half = int(max(0.01, search_s - 0.01) * rate)
    best = (0.0, 0.0, -1.0)  # slope, offset at tm, score
    step = 0.001 / max(extent, 1.0)  # 1 ms apart at the outermost windows
    wide = np.arange(-MAX_DRIFT_PPM * 1e-6, MAX_DRIFT_PPM * 1e-6 + step / 2, step)
    for grid, smooth in ((wide, int(0.001 * rate)), (None, int(0.00025 * rate))):
        if grid is None:  # then finer, around the best
            grid = np.arange(best[0] - step, best[0] + step * 1.0625, step / 8)
        for d in grid:
            stack, _ = _stack(windows, at - d * tm, float(d), rate, half, smooth)  # through `at`, slope d
            k = int(np.argmax(stack))
            if stack[k] > best[2]:
                best = (float(d), float(at + (k - half) / rate), float(stack[k]))
    slope, at_tm, _ = best
    return at_tm - slope * tm, slope, step / 8


def _pick(windows: list[_Window], intercept: float, slope: float, rate: int, *, direct: bool
          ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Every window read at the peak the stack along the line agrees on (the direct path with
    `direct`, else the strongest): (offsets, z-scores there, ms moved to the direct path, ms of
    doubt). Looking only there, a lower z-score is as telling as a high one found anywhere."""
    half = min(min(len(w.corr) for w in windows), int(0.5 * rate)) // 2
    stack, centres = _stack(windows, intercept, slope, rate, half)
    top = int(np.argmax(stack))
    target, spread = direct_path(stack, top, rate_hz=rate) if direct else (top, 0)
    guard = max(1, int(0.0005 * rate))
    out, zs = [], []
    for w, k in zip(windows, centres, strict=True):
        at = k + target - half
        lo, hi = max(0, at - guard), min(len(w.corr), at + guard + 1)
        if hi <= lo:
            out.append(w.offset_s)
            zs.append(0.0)
            continue
        i = lo + int(np.argmax(w.corr[lo:hi]))
        out.append(w.offset_at(parabolic(w.corr, i), rate))
        zs.append(w.z_at(i))
    return np.asarray(out), np.minimum(np.asarray(zs), 60.0), (target - top) / rate * 1000, spread / rate * 1000


def _refine(ref: Prepared, x: Prepared, offset0: float, slope0: float, slope0_sigma: float, margin: float,
            window_s: float, max_windows: int, cands: list, direct_path: bool = True) -> PairResult:
    """Windows along the overlap at the full rate, fitted as a line (offset and drift).

    With the drift unknown, short windows are stacked along every plausible drift first;
    then longer windows resampled by the estimate, each read at the peak their stack agrees
    on, until the windows were sharp; last, the stack's direct path rather than its strongest
    reflection. Overlaps under MIN_DRIFT_OVERLAP_S get one pass and no drift."""
    rate = ref.rate
    search = 0.25 if slope0 == 0.0 else 0.15
    # The part of x that lies inside ref (by the coarse estimate), with room for the search
    # and for the line to move as the drift comes out.
    room = search + 0.02 + slope0_sigma * min(x.duration_s, ref.duration_s)
    t0 = max(0.0, -offset0) + room
    t1 = min(x.duration_s, (ref.duration_s - offset0) / (1 + slope0)) - room
    span = t1 - t0
    overlap = span + 2 * room
    if span < 1.0:
        return PairResult(0.0, 0.0, 0.0, "unsynced", "the overlap is shorter than one second")
    measurable = overlap >= MIN_DRIFT_OVERLAP_S
    offset, slope, sigma = offset0, slope0, slope0_sigma
    cap = min(window_s, span / 4) if measurable else min(window_s, span)

    def spread_windows(win: float) -> np.ndarray:
        n = int(np.clip(span // win, 3, max_windows)) if measurable else (3 if span > 2 * win else 1)
        return np.linspace(t0, t1 - win, n) if n > 1 else np.array([t0 + (span - win) / 2])

    if measurable and sigma * min(2.0, cap) > SMEAR_TOL_S:  # drift unknown: find it first
        win = min(2.0, cap)
        first, _ = _measure(ref, x, offset, slope, spread_windows(win), win, search, 0.0)
        if len(first) >= 2:  # all of them: in the stack, the weak ones still add up
            offset, slope, sigma = _scan_drift(first, offset, slope, rate, search)
    fit: DriftFit | None = None
    windows: list[_Window] = []
    t = o = wt = np.zeros(0)
    fit_tried = passes = 0
    while passes < 4:
        passes += 1
        win = float(np.clip(SMEAR_TOL_S / max(sigma, 1e-9), min(2.0, cap), cap)) if measurable else cap
        smear = sigma * win if measurable else 0.0
        meas, tried = _measure(ref, x, offset, slope, spread_windows(win), win, search, smear)
        if sigma * span / 2 <= 0.0005 and meas:  # the line is good to 0.5 ms everywhere: read the windows where they agree
            o, z, _, _ = _pick(meas, offset, slope, rate, direct=False)
            found = z >= PICK_Z
        else:
            o = np.array([m.offset_s for m in meas])
            z = np.array([m.weight for m in meas])
            found = z >= PEAK_Z
        if not found.any():
            break
        windows = [m for m, f in zip(meas, found, strict=True) if f]
        t = np.array([m.centre_s for m in windows])
        o, wt = o[found], z[found]
        fit, fit_tried = fit_drift(t, o, wt, overlap_s=overlap), tried
        used = slope if abs(slope) > 5e-6 else 0.0
        sharp = smear <= SMEAR_TOL_S and abs(fit.raw_slope - used) * win <= SMEAR_TOL_S
        offset, slope = fit.intercept_s, fit.slope
        sigma = fit.slope_sigma if fit.slope_sigma is not None else sigma
        search = min(search, 0.15)  # the line is known to a few ms; the rest shows the noise floor
        if not measurable or sharp:
            break
    if fit is None:
        return PairResult(0.0, 0.0, 0.0, "unsynced", "windows along the overlap found no consistent match")
    moved_ms = doubt_ms = 0.0
    z_match = wt  # how strongly each window found x (before the direct path, which is weaker)
    if direct_path:  # the strongest lag may be the room's; the direct sound is what the picture shows
        locked, z_locked, moved_ms, doubt_ms = _pick(windows, fit.intercept_s, fit.slope, rate, direct=True)
        if moved_ms:
            o, wt = locked, np.maximum(z_locked, 1e-3)
            fit = fit_drift(t, o, wt, overlap_s=overlap)
    # Agreement counts against every window that had sound, not only those that matched.
    keep, inliers, rms = fit.keep, float(fit.keep.sum()) / max(fit_tried, 1), fit.rms_s
    drift_ppm = fit.drift_ppm
    if abs(drift_ppm) > MAX_DRIFT_PPM:
        return PairResult(0.0, 0.0, 0.0, "unsynced", f"implausible clock drift ({drift_ppm:.0f} ppm)")
    # Evidence: how far above noise the windows' peaks stand (it adds up: many moderately clear
    # windows on one line tell as much as one very clear one), how many agree on one line, how
    # tightly; the coarse margin (best vs next distinct peak) guards against repeated content.
    z_all = float(np.sqrt(np.sum(np.square(z_match[keep])))) if keep.any() else 0.0
    conf = float(np.clip((z_all - 8.0) / 20.0, 0, 1) * inliers * np.exp(-rms / 0.003)
                 * (0.4 + 0.6 * np.clip((margin - 1.0) / 0.5, 0, 1)))
    if keep.sum() == 1:
        conf *= 0.7
    matched = conf >= 0.2
    conf /= 1.0 + doubt_ms / 50.0  # a room that hides its direct path: the offset is less certain
    status = "synced" if conf >= 0.2 else "unsynced"
    detail = {
        "window_t_s": t.tolist(), "window_offset_s": o.tolist(), "inliers": keep.tolist(),
        "residual_rms_ms": rms * 1000, "coarse_candidates": [list(c) for c in cands], "margin": margin,
        "overlap_s": overlap, "drift_sigma_ppm": fit.drift_sigma_ppm, "drift_note": fit.note,
        "offset_sigma_ms": fit.intercept_sigma_s * 1000, "fine_passes": passes,
        "direct_path_moved_ms": moved_ms, "direct_path_doubt_ms": doubt_ms,
    }
    detail.update(_correlation_curve(ref, x, fit.intercept_s, fit.slope))
    reason = ""
    if status != "synced":  # refused: say why, and how sure the best guess is
        why = (f"the room hides the direct sound: echoes over {doubt_ms:.0f} ms fit as well" if matched
               else f"weak agreement (margin {margin:.2f}, {inliers:.0%} windows agree)")
        reason = f"{why}; best guess {fit.intercept_s:+.3f} s at confidence {conf:.2f}"
    return PairResult(fit.intercept_s, drift_ppm, conf, status, reason, detail=detail,
                      drift_sigma_ppm=fit.drift_sigma_ppm, drift_note=fit.note)


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
