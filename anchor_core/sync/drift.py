"""Clock drift from per-window offsets: a robust weighted line with standard errors, and the
rule for when the slope is real.

Two clocks that drift apart make the measured offset grow linearly along the overlap. A line
through windows at both ends measures it, but on a short overlap the lever arm is short and a
fraction of a millisecond of timing noise is tens of ppm, so the slope is used only when it
stands clear of its own uncertainty; otherwise the drift is reported as not measurable and
taken as zero (a no-drift pair must never come out drifting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_DRIFT_OVERLAP_S = 15.0  # shorter overlaps: too little lever arm to tell drift from noise
DRIFT_SIGMAS = 3.0  # a slope is used only this many standard errors away from zero
WINDOW_FLOOR_S = 5e-5  # no window is trusted below 0.05 ms (sub-sample peaks, resampling)
OUTLIER_FLOOR_S = 0.002  # residuals under 2 ms are never outliers


@dataclass(frozen=True)
class DriftFit:
    """offset(t) = intercept_s + slope * t for t in the recording's own seconds."""

    intercept_s: float
    slope: float  # drift as a fraction (ppm * 1e-6); 0 unless significant
    raw_slope: float  # the fitted slope before the significance rule (for resampling windows)
    slope_sigma: float | None  # standard error of the fitted slope; None when not measurable
    intercept_sigma_s: float
    keep: np.ndarray  # windows on the line (the rest are outliers)
    rms_s: float  # residual spread of the kept windows
    note: str  # "" when the drift was measured, else why it was not

    @property
    def drift_ppm(self) -> float:
        return self.slope * 1e6

    @property
    def drift_sigma_ppm(self) -> float | None:
        return None if self.slope_sigma is None else self.slope_sigma * 1e6


def _line(t: np.ndarray, o: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float, float]:
    """Weighted least squares: (intercept, slope, sxx, t_mean, sum_w) with weights normalised to mean 1."""
    w = w / w.mean()
    sw = float(w.sum())
    tm = float(np.sum(w * t) / sw)
    om = float(np.sum(w * o) / sw)
    sxx = float(np.sum(w * (t - tm) ** 2))
    slope = float(np.sum(w * (t - tm) * (o - om)) / sxx) if sxx > 0 else 0.0
    return om - slope * tm, slope, sxx, tm, sw


def fit_drift(t_s: np.ndarray, offset_s: np.ndarray, weight: np.ndarray, *, overlap_s: float,
              min_overlap_s: float = MIN_DRIFT_OVERLAP_S, sigmas: float = DRIFT_SIGMAS) -> DriftFit:
    """Line through window offsets (each valid at its time t_s) with outliers dropped, the
    slope's standard error from the residuals (never below the per-window floor), and the
    slope kept only when significant. `overlap_s` is the span the windows were spread over."""
    t = np.asarray(t_s, dtype=np.float64)
    o = np.asarray(offset_s, dtype=np.float64)
    w = np.maximum(np.asarray(weight, dtype=np.float64), 1e-6)
    measurable = overlap_s >= min_overlap_s
    keep = np.ones(len(t), bool)
    intercept, slope = float(np.average(o, weights=w)), 0.0
    for _ in range(3):  # fit, drop outliers, refit
        if measurable and keep.sum() >= 3:
            intercept, slope, *_ = _line(t[keep], o[keep], w[keep])
        else:
            intercept, slope = float(np.average(o[keep], weights=w[keep])), 0.0
        resid = o - (intercept + slope * t)
        mad = float(np.median(np.abs(resid[keep]))) * 1.4826
        new_keep = np.abs(resid) <= max(3 * mad, OUTLIER_FLOOR_S)
        if not new_keep.any() or np.array_equal(new_keep, keep):
            break
        keep = new_keep
    n = int(keep.sum())
    tk, ok, wk = t[keep], o[keep], w[keep]
    if not measurable or n < 3:
        why = (f"the overlap is {overlap_s:.0f} s (drift needs {min_overlap_s:.0f} s)" if not measurable
               else f"only {n} window{'s' if n != 1 else ''} matched")
        spread = _spread(ok - intercept, wk, dof=max(1, n - 1))
        return DriftFit(intercept, 0.0, 0.0, None, spread / np.sqrt(max(n, 1)), keep,
                        _rms(ok - intercept), f"drift not measurable: {why}")
    intercept, raw, sxx, tm, sw = _line(tk, ok, wk)
    resid = ok - (intercept + raw * tk)
    s = _spread(resid, wk, dof=n - 2)
    sigma = s / np.sqrt(sxx) if sxx > 0 else float("inf")
    if np.isfinite(sigma) and abs(raw) >= sigmas * sigma:
        sig_b = s * float(np.sqrt(1.0 / sw + tm**2 / sxx))
        return DriftFit(intercept, raw, raw, float(sigma), sig_b, keep, _rms(resid), "")
    mean = float(np.average(ok, weights=wk))
    note = (f"drift not measurable: {raw * 1e6:+.1f} ± {sigma * 1e6:.1f} ppm is within the noise (taken as 0)"
            if np.isfinite(sigma) else "drift not measurable: the matched windows span no time")
    return DriftFit(mean, 0.0, raw, float(sigma) if np.isfinite(sigma) else None, s / np.sqrt(sw), keep,
                    _rms(ok - mean), note)


def _spread(resid: np.ndarray, w: np.ndarray, *, dof: int) -> float:
    """Per-window timing spread (weights normalised to mean 1), floored."""
    if resid.size == 0:
        return WINDOW_FLOOR_S
    wn = w / w.mean()
    s = float(np.sqrt(np.sum(wn * resid**2) / max(dof, 1)))
    return max(s, WINDOW_FLOOR_S)


def _rms(resid: np.ndarray) -> float:
    return float(np.sqrt(np.mean(resid**2))) if resid.size else 1.0
