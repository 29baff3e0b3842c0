"""The timeline rules as pure functions: hand-built cases from the platform's worked example,
and properties over random feature tables (hypothesis)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchor_core.demo.features import hot_angle_features
from anchor_core.errors import ValidationError
from anchor_core.sync import Angle
from anchor_core.timeline import (
    build_grid,
    build_timeline,
    builtin_profile,
    score_grid,
    validate_profile,
)
from anchor_core.timeline.build import choose_runs, event_beats, window_limits
from anchor_core.timeline.evaluate import edit_quality
from anchor_core.timeline.intensity import relative_levels
from anchor_core.timeline.moments import FOUR_MIN_MS, chapter_spacing_ms
from anchor_core.timeline.profile import BUILTIN
from anchor_core.timeline.switch import beats_by

W = 2000


def table(rows: dict[str, list[dict]], n: int) -> pl.DataFrame:
    """Feature rows per video id: a list of n dicts of overrides on a quiet default."""
    out = []
    for vid, per in rows.items():
        for k in range(n):
            d = {"video_id": vid, "t_ms": k * W, "action_intensity": 3.0, "scene_cut": False, "scene_type": "static",
                 "faces": 0, "speech": 0.0, "crowd_energy": 0.2, "audio_events": [], "visual_complexity": 0.5,
                 "key_moment": False, "description": ""}
            d.update(per[k] if k < len(per) else {})
            out.append(d)
    return pl.DataFrame(out, schema_overrides={"faces": pl.Int32, "audio_events": pl.List(pl.Utf8)})


def angle(video_id: str, angle_type: str, offset_s: float, drift_ppm: float, duration_s: float) -> Angle:
    return Angle(video_id=video_id, angle_type=angle_type, object_key=f"{video_id}.mp4", duration_s=duration_s,
                 offset_s=offset_s, drift_ppm=drift_ppm)


def angles_of(types: dict[str, str], dur_s: float) -> list[Angle]:
    return [angle(v, t, 0.0, 0.0, dur_s) for v, t in types.items()]


# --- the platform's worked example ------------------------------------------------------------

def test_worked_example_scores_wide_70_closeup_95_crowd_30():
    n = 3
    f = table({"A": [{"action_intensity": 8.0}] * n, "B": [{"action_intensity": 8.0, "faces": 1}] * n,
               "C": [{"action_intensity": 8.0, "crowd_energy": 0.0}] * n}, n)
    g = build_grid(f, angles_of({"A": "wide", "B": "closeup", "C": "crowd"}, n * 2.0))
    raw = score_grid(g, builtin_profile("sports")).raw
    assert raw[:, 1].tolist() == pytest.approx([70.0, 95.0, 30.0])


def test_hysteresis_rule_switches_at_36_percent_not_at_21():
    assert beats_by(95, 70, 0.30)
    assert not beats_by(85, 70, 0.30)


def _wide_then(closeup_action: float, closeup_faces: int) -> tuple[list[str], int]:
    """4 windows where only the wide is good, then the closeup scores 95 (or 85) against 70."""
    n = 9  # 18 s: under the 20 s maximum shot
    wide = [{"action_intensity": 8.0}] * n
    close = [{"action_intensity": 0.0}] * 4 + [{"action_intensity": closeup_action, "faces": closeup_faces}] * 5
    f = table({"A": wide, "B": close}, n)
    g = build_grid(f, angles_of({"A": "wide", "B": "closeup"}, n * 2.0))
    tl = build_timeline(g, builtin_profile("sports").with_changes(smooth_windows=1))
    return [s.video_id for s in tl.segments], tl.segments[-1].start_ms if len(tl.segments) > 1 else -1


def test_closeup_at_95_takes_over_from_wide_at_70_once_the_minimum_has_run():
    ids, cut = _wide_then(8.0, 1)
    assert ids == ["A", "B"] and cut == 8000


def test_closeup_at_85_does_not_displace_wide_at_70():
    ids, _ = _wide_then(8.5, 0)
    assert ids == ["A"]


def test_minimum_segment_holds_a_shot_even_when_another_angle_wins_clearly():
    n = 10
    f = table({"A": [{"action_intensity": 9.0}] * 1 + [{"action_intensity": 1.0}] * 9,
               "B": [{"action_intensity": 1.0}] * 1 + [{"action_intensity": 9.0, "faces": 1}] * 9}, n)
    g = build_grid(f, angles_of({"A": "wide", "B": "closeup"}, n * 2.0))
    tl = build_timeline(g, builtin_profile("sports").with_changes(smooth_windows=1))
    assert tl.segments[0].duration_ms >= 4000


def test_maximum_segment_cuts_away_from_a_shot_that_runs_too_long():
    n = 30
    f = table({"A": [{"action_intensity": 9.0}] * n, "B": [{"action_intensity": 2.0}] * n}, n)
    g = build_grid(f, angles_of({"A": "wide", "B": "closeup"}, n * 2.0))
    tl = build_timeline(g, builtin_profile("sports"))
    assert max(s.duration_ms for s in tl.segments) <= 20000
    assert {s.video_id for s in tl.segments} == {"A", "B"}


def test_wide_holds_when_nothing_wins_clearly():
    n = 10
    f = table({"A": [{"action_intensity": 3.0}] * n, "B": [{"action_intensity": 3.5, "faces": 1}] * n}, n)
    g = build_grid(f, angles_of({"A": "wide", "B": "closeup"}, n * 2.0))
    sc = score_grid(g, builtin_profile("sports"))
    assert sc.raw[1].max() > sc.raw[0].max()  # the closeup scores higher, but not by the threshold
    assert [s.video_id for s in build_timeline(g, builtin_profile("sports")).segments] == ["A"]


def test_sports_stays_wide_in_a_lull_and_shows_the_crowd_only_as_a_reaction_to_a_cheer():
    # Replaces test_sports_goes_to_the_crowd_in_a_lull, which pinned the old rule (the crowd won
    # every lull: 51 % crowd on the demo match). Issue 18: wide by default, the closeup on a burst,
    # the crowd only as a short reaction while it still cheers.
    lull, burst, after = 10, 4, 16
    n = lull + burst + after
    hot = {"audio_events": ["cheer"], "key_moment": True}
    wide = [{"action_intensity": 0.5}] * lull + [{"action_intensity": 5.5, **hot}] * burst + \
        [{"action_intensity": 0.5}] * after
    close = [{"action_intensity": 1.5}] * lull + [{"action_intensity": 9.0, **hot}] * burst + \
        [{"action_intensity": 1.5}] * after
    crowd = [{"action_intensity": 2.5, "crowd_energy": 0.05}] * lull + \
        [{"action_intensity": 9.5, "crowd_energy": 0.85, **hot}] * burst + \
        [{"action_intensity": 8.0, "crowd_energy": 0.8}] * 2 + [{"action_intensity": 2.5, "crowd_energy": 0.05}] * 14
    f = table({"A": wide, "B": close, "C": crowd}, n)
    g = build_grid(f, angles_of({"A": "wide", "B": "closeup", "C": "crowd"}, n * 2.0))
    for strategy in ("hysteresis", "optimal"):
        tl = build_timeline(g, builtin_profile("sports"), strategy=strategy)
        # wide; the closeup takes the burst, the wide ends it punched in; the crowd while it cheers; wide
        assert [tl.angle_at(t * 1000) for t in (5, 15, 21, 27, 29, 31, 33, 50)] == ["A", "A", "B", "A", "C", "C", "A", "A"], \
            (strategy, tl.segments)
        assert [(z.start_ms, z.video_id) for z in tl.zooms] == [(24000, "A")]
        assert tl.meta["crowd_share"] <= 0.15 and tl.meta["reactions"] == [[28000, 32000]]
    # the same lull and no cheer: the crowd is never seen
    quiet = table({"A": wide, "B": close, "C": [{"action_intensity": 2.5, "crowd_energy": 0.05}] * n}, n)
    quiet = quiet.with_columns(audio_events=pl.lit([], dtype=pl.List(pl.Utf8)), key_moment=pl.lit(False))
    tl = build_timeline(build_grid(quiet, g.angles), builtin_profile("sports"))
    assert "C" not in {s.video_id for s in tl.segments}


def test_conference_follows_the_microphone_that_hears_the_voice_and_goes_wide_on_crosstalk():
    n = 30
    s1 = [{"speech": 0.9}] * 10 + [{"speech": 0.3}] * 10 + [{"speech": 0.8}] * 10
    s2 = [{"speech": 0.25}] * 10 + [{"speech": 0.9}] * 10 + [{"speech": 0.8}] * 10
    f = table({"W": [{"speech": 0.4}] * n, "P1": s1, "P2": s2}, n)
    g = build_grid(f, angles_of({"W": "wide", "P1": "closeup", "P2": "closeup"}, n * 2.0))
    tl = build_timeline(g, builtin_profile("conference"))
    at = {t: tl.angle_at(t * 1000) for t in (10, 30, 50)}
    assert at == {10: "P1", 30: "P2", 50: "W"}


def test_no_segment_uses_an_angle_before_its_footage_starts():
    n = 20
    f = table({"A": [{"action_intensity": 2.0}] * n, "B": [{"action_intensity": 9.5, "faces": 1}] * n}, n)
    angles = [angle("A", "wide", 0.0, 0.0, 40.0), angle("B", "closeup", 7.25, 0.0, 20.0)]
    g = build_grid(f, angles)
    for strategy in ("hysteresis", "optimal"):
        tl = build_timeline(g, builtin_profile("sports"), strategy=strategy)
        for s in tl.segments:
            assert g.covers([a.video_id for a in angles].index(s.video_id), s.start_ms / 1000, s.end_ms / 1000)
        assert "B" in {s.video_id for s in tl.segments}


def test_ad_slot_scored_as_the_platform_says_and_kept_off_the_edges():
    n = 60  # 120 s
    quiet = {"action_intensity": 2.0, "audio_events": ["silence"], "visual_complexity": 0.2}
    rows = [{"action_intensity": 6.0}] * 20 + [quiet] * 5 + [{"action_intensity": 6.0}] * 35
    f = table({"A": rows}, n)
    g = build_grid(f, angles_of({"A": "wide"}, n * 2.0))
    tl = build_timeline(g, builtin_profile("sports"))
    assert [s.timestamp_ms for s in tl.ad_slots] == [40000]
    assert tl.ad_slots[0].score == 80.0  # action 40 + break audio 25 + low complexity 15
    # speech halves it below the threshold
    rows2 = [{"action_intensity": 6.0}] * 20 + [dict(quiet, speech=0.9)] * 5 + [{"action_intensity": 6.0}] * 35
    g2 = build_grid(table({"A": rows2}, n), angles_of({"A": "wide"}, n * 2.0))
    assert build_timeline(g2, builtin_profile("sports")).ad_slots == ()


def test_zoom_intensity_is_the_angles_own_top_decile_and_ignores_a_flat_angle():
    rng = np.random.default_rng(4)
    peaks = np.where(np.arange(100) % 10 == 0, 5.5, rng.uniform(0.0, 1.0, 100))  # a wide angle peaking near 6
    flat = 5.0 + rng.normal(0, 0.2, 100)  # no window stands out
    action = np.stack([peaks, flat, peaks * 1.7])
    lv = relative_levels(action, np.ones_like(action, dtype=bool), top_share=0.1, min_contrast=2.0)
    assert ((lv[0] >= 8) == (peaks == 5.5)).all()  # its top decile, whatever its scale
    assert lv[1].max() < 8.0
    top = peaks == 5.5  # the same levels at any analyser scale, where a window stands out by the contrast
    assert np.allclose(lv[2][top], lv[0][top]) and ((lv[2] >= 8) == (lv[0] >= 8)).all()
    raw = relative_levels(action, np.ones_like(action, dtype=bool), top_share=0.0, min_contrast=2.0)
    assert (raw == action).all()  # zoom_top_share 0: the analyser's own numbers, as the seed read them


def test_beats_snap_cuts_within_tolerance():
    f, angles, _ = hot_angle_features(240, seed=3)
    g = build_grid(f, angles)
    p = builtin_profile("sports")
    plain = build_timeline(g, p)
    beats = event_beats(list(np.arange(0.1, 60, 0.5)), 60.0, g.duration_ms / 1000)
    snapped = build_timeline(g, p, beats_s=beats)
    assert snapped.beat_synced and len(plain.segments) == len(snapped.segments)
    moved = 0
    for a, b in zip(plain.segments[1:], snapped.segments[1:], strict=True):
        assert abs(a.start_ms - b.start_ms) <= 200
        if a.start_ms != b.start_ms:
            moved += 1
            assert min(abs(b.start_ms / 1000 - x) for x in beats) < 1e-3
    assert moved >= len(plain.segments) // 2


def test_profiles_refuse_bad_values_naming_the_field():
    base = builtin_profile("sports").to_dict()
    for change, field in [({"min_segment_ms": -1}, "min_segment_ms"), ({"base": {"drone": 3}}, "base.drone"),
                          ({"hysteresis": 9}, "hysteresis"), ({"ad_weights": {"action": 90, "audio": 90}}, "ad_weights"),
                          ({"fallback_angle": "sky"}, "fallback_angle"), ({"zoom_factor": "big"}, "zoom_factor"),
                          ({"max_segment_ms": 1000}, "max_segment_ms"), ({"surprise": 1}, "surprise"),
                          ({"crowd_max_share": 1.5}, "crowd_max_share"), ({"crowd_max_share": "15 %"}, "crowd_max_share"),
                          ({"zoom_top_share": 0.9}, "zoom_top_share"), ({"burst_angle": "sky"}, "burst_angle"),
                          ({"zoom_burst_tail": "yes"}, "zoom_burst_tail"), ({"reaction_ms": -1}, "reaction_ms"),
                          ({"burst_level": 12}, "burst_level"), ({"zoom_min_contrast": -1}, "zoom_min_contrast")]:
        with pytest.raises(ValidationError, match=field):
            validate_profile({**base, **change})


def test_every_builtin_profile_loads_and_says_what_its_audience_expects():
    ps = {n: builtin_profile(n) for n in BUILTIN}
    assert ps["concert"].cut_on_beats and ps["concert"].min_segment_ms < ps["sports"].min_segment_ms
    assert ps["wedding"].min_segment_ms > ps["sports"].min_segment_ms
    assert ps["conference"].crosstalk_margin > 0 and ps["conference"].speech_gain
    # sports: the crowd capped at 15 % and only as a reaction; the zoom on each angle's own scale
    assert ps["sports"].crowd_max_share == 0.15 and ps["sports"].reaction_ms > 0 and not ps["sports"].lull_bonus
    assert ps["sports"].burst_angle == "closeup" and ps["sports"].zoom_top_share == 0.1


def test_both_strategies_follow_the_hot_angle_most_of_the_time():
    f, angles, truth = hot_angle_features(600, seed=11)
    g = build_grid(f, angles)
    for strategy in ("hysteresis", "optimal"):
        tl = build_timeline(g, builtin_profile("sports"), strategy=strategy)
        q = edit_quality(tl.segments, truth.stretches, [a.video_id for a in angles], fallback=truth.fallback)
        assert q["on_shot"] >= 0.85, (strategy, q)


# --- properties over random feature tables ----------------------------------------------------

@st.composite
def scenarios(draw):
    n_extra = draw(st.integers(0, 3))
    dur = draw(st.floats(30.0, 400.0))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    angles = [angle("w", "wide", 0.0, draw(st.floats(-300, 300)), dur)]
    types = ["closeup", "medium", "crowd", "goal"]
    for i in range(n_extra):
        start = draw(st.floats(-20.0, dur * 0.8))
        length = draw(st.floats(3.0, dur * 1.2))
        angles.append(angle(f"v{i}", types[i % 4], start, draw(st.floats(-300, 300)), length))
    rows = []
    for a in angles:
        m = int(np.ceil(a.duration_s / 2.0))
        act = np.clip(rng.normal(5, 3, m), 0, 10)
        rows.append(pl.DataFrame({
            "video_id": [a.video_id] * m, "t_ms": (np.arange(m) * W).astype(np.int64), "action_intensity": act,
            "scene_cut": rng.random(m) < 0.1, "scene_type": rng.choice(["static", "transition", "pan"], m).tolist(),
            "faces": rng.integers(0, 3, m).astype(np.int32), "speech": rng.random(m), "crowd_energy": rng.random(m),
            "audio_events": [list(rng.choice(["cheer", "silence", "whistle"], int(rng.integers(0, 3)), replace=False))
                             for _ in range(m)],
            "visual_complexity": rng.random(m), "key_moment": rng.random(m) < 0.05, "description": ["x"] * m,
        }, schema_overrides={"faces": pl.Int32}))
    min_ms = draw(st.integers(2000, 8000))
    profile = builtin_profile(draw(st.sampled_from(BUILTIN))).with_changes(
        min_segment_ms=min_ms, hysteresis=draw(st.floats(0.0, 1.0)),
        max_segment_ms=draw(st.integers(2 * min_ms + W, 60000)))
    beats = list(np.arange(draw(st.floats(0, 0.5)), dur + 1, draw(st.floats(0.3, 1.0)))) if draw(st.booleans()) else []
    return pl.concat(rows), angles, profile, draw(st.sampled_from(["hysteresis", "optimal"])), beats


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_timeline_properties_hold_on_random_feature_tables(case):
    feats, angles, p, strategy, beats = case
    g = build_grid(feats, angles, p.window_ms)
    tl = build_timeline(g, p, strategy=strategy, beats_s=beats)
    segs = tl.segments
    ids = [a.video_id for a in angles]
    # tiling: no gap, no overlap, whole event
    assert segs[0].start_ms == 0 and segs[-1].end_ms == g.duration_ms
    assert all(a.end_ms == b.start_ms for a, b in zip(segs, segs[1:], strict=False))
    assert all(s.duration_ms > 0 for s in segs)
    # never on an angle without footage (the wide covers the whole event, so there is always one)
    for s in segs:
        assert g.covers(ids.index(s.video_id), s.start_ms / 1000, s.end_ms / 1000), s
    # minimum and maximum durations, except where footage ends (forced) or the event is shorter
    for i, s in enumerate(segs):
        a = ids.index(s.video_id)
        forced_out = not g.covers(a, s.start_ms / 1000, s.end_ms / 1000 + p.window_ms / 1000)
        forced_in = i > 0 and not g.covers(ids.index(segs[i - 1].video_id), segs[i - 1].start_ms / 1000,
                                           s.start_ms / 1000 + p.window_ms / 1000)
        if s.duration_ms < p.min_segment_ms:
            assert forced_out or forced_in or g.duration_ms < 2 * p.min_segment_ms, (i, s)
        if s.duration_ms > p.max_segment_ms:
            # under a crowd cap the crowd is no cut-away: it only reacts to cheers
            others = [j for j in range(len(angles)) if j != a and g.covers(j, s.start_ms / 1000, s.end_ms / 1000)
                      and not (p.crowd_max_share < 1 and angles[j].angle_type == "crowd")]
            assert not others or g.duration_ms < p.max_segment_ms + p.min_segment_ms, (i, s)
    # the crowd cap holds, but for the windows where the crowd alone has footage
    if p.crowd_max_share < 1:
        crowd_ms = sum(s.duration_ms for s in segs if s.angle_type == "crowd")
        alone = [k for k in range(g.n) if g.eligible[:, k].any()
                 and all(a.angle_type == "crowd" for a, e in zip(angles, g.eligible[:, k], strict=True) if e)]
        assert crowd_ms <= p.crowd_max_share * g.duration_ms + (len(alone) + 2 * p.min_segment_ms / W) * W, \
            (crowd_ms, g.duration_ms, len(alone))
    # beat snapping: a cut is on the window grid or on a beat within tolerance
    for s in segs[1:]:
        on_grid = s.start_ms % p.window_ms == 0
        on_beat = bool(beats) and min(abs(s.start_ms / 1000 - b) for b in beats) < 1e-3
        assert on_grid or on_beat
    # ad slots: threshold, edges, spacing, count per 4 minutes
    ts = [a.timestamp_ms for a in tl.ad_slots]
    for a in tl.ad_slots:
        assert a.score >= p.ad_threshold
        assert a.timestamp_ms >= p.ad_edge_ms and a.timestamp_ms + a.duration_ms <= g.duration_ms - p.ad_edge_ms
    assert all(b - a >= p.ad_min_spacing_ms for a, b in zip(ts, ts[1:], strict=False))
    assert all(ts[i + p.ad_max_per_4min] - ts[i] >= FOUR_MIN_MS for i in range(len(ts) - p.ad_max_per_4min))
    # chapters: the start first, then spaced (the profile's spacing, scaled down on short events)
    cs = [c.timestamp_ms for c in tl.chapters]
    spacing = chapter_spacing_ms(p, g.duration_ms)
    assert min(p.chapter_min_spacing_ms, 15_000) <= spacing <= p.chapter_min_spacing_ms
    assert cs[0] == 0 and all(b - a >= spacing for a, b in zip(cs, cs[1:], strict=False))
    # zooms: on zoomable shots, inside them, spaced
    zs = [z.start_ms for z in tl.zooms]
    assert all(b - a >= p.zoom_min_spacing_ms for a, b in zip(zs, zs[1:], strict=False))
    for z in tl.zooms:
        s = next(s for s in segs if s.start_ms <= z.start_ms < s.end_ms)
        assert s.angle_type in p.zoom_angle_types and z.start_ms + z.duration_ms <= s.end_ms


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_hysteresis_switches_only_when_the_new_angle_beats_the_current_by_the_threshold(case):
    feats, angles, p, _, _ = case
    g = build_grid(feats, angles, p.window_ms)
    sc = score_grid(g, p)
    runs = choose_runs(g, p, sc, "hysteresis")
    mn, mx = window_limits(p)
    for (a, s0, k), (b, _, _) in zip(runs, runs[1:], strict=False):
        forced = not g.eligible[a, k]
        long = k - s0 >= mx or k - s0 + (g.n - k) > mx
        if not forced and not long:
            # the threshold is met at the cut, or one window later with the cut dated back to where
            # the new angle already led (offline back-dating, switch.hysteresis_runs)
            at_cut = beats_by(sc.effective[b, k], sc.effective[a, k], p.hysteresis)
            dated_back = (k + 1 < g.n and sc.effective[b, k] > sc.effective[a, k]
                          and beats_by(sc.effective[b, k + 1], sc.effective[a, k + 1], p.hysteresis))
            assert at_cut or dated_back


def test_an_ad_break_is_scored_by_its_worst_moment_including_the_one_after_it():
    from anchor_core.timeline.moments import slot_scores

    window = np.array([80.0, 80.0, 30.0, 80.0, 80.0, 80.0])
    # a 2-window break at 0 would run into the talk at window 2: it scores the talk's 30
    assert slot_scores(window, 2).tolist() == [30.0, 30.0, 30.0, 80.0, 80.0, 80.0]


@pytest.mark.parametrize("peak", [3.0, 6.0])
def test_chapters_and_ad_breaks_read_the_action_on_the_zooms_relative_scale(peak):
    """An analyser whose wide angle peaks near 6 (or, a lower-scaled one, near 3) still makes the
    peak a chapter and keeps the ad break out of it: both read the angle's top decile as 8, as the
    zoom does. On the raw numbers the peak never reached the chapter's 8, and a peak at 3 read
    as a calm spot for a break."""
    from anchor_core.timeline.intensity import event_peak

    n = 200  # 400 s: room for two breaks more than four minutes apart
    rng = np.random.default_rng(7)
    calm = peak * (0.12 + 0.1 * rng.random(n))
    rows = [{"action_intensity": float(calm[k])} for k in range(n)]
    for k in range(40, 45):  # 80-90 s: the play peaks and the crowd cheers (low complexity: a wide shot)
        rows[k] = {"action_intensity": peak, "audio_events": ["cheer"], "visual_complexity": 0.2}
    for k in range(175, 179):  # 350-358 s: a timeout on a quiet wide shot
        rows[k] = {"action_intensity": float(calm[k]), "audio_events": ["timeout"], "visual_complexity": 0.2}
    g = build_grid(table({"A": rows}, n), angles_of({"A": "wide"}, n * 2.0))
    p = builtin_profile("sports")
    assert event_peak(g, p)[40:45].min() >= p.chapter_action and event_peak(g, p)[175] <= 3.0
    tl = build_timeline(g, p)
    highlights = [c for c in tl.chapters if c.kind == "highlight"]
    assert len(highlights) == 1 and 70_000 <= highlights[0].timestamp_ms <= 88_000, tl.chapters
    assert "cheer" in highlights[0].title.lower()
    assert [s.timestamp_ms for s in tl.ad_slots] == [350_000]  # the timeout, not the peak
    assert not any(s.timestamp_ms < 90_000 + 2000 and s.timestamp_ms + s.duration_ms > 80_000 for s in tl.ad_slots)


def test_a_new_builtin_profile_wins_over_an_edit_saved_under_the_old_one(catalog):
    """A catalog from before the sports cut: the old built-in sports v1 and a user's edit of it
    saved as sports v2. The shipped sports v2 must not be shadowed by the edit that took its
    number: it lands on top, the edit stays stored, and a later edit builds on the new one."""
    import json

    from anchor_core.timeline import latest_profile, save_profile
    from anchor_core.timeline.profile import same_rules
    from anchor_core.timeline.profiles_store import ensure_builtin_profiles, get_profile

    shipped = builtin_profile("sports")
    assert shipped.version == 2
    old = shipped.with_changes(version=1, burst_angle="", zoom_burst_tail=False, reaction_ms=0, crowd_max_share=1.0)
    edit = old.with_changes(version=2, hysteresis=0.5)
    with catalog.transaction() as cur:  # the rows as the previous version wrote them
        cur.execute("INSERT INTO profiles (id, name, event_type, version, body) VALUES ('prof_old', 'sports', 'sports',"
                    " 1, ?)", [json.dumps(old.to_dict())])
        cur.execute("INSERT INTO profiles (id, name, event_type, version, body, parent_id) VALUES ('prof_edit',"
                    " 'sports', 'sports', 2, ?, 'prof_old')", [json.dumps(edit.to_dict())])
    pid, latest = latest_profile(catalog, "sports")
    assert same_rules(latest, shipped) and latest.version == 3 and pid not in ("prof_old", "prof_edit")
    assert get_profile(catalog, "prof_edit").hysteresis == 0.5  # the user's edit is kept, by its id
    ensure_builtin_profiles(catalog)  # seeding again stores nothing
    assert catalog.frame("SELECT count(*) AS n FROM profiles WHERE name = 'sports'")["n"][0] == 3
    mine_id, mine = save_profile(catalog, latest.with_changes(hysteresis=0.4))
    assert mine.version == 4 and latest_profile(catalog, "sports") == (mine_id, mine)  # a later edit wins
    assert catalog.frame("SELECT parent_id FROM profiles WHERE id = ?", [mine_id])["parent_id"][0] == pid
    ensure_builtin_profiles(catalog)
    assert latest_profile(catalog, "sports")[0] == mine_id


def test_a_fresh_catalog_holds_each_builtin_profile_at_its_shipped_version(catalog):
    from anchor_core.timeline import latest_profile

    for name in BUILTIN:
        _, p = latest_profile(catalog, name)
        assert p == builtin_profile(name)
