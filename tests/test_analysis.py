"""The local analyzer measured against media with known answers."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
import pytest

from anchor_core.analysis import AnalysisParams, analyze_event, analyze_file
from anchor_core.analysis.shots import detect_cuts
from anchor_core.errors import MediaError
from anchor_core.media import decode_audio
from tests.mediagen import make_clip


def _expected_cuts(fixtures_dir, name):
    exp = json.loads((fixtures_dir / "scenes" / "expected.json").read_text())["videos"][name]
    for v in exp.values():
        if "scene_starts_s" in v:
            return v["scene_starts_s"][1:]
    raise AssertionError(name)


@pytest.mark.parametrize(("name", "frame_s"), [("testvideo.mp4", 1001 / 30000), ("goldeneye-vfr-drop3.mp4", 1001 / 24000)])
def test_hard_cuts_are_found_within_one_frame(fixtures_dir, name, frame_s):
    m = analyze_file(fixtures_dir / "scenes" / name)
    want = _expected_cuts(fixtures_dir, name)
    assert len(m.cuts_s) == len(want), (m.cuts_s, want)
    for got, exp in zip(m.cuts_s, want, strict=True):
        assert abs(got - exp) <= frame_s + 1e-3, (got, exp)
    # the windows holding them say so
    cut_windows = {int(c * 1000) // m.window_ms for c in m.cuts_s}
    assert {k for k, c in enumerate(m.cut) if c} == cut_windows


def test_fades_are_reported_as_fades_not_cuts(fixtures_dir):
    m = analyze_file(fixtures_dir / "scenes" / "fades.mp4")
    assert m.cuts_s == []
    assert not any(m.cut)
    kinds = {k for _, _, k in m.fades}
    assert kinds == {"fade in", "fade out"}
    # ThresholdDetector's fade boundaries (frames 84 and 167 at 25 fps) lie inside reported fades or
    # between a fade out and the next fade in.
    spans = sorted((a, b) for a, b, _ in m.fades)
    for t in (84 / 25, 167 / 25):
        assert any(a - 0.5 <= t <= b + 0.5 for a, b in spans), (t, spans)


def test_motion_burst_towers_over_neighbours_but_flash_is_no_cut():
    t = np.arange(40) / 30
    content = np.full(40, 2.0)
    persist = np.full(40, 3.0)
    content[10], persist[10] = 60.0, 60.0  # a cut: the new picture stays
    content[25], persist[25] = 60.0, 2.0  # a flash: the next frame is back to the old picture
    cuts = detect_cuts(t, content, persist)
    assert list(np.round(cuts, 4)) == [round(t[10], 4)]
    busy = np.full(40, 20.0)  # fast motion everywhere: nothing towers
    assert len(detect_cuts(t, busy, busy)) == 0


@pytest.fixture(scope="module")
def analysed_demo(demo_media, tmp_path_factory):
    from tests.demo_event import demo_home

    home = tmp_path_factory.mktemp("analysed")
    settings, cat, store, demo = demo_home(demo_media[0], home)
    with ThreadPoolExecutor(2) as ex:
        t0 = time.perf_counter()
        result = analyze_event(cat, store, demo.event_id, executor=ex)
        first_s = time.perf_counter() - t0
    yield {"cat": cat, "store": store, "demo": demo, "truth": demo_media[1], "result": result, "first_s": first_s,
           "home": home}
    cat.close()


def _angle(demo, name):
    f = demo["result"].features
    vid = demo["demo"].videos[name]
    a = demo["truth"]["angles"][name]
    g = f.filter(pl.col("video_id") == vid).sort("t_ms")
    # event time of each window's middle
    mid = a["offset_s"] + (g["t_ms"].to_numpy() / 1000 + 1.0) * (1 + a["drift_ppm"] * 1e-6)
    return g, mid, a


def _inside(t, spans, margin=0.0):
    return np.array([any(s - margin <= x <= e + margin for s, e in spans) for x in t])


def test_feature_table_has_the_contract_columns_for_every_angle(analysed_demo):
    f = analysed_demo["result"].features
    assert f.columns == ["video_id", "t_ms", "action_intensity", "scene_cut", "scene_type", "faces", "speech",
                         "crowd_energy", "audio_events", "visual_complexity", "key_moment", "description"]
    stored = analysed_demo["cat"].frame("SELECT * FROM features ORDER BY video_id, t_ms")
    assert stored.height == f.height > 150
    assert f["action_intensity"].min() >= 0 and f["action_intensity"].max() <= 10
    for col in ("speech", "crowd_energy", "visual_complexity"):
        assert f[col].min() >= 0 and f[col].max() <= 1
    assert f.filter(pl.col("description") != "").height == f.height
    # nobody claps and no band plays in the demo match: the roar at the bursts is neither
    assert not any("applause" in ev or "music" in ev for ev in f["audio_events"].to_list())


@pytest.mark.parametrize("name", ["wide", "closeup", "crowd"])
def test_action_bursts_are_the_most_intense_windows_and_idle_scores_low(analysed_demo, name):
    g, mid, _ = _angle(analysed_demo, name)
    bursts = analysed_demo["truth"]["action_bursts"]
    act = g["action_intensity"].to_numpy()
    in_burst = _inside(mid, bursts, margin=-0.9)  # the whole window inside
    clear = ~_inside(mid, bursts, margin=3.0)
    idle = _inside(mid, analysed_demo["truth"]["idle"], margin=-1.0)
    assert in_burst.sum() >= 6 and idle.sum() >= 6
    assert act[in_burst].min() > act[clear].max(), (act[in_burst].min(), act[clear].max())
    assert act[idle].max() < 3.0
    assert act[idle].mean() < 0.35 * act[in_burst].mean()


def test_whistles_are_found_within_one_second(analysed_demo):
    truth = analysed_demo["truth"]
    cat = analysed_demo["cat"]
    for name, vid in analysed_demo["demo"].videos.items():
        a = truth["angles"][name]
        detail = json.loads(cat.frame("SELECT detail FROM feature_runs WHERE video_id = ?", [vid])["detail"][0])
        onsets = [a["offset_s"] + s * (1 + a["drift_ppm"] * 1e-6) for s, _ in detail["measures"]["whistles_s"]]
        covered = [w for w in truth["whistles"] if a["offset_s"] + 0.5 < w < a["offset_s"] + a["duration_s"] - 1.5]
        assert len(covered) >= 4
        for w in covered:
            assert min(abs(o - w) for o in onsets) <= 1.0, (name, w, onsets)
        for o in onsets:  # nothing else is called a whistle
            assert min(abs(o - w) for w in truth["whistles"]) <= 1.0, (name, o)
        g, mid, _ = _angle(analysed_demo, name)
        tagged = mid[["whistle" in ev for ev in g["audio_events"].to_list()]]
        assert len(tagged) == len(onsets)


def test_speech_is_found_and_the_near_microphone_hears_it_most(analysed_demo):
    speech = analysed_demo["truth"]["speech"]
    g, mid, _ = _angle(analysed_demo, "wide")  # the announcer stands by the wide camera's microphone
    sp = g["speech"].to_numpy()
    inside = _inside(mid, speech, margin=-1.0)
    outside = ~_inside(mid, speech, margin=2.0)
    assert np.mean(sp[inside] >= 0.5) >= 0.8
    assert np.mean(sp[outside] < 0.3) >= 0.95
    tagged = np.array(["speech" in ev for ev in g["audio_events"].to_list()])
    assert np.array_equal(tagged, sp >= 0.3)
    for other in ("closeup", "crowd"):
        go, mo, _ = _angle(analysed_demo, other)
        o_inside = _inside(mo, speech, margin=-1.0)
        assert np.median(go["speech"].to_numpy()[o_inside]) < 0.5 * np.median(sp[inside]), other


def test_second_run_comes_from_the_cache_and_a_parameter_change_recomputes(analysed_demo):
    cat, store, demo = analysed_demo["cat"], analysed_demo["store"], analysed_demo["demo"]
    t0 = time.perf_counter()
    again = analyze_event(cat, store, demo.event_id)
    took = time.perf_counter() - t0
    assert again.computed == [] and sorted(again.cached) == sorted(demo.videos.values())
    assert again.features.equals(analysed_demo["result"].features)
    assert took < analysed_demo["first_s"] / 5
    finer = analyze_event(cat, store, demo.event_id, params=AnalysisParams(window_ms=1000))
    assert sorted(finer.computed) == sorted(demo.videos.values())
    assert finer.features.height > 1.8 * analysed_demo["result"].features.height
    # back to the defaults for the other tests (recomputed: the cache holds the last parameters)
    analyze_event(cat, store, demo.event_id)


def test_analyze_command_prints_every_angle(analysed_demo, capsys):
    from anchor_core.cli import main

    analysed_demo["cat"].close()
    try:
        code = main(["--home", str(analysed_demo["home"]), "-q", "analyze", analysed_demo["demo"].event_id, "--json"])
        out = json.loads(capsys.readouterr().out)
    finally:
        analysed_demo["cat"] = type(analysed_demo["cat"])(analysed_demo["cat"].path)
    assert code == 0
    assert sorted(r["angle"] for r in out["angles"]) == ["closeup", "crowd", "wide"]
    assert all(r["source"] == "cache" for r in out["angles"])
    assert main(["--home", str(analysed_demo["home"]), "analyze", "no-such-event"]) == 1


def test_a_file_without_audio_gets_video_features_and_empty_audio_features(tmp_path):
    clip = make_clip(tmp_path / "silent.mp4", seconds=5.0, width=320, height=180, fps=25, audio=False)
    m = analyze_file(clip)
    assert not m.has_audio
    assert len(m.t_ms) == 3 and sum(m.motion) > 0
    from anchor_core.analysis import feature_table

    f = feature_table({"v": m})
    assert f["speech"].sum() == 0 and f["crowd_energy"].sum() == 0
    assert f["audio_events"].to_list() == [[], [], []]
    assert f["action_intensity"].max() > 0


def test_a_damaged_angle_is_reported_and_the_others_are_analysed(tmp_path, demo_media):
    from tests.demo_event import demo_home

    settings, cat, store, demo = demo_home(demo_media[0], tmp_path)
    try:
        broken = demo.videos["crowd"]
        path = store.path_for(cat.frame("SELECT object_key FROM videos WHERE id = ?", [broken])["object_key"][0])
        path.write_bytes(b"\x00" * 4096)  # damaged on disk after ingest
        with ThreadPoolExecutor(2) as ex:
            res = analyze_event(cat, store, demo.event_id, executor=ex,
                                params=AnalysisParams(width=160, face_interval_s=4.0))
        assert list(res.failed) == [broken] and "crowd" in res.failed[broken]
        assert set(res.features["video_id"].unique()) == {demo.videos["wide"], demo.videos["closeup"]}
        status = dict(cat.frame("SELECT id, status FROM videos").iter_rows())
        assert status[broken] == "failed" and status[demo.videos["wide"]] == "analyzed"
        with pytest.raises(MediaError):
            analyze_file(path)
    finally:
        cat.close()


def test_timeline_on_analysed_demo_follows_bursts_with_the_closeup_and_breaks_for_an_ad(analysed_demo):
    from anchor_core.timeline import timeline_event
    from tests.demo_event import write_truth_sync

    cat, demo, truth = analysed_demo["cat"], analysed_demo["demo"], analysed_demo["truth"]
    write_truth_sync(cat, demo.videos, truth)
    _, tl = timeline_event(cat, demo.event_id)
    closeup = demo.videos["closeup"]
    for s, e in truth["action_bursts"]:
        on = sum(max(0, min(seg.end_ms, e * 1000) - max(seg.start_ms, s * 1000))
                 for seg in tl.segments if seg.video_id == closeup)
        assert on >= 0.5 * (e - s) * 1000, (s, e, tl.segments)
    quiet = [(a, b) for a, b in truth["idle"] if not any(x < b and a < y for x, y in truth["speech"])]
    assert tl.ad_slots and all(any(a <= slot.timestamp_ms / 1000 and (slot.timestamp_ms + slot.duration_ms) / 1000 <= b
                                   for a, b in quiet + [(100.0, 110.0)]) for slot in tl.ad_slots)


def _applause(seconds: float, people: int, sr: int, rng) -> np.ndarray:
    """Hands clapping: each person a train of short decaying noise bursts at 3.5-5.5 claps/s."""
    from scipy import signal

    y = np.zeros(int(seconds * sr))
    m = int(0.012 * sr)
    shape = np.exp(-np.arange(m) / (0.003 * sr))
    for _ in range(people):
        rate, t, amp = rng.uniform(3.5, 5.5), rng.uniform(0, 0.3), rng.uniform(0.3, 1.0)
        while t < seconds - 0.02:
            i = int(t * sr)
            y[i:i + m] += rng.standard_normal(m) * shape * amp
            t += rng.uniform(0.9, 1.1) / rate
    return signal.sosfilt(signal.butter(2, [800, 7000], btype="band", fs=sr, output="sos"), y)


def test_applause_is_told_apart_from_a_roar_and_from_room_noise(tmp_path):
    from scipy import signal

    from anchor_core.media.encode import RawVideoWriter, write_wav

    sr, rng = 32000, np.random.default_rng(5)

    def norm(x, peak):
        return x / np.max(np.abs(x)) * peak

    room = norm(rng.standard_normal(4 * sr), 0.01)
    clap = norm(_applause(4.0, 40, sr, rng), 0.5)
    roar = norm(signal.sosfilt(signal.butter(4, [250, 3500], btype="band", fs=sr, output="sos"),
                               rng.standard_normal(4 * sr)), 0.5)
    track = np.concatenate([room, clap, roar, room]) + 0.005 * rng.standard_normal(16 * sr)
    wav = write_wav(tmp_path / "a.wav", track.astype(np.float32), sr)
    clip = tmp_path / "applause.mp4"
    with RawVideoWriter(clip, width=160, height=90, fps=10, audio_wav=wav) as w:
        for _ in range(160):
            w.write(np.full((90, 160, 3), 90, np.uint8))
    m = analyze_file(clip)
    flagged = [k for k, a in enumerate(m.applause) if a]
    assert flagged == [2, 3], flagged  # 4-8 s, and neither the roar (8-12 s) nor the room
    from anchor_core.analysis import feature_table

    events = feature_table({"v": m})["audio_events"].to_list()
    assert all("applause" in events[k] for k in flagged)


def test_music_is_called_music_not_speech_or_applause(tmp_path, demo_media):
    from anchor_core.media.encode import RawVideoWriter, write_wav

    media, truth = demo_media
    sr = 16000
    song = decode_audio(media / truth["music"]["file"], sr)[: 12 * sr]
    rng = np.random.default_rng(2)
    room = 0.01 * rng.standard_normal(4 * sr)
    wav = write_wav(tmp_path / "m.wav", np.concatenate([room, 0.8 * song, room]).astype(np.float32), sr)
    clip = tmp_path / "band.mp4"
    with RawVideoWriter(clip, width=160, height=90, fps=10, audio_wav=wav) as w:
        for _ in range(200):
            w.write(np.full((90, 160, 3), 60, np.uint8))
    m = analyze_file(clip)
    assert [k for k, v in enumerate(m.music) if v] == list(range(2, 8))  # 4-16 s
    from anchor_core.analysis import feature_table

    events = feature_table({"v": m})["audio_events"].to_list()
    assert all("music" in events[k] and "speech" not in events[k] and "applause" not in events[k]
               for k in range(2, 8))
