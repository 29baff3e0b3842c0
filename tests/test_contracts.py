"""The stage contracts end to end on a small generated event: only synced angles take part,
event time starts at the earliest footage, and a second analysis window works throughout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from anchor_core.media import decode_audio, iter_video_frames, probe
from anchor_core.media.encode import RawVideoWriter, write_wav

SR = 44100
FPS = 25.0
W, H = 320, 180
EARLY_S = 3.0  # the early phone starts this long before the reference
COLOURS = {"early": (0, 0, 220), "ref": (220, 0, 0), "tone": (0, 200, 0)}  # BGR: red, blue, green
TONE_HZ = 5000.0


def _shared_sound(seconds: float, seed: int = 7) -> np.ndarray:
    """The room: noise bursts and clicks every microphone in it hears (what sync locks onto)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    env = np.repeat(rng.uniform(0.05, 1.0, int(seconds * 4) + 1), SR // 4)[:n]
    x = 0.25 * rng.standard_normal(n) * env
    for t in rng.uniform(0, seconds, int(seconds * 2)):
        k = int(t * SR)
        x[k:k + 200] += 0.9 * np.hanning(min(200, n - k))
    return x.astype(np.float32)


def _clip(path: Path, colour: tuple[int, int, int], audio: np.ndarray, sr: int, seconds: float,
          *, moving: bool) -> Path:
    wav = write_wav(path.with_suffix(".wav"), np.clip(audio, -1, 1), sr)
    rng = np.random.default_rng(3)
    with RawVideoWriter(path, width=W, height=H, fps=FPS, audio_wav=wav, preset="ultrafast") as w:
        for i in range(int(seconds * FPS)):
            if moving:  # busy picture: every frame differs everywhere (what an analyzer loves)
                f = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
                f[: H // 3, : W // 3] = colour
            else:
                f = np.full((H, W, 3), colour, np.uint8)
                x = (i * 6) % (W - 40)
                f[H // 2 - 20:H // 2 + 20, x:x + 40] = 255  # a slow moving box
            w.write(f)
    wav.unlink()
    return path


@pytest.fixture(scope="module")
def contract_event(tmp_path_factory):
    """Three angles: an early phone (0-20 s of event time), the reference camera (3-25 s, the
    longest), and a phone in another room playing a 5 kHz tone with a busy picture (48 kHz,
    so the old rules would have taken its sound). Synced and analysed at 1000 ms windows."""
    from anchor_core.analysis import AnalysisParams, run_analysis
    from anchor_core.catalog import Catalog
    from anchor_core.catalog import events as events_repo
    from anchor_core.config import load_settings
    from anchor_core.ingest import ingest_video
    from anchor_core.store import open_store
    from anchor_core.sync import sync_event

    tmp = tmp_path_factory.mktemp("contracts")
    room = _shared_sound(25.0)
    early = _clip(tmp / "early.mp4", COLOURS["early"], room[: int(20 * SR)], SR, 20.0, moving=False)
    ref = _clip(tmp / "ref.mp4", COLOURS["ref"], room[int(EARLY_S * SR):], SR, 22.0, moving=False)
    t = np.arange(int(21 * 48000)) / 48000  # shorter than the reference (sync picks the longest)
    tone = _clip(tmp / "tone.mp4", COLOURS["tone"], (0.3 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32),
                 48000, 21.0, moving=True)
    settings = load_settings(tmp / "home", env={"ANCHOR_WORKERS": "2"})
    cat = Catalog(settings.catalog_path)
    store = open_store(settings)
    ev = events_repo.create_event(cat, "Contracts", "concert")
    ids = {}
    for name, path, kind in (("early", early, "crowd"), ("ref", ref, "wide"), ("tone", tone, "closeup")):
        ids[name] = ingest_video(cat, store, ev.id, path, angle_type=kind).id
    results = dict(sync_event(cat, store, ev.id))
    run_analysis(cat, store, settings, ev.id, params=AnalysisParams(window_ms=1000))
    yield {"settings": settings, "cat": cat, "store": store, "event_id": ev.id, "ids": ids, "sync": results}
    cat.close()


def _band_level(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    f = np.fft.rfftfreq(len(x), 1 / sr)
    return float(spec[(f > lo) & (f < hi)].mean() / (spec[(f > 200) & (f < 4000)].mean() + 1e-9))


def test_sync_places_the_early_phone_before_the_reference_and_leaves_the_other_room_out(contract_event):
    from anchor_core.sync import load_angles

    ids, res = contract_event["ids"], contract_event["sync"]
    assert res[ids["ref"]].reference and res[ids["ref"]].status == "synced"
    assert res[ids["early"]].status == "synced"
    assert res[ids["early"]].offset_s == pytest.approx(-EARLY_S, abs=0.005)  # reference clock
    assert res[ids["tone"]].status == "unsynced"
    angles = load_angles(contract_event["cat"], contract_event["event_id"])
    by_id = angles.by_id()
    assert by_id[ids["early"]].offset_s == pytest.approx(0.0, abs=1e-9)  # event clock: earliest footage is 0
    assert by_id[ids["ref"]].offset_s == pytest.approx(EARLY_S, abs=0.005)
    assert angles.origin_s == pytest.approx(-EARLY_S, abs=0.005)
    assert [a.video_id for a in angles.unsynced] == [ids["tone"]]


def test_features_are_on_a_1000_ms_grid_and_the_timeline_uses_it(contract_event):
    from anchor_core.analysis import event_features
    from anchor_core.sync import load_angles
    from anchor_core.timeline import builtin_profile, timeline_event

    cat, eid = contract_event["cat"], contract_event["event_id"]
    feats = event_features(cat, load_angles(cat, eid).synced)
    assert feats.window_ms == 1000
    steps = np.diff(feats.frame.filter(feats.frame["video_id"] == contract_event["ids"]["ref"])["t_ms"].to_numpy())
    assert set(steps.tolist()) == {1000}
    profile = builtin_profile("concert").with_changes(name="concert-1s", window_ms=1000, min_segment_ms=3000,
                                                        max_segment_ms=8000)
    tid, tl = timeline_event(cat, eid, profile=profile)
    assert tl.meta["window_ms"] == 1000 and tl.timeline_id == tid
    assert tl.duration_ms == pytest.approx(25_000, abs=40)  # from the early phone's first frame to the end
    assert {s.video_id for s in tl.segments} <= {contract_event["ids"]["early"], contract_event["ids"]["ref"]}
    assert tl.unsynced == (contract_event["ids"]["tone"],)
    assert tl.audio_master in (contract_event["ids"]["early"], contract_event["ids"]["ref"])
    assert tl.segments[0].start_ms == 0 and tl.segments[0].video_id == contract_event["ids"]["early"]


@pytest.fixture(scope="module")
def contract_render(contract_event):
    from anchor_core.render import OutputFormat, render_event
    from anchor_core.timeline import builtin_profile, timeline_event

    cat, eid = contract_event["cat"], contract_event["event_id"]
    profile = builtin_profile("concert").with_changes(name="concert-1s", window_ms=1000, min_segment_ms=3000,
                                                        max_segment_ms=8000)
    timeline_event(cat, eid, profile=profile)
    fmt = OutputFormat(width=320, height=180, fps=25.0, preset="ultrafast")
    return render_event(cat, contract_event["store"], contract_event["settings"], eid, fmt=fmt, with_ads=False)


def test_the_unsynced_angle_is_never_seen_or_heard_in_the_master(contract_event, contract_render):
    r = contract_render
    assert r.unsynced == ("tone.mp4",)
    assert r.audio_master != contract_event["ids"]["tone"]
    sr = 16000
    audio = decode_audio(r.path, sr)
    hop = sr  # every second of the master: no 5 kHz tone
    levels = [_band_level(audio[k:k + hop], sr, TONE_HZ - 100, TONE_HZ + 100) for k in range(0, len(audio) - hop, hop)]
    assert max(levels) < 3.0, levels
    # the tone phone's picture (noise with a green corner) never shows
    for chunk in iter_video_frames(r.path, width=80, gray=False, fps=2):
        for f in chunk.frames:
            corner = f[: 180 // 3 // 4 - 1, : 320 // 3 // 4 - 1].reshape(-1, 3).mean(axis=0)
            assert not (corner[1] > 150 and corner[0] < 80 and corner[2] < 80)


def test_the_master_starts_at_the_early_phones_first_frame(contract_event, contract_render):
    info = probe(contract_render.path)
    assert info.duration_s == pytest.approx(25.0, abs=1 / 25 + 0.01)
    first = next(iter_video_frames(contract_render.path, width=64, gray=False, duration_s=0.2)).frames[0]
    assert np.abs(first.reshape(-1, 3).mean(axis=0) - np.array([220, 0, 0])).max() < 40  # early phone: red (RGB)


def test_exports_and_chapters_agree_with_the_master_span(contract_event, contract_render, tmp_path):
    from anchor_core.export import export_event
    from anchor_core.timeline import load_latest_timeline

    cat, store, eid = contract_event["cat"], contract_event["store"], contract_event["event_id"]
    tl = load_latest_timeline(cat, eid)
    ot = otio.adapters.read_from_file(str(export_event(cat, store, eid, "otio", tmp_path / "t.otio")))
    video = next(t for t in ot.tracks if t.kind == otio.schema.TrackKind.Video)
    assert video.duration().to_seconds() == pytest.approx(tl.duration_s, abs=1 / 30)
    assert video.duration().to_seconds() == pytest.approx(probe(contract_render.path).duration_s, abs=2 / 25)
    first = video[0]
    assert contract_event["ids"]["early"] in first.name
    assert first.source_range.start_time.to_seconds() == pytest.approx(0.0, abs=1 / 30)
    vtt = export_event(cat, store, eid, "vtt", tmp_path / "c.vtt").read_text()
    assert "00:00:00.000 -->" in vtt and vtt.strip().splitlines()[-2].endswith(f"--> 00:00:{tl.duration_s:06.3f}")


def test_a_reel_never_uses_the_unsynced_angle_and_runs_on_1000_ms_windows(contract_event):
    from anchor_core.reels import make_reel
    from anchor_core.render import OutputFormat

    cat, eid, ids = contract_event["cat"], contract_event["event_id"], contract_event["ids"]
    r = make_reel(cat, contract_event["store"], contract_event["settings"], eid, vibe="high_energy", duration_s=8,
                  fmt=OutputFormat(width=320, height=180, fps=25.0, preset="ultrafast"))
    assert r.moments and all(m.video_id != ids["tone"] for m in r.moments)
    assert all(m.start_s >= 0 for m in r.moments)
    assert all(abs(m.start_s - round(m.start_s)) < 0.01 for m in r.moments if m.video_id == ids["early"])
    audio = decode_audio(r.path, 16000)
    assert _band_level(audio, 16000, TONE_HZ - 100, TONE_HZ + 100) < 3.0
    stored = json.loads(cat.frame("SELECT moments FROM reels WHERE id = ?", [r.reel_id])["moments"][0])
    assert {m["video_id"] for m in stored} <= {ids["early"], ids["ref"]}
