"""A reel's moments: the event's best stretches of time, each shown by the angle that shows it best.

Stretches are ranked by the event-wide importance of the moment (the backend's score for every
angle's window at that time, averaged), not by one angle's row: a crowd phone shaking through a
cheer would otherwise win every moment and the reel would never show the pitch. Each moment then
goes to the angle of the play for which it stands out most (its rank among that angle's own
windows), less a penalty for each earlier use of that angle; the crowd appears only as a brief
reaction at the end of a moment that cheers. The budget is filled to within 10 % (by widening
the best moments, then by further ones) unless the event is shorter. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..timeline import REACTION_TYPES
from .rank import Moment

CHEER_TAGS = ("cheer", "applause")
CHEERING = 0.5  # crowd energy of a crowd that cheers (as the timeline's reaction shots read it)


@dataclass
class _Group:
    k0: int  # first slot
    k1: int  # end slot (exclusive)
    video: int
    value: float
    reaction: tuple[int, int] | None = None  # (crowd video, first slot): the crowd shows [slot, k1)
    pad_s: float = 0.0  # a last part-slot before k0, to land on the budget
    core: tuple[int, int] = (0, 0)  # the slots it first grew to: context is added around them

    def context(self, x: int) -> int:
        """How much context the moment already has on the side of slot x."""
        return self.core[0] - self.k0 if x < self.k0 else self.k1 - self.core[1]


@dataclass(frozen=True)
class _Slots:
    """The event on a grid of window-long slots from 0: per video (rows) and slot (columns)."""

    videos: list[str]
    pitch: list[int]  # videos that show the play (all of them when none does)
    crowd: list[int]
    covered: np.ndarray  # the video has footage for the whole slot
    score: np.ndarray  # the backend's score, -inf where it does not match
    rank: np.ndarray  # that score's rank among the video's own matching windows, 0..1
    importance: np.ndarray  # per slot: the mean score of the videos there; -inf when none matches
    cheer: np.ndarray  # per slot: some angle hears a cheer or applause, reports a key moment or a loud crowd
    crowd_energy: np.ndarray


def event_slots(feats: pl.DataFrame, scores: np.ndarray, mask: np.ndarray, window_s: float) -> _Slots:
    t = feats["t_event_s"].to_numpy().astype(np.float64)
    vids = [str(v) for v in feats["video_id"].to_list()]
    types = feats["angle_type"].to_list() if "angle_type" in feats.columns else ["other"] * feats.height
    videos = list(dict.fromkeys(vids))
    index = {v: i for i, v in enumerate(videos)}
    vi = np.array([index[v] for v in vids], dtype=np.int64)
    n = max(1, math.ceil((float(t.max()) + window_s) / window_s - 1e-9))
    slot = np.clip(np.floor((t + window_s / 2) / window_s).astype(np.int64), 0, n - 1)
    V = len(videos)
    score = np.full((V, n), -np.inf)
    np.maximum.at(score, (vi, slot), np.where(mask, scores, -np.inf))
    covered = np.zeros((V, n), dtype=bool)
    covered[vi, slot] = True
    k = np.arange(n) * window_s
    for v in range(V):
        tv = t[vi == v]
        covered[v] &= (k >= tv.min() - 1e-6) & (k + window_s <= tv.max() + window_s + 1e-6)
    found = covered & np.isfinite(score)
    count = found.sum(axis=0)
    importance = np.where(count > 0, np.where(found, score, 0.0).sum(axis=0) / np.maximum(count, 1), -np.inf)
    rank = np.zeros((V, n))
    for v in range(V):
        x = np.sort(score[v, found[v]])
        if x.size:
            mid = (np.searchsorted(x, score[v], "left") + np.searchsorted(x, score[v], "right")) / 2.0
            rank[v] = np.where(found[v], mid / x.size, 0.0)
    tags = feats["audio_events"].to_list()
    loud = np.clip(feats["crowd_energy"].fill_null(0).to_numpy().astype(np.float64), 0, 1)
    flag = np.array([bool(set(CHEER_TAGS) & set(tg or ())) for tg in tags], dtype=bool) \
        | feats["key_moment"].fill_null(False).to_numpy().astype(bool) | (loud >= 0.6)
    cheer = np.zeros(n, dtype=bool)
    np.logical_or.at(cheer, slot, flag)
    crowd_energy = np.zeros((V, n))
    np.maximum.at(crowd_energy, (vi, slot), loud)
    kind = {vi[i]: types[i] for i in range(len(types))}
    crowd = [v for v in range(V) if kind.get(v) in REACTION_TYPES]
    pitch = [v for v in range(V) if v not in crowd]
    if not pitch:  # only stands to show: show them
        pitch, crowd = crowd, []
    return _Slots(videos, pitch, crowd, covered, score, rank, importance, cheer, crowd_energy)


def pick_moments(
    feats: pl.DataFrame, scores: np.ndarray, mask: np.ndarray, *, budget_s: float, window_s: float = 2.0,
    min_moment_s: float = 4.0, max_moment_s: float = 8.0, min_gap_s: float = 4.0, keep_ratio: float = 0.6,
    fill_ratio: float = 0.9, reaction_s: float = 2.0, variety: float = 0.15, crowd_share: float = 0.2,
) -> list[Moment]:
    """Greedy by importance: grow each seed slot into a moment of min..max length (toward the
    better neighbour, while it stays close to the seed), no two closer than min_gap_s in event
    time, each shown by the best pitch angle; first the seeds above keep_ratio × the best, then
    more context around them, then more moments, until the reel holds fill_ratio of the budget.
    At most one crowd reaction per 30 s of budget, within crowd_share of it. In event order."""
    if feats.height == 0 or not np.isfinite(np.where(mask, scores, -np.inf)).any():
        return []
    sl = event_slots(feats, scores, mask, window_s)
    w, imp, n = window_s, sl.importance, sl.importance.size
    mn = max(1, math.ceil(min_moment_s / w - 1e-9))
    mx = max(mn, math.floor(max_moment_s / w + 1e-9))
    gap = max(0, math.ceil(min_gap_s / w - 1e-9))
    groups: list[_Group] = []
    uses = [0] * len(sl.videos)

    def used() -> float:
        return sum((g.k1 - g.k0) * w + g.pad_s for g in groups)

    def clear(x: int, me: _Group | None = None) -> bool:
        return 0 <= x < n and bool(np.isfinite(imp[x])) and free(x, me)

    def free(x: int, me: _Group | None) -> bool:
        return 0 <= x < n and all(not (h.k0 - gap <= x < h.k1 + gap) for h in groups if h is not me)

    def context_ok(g: _Group, x: int) -> bool:
        """A slot of context for g: it matches, or it is the first one beyond a matching edge
        (a cheer's lead-in need not be a cheer), with footage of g's angle."""
        edge = g.k0 if x < g.k0 else g.k1 - 1
        return free(x, g) and bool(sl.covered[g.video, x]) and bool(np.isfinite(imp[x]) or np.isfinite(imp[edge]))

    def grow(seed: int, room_slots: int) -> _Group | None:
        cands = [v for v in sl.pitch if sl.covered[v, seed]]
        if not cands or not clear(seed) or room_slots < mn:
            return None
        k0, k1 = seed, seed + 1
        while k1 - k0 < min(mx, room_slots):
            options = [x for x in (k0 - 1, k1) if clear(x) and any(sl.covered[v, x] for v in cands)]
            if not options:
                break
            x = max(options, key=lambda x: (float(imp[x]), x))
            if k1 - k0 >= mn and imp[x] <= imp[seed] - 0.15:
                break
            k0, k1 = min(k0, x), max(k1, x + 1)
            cands = [v for v in cands if sl.covered[v, x]]
        if k1 - k0 < mn:
            return None
        v = max(cands, key=lambda v: (float(sl.rank[v, k0:k1].mean()) - variety * uses[v], -v))
        uses[v] += 1
        return _Group(k0, k1, v, float(imp[k0:k1].mean()), core=(k0, k1))

    order = [int(k) for k in np.argsort(-imp, kind="stable") if np.isfinite(imp[k])]
    best = float(imp[order[0]])

    def add(floor: float) -> None:
        for k in order:
            room = int((budget_s - used()) // w + 1e-9)
            if room < mn or imp[k] < floor:
                break
            g = grow(k, room)
            if g:
                groups.append(g)

    def stretch() -> None:
        """One slot of context at a time, to the shortest moment that can take it (the best first
        among equals), toward its better side: context spreads over the moments."""
        cap = max(mx, math.floor(1.5 * max_moment_s / w + 1e-9))
        while used() + w <= budget_s + 1e-9:
            grown = False
            for g in sorted(groups, key=lambda g: (g.k1 - g.k0, -g.value)):
                sides = [g.k0 - 1] + ([g.k1] if g.reaction is None else [])
                options = [x for x in sides if g.k1 - g.k0 < cap and context_ok(g, x)]
                if options:
                    x = max(options, key=lambda x: (float(imp[x]), -g.context(x), x))  # noqa: B023
                    g.k0, g.k1 = min(g.k0, x), max(g.k1, x + 1)
                    grown = True
                    break
            if not grown:
                return

    add(keep_ratio * best if best > 0 else -np.inf)
    _react(sl, groups, budget_s=budget_s, w=w, mn=mn, reaction_s=reaction_s, crowd_share=crowd_share,
           clear=clear, used=used)
    stretch()
    if used() < fill_ratio * budget_s:
        add(-np.inf)
        stretch()
    rem = budget_s - used()
    if 0.25 <= rem < w:  # land on the budget: part of one more slot before the best moment that can take it
        for g in sorted(groups, key=lambda g: -g.value):
            if context_ok(g, g.k0 - 1):
                g.pad_s = rem
                break
    out: list[Moment] = []
    for g in groups:
        end = g.reaction[1] if g.reaction else g.k1
        out.append(Moment(sl.videos[g.video], g.k0 * w - g.pad_s, end * w, g.value))
        if g.reaction:
            out.append(Moment(sl.videos[g.reaction[0]], g.reaction[1] * w, g.k1 * w, g.value))
    return sorted(out, key=lambda m: m.start_s)


def _react(sl: _Slots, groups: list[_Group], *, budget_s: float, w: float, mn: int, reaction_s: float,
           crowd_share: float, clear: Callable[[int, _Group], bool], used: Callable[[], float]) -> None:
    """The best cheering moments end on the crowd: the latest slots at or after a moment's end
    (keeping its pitch part a full moment) where a crowd angle still cheers (CHEERING, and half
    its peak in the moment)."""
    if not sl.crowd or reaction_s <= 0:
        return
    r = max(1, math.ceil(reaction_s / w - 1e-9))
    allowed = max(1, int(budget_s // 30.0))
    room = crowd_share * budget_s
    for g in sorted(groups, key=lambda g: -g.value):
        if allowed <= 0 or r * w > room + 1e-9:
            break
        if not sl.cheer[g.k0:g.k1].any():
            continue
        for s0 in range(g.k1, g.k0 + mn - 1, -1):
            s1 = s0 + r
            extra = max(0, s1 - g.k1)
            if extra and (used() + extra * w > budget_s + 1e-9 or not all(clear(x, g) for x in range(g.k1, s1))):
                continue
            if s1 > sl.importance.size:
                continue
            ok = [c for c in sl.crowd if sl.covered[c, s0:s1].all()
                  and sl.crowd_energy[c, s0:s1].mean() >= max(CHEERING, 0.5 * sl.crowd_energy[c, g.k0:g.k1].max())]
            if ok:
                c = max(ok, key=lambda c: (float(sl.crowd_energy[c, s0:s1].mean()), -c))
                g.k1, g.reaction = s1, (c, s0)
                allowed -= 1
                room -= r * w
                break
