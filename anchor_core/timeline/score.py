"""Angle scores per window: the profile's weights applied to the grid, all vectorised.

Sports follows the action (closeups gain most from intensity, the wide holds by default, the
crowd reacts after a goal-like burst: `grammar`); conference follows the voice (the angle whose
own microphone hears speech strongest relative to the others) and goes wide on cross-talk; when
nothing scores well the fallback angle (wide) takes over. Angles without footage, or that the
profile keeps off screen there, get NEG so no strategy ever picks them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .grammar import BurstPlan, plan_bursts
from .grid import Grid
from .profile import Profile

NEG = -1e9


@dataclass(frozen=True)
class Scores:
    raw: np.ndarray  # (angles × windows) the profile's score; NEG where the angle has no footage
    effective: np.ndarray  # what the switchers read: raw, the fallback and the grammar's shots lifted, NEG off screen
    fallback: np.ndarray  # bool per window: nothing won clearly (or cross-talk)
    crosstalk: np.ndarray  # bool per window
    eligible: np.ndarray  # bool (angles × windows): footage, and the profile lets the angle be seen
    plan: BurstPlan  # the grammar's bursts, tails and reactions


def _per_angle(grid: Grid, p: Profile, table: str) -> np.ndarray:
    return np.array([p.gain(table, a.angle_type) for a in grid.angles], dtype=np.float64)[:, None]


def running_median(x: np.ndarray, width: int) -> np.ndarray:
    """Per-angle running median over windows: a one-window flash does not pull a cut, a real
    change (a step) passes through without delay."""
    if width <= 1 or x.shape[1] < width:
        return x
    h = width // 2
    pad = np.pad(x, ((0, 0), (h, h)), mode="edge")
    stack = np.stack([pad[:, i:i + x.shape[1]] for i in range(2 * h + 1)])
    return np.asarray(np.median(stack, axis=0))


def event_action(grid: Grid) -> np.ndarray:
    """The event's intensity per window: the most any camera sees."""
    return np.where(grid.eligible, grid.action, 0.0).max(axis=0)


def score_grid(grid: Grid, p: Profile) -> Scores:
    el = grid.eligible
    s = _per_angle(grid, p, "base") + _per_angle(grid, p, "action_gain") * grid.action
    s = s + _per_angle(grid, p, "face_bonus") * (grid.faces > 0)
    s = s + _per_angle(grid, p, "crowd_gain") * grid.crowd
    lull = event_action(grid) <= p.lull_action
    s = s + _per_angle(grid, p, "lull_bonus") * lull[None, :]
    sp = np.where(el, grid.speech, 0.0)
    total = sp.sum(axis=0)
    share = np.divide(sp, total[None, :], out=np.zeros_like(sp), where=total[None, :] > 0)
    s = s + _per_angle(grid, p, "speech_gain") * sp * share
    s = running_median(s, p.smooth_windows)
    raw = np.where(el, s, NEG)

    plan = plan_bursts(grid, p, raw)
    el = el & plan.allowed
    seen = np.where(el, raw, NEG)  # what the edit may show: the fallback rule compares only these

    crosstalk = np.zeros(grid.n, dtype=bool)
    if p.crosstalk_margin > 0 and len(grid.angles) >= 2:
        top2 = np.sort(sp, axis=0)[-2:, :]
        crosstalk = (top2[0] >= 0.35) & (top2[1] - top2[0] < p.crosstalk_margin)
    best = seen.max(axis=0)
    fb = np.array([a.angle_type == p.fallback_angle for a in grid.angles], dtype=bool)
    fallback = (best < p.min_score) | crosstalk
    if fb.any():
        # nothing wins clearly: no angle beats the fallback by the switching threshold
        fb_best = np.where(fb[:, None] & el, seen, NEG).max(axis=0)
        has_fb = fb_best > NEG / 2
        fallback |= has_fb & (best < fb_best * (1.0 + p.hysteresis) - 1e-9)
    eff = seen.copy()
    if fb.any():
        lift = np.maximum(best, 1.0) * (1.0 + p.hysteresis) + 1.0
        mask = fb[:, None] & fallback[None, :] & el
        eff = np.where(mask, np.maximum(eff, lift[None, :]), eff)
    if plan.lifts:
        # the grammar's shot beats every other by the threshold and the cost of a switch
        top = np.maximum(eff.max(axis=0), 1.0) * (1.0 + p.hysteresis) + p.switch_cost + 1.0
        for a, k0, k1 in plan.lifts:
            eff[a, k0:k1] = np.maximum(eff[a, k0:k1], top[k0:k1])
    return Scores(raw, eff, fallback, crosstalk, el, plan)
