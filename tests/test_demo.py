from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from anchor_core.cli import main
from anchor_core.demo.timeline_truth import MatchScript
from anchor_core.media import decode_audio, iter_video_frames, probe
from tests.demo_event import event_shift


def test_demo_angles_probe_as_the_truth_describes(demo_media):
    media, truth = demo_media
    assert set(truth["angles"]) == {"wide", "closeup", "crowd"}
    for angle in truth["angles"].values():
        info = probe(media / angle["file"])
        assert info.video is not None and info.audio is not None
        assert info.video.codec == "h264" and info.audio.codec == "aac"
        assert info.video.display_size == (angle["width"], angle["height"])
        assert info.video.real_fps == pytest.approx(angle["fps"], rel=1e-3)
        assert info.video.frame_count == angle["frames"]
        assert info.audio.sample_rate == angle["sample_rate"]
        assert info.duration_s == pytest.approx(angle["duration_s"], abs=0.1)
    sizes = {(a["width"], a["height"], a["fps"]) for a in truth["angles"].values()}
    assert len(sizes) == 3  # every angle has its own resolution and frame rate


def test_demo_truth_is_consistent(demo_media):
    media, truth = demo_media
    d = truth["event_duration_s"]
    assert 120 <= d <= 180
    ref = truth["angles"][truth["reference"]]
    assert ref["offset_s"] == 0 and ref["drift_ppm"] == 0
    assert max(a["duration_s"] for a in truth["angles"].values()) == ref["duration_s"]
    assert any(a["offset_s"] < 0 for a in truth["angles"].values())  # one phone started early
    for a, b in truth["action_bursts"]:
        assert 0 < a < b < d
    assert all(0 < w < d for w in truth["whistles"])
    beats = np.asarray(truth["music"]["beats"])
    assert np.allclose(np.diff(beats), 60.0 / truth["music"]["tempo_bpm"], atol=1e-4)
    assert truth["music"]["downbeats"] == truth["music"]["beats"][::4]
    assert (media / truth["products"]["csv"]).is_file()


def test_whistle_flash_is_visible_in_the_wide_angle_at_the_whistle(demo_media):
    media, truth = demo_media
    wide = truth["angles"]["wide"]
    w0 = truth["whistles"][1]
    chunks = list(iter_video_frames(media / wide["file"], width=wide["width"], start_s=w0 - 0.5, duration_s=1.0))
    times = np.concatenate([c.times_s for c in chunks])
    frames = np.concatenate([c.frames for c in chunks])
    s = max(12, wide["height"] // 14)
    light = frames[:, 4 : 4 + s, wide["width"] - 2 * s : wide["width"] - 8].mean(axis=(1, 2))
    on = times[light > 128]
    assert on.size and abs(on[0] - w0) <= 1.0 / wide["fps"] + 1e-6
    assert on[-1] < w0 + truth["flash_s"] + 1.0 / wide["fps"]


def test_whistle_is_audible_in_each_angle_at_its_own_time(demo_media):
    media, truth = demo_media
    w0 = truth["whistles"][2]
    for angle in truth["angles"].values():
        own = (w0 - angle["offset_s"]) / (1 + angle["drift_ppm"] * 1e-6)
        sr = 16000
        audio = decode_audio(media / angle["file"], sr, start_s=own - 1.0, duration_s=2.0)
        spec = np.abs(np.fft.rfft(audio.reshape(-1, 400) * np.hanning(400), axis=1))
        f = np.fft.rfftfreq(400, 1 / sr)
        band = spec[:, (f > 2900) & (f < 3400)].mean(axis=1) / (spec.mean(axis=1) + 1e-9)
        onset = np.argmax(band > 3.0) * 400 / sr
        assert abs(onset - 1.0) < 0.05, angle["file"]


def test_short_script_excitement_marks_bursts_and_idle():
    s = MatchScript()
    t = np.array([22.0, 35.0, 5.0])
    ex = s.excitement(t)
    assert ex[0] == pytest.approx(1.0) and ex[1] < 0.05 and 0.05 < ex[2] < 0.5


def test_anchor_demo_runs_the_whole_offline_pipeline(demo_media, tmp_path, capsys):
    from anchor_core.media import probe

    media, truth = demo_media
    home = tmp_path / "home"
    shutil.copytree(media, home / "demo-media")
    assert main(["--home", str(home), "-q", "demo", "--json", "--no-report"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert set(first["angles"]) == {"wide", "closeup", "crowd"} and first["products"] == 4
    out = first["outputs"]
    master = probe(out["master"])
    # from the crowd phone's first frame (it starts before the wide reference) to the last footage
    span = truth["event_duration_s"] + event_shift(truth)
    assert abs(master.duration_s - span) < 0.1 and master.audio is not None
    assert 15 <= probe(out["reel"]).duration_s <= 22
    assert "segments" in out["timeline"] and int(out["timeline"].split("(")[1].split()[0]) >= 5
    for key in ("otio", "fcpxml", "edl", "vtt"):
        assert Path(out[key]).is_file() and Path(out[key]).stat().st_size > 100, key
    # the summary reports what was measured (close to the truth, but not copied from it)
    found = first["measured"]
    assert found["tempo_bpm"] and abs(found["tempo_bpm"] - truth["music"]["tempo_bpm"]) < 3
    for name, vid in first["angles"].items():
        m = found["angles"][vid]
        assert m["status"] == "synced", (name, m)
        assert abs(m["drift_ppm"] - truth["angles"][name]["drift_ppm"]) < 20
    # run again: the same event, nothing ingested twice
    assert main(["--home", str(home), "-q", "demo", "--json", "--only-setup"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["event_id"] == first["event_id"] and again["angles"] == first["angles"]
