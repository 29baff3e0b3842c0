"""The sports edit's grammar around bursts of play: which angle takes which windows, beyond the scores.

A burst is a run of windows where the play is intense (`intensity.event_levels`: the relative
levels of every angle on the play, so it reads the same whatever the analyser's scale; the
stands' phone shakes for any cheer, so it counts only where nothing else has footage). Within it:
- the burst angle (`burst_angle`, the seed's "high action → closeup") takes it wherever its
  footage covers it and its own level shows the action;
- tail (`zoom_burst_tail`): a burst that outlasts two minimum shots ends on the zoomable angle
  (the wide), from the first window where the wide reaches the zoom threshold and sees the play
  at least as well as the closeup (each on its own scale), so it is seen punched in on the play
  rather than never at its peak;
- reaction (`reaction_ms`): after a goal-like burst's closeup (or its tail), and before the next
  burst, the crowd gets one short shot while it still cheers (a cheer, applause or a key moment
  heard or seen by any angle makes a burst goal-like);
- cap (`crowd_max_share` below 1): the crowd is seen only in those reactions and where it alone
  has footage, strongest burst first, within the share of the event.
Everywhere else the scores decide (the wide by default). Pure: `score.score_grid` turns the plan
into lifts (the planned angle beats every other there) and eligibility.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .grid import Grid
from .intensity import (
    EVENT_TOP_SHARE,
    REACTION_TYPES,
    event_levels,
    event_relative,
    on_the_play,
    runs_of,
    zoom_levels,
)
from .profile import Profile

CHEER_EVENTS = ("cheer", "applause")
CHEERING = 0.5  # crowd energy (0..1, loudness above the microphone's own floor) of a crowd that cheers

Span = tuple[int, int, int]  # angle index, first window, end window (exclusive)


@dataclass(frozen=True)
class BurstPlan:
    allowed: np.ndarray  # bool (angles × windows): the profile lets the angle be on screen here
    lifts: tuple[Span, ...]  # the grammar's shots: that angle must win those windows
    bursts: tuple[tuple[int, int], ...]
    tails: tuple[Span, ...]
    reactions: tuple[Span, ...]


def min_windows(p: Profile, window_ms: int) -> int:
    return max(1, math.ceil(p.min_segment_ms / window_ms - 1e-9))


def goal_like(grid: Grid) -> np.ndarray:
    """Per window: some angle with footage hears a cheer or applause, or reports a key moment."""
    m = (grid.key_moment & grid.eligible).any(axis=0)
    for e in CHEER_EVENTS:
        if e in grid.events:
            m |= (grid.events[e] & grid.eligible).any(axis=0)
    return np.asarray(m)


def plan_bursts(grid: Grid, p: Profile, raw: np.ndarray) -> BurstPlan:
    n, w = grid.n, grid.window_ms
    el = grid.eligible
    crowd = [i for i, a in enumerate(grid.angles) if a.angle_type in REACTION_TYPES]
    capped = p.crowd_max_share < 1.0 and bool(crowd)
    grammar = bool(p.burst_angle) or p.zoom_burst_tail or p.reaction_ms > 0
    if not (grammar or capped):
        return BurstPlan(np.ones_like(el, dtype=bool), (), (), (), ())
    rel = event_relative(grid, p)
    # a burst of play is what the cameras on the play see (the stands' phone shakes for any cheer)
    level = event_levels(grid, p, play=on_the_play(grid), rel=rel)
    runs = runs_of(level >= p.burst_level - 1e-9) if grammar else []
    mn = min_windows(p, w)
    nxt = [b0 for b0, _ in runs[1:]] + [n] if runs else []
    shot = np.full(n, -1, dtype=np.int64)  # the planned angle per window, -1: the scores decide
    if p.burst_angle:
        takers = [i for i, a in enumerate(grid.angles) if a.angle_type == p.burst_angle]
        for b0, b1 in runs:
            for k in range(b0, b1):
                ok = [i for i in takers if el[i, k] and rel[i, k] >= p.burst_level - 1e-9]
                if ok:
                    shot[k] = max(ok, key=lambda i: (float(raw[i, k]), -i))
    tails: list[Span] = []
    room: list[tuple[int, int]] = []  # where each burst's reaction may start
    zl = None
    if p.zoom_burst_tail and runs:
        zl = rel if p.zoom_top_share == EVENT_TOP_SHARE else zoom_levels(grid, p)  # the same scale: reuse it
    for b0, b1 in runs:
        t = _tail(grid, p, zl, rel, shot, b0, b1, mn) if zl is not None else None
        if t:
            tails.append(t)
            shot[t[1]:t[2]] = t[0]
        room.append((t[2], t[2]) if t else (min(n, b0 + mn), min(n, max(b1, b0 + mn))))

    others = [i for i in range(len(grid.angles)) if i not in crowd]
    alone = np.zeros(n, dtype=bool)
    if crowd:
        alone = np.asarray(el[crowd].any(axis=0) & ~el[others].any(axis=0))
    for k0, k1 in runs_of(alone):  # the crowd has the only footage: it is seen, for a minimum shot at least
        alone[k0:min(n, max(k1, k0 + mn))] = True
    budget = math.floor(p.crowd_max_share * grid.duration_ms / w + 1e-9) - int(alone.sum()) if capped else n
    reactions: list[Span] = []
    if p.reaction_ms > 0 and crowd and runs:
        r = max(mn, math.ceil(p.reaction_ms / w - 1e-9))
        key = goal_like(grid)
        taken = np.zeros(n, dtype=bool)
        for _, k0, k1 in tails:
            taken[k0:k1] = True
        for j in sorted(range(len(runs)), key=lambda j: (-float(level[runs[j][0]:runs[j][1]].sum()), j)):
            (b0, b1), (lo, hi) = runs[j], room[j]
            if r > budget or not key[b0:b1].any():
                continue
            got = _reaction(grid, crowd, b0, b1, lo, min(hi, nxt[j] - r), r, taken)
            if got:
                reactions.append(got)
                taken[got[1]:got[2]] = True
                shot[got[1]:got[2]] = got[0]
                budget -= r
    allowed = np.ones_like(el, dtype=bool)
    if capped:
        for c in crowd:
            allowed[c] = alone
        for c, k0, k1 in reactions:
            allowed[c, k0:k1] = True
    lifts = [(int(shot[k0]), k0, k1) for a in np.unique(shot[shot >= 0]).tolist()
             for k0, k1 in runs_of(shot == a)]
    return BurstPlan(allowed, tuple(sorted(lifts, key=lambda s: s[1])), tuple(runs), tuple(tails),
                     tuple(sorted(reactions, key=lambda s: s[1])))


def _tail(grid: Grid, p: Profile, zl: np.ndarray, rel: np.ndarray, shot: np.ndarray, b0: int, b1: int,
          mn: int) -> Span | None:
    """The zoomable angle (the wide) for the rest of the burst, from the first window after the
    burst angle's minimum shot where the wide is zoom-worthy and sees the play at least as well,
    each on its own scale, as the angle planned there; only when that leaves it a minimum shot."""
    zoomable = [i for i, a in enumerate(grid.angles) if a.angle_type in p.zoom_angle_types]
    for k in range(b0 + mn, b1 - mn + 1):
        if shot[k] < 0:
            continue
        ok = [i for i in zoomable if bool(grid.eligible[i, k:b1].all()) and zl[i, k] >= p.zoom_threshold - 1e-9
              and rel[i, k] >= rel[shot[k], k] - 1e-9]
        if ok:
            i = max(ok, key=lambda i: (grid.angles[i].angle_type == p.fallback_angle, float(zl[i, k]), -i))
            return (i, k, b1)
    return None


def _reaction(grid: Grid, crowd: list[int], b0: int, b1: int, lo: int, hi: int, r: int,
              taken: np.ndarray) -> Span | None:
    """The latest start in [lo, hi] where a crowd angle still cheers: its own crowd energy over the
    shot is at least CHEERING and half its peak in the burst (a crowd gone quiet says nothing)."""
    el = grid.eligible
    for s0 in range(min(hi, grid.n - r), lo - 1, -1):
        s1 = s0 + r
        if taken[s0:s1].any():
            continue
        ok = [c for c in crowd if el[c, s0:s1].all()
              and grid.crowd[c, s0:s1].mean() >= max(CHEERING, 0.5 * grid.crowd[c, b0:b1].max())]
        if ok:
            c = max(ok, key=lambda c: (float(grid.crowd[c, s0:s1].mean()), -c))
            return (c, s0, s1)
    return None
