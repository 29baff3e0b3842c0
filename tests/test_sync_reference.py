"""Choosing the sync reference: never a silent, near-silent or audio-less angle; the angle with
real sound that overlaps the most others for the longest; `--reference` by id or file name,
with the choices listed when it names nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from anchor_core.catalog import Catalog
from anchor_core.cli import main as anchor
from anchor_core.sync import FINE_RATE, activity, prepare, reference_issue, sync_auto
from tests.mediagen import make_clip, make_clip_with_sound

SR = 48000
CAM_AT, PHONE_AT = 2.0, 8.0  # event seconds where the good angles start: phone = cam + 6 s


def _room(seconds: float, rate: int, seed: int = 11) -> np.ndarray:
    """What every microphone in the room hears: noise swells and clicks."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    env = np.repeat(rng.uniform(0.05, 1.0, int(seconds * 4) + 1), rate // 4)[:n]
    x = 0.25 * rng.standard_normal(n) * env
    for t in rng.uniform(0, seconds, int(seconds * 2)):
        k = int(t * rate)
        x[k:k + 200] += 0.9 * np.hanning(min(200, n - k))
    return x.astype(np.float32)


def _cut(room: np.ndarray, start_s: float, seconds: float, rate: int) -> np.ndarray:
    return room[int(start_s * rate): int((start_s + seconds) * rate)]


@pytest.fixture(scope="module")
def event(tmp_path_factory):
    """Five angles. The two longest have no usable sound (digital silence, no audio track), a
    third is near-silent although it overlaps both good angles the longest; cam (24 s) and
    phone (20 s, 6 s later) share the room."""
    from anchor_core.catalog import events as events_repo
    from anchor_core.config import load_settings
    from anchor_core.ingest import ingest_video
    from anchor_core.store import open_store

    tmp = tmp_path_factory.mktemp("reference")
    room = _room(30.0, SR)
    clips = {
        "mute.mp4": make_clip(tmp / "mute.mp4", seconds=29.0, audio=False),
        "silent.mp4": make_clip_with_sound(tmp / "silent.mp4", np.zeros(28 * SR, np.float32), SR, seconds=28.0),
        "hush.mp4": make_clip_with_sound(tmp / "hush.mp4", _cut(room, 0.0, 27.0, SR) * 10 ** (-55 / 20), SR,
                                         seconds=27.0),
        "cam.mp4": make_clip_with_sound(tmp / "cam.mp4", _cut(room, CAM_AT, 24.0, SR), SR, seconds=24.0),
        "phone.mp4": make_clip_with_sound(tmp / "phone.mp4", _cut(room, PHONE_AT, 20.0, SR), SR, seconds=20.0),
    }
    home = tmp / "home"
    settings = load_settings(home, env={"ANCHOR_WORKERS": "2"})
    cat = Catalog(settings.catalog_path)
    store = open_store(settings)
    ev = events_repo.create_event(cat, "Reference", "concert")
    ids = {name: ingest_video(cat, store, ev.id, path, angle_type="other").id for name, path in clips.items()}
    cat.close()
    return {"settings": settings, "home": home, "event_id": ev.id, "ids": ids}


def _sync_json(event, *extra: str, capsys) -> tuple[int, dict[str, dict], str]:
    code = anchor(["--home", str(event["home"]), "-q", "sync", event["event_id"], *extra, "--json"])
    out, err = capsys.readouterr()
    rows = {r["file"]: r for r in json.loads(out)} if code == 0 else {}
    return code, rows, err


def test_a_silent_or_audio_less_angle_is_never_the_reference_and_the_good_angles_sync(event, capsys):
    from anchor_core.sync import load_angles

    code, rows, _ = _sync_json(event, capsys=capsys)
    assert code == 0
    assert [name for name, r in rows.items() if r["reference"]] == ["cam.mp4"]
    assert "chosen automatically" in rows["cam.mp4"]["reference_note"]
    assert "silent.mp4" in rows["cam.mp4"]["reference_note"] and "hush.mp4" in rows["cam.mp4"]["reference_note"]
    phone = rows["phone.mp4"]
    assert phone["status"] == "synced", phone
    assert phone["offset_s"] == pytest.approx(PHONE_AT - CAM_AT, abs=0.003)
    assert phone["drift_ppm"] == 0.0  # no drift in the room: none reported
    assert rows["silent.mp4"]["status"] == "unsynced" and "silent" in rows["silent.mp4"]["reason"]
    assert rows["mute.mp4"]["status"] == "unsynced" and "no audio track" in rows["mute.mp4"]["reason"]
    with Catalog(event["settings"].catalog_path) as cat:
        angles = load_angles(cat, event["event_id"])
    assert angles.reference is not None and angles.reference.video_id == event["ids"]["cam.mp4"]
    assert {a.name for a in angles.synced} >= {"cam.mp4", "phone.mp4"}


def test_reference_by_file_name_and_by_id(event, capsys):
    code, rows, _ = _sync_json(event, "--reference", "phone.mp4", capsys=capsys)
    assert code == 0 and rows["phone.mp4"]["reference"]
    assert rows["cam.mp4"]["status"] == "synced"
    assert rows["cam.mp4"]["offset_s"] == pytest.approx(CAM_AT - PHONE_AT, abs=0.003)
    code, rows, _ = _sync_json(event, "--reference", event["ids"]["cam.mp4"], capsys=capsys)
    assert code == 0 and rows["cam.mp4"]["reference"]
    assert rows["phone.mp4"]["offset_s"] == pytest.approx(PHONE_AT - CAM_AT, abs=0.003)


def test_a_wrong_reference_lists_the_choices_and_a_silent_one_is_refused(event, capsys):
    code, _, err = _sync_json(event, "--reference", "nosuch.mp4", capsys=capsys)
    assert code != 0
    assert "'nosuch.mp4' is not an angle of event" in err
    for name, vid in event["ids"].items():
        assert f"{vid} ({name})" in err
    code, _, err = _sync_json(event, "--reference", "silent.mp4", capsys=capsys)
    assert code != 0
    assert "silent.mp4 cannot be the reference: the audio track is silent" in err
    assert f"{event['ids']['cam.mp4']} (cam.mp4)" in err and "(mute.mp4)" not in err


# --- The choice itself, on samples (no files) ------------------------------------------------

def _angles(spans: dict[str, tuple[float, float]], *, seed: int = 3) -> tuple[list[str], list]:
    room = _room(130.0, FINE_RATE, seed=seed)
    names = list(spans)
    return names, [prepare(_cut(room, a, b - a, FINE_RATE)) for a, b in spans.values()]


def test_the_reference_is_the_angle_that_overlaps_the_most_others_not_the_longest():
    # "long" is the longest but only meets "mid"; "mid" meets all three.
    spans = {"long": (0.0, 60.0), "mid": (40.0, 100.0), "late": (75.0, 125.0), "later": (85.0, 120.0)}
    names, prepared = _angles(spans)
    res = dict(zip(names, sync_auto(names, prepared, [""] * len(names)), strict=True))
    assert [n for n, r in res.items() if r.reference] == ["mid"]
    for n, (a, _) in spans.items():
        assert res[n].status == "synced", (n, res[n].reason)
        assert res[n].offset_s == pytest.approx(a - spans["mid"][0], abs=0.002), n


def test_a_longer_recording_from_another_room_does_not_take_the_clock():
    room = _room(60.0, FINE_RATE, seed=5)
    other = _room(80.0, FINE_RATE, seed=6)  # real sound, unrelated: sound in every second
    names = ["elsewhere", "a", "b"]
    prepared = [prepare(other), prepare(_cut(room, 0.0, 40.0, FINE_RATE)), prepare(_cut(room, 15.0, 40.0, FINE_RATE))]
    res = sync_auto(names, prepared, ["", "", ""])
    assert [r.reference for r in res] == [False, True, False]
    assert res[2].status == "synced" and res[2].offset_s == pytest.approx(15.0, abs=0.002)
    assert res[0].status == "unsynced"


def test_no_angle_with_sound_means_nothing_is_synced_and_says_why():
    names = ["silent", "mute"]
    res = sync_auto(names, [prepare(np.zeros(FINE_RATE * 5, np.float32)), None], ["", "the file has no audio track"])
    assert all(r.status == "unsynced" and not r.reference for r in res)
    assert "no angle has sound to sync against" in res[0].reason and "no audio track" in res[0].reason


def test_activity_tells_a_room_from_near_silence():
    room = _room(10.0, FINE_RATE)
    assert activity(room, rate_hz=FINE_RATE).share == 1.0
    assert reference_issue(prepare(room)) is None
    hush = prepare(room * 10 ** (-55 / 20))
    assert reference_issue(hush) is not None and "near-silent" in (reference_issue(hush) or "")
    assert "silent" in (reference_issue(prepare(np.zeros(FINE_RATE * 3, np.float32))) or "")
    assert reference_issue(None, "the file has no audio track") == "the file has no audio track"


def test_files_mode_refuses_a_silent_first_file_and_auto_or_a_name_picks_one_with_sound(tmp_path, capsys):
    from anchor_core.media.encode import write_wav

    room = _room(25.0, SR, seed=8)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(20 * SR, np.float32), SR)
    a = write_wav(tmp_path / "a.wav", _cut(room, 0.0, 20.0, SR), SR)
    b = write_wav(tmp_path / "b.wav", _cut(room, 4.0, 18.0, SR), SR)
    files = [str(silent), str(a), str(b)]
    assert anchor(["-q", "sync", *files]) != 0
    err = capsys.readouterr().err
    assert "silent.wav cannot be the reference: the audio track is silent" in err and "--reference auto" in err
    for choice, ref in (("auto", "a.wav"), ("b.wav", "b.wav")):
        assert anchor(["-q", "sync", *files, "--reference", choice, "--json"]) == 0
        rows = {r["file"].rsplit("/", 1)[-1]: r for r in json.loads(capsys.readouterr().out)}
        assert [n for n, r in rows.items() if r["reference"]] == [ref]
        other = "b.wav" if ref == "a.wav" else "a.wav"
        assert rows[other]["offset_s"] == pytest.approx(4.0 if ref == "a.wav" else -4.0, abs=0.002)
    assert anchor(["-q", "sync", *files, "--reference", "c.wav"]) != 0
    assert "Choices:" in capsys.readouterr().err
