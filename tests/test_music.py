from __future__ import annotations

import json

import numpy as np
import pytest

from anchor_core.cli import main as anchor
from anchor_core.music import analyze_music, analyze_samples, snap_to_beats
from tests.beatgen import fmeasure, track


@pytest.mark.parametrize(("bpms", "swing"), [((84,), 0.0), ((128,), 0.0), ((174,), 0.0), ((90,), 0.1)])
def test_generated_tracks_give_tempo_within_2_percent_and_beats_f_at_least_0_9(bpms, swing):
    y, beats = track(bpms, 40, swing)
    a = analyze_samples(y)
    assert abs(a.tempo_bpm - bpms[0]) / bpms[0] <= 0.02, a.tempo_bpm
    assert fmeasure(a.beats_s, beats) >= 0.9
    assert a.meter == 4 and a.downbeats_s  # the kick on 1 and 3 makes the bar clear
    assert len(a.intensity) == int(np.ceil(a.duration_s / 2.0)) and max(a.intensity) == 1.0


def test_demo_music_track(demo_media):
    media, truth = demo_media
    a = analyze_music(str(media / truth["music"]["file"]))
    assert abs(a.tempo_bpm - truth["music"]["tempo_bpm"]) / truth["music"]["tempo_bpm"] <= 0.02
    assert fmeasure(a.beats_s, truth["music"]["beats"]) >= 0.9


def test_snap_moves_cuts_to_beats_within_tolerance_only():
    beats = np.arange(0, 60, 0.5)
    cuts = [4.1, 10.37, 20.49, 30.25]
    out = snap_to_beats(cuts, beats, tolerance_s=0.2)
    assert out == [4.0, 10.5, 20.5, 30.25]  # 30.25 is 0.25 from any beat: left alone
    assert all(abs(a - b) <= 0.2 + 1e-9 for a, b in zip(out, cuts, strict=True))


def test_snap_never_makes_a_segment_shorter_than_the_minimum():
    beats = [3.8, 4.3, 8.1]
    # Snapping 4.1 -> 3.8 would leave a 3.8 s first segment with min 4 s: it must stay or go to 4.3.
    out = snap_to_beats([4.1, 8.0], beats, tolerance_s=0.3, min_segment_s=4.0, start_s=0.0, end_s=20.0)
    assert out[0] >= 4.0 and out[1] - out[0] >= 4.0 - 1e-9


def test_cli_music_ingests_and_stores_the_analysis(tmp_path, capsys):
    from anchor_core.media.encode import encode_audio, write_wav

    y, _ = track((128,), 20)
    wav = write_wav(tmp_path / "m.wav", y / np.max(np.abs(y)) * 0.8, 22050)
    song = encode_audio(wav, tmp_path / "song.m4a")
    home = str(tmp_path / "home")
    anchor(["--home", home, "event", "create", "Gig", "--type", "concert"])
    event_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert anchor(["--home", home, "-q", "music", event_id, str(song), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["tempo_bpm"] - 128) / 128 <= 0.02 and out["beats"] > 30
    assert len(out["beats_s"]) == out["beats"] and np.all(np.diff(out["beats_s"]) > 0)  # the times, not only a count
    # without --json: one readable line and the id last, and a progress line on stderr
    assert anchor(["--home", home, "music", event_id, str(song)]) == 0
    text = capsys.readouterr()
    assert not text.out.lstrip().startswith("{") and "BPM" in text.out and "music: 100.0%" in text.err
    assert anchor(["--home", home, "event", "show", event_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert abs(shown["event"]["music_metadata"]["tempo_bpm"] - 128) / 128 <= 0.02
