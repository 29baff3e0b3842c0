from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anchor_core.cli import main as anchor
from anchor_core.media import decode_audio
from anchor_core.music import (
    MusicAnalysis,
    analyze_music,
    analyze_samples,
    load_beats,
    load_music_analysis,
    save_music_analysis,
    snap_to_beats,
    usable_beats,
)
from anchor_core.music.analysis import SR
from tests.beatgen import STYLES, fmeasure, piece, track

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "beats"
TRUTH = json.loads((FIXTURES / "truth.json").read_text())
STEADY = [k for k in TRUTH if k != "rubato"]


def _tempo_ok(got: float, want: float) -> bool:
    return abs(got / want - 1) <= 0.04  # an octave error is a failure


@pytest.mark.parametrize("name", STEADY)
def test_rendered_excerpts_give_beats_tempo_meter_and_downbeats(name):
    """Real instrument samples with human timing (tests/fixtures/beats/README.md)."""
    t = TRUTH[name]
    a = analyze_music(str(FIXTURES / t["file"]))
    assert fmeasure(a.beats_s, t["beats"]) >= 0.9, (name, a.tempo_bpm)
    assert _tempo_ok(a.tempo_bpm, t["tempo_bpm"]), (name, a.tempo_bpm, t["tempo_bpm"])
    assert a.meter == t["meter"] and not a.low_confidence, (name, a.meter, a.confidence)
    assert a.tempo_sections and a.tempo_sections[0][0] <= 1.0
    assert usable_beats(a) == a.beats_s
    assert fmeasure(a.downbeats_s, t["downbeats"]) >= 0.8, (name, a.downbeats_s[:3])  # the bar phase, not only the beats


@pytest.mark.parametrize(("name", "start_s"), [("swing", 1.7), ("pop", 2.6), ("country", 3.4), ("rock", 0.9)])
def test_rendered_downbeats_hold_when_the_excerpt_starts_mid_bar(name, start_s):
    """The bar phase comes from the music (harmony changing on one, kick and bass on one), not
    from where the file starts: a walking bass (swing) or a chord pushed onto the last off-beat
    (pop) must not move it."""
    t = TRUTH[name]
    y = decode_audio(str(FIXTURES / t["file"]), SR)[int(start_s * SR):]
    a = analyze_samples(y)
    downbeats = [d - start_s for d in t["downbeats"] if d >= start_s - 0.05]
    assert a.meter == 4 and fmeasure(a.downbeats_s, downbeats) >= 0.8, (name, start_s, a.downbeats_s[:3])


def test_rendered_waltz_is_in_three_with_its_downbeats():
    t = TRUTH["waltz"]
    a = analyze_music(str(FIXTURES / t["file"]))
    assert a.meter == 3 and fmeasure(a.downbeats_s, t["downbeats"]) >= 0.8


def test_rendered_tempo_change_gives_two_sections():
    t = TRUTH["tempo_change"]
    a = analyze_music(str(FIXTURES / t["file"]))
    assert len(a.tempo_sections) == 2, a.tempo_sections
    (s0, b0), (s1, b1) = a.tempo_sections
    assert _tempo_ok(b0, 92) and _tempo_ok(b1, 124) and abs(s1 - 16.05) <= 1.0


def test_rendered_rubato_piano_is_reported_as_low_confidence():
    a = analyze_music(str(FIXTURES / TRUTH["rubato"]["file"]))
    assert a.low_confidence and a.confidence < 0.5
    assert usable_beats(a) == []  # no grid to cut on
    assert a.to_dict()["low_confidence"] is True


@pytest.mark.parametrize("style", [s for s in STYLES if s != "rubato"])
def test_generated_styles_give_beats_and_tempo(style):
    y, t = piece(style)
    a = analyze_samples(y)
    assert fmeasure(a.beats_s, t["beats"]) >= 0.9, (style, a.tempo_bpm)
    assert _tempo_ok(a.tempo_bpm, t["tempo_bpm"]), (style, a.tempo_bpm, t["tempo_bpm"])
    assert a.meter == t["meter"] and not a.low_confidence
    assert fmeasure(a.downbeats_s, t["downbeats"]) >= 0.8, (style, a.downbeats_s[:3])  # pop: the bass anticipates one


def test_generated_rubato_is_low_confidence_and_waltz_in_three():
    assert analyze_samples(piece("rubato")[0]).low_confidence
    y, t = piece("waltz")
    a = analyze_samples(y)
    assert a.meter == 3 and fmeasure(a.downbeats_s, t["downbeats"]) >= 0.8


@pytest.mark.parametrize(("bpms", "swing"), [((84,), 0.0), ((128,), 0.0), ((174,), 0.0), ((90,), 0.1)])
def test_generated_tracks_give_tempo_within_2_percent_and_beats_f_at_least_0_9(bpms, swing):
    y, beats = track(bpms, 40, swing)
    a = analyze_samples(y)
    assert abs(a.tempo_bpm - bpms[0]) / bpms[0] <= 0.02, a.tempo_bpm
    assert fmeasure(a.beats_s, beats) >= 0.9
    assert a.meter == 4 and a.downbeats_s  # the kick on 1 and 3 makes the bar clear
    assert len(a.intensity) == int(np.ceil(a.duration_s / 2.0)) and max(a.intensity) == 1.0


def test_silence_and_noise_give_no_confident_grid():
    quiet = analyze_samples(np.zeros(22050 * 10, np.float32))
    assert quiet.beats_s == [] and quiet.low_confidence and quiet.tempo_sections == []
    noise = analyze_samples(np.random.default_rng(0).standard_normal(22050 * 20).astype(np.float32) * 0.1)
    assert noise.low_confidence and usable_beats(noise) == []


def test_demo_music_track(demo_media):
    media, truth = demo_media
    a = analyze_music(str(media / truth["music"]["file"]))
    assert abs(a.tempo_bpm - truth["music"]["tempo_bpm"]) / truth["music"]["tempo_bpm"] <= 0.02
    assert fmeasure(a.beats_s, truth["music"]["beats"]) >= 0.9 and not a.low_confidence


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


def _music_row(catalog, event_id: str) -> str:
    from anchor_core.catalog.music import insert_music

    return insert_music(catalog, music_id="m1", event_id=event_id, object_key="k", original_name="song.m4a",
                        content_hash="h", size_bytes=1, duration_s=30.0, probe={}).id


def test_stored_analysis_round_trips_and_low_confidence_gives_no_beats_to_cut_on(catalog):
    from anchor_core.catalog.events import create_event

    ev = create_event(catalog, "Gig", "concert")
    mid = _music_row(catalog, ev.id)
    sure = MusicAnalysis(30.0, 120.0, [0.5, 1.0, 1.5], [0.5], 4, [1.0], 2.0, 0.9, [(0.5, 120.0)])
    save_music_analysis(catalog, ev.id, mid, sure)
    assert load_music_analysis(catalog, ev.id) == sure
    assert load_beats(catalog, ev.id) == [0.5, 1.0, 1.5]
    save_music_analysis(catalog, ev.id, mid, MusicAnalysis(30.0, 66.0, [0.5, 1.4], [], None, [1.0], 2.0, 0.1,
                                                           [(0.5, 66.0)]))
    assert load_beats(catalog, ev.id) == []  # a guess is not a grid to cut on


def test_analysis_stored_before_confidence_reads_as_confident(catalog):
    from anchor_core.catalog.events import create_event

    ev = create_event(catalog, "Gig", "concert")
    mid = _music_row(catalog, ev.id)
    with catalog.transaction() as cur:  # the row as the previous version wrote it
        cur.execute("UPDATE music SET tempo_bpm = 100, beats = '[0.6, 1.2]', downbeats = '[]', intensity = '[1.0]',"
                    " analysis = ? WHERE id = ?", [json.dumps({"meter": 4, "grid_s": 2.0, "duration_s": 30.0}), mid])
    a = load_music_analysis(catalog, ev.id)
    assert a is not None and a.confidence == 1.0 and a.tempo_sections == [] and a.meter == 4
    assert load_beats(catalog, ev.id) == [0.6, 1.2]


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
    assert 0.5 <= out["confidence"] <= 1 and out["low_confidence"] is False
    assert out["tempo_sections"] and abs(out["tempo_sections"][0][1] - 128) / 128 <= 0.04  # (start s, BPM)
    # without --json: one readable line and the id last, and a progress line on stderr
    assert anchor(["--home", home, "music", event_id, str(song)]) == 0
    text = capsys.readouterr()
    assert not text.out.lstrip().startswith("{") and "BPM" in text.out and "music: 100.0%" in text.err
    assert anchor(["--home", home, "event", "show", event_id, "--json"]) == 0
    meta = json.loads(capsys.readouterr().out)["event"]["music_metadata"]
    assert abs(meta["tempo_bpm"] - 128) / 128 <= 0.02
    assert meta["confidence"] >= 0.5 and meta["low_confidence"] is False and meta["tempo_sections"]
