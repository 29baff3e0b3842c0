"""Build a timeline from a grid and a profile: score, switch, snap to beats, add moments. Pure."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence

import numpy as np

from ..music import snap_to_beats
from .grammar import REACTION_TYPES
from .grid import Grid
from .model import Segment, Timeline
from .moments import find_ad_slots, find_chapters, find_zooms, window_angles
from .profile import STRATEGIES, Profile
from .score import Scores, score_grid
from .switch import Run, hysteresis_runs, optimal_runs


def window_limits(p: Profile) -> tuple[int, int]:
    w = p.window_ms
    mn = max(1, math.ceil(p.min_segment_ms / w - 1e-9))
    mx = max(mn, math.floor(p.max_segment_ms / w + 1e-9))
    return mn, mx


def choose_runs(grid: Grid, p: Profile, scores: Scores, strategy: str) -> list[Run]:
    mn, mx = window_limits(p)
    frac = (grid.duration_ms - (grid.n - 1) * grid.window_ms) / grid.window_ms
    if strategy == "optimal":
        return optimal_runs(scores.effective, scores.eligible, min_windows=mn, max_windows=mx,
                            switch_cost=p.switch_cost, last_fraction=frac)
    planned = np.zeros(scores.eligible.shape, dtype=bool)
    for a, k0, k1 in scores.plan.lifts:
        planned[a, k0:k1] = True
    return hysteresis_runs(scores.effective, scores.eligible, min_windows=mn, max_windows=mx, hysteresis=p.hysteresis,
                           last_fraction=frac, planned=planned if scores.plan.lifts else None)


def snap_tolerance_ms(p: Profile, beats_s: Sequence[float]) -> float:
    """The profile's tolerance; a cut-on-the-beat profile widens it to half a beat so every cut can land."""
    tol = float(p.beat_snap_tolerance_ms)
    if p.cut_on_beats and len(beats_s) > 1:
        tol = max(tol, 500.0 * float(np.median(np.diff(np.asarray(beats_s, dtype=float)))))
    return tol


def build_timeline(grid: Grid, p: Profile, *, beats_s: Sequence[float] = (), strategy: str | None = None,
                   event_type: str | None = None, scores: Scores | None = None) -> Timeline:
    strategy = strategy or p.strategy
    if strategy not in STRATEGIES:
        from ..errors import ValidationError

        raise ValidationError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if grid.window_ms != p.window_ms:
        from ..errors import ValidationError

        raise ValidationError(f"the grid has {grid.window_ms} ms windows but the profile wants {p.window_ms} ms: "
                              "rebuild the grid")
    sc = scores or score_grid(grid, p)
    runs = choose_runs(grid, p, sc, strategy)
    w = grid.window_ms
    cuts_ms = [float(r[1] * w) for r in runs[1:]]
    beat_synced = False
    if len(beats_s) and cuts_ms:
        tol = snap_tolerance_ms(p, beats_s)

        def allowed(i: int, t_s: float) -> bool:
            c = cuts_ms[i] / 1000.0
            before, after = runs[i][0], runs[i + 1][0]
            return grid.covers(before, c, t_s) if t_s > c else grid.covers(after, t_s, c)

        snapped = snap_to_beats([c / 1000.0 for c in cuts_ms], list(beats_s), tolerance_s=tol / 1000.0,
                                min_segment_s=p.min_segment_ms / 1000.0, max_segment_s=p.max_segment_ms / 1000.0,
                                start_s=0.0,
                                end_s=grid.duration_ms / 1000.0, allowed=allowed)
        cuts_ms = [round(c * 1000.0) for c in snapped]
        beat_synced = True
    bounds = [0, *[int(c) for c in cuts_ms], grid.duration_ms]
    csum = np.concatenate([np.zeros((len(grid.angles), 1)), np.cumsum(np.where(grid.eligible, sc.raw, 0.0), axis=1)],
                          axis=1)
    ccount = np.concatenate([np.zeros((len(grid.angles), 1)), np.cumsum(grid.eligible, axis=1)], axis=1)
    segments: list[Segment] = []
    for (a, k0, k1), s0, s1 in zip(runs, bounds[:-1], bounds[1:], strict=True):
        cnt = ccount[a, k1] - ccount[a, k0]
        ang = grid.angles[a]
        mean = (csum[a, k1] - csum[a, k0]) / cnt if cnt else 0.0
        segments.append(Segment(s0, s1, ang.video_id, ang.angle_type, round(float(mean), 3)))
    chosen = window_angles(grid, segments)
    gaps = int((~grid.eligible.any(axis=0)).sum())
    crowd_ms = sum(s.duration_ms for s in segments if s.angle_type in REACTION_TYPES)
    meta = {
        "windows": grid.n, "window_ms": w, "switches": len(segments) - 1,
        "fallback_windows": int(sc.fallback.sum()), "crosstalk_windows": int(sc.crosstalk.sum()),
        "windows_without_footage": gaps, "angles": [a.video_id for a in grid.angles],
        "snap_tolerance_ms": snap_tolerance_ms(p, beats_s) if beat_synced else None,
        "total_score": round(float(sum(csum[a, k1] - csum[a, k0] for a, k0, k1 in runs)), 2),
        "crowd_share": round(crowd_ms / grid.duration_ms, 4) if grid.duration_ms else 0.0,
        "bursts": [[k0 * w, k1 * w] for k0, k1 in sc.plan.bursts],
        "reactions": [[k0 * w, k1 * w] for _, k0, k1 in sc.plan.reactions],
    }
    h = hashlib.sha256(json.dumps({"grid": grid.digest, "profile": p.to_dict(), "strategy": strategy,
                                   "beats": [round(b, 4) for b in beats_s]}, sort_keys=True).encode())
    return Timeline(
        duration_ms=grid.duration_ms, segments=tuple(segments), zooms=tuple(find_zooms(grid, p, segments)),
        ad_slots=tuple(find_ad_slots(grid, p, chosen)),
        chapters=tuple(find_chapters(grid, p, chosen, event_type or p.event_type)),
        beat_synced=beat_synced, strategy=strategy, profile_name=p.name, profile_version=p.version,
        inputs_hash=h.hexdigest()[:16], meta=meta,
    )


def event_beats(beats_s: Sequence[float], music_duration_s: float, event_duration_s: float) -> list[float]:
    """The music loops under the whole event (as the render plays it): its beats, repeated."""
    b = [float(x) for x in beats_s if 0 <= x < music_duration_s] if music_duration_s > 0 else []
    if not b:
        return []
    out: list[float] = []
    k = 0
    while k * music_duration_s < event_duration_s:
        out.extend(x + k * music_duration_s for x in b if x + k * music_duration_s <= event_duration_s)
        k += 1
    return out
