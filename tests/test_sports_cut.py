"""The sports cut a viewer would accept (issue 18 item 2), on the demo match analysed by the real
local analyser, on the perfect analyser's features at two scales, and on generated matches.

The old rules gave the demo 51 % crowd, 0 zooms (the analysed wide angle peaks near 6, the zoom
needed 8) and 100 % crowd reels. Now: wide by default, the closeup on every burst it covers, a
zoom on the wide where it is at its own top decile, the crowd only as a short reaction while it
cheers and never above 15 %; reels rank moments event-wide and show them from the pitch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchor_core.analysis import run_analysis
from anchor_core.reels import plan_reel, reel_length
from anchor_core.sync import Angle
from anchor_core.timeline import (
    Timeline,
    build_grid,
    build_timeline,
    builtin_profile,
    load_event_inputs,
    rebuild,
)
from tests.demo_event import demo_home, event_shift, truth_features, write_truth_sync

W_S = 2.0


def overlap_s(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def on_screen_s(tl: Timeline, kinds: dict[str, str], kind: str, t0: float, t1: float) -> float:
    return sum(overlap_s(s.start_ms / 1000, s.end_ms / 1000, t0, t1) for s in tl.segments if kinds[s.video_id] == kind)


def crowd_share(tl: Timeline) -> float:
    return sum(s.duration_ms for s in tl.segments if s.angle_type == "crowd") / tl.duration_ms


def zooms_on(tl: Timeline, bursts: list[tuple[float, float]]) -> list[int]:
    """Zoom start times (ms) that overlap a burst."""
    return [z.start_ms for z in tl.zooms
            if any(overlap_s(z.start_ms / 1000, (z.start_ms + z.duration_ms) / 1000, a, b) > 0 for a, b in bursts)]


def check_viewer_cut(tl: Timeline, kinds: dict[str, str], bursts: list[tuple[float, float]]) -> None:
    """The done-when of issue 18 item 2 on one master."""
    assert crowd_share(tl) <= 0.15, crowd_share(tl)
    assert zooms_on(tl, bursts), (tl.zooms, bursts)
    for z in tl.zooms:
        assert kinds[z.video_id] == "wide"
    for a, b in bursts:  # the closeup opens every burst and holds a real shot of it
        assert tl.angle_at((a + 1.0) * 1000) in {v for v, k in kinds.items() if k == "closeup"}, (a, tl.segments)
        assert on_screen_s(tl, kinds, "closeup", a, b) >= 3.0, (a, b, tl.segments)
    wide = sum(s.duration_ms for s in tl.segments if s.angle_type == "wide") / tl.duration_ms
    assert wide >= 0.6, wide  # wide by default
    for s in tl.segments:  # the crowd: the footage before anything else starts, or a reaction to a burst
        if s.angle_type == "crowd" and s.start_ms > 0:
            assert any(a <= s.start_ms / 1000 <= b + 4.0 for a, b in bursts), s


# --- the demo match, real analyser ------------------------------------------------------------

@pytest.fixture(scope="module")
def analysed(demo_media, tmp_path_factory):
    """The demo event with truth sync and the local analyser's features (about 20 s)."""
    media, truth = demo_media
    settings_, cat, store, demo = demo_home(media, tmp_path_factory.mktemp("sports-cut"))
    write_truth_sync(cat, demo.videos, truth)
    run_analysis(cat, store, settings_, demo.event_id)
    inputs = load_event_inputs(cat, demo.event_id, 2000)
    cat.close()
    k = event_shift(truth)
    kinds = {vid: truth["angles"][name]["angle_type"] for name, vid in demo.videos.items()}
    return inputs, kinds, [(a + k, b + k) for a, b in truth["action_bursts"]]


def test_demo_master_is_wide_with_closeups_and_zooms_on_bursts_and_little_crowd(analysed):
    inputs, kinds, bursts = analysed
    wide = next(i for i, a in enumerate(inputs.grid.angles) if a.angle_type == "wide")
    assert inputs.grid.action[wide].max() < 8.0  # the analysed wide never reaches the seed's absolute 8
    for strategy in ("hysteresis", "optimal"):
        tl = rebuild(inputs, builtin_profile("sports"), strategy=strategy)
        check_viewer_cut(tl, kinds, bursts)
        assert max(s.duration_ms for s in tl.segments) <= 20_000
    # with the music's beats the cuts move off the window grid; the zoom must follow (`anchor demo`
    # once had 0 zooms because the shot after a burst started 0.1 s into its intense window)
    beats = tuple(float(b) for b in np.arange(0.1, inputs.grid.duration_ms / 1000, 0.5))  # 0.1 s after each window
    tl = rebuild(replace(inputs, beats_s=beats), builtin_profile("sports"))
    assert tl.beat_synced and any(s.start_ms % 2000 for s in tl.segments[1:])
    check_viewer_cut(tl, kinds, bursts)


def test_demo_high_energy_reels_show_the_pitch_and_fill_their_budget(analysed):
    inputs, kinds, bursts = analysed
    for query in ("", "cheer", "crowd", "action"):
        for budget in (20.0, 30.0):
            moments = plan_reel(inputs.features, query, "high_energy", budget)
            assert 0.9 * budget <= reel_length(moments) <= budget + 1e-9, (query, budget, moments)
            pitch = [m for m in moments if kinds[m.video_id] in ("wide", "closeup")]
            assert len(pitch) > len(moments) / 2, (query, moments)
            assert sum(m.duration_s for m in pitch) >= 0.75 * reel_length(moments)
            assert sum(any(overlap_s(m.start_s, m.end_s, a, b) > 0 for a, b in bursts) for m in pitch) >= 2
            for m in moments:
                if kinds[m.video_id] == "crowd":  # a brief reaction after a moment of play
                    assert m.duration_s <= 4.0 and any(abs(p.end_s - m.start_s) < 1e-6 for p in pitch), m


# --- the perfect analyser, at its own scale and at the local analyser's ------------------------

def demo_truth_grid(truth: dict, scale: float):
    videos = {n: n for n in truth["angles"]}
    k = event_shift(truth)
    angles = [Angle(video_id=n, angle_type=a["angle_type"], object_key="", duration_s=a["duration_s"],
                    offset_s=a["offset_s"] + k, drift_ppm=a["drift_ppm"]) for n, a in truth["angles"].items()]
    f = truth_features(truth, videos).with_columns(pl.col("action_intensity") * scale)
    kinds = {n: a["angle_type"] for n, a in truth["angles"].items()}
    return build_grid(f, angles), kinds, [(a + k, b + k) for a, b in truth["action_bursts"]]


def test_zoom_rule_is_relative_to_the_angle_so_it_reads_the_same_at_any_analyser_scale(demo_media):
    _, truth = demo_media
    p = builtin_profile("sports")
    g1, kinds, bursts = demo_truth_grid(truth, 1.0)
    g2, _, _ = demo_truth_grid(truth, 6.0 / 9.5)  # the closeup peaks near 6, the wide near 5, like the local analyser
    assert g2.action.max() <= 6.0 + 1e-9
    a, b = build_timeline(g1, p), build_timeline(g2, p)
    assert a.segments and [(s.start_ms, s.end_ms, s.video_id) for s in a.segments] == \
        [(s.start_ms, s.end_ms, s.video_id) for s in b.segments]
    assert a.zooms == b.zooms and len(zooms_on(b, bursts)) >= 2  # where the wide takes a burst back
    check_viewer_cut(b, kinds, bursts)
    # the seed's absolute rule (zoom_top_share 0) cannot reach 8 on the scaled features
    assert build_timeline(g2, p.with_changes(zoom_top_share=0.0)).zooms == ()


# --- generated matches with a known right answer ------------------------------------------------

@dataclass(frozen=True)
class Match:
    """A generated football match: three angles whose features look like the local analyser's
    (the wide peaks near 6, the closeup near 9, the crowd phone shakes in a cheer), with the truth."""

    features: pl.DataFrame
    angles: list[Angle]
    bursts: list[tuple[float, float]]  # event seconds
    goals: list[bool]  # the burst ends in a cheer
    reactions: list[tuple[float, float]]  # where the crowd reaction belongs (after a goal, while it roars)
    stretches: tuple[tuple[int, int, int], ...]  # (start_ms, end_ms, right angle index or -1 = the wide)

    @property
    def kinds(self) -> dict[str, str]:
        return {a.video_id: a.angle_type for a in self.angles}


def sports_match(duration_s: float = 600.0, *, seed: int = 0, closeup_span: tuple[float, float] = (0.05, 0.85),
                 crowd_span: tuple[float, float] = (0.0, 0.95)) -> Match:
    rng = np.random.default_rng(seed)
    bursts: list[tuple[float, float]] = []
    goals: list[bool] = []
    t = rng.uniform(10, 30)
    while t < duration_s - 30:
        length = float(rng.choice([6.0, 8.0, 10.0, 12.0]))
        bursts.append((t, t + length))
        goals.append(bool(rng.random() < 0.6))
        t += length + rng.uniform(24, 70)
    bursts = [(round(a / W_S) * W_S, round(b / W_S) * W_S) for a, b in bursts]
    roars = [(b - 2.0, b + 6.0) for (a, b), goal in zip(bursts, goals, strict=True) if goal]
    spans = {"wide": (0.0, duration_s),
             "closeup": (duration_s * closeup_span[0], duration_s * closeup_span[1]),
             "crowd": (duration_s * crowd_span[0], duration_s * crowd_span[1])}
    rows = []
    angles = []
    for name, (s0, s1) in spans.items():
        offset = s0 + (0.0 if name == "wide" else float(rng.uniform(0.1, 1.9)))
        n = int((s1 - offset) // W_S)
        angles.append(Angle(video_id=name, angle_type=name, object_key=f"{name}.mp4", duration_s=n * W_S,
                            offset_s=offset))
        for k in range(n):
            c = offset + k * W_S + W_S / 2  # the window's centre, event time
            burst = next((j for j, (a, b) in enumerate(bursts) if a <= c < b), -1)
            roar = any(a <= c < b for a, b in roars)
            moving = rng.random() < 0.2
            if name == "wide":
                act = rng.uniform(4.6, 6.0) if burst >= 0 else (rng.uniform(2.5, 4.0) if moving else rng.uniform(0.0, 0.8))
            elif name == "closeup":
                act = rng.uniform(7.2, 9.5) if burst >= 0 else rng.uniform(0.7, 2.6)
            else:
                act = rng.uniform(8.5, 9.7) if roar or (burst >= 0 and goals[burst]) else (
                    rng.uniform(3.0, 5.0) if burst >= 0 else rng.uniform(1.4, 3.0))
            loud = (rng.uniform(0.75, 0.9) if name == "crowd" else rng.uniform(0.6, 0.8)) if roar else (
                rng.uniform(0.3, 0.5) if burst >= 0 else rng.uniform(0.0, 0.08))
            cheer = loud >= 0.6
            rows.append({"video_id": name, "t_ms": int(k * W_S * 1000), "action_intensity": float(act),
                         "scene_cut": False, "scene_type": "fast action" if act > 7 else "moving",
                         "faces": 0, "speech": 0.0, "crowd_energy": float(loud),
                         "audio_events": ["cheer"] if cheer else [], "visual_complexity": 0.5,
                         "key_moment": bool(burst >= 0 and goals[burst]),
                         "description": "cheering crowd" if cheer else ""})
    features = pl.DataFrame(rows, schema_overrides={"faces": pl.Int32, "audio_events": pl.List(pl.Utf8)})
    idx = {a.video_id: i for i, a in enumerate(angles)}

    def covers(name: str, a: float, b: float) -> bool:
        ang = angles[idx[name]]
        return ang.offset_s <= a and b <= ang.offset_s + ang.duration_s

    marks: list[tuple[float, float, int]] = []
    reactions = []
    for j, ((a, b), goal) in enumerate(zip(bursts, goals, strict=True)):
        marks.append((a, b, idx["closeup"] if covers("closeup", a, b) else -1))
        nxt = bursts[j + 1][0] if j + 1 < len(bursts) else duration_s
        if goal and covers("crowd", b, b + 4.0) and b + 4.0 <= nxt:
            reactions.append((b, b + 4.0))
            marks.append((b, b + 4.0, idx["crowd"]))
    stretches: list[tuple[int, int, int]] = []
    t_ms = 0
    for a, b, h in sorted(marks):
        if int(a * 1000) > t_ms:
            stretches.append((t_ms, int(a * 1000), -1))
        stretches.append((int(a * 1000), int(b * 1000), h))
        t_ms = int(b * 1000)
    stretches.append((t_ms, int(duration_s * 1000), -1))
    return Match(features, angles, bursts, goals, reactions, tuple(stretches))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.floats(120.0, 900.0), st.sampled_from(["hysteresis", "optimal"]),
       st.floats(0.0, 0.3), st.floats(0.5, 1.0))
def test_generated_matches_keep_the_crowd_to_reactions_under_its_cap(seed, duration_s, strategy, c0, c1):
    m = sports_match(duration_s, seed=seed, closeup_span=(c0, c1))
    g = build_grid(m.features, m.angles)
    p = builtin_profile("sports")
    tl = build_timeline(g, p, strategy=strategy)
    alone = sum(1 for k in range(g.n) if g.eligible[2, k] and not g.eligible[:2, k].any())
    assert crowd_share(tl) * tl.duration_ms <= p.crowd_max_share * tl.duration_ms + (alone + 2) * 2000
    goals = [(a, b) for (a, b), goal in zip(m.bursts, m.goals, strict=True) if goal]
    for s in tl.segments:
        k = s.start_ms // 2000
        if s.angle_type == "crowd" and g.eligible[:2, k].any():
            # a reaction: a short shot from inside a goal-like burst to its roar, of a cheering crowd
            assert any(a <= s.start_ms / 1000 < b + 6 for a, b in goals), (s, goals)
            assert g.crowd[2, k:s.end_ms // 2000].mean() >= 0.5 and s.duration_ms <= p.reaction_ms + 2000, s
    for z in tl.zooms:
        shot = next(s for s in tl.segments if s.start_ms <= z.start_ms < s.end_ms)
        assert shot.angle_type == "wide" and z.start_ms + z.duration_ms <= shot.end_ms
    covered = [(a, b) for a, b in m.bursts if m.angles[1].offset_s <= a and b <= m.angles[1].offset_s +
               m.angles[1].duration_s]
    for a, b in covered:  # every burst the closeup covers opens on it
        assert tl.angle_at((a + 1.0) * 1000) == "closeup", (a, b)
