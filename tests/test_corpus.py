"""The ingest corpus: every kind of file a producer drops on Anchor, with the exact outcome.

Refused files must say what was wrong and store nothing: no video row, no new file under the
store root, no scratch or temporary file left under the home. Odd but real footage (rotated
phone clips, portrait, VFR, 10-bit HEVC, 8 kHz or 5.1 sound) is accepted with the right probe
facts; footage that cannot be audio-synced is accepted with a warning saying how to place it.
All media is generated here with the project's ffmpeg, one or two seconds at 160x90.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from anchor_core.catalog import events as events_repo
from anchor_core.catalog import videos as videos_repo
from anchor_core.cli import main
from anchor_core.errors import IngestError, MediaError, ValidationError
from anchor_core.ingest import ingest_video
from anchor_core.media import MediaProbe
from anchor_core.sync import load_angles, load_audio, sync_event
from tests.mediagen import (
    make_audio_only,
    make_clip,
    make_clip_with_sound,
    make_hevc10_clip,
    make_still_png,
    make_vfr_clip,
    remux,
)

CATALOG_FILES = ("catalog.duckdb", "catalog.duckdb.wal")


@pytest.fixture
def event(catalog):
    return events_repo.create_event(catalog, "Corpus", "sports")


@pytest.fixture
def media(tmp_path) -> Path:
    d = tmp_path / "media"
    d.mkdir()
    return d


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _home_files(settings) -> set[str]:
    """Everything under the home (the store included) but the catalog's own files."""
    return {f for f in _files(settings.home) if Path(f).name not in CATALOG_FILES}


def _assert_nothing_stored(catalog, settings, event_id: str, before: set[str]) -> None:
    assert videos_repo.list_videos(catalog, event_id) == []
    assert _files(settings.store_root) == set(), "a refused file left an object in the store"
    assert _home_files(settings) == before, "a refused file left a scratch or temporary file under the home"


# --- Refused: each with the fragment its message must carry ---------------------------------

def _empty(d: Path) -> Path:
    p = d / "empty.mp4"
    p.write_bytes(b"")
    return p


def _random(d: Path) -> Path:
    p = d / "random.mp4"
    data = np.random.default_rng(7).bytes(20000)
    assert data[4:8] != b"ftyp"
    p.write_bytes(data)
    return p


def _truncated_faststart(d: Path) -> Path:
    full = make_clip(d / "full.mp4", seconds=2.0)
    data = full.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # the index is at the front
    p = d / "cut-faststart.mp4"
    p.write_bytes(data[: len(data) * 2 // 3])
    return p


def _truncated_moov_at_end(d: Path) -> Path:
    end = remux(make_clip(d / "full.mp4", seconds=2.0), d / "moov-end.mp4", faststart=False)
    data = end.read_bytes()
    assert data.find(b"mdat") < data.find(b"moov")  # the index is written last
    p = d / "cut-moov-end.mp4"
    p.write_bytes(data[: len(data) * 2 // 3])  # the recorder stopped before writing it
    return p


def _text(d: Path) -> Path:
    p = d / "notes.mp4"
    p.write_text("shot list: wide, closeup, crowd\n" * 50)
    return p


def _audio_only(d: Path) -> Path:
    return make_audio_only(d / "song.m4a")


def _one_frame(d: Path) -> Path:
    return make_clip(d / "one-frame.mp4", seconds=0.04, fps=25.0, audio=False)


def _sub_second(d: Path) -> Path:
    return make_clip(d / "half-second.mp4", seconds=0.5)


def _still(d: Path) -> Path:
    return make_still_png(d / "still.mp4")


def _folder(d: Path) -> Path:
    p = d / "clips.mp4"
    p.mkdir()
    return p


REFUSED: list[tuple[str, Callable[[Path], Path], str]] = [
    ("empty file", _empty, "empty.mp4: file is empty (0 bytes). Nothing was stored"),
    ("random bytes", _random, "random.mp4: not a media file ffmpeg can read"),
    ("truncated, moov at the front", _truncated_faststart,
     "cut-faststart.mp4: the file is truncated or its video data is damaged"),
    ("truncated, moov at the end", _truncated_moov_at_end,
     "cut-moov-end.mp4: the file is truncated or was not finished (no index: 'moov atom not found')"),
    ("text renamed .mp4", _text, "notes.mp4 is a text file, not a media file (was it renamed?)"),
    ("audio-only as a video", _audio_only,
     "song.m4a is an audio-only file; a camera angle needs a video stream. Nothing was stored. "
     "Use `anchor music` for music."),
    ("one frame", _one_frame, "one-frame.mp4 has a single frame (0.04 s: a still image?); a camera angle "
                              "needs at least 1 s of footage"),
    ("sub-second", _sub_second, "half-second.mp4 is only 0.48 s long (12 frames); a camera angle needs at "
                                "least 1 s of footage"),
    ("still image renamed .mp4", _still, "still.mp4 has a single frame"),
    ("a folder", _folder, "is a folder, not a file; give the path of a video file"),
]


@pytest.mark.parametrize(("make", "fragment"), [(m, f) for _, m, f in REFUSED], ids=[c for c, _, _ in REFUSED])
def test_refused_files_say_why_and_store_nothing(catalog, store, settings, event, media, make, fragment):
    src = make(media)
    before = _home_files(settings)
    with pytest.raises(IngestError) as err:
        ingest_video(catalog, store, event.id, src, angle_type="wide", scratch=settings.home / "tmp")
    assert fragment in str(err.value)
    assert make is _folder or "Nothing was stored" in str(err.value)
    _assert_nothing_stored(catalog, settings, event.id, before)
    assert events_repo.get_event(catalog, event.id).status == "created"


@pytest.mark.parametrize(("make", "fragment"), [(m, f) for _, m, f in REFUSED if m is not _folder],
                         ids=[c for c, m, _ in REFUSED if m is not _folder])
def test_refused_uploads_leave_no_spooled_copy(catalog, store, settings, event, media, make, fragment):
    """The same files as an upload stream: the spooled copy in the scratch folder goes too."""
    src = make(media)
    before = _home_files(settings)
    with pytest.raises(IngestError) as err:
        ingest_video(catalog, store, event.id, io.BytesIO(src.read_bytes()), angle_type="wide", name=src.name,
                     scratch=settings.home / "tmp")
    assert fragment.split(":")[0].split(" ")[0] in str(err.value)  # the upload's own name, not the spool's
    assert "ingest-" not in str(err.value)
    _assert_nothing_stored(catalog, settings, event.id, before)


def test_cli_refuses_a_one_frame_video_on_stderr(tmp_path, capsys):
    home = str(tmp_path / "h")
    assert main(["--home", home, "event", "create", "Gig", "--type", "concert"]) == 0
    event_id = capsys.readouterr().out.strip().splitlines()[-1]
    one = make_clip(tmp_path / "one.mp4", seconds=0.04, audio=False)
    assert main(["--home", home, "-q", "ingest", event_id, str(one), "--angle", "stage"]) == 1
    err = capsys.readouterr().err
    assert "anchor: error: one.mp4 has a single frame" in err


# --- Accepted, with the probe facts stored -----------------------------------------------------

def _ingest_ok(catalog, store, event_id, path, angle="wide", **kw):
    r = ingest_video(catalog, store, event_id, path, angle_type=angle, **kw)
    assert r.created and store.exists(r.object_key)
    v = videos_repo.get_video(catalog, r.id)
    return r, v, MediaProbe.from_dict(v.probe)


def _angle(catalog, event_id, video_id):
    return next(a for a in load_angles(catalog, event_id, require_synced=False).angles if a.video_id == video_id)


def test_rotated_phone_clip_is_stored_with_its_rotation_and_upright_size(catalog, store, event, media):
    clip = make_clip(media / "phone.mp4", width=160, height=90, rotation=90)  # display matrix side data
    r, v, p = _ingest_ok(catalog, store, event.id, clip)
    assert p.video is not None
    assert (p.video.width, p.video.height) == (160, 90)  # coded
    assert p.video.rotation == 270  # clockwise to show it upright
    assert p.video.display_size == (90, 160)  # displayed: swapped
    a = _angle(catalog, event.id, r.id)
    assert (a.width, a.height) == (90, 160)
    assert r.warnings == ()


def test_portrait_clip_keeps_its_portrait_aspect(catalog, store, event, media):
    clip = make_clip(media / "portrait.mp4", width=90, height=160)
    r, _, p = _ingest_ok(catalog, store, event.id, clip)
    assert p.video is not None and p.video.rotation == 0 and p.video.display_size == (90, 160)
    a = _angle(catalog, event.id, r.id)
    assert a.height > a.width
    assert r.warnings == ()


def test_vfr_clip_is_stored_as_variable_frame_rate(catalog, store, event, media):
    clip = make_vfr_clip(media / "vfr.mp4", seconds=2.0, fps=25.0)
    r, v, p = _ingest_ok(catalog, store, event.id, clip)
    assert p.video is not None and p.video.vfr
    assert p.video.frame_count == 37  # 50 frames, one in four dropped
    assert p.video.real_fps == pytest.approx(37 / 1.96, abs=0.1)
    assert v.duration_s == pytest.approx(2.0, abs=0.05)
    assert r.warnings == ()


def test_10bit_hevc_is_accepted_with_its_pixel_format(catalog, store, event, media):
    try:
        clip = make_hevc10_clip(media / "hevc10.mp4", seconds=1.5)
    except MediaError as exc:
        pytest.skip(f"this ffmpeg cannot encode 10-bit HEVC: {str(exc).splitlines()[-1]}")
    r, v, p = _ingest_ok(catalog, store, event.id, clip)
    assert p.video is not None and p.video.codec == "hevc" and p.video.pix_fmt == "yuv420p10le"
    assert p.video.frame_count == 37 and v.duration_s == pytest.approx(1.5, abs=0.05)
    assert r.warnings == ()


def test_8khz_and_5_1_sound_are_stored_and_sync(catalog, store, event, media):
    """An 8 kHz phone and a 5.1 camera whose sound is only in the centre channel (dialogue), both
    starting 0.5 s after the 48 kHz reference: probed as they are, downmixed to mono for sync."""
    rng = np.random.default_rng(3)
    base8 = (0.2 * rng.standard_normal(8000 * 3)).astype(np.float32)  # band-limited to 4 kHz
    base48 = resample_poly(base8, 6, 1).astype(np.float32)
    ref = make_clip_with_sound(media / "ref48.mp4", base48[: int(2.5 * 48000)], 48000, seconds=2.5)
    phone = make_clip_with_sound(media / "phone8k.mp4", base8[4000 : 4000 + 16000], 8000, seconds=2.0)
    six = np.zeros((96000, 6), np.float32)
    six[:, 2] = base48[24000 : 24000 + 96000]  # FL FR FC LFE BL BR: the centre only
    cam = make_clip_with_sound(media / "cam51.mp4", six, 48000, seconds=2.0)
    ids = {}
    for name, clip in (("ref", ref), ("phone", phone), ("cam", cam)):
        r, _, p = _ingest_ok(catalog, store, event.id, clip)
        assert r.warnings == (), r.warnings
        ids[name] = r.id
        assert p.audio is not None
        facts = {"ref": (48000, 1), "phone": (8000, 1), "cam": (48000, 6)}[name]
        assert (p.audio.sample_rate, p.audio.channels) == facts
    mono, why = load_audio(str(store.path_for(videos_repo.get_video(catalog, ids["cam"]).object_key)))
    assert why == "" and mono is not None and mono.ndim == 1 and np.sqrt(np.mean(mono**2)) > 0.01
    results = dict(sync_event(catalog, store, event.id))
    assert results[ids["ref"]].reference
    for name in ("phone", "cam"):
        assert results[ids[name]].status == "synced", results[ids[name]].reason
        assert videos_repo.get_video(catalog, ids[name]).sync_offset_s == pytest.approx(0.5, abs=0.002)


def test_video_without_audio_is_accepted_with_a_warning_saying_how_to_place_it(catalog, store, event, media):
    clip = make_clip(media / "mute.mp4", audio=False)
    r, v, p = _ingest_ok(catalog, store, event.id, clip)
    assert p.audio is None
    assert len(r.warnings) == 1
    w = r.warnings[0]
    assert "mute.mp4 has no audio track, so it cannot be audio-synced" in w
    assert "`anchor sync` will leave it unsynced and out of the edit" in w
    assert "To place it, ingest the camera's own file with its sound" in w


def test_silent_audio_is_accepted_with_a_warning(catalog, store, event, media):
    clip = make_clip_with_sound(media / "silent.mp4", np.zeros(96000, np.float32), 48000, seconds=2.0)
    r, _, p = _ingest_ok(catalog, store, event.id, clip)
    assert p.audio is not None
    assert len(r.warnings) == 1 and "silent.mp4 has a silent audio track, so it cannot be audio-synced" in r.warnings[0]


def test_cli_prints_ingest_warnings_on_stderr(tmp_path, capsys):
    home = str(tmp_path / "h")
    assert main(["--home", home, "event", "create", "Gig", "--type", "concert"]) == 0
    event_id = capsys.readouterr().out.strip().splitlines()[-1]
    mute = make_clip(tmp_path / "mute.mp4", audio=False)
    assert main(["--home", home, "-q", "ingest", event_id, str(mute), "--angle", "stage"]) == 0
    out, err = capsys.readouterr()
    assert "anchor: warning: mute.mp4 has no audio track, so it cannot be audio-synced" in err
    assert "mute.mp4: added as vid_" in out and "(stage, 160x90 25 fps, no audio, 2 s)" in out
    assert "anchor: warning" not in out
    assert main(["--home", home, "-q", "ingest", event_id, str(mute), "--angle", "stage", "--json"]) == 0
    out, err = capsys.readouterr()
    item = json.loads(out)["ingested"][0]
    assert item["created"] is False and item["warnings"] == []  # a duplicate under the same angle: nothing to say


# --- Two unrelated recordings in one event -----------------------------------------------------

def test_two_unrelated_recordings_ingest_then_one_stays_unsynced_with_the_reason(catalog, store, event, media):
    a = make_clip(media / "pitch.mp4", seed=0)
    b = make_clip(media / "other-room.mp4", seed=1)  # independent noise: no shared sound
    ra = ingest_video(catalog, store, event.id, a, angle_type="wide")
    rb = ingest_video(catalog, store, event.id, b, angle_type="crowd")
    assert ra.created and rb.created and ra.warnings == rb.warnings == ()
    results = dict(sync_event(catalog, store, event.id))
    assert [r.status for r in results.values()].count("synced") == 1
    (lost,) = [vid for vid, r in results.items() if r.status == "unsynced"]
    angle = _angle(catalog, event.id, lost)
    assert not angle.synced
    assert "no overlap found: the best match" in angle.reason and "is at noise level" in angle.reason


# --- The same footage twice --------------------------------------------------------------------

def test_duplicate_names_the_existing_file_angle_and_duration(catalog, store, event, media):
    clip = make_clip(media / "a.mp4")
    copy = media / "renamed.mp4"
    shutil.copy(clip, copy)
    first = ingest_video(catalog, store, event.id, clip, angle_type="wide")
    again = ingest_video(catalog, store, event.id, copy, angle_type="wide")
    assert not again.created and again.id == first.id
    assert (again.name, again.angle_type) == ("a.mp4", "wide")
    assert again.duration_s == pytest.approx(2.0, abs=0.05)
    assert again.probe is not None and again.probe.video is not None and again.warnings == ()
    other = ingest_video(catalog, store, event.id, copy, angle_type="closeup")
    assert not other.created and other.angle_type == "wide"
    assert len(other.warnings) == 1
    assert (f"renamed.mp4 is the same footage as a.mp4, already in the event as {first.id} with angle wide; "
            "it keeps that angle and --angle closeup was not applied") in other.warnings[0]
    assert videos_repo.get_video(catalog, first.id).angle_type == "wide"
    assert len(videos_repo.list_videos(catalog, event.id)) == 1


def test_cli_duplicate_message_and_angle_warning(tmp_path, capsys):
    home = str(tmp_path / "h")
    assert main(["--home", home, "event", "create", "Gig", "--type", "concert"]) == 0
    event_id = capsys.readouterr().out.strip().splitlines()[-1]
    clip = make_clip(tmp_path / "a.mp4")
    copy = tmp_path / "b.mp4"
    shutil.copy(clip, copy)
    assert main(["--home", home, "-q", "ingest", event_id, str(clip), "--angle", "wide"]) == 0
    vid = capsys.readouterr().out.split(" as ")[1].split()[0]
    assert main(["--home", home, "-q", "ingest", event_id, str(copy), "--angle", "closeup"]) == 0
    out, err = capsys.readouterr()
    assert f"b.mp4: already in the event as {vid} (a.mp4, wide, 160x90 25 fps, 2 s); nothing new was stored" in out
    assert "(, ? s)" not in out
    assert (f"anchor: warning: b.mp4 is the same footage as a.mp4, already in the event as {vid} with angle "
            "wide; it keeps that angle and --angle closeup was not applied") in err


# --- Hostile file names and paths --------------------------------------------------------------

HOSTILE_NAMES: list[tuple[str, str, str | None]] = [  # (case, file name, the name stored or None: the same)
    ("quotes", 'it\'s the "final".mp4', None),
    ("semicolons", "a;rm -rf ~;b.mp4", None),
    ("newline", "line1\nline2.mp4", "line1\ufffdline2.mp4"),
    ("escape sequence", "red\x1b[31m.mp4", "red\ufffd[31m.mp4"),
    ("unicode", "Café ⚽ 決勝 🎥.mp4", None),
    ("decomposed unicode", "Cafe\u0301.mp4", None),
    ("very long", "x" * 240 + ".mp4", None),
    ("leading dash", "-i.mp4", None),
    ("just a dash", "-", None),
    ("protocol-like", "pipe:0.mp4", None),
    ("concat-like", "concat:a.mp4|b.mp4", None),
    ("not UTF-8", os.fsdecode(b"clip\xff.mp4"), "clip\ufffd.mp4"),
    ("bidi override", "gpj\u202e.mp4", "gpj\ufffd.mp4"),
]


@pytest.fixture(scope="module")
def base_clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("base") / "base.mp4", seconds=1.2)


@pytest.mark.parametrize(("filename", "stored"), [(n, s) for _, n, s in HOSTILE_NAMES],
                         ids=[c for c, _, _ in HOSTILE_NAMES])
def test_hostile_file_names_are_ingested_under_a_safe_key(catalog, store, settings, event, media, base_clip,
                                                          monkeypatch, filename, stored):
    src = media / filename
    shutil.copy(base_clip, src)
    monkeypatch.chdir(media)  # a relative name, as a shell passes it: `-`, `pipe:0` must stay files
    r = ingest_video(catalog, store, event.id, filename, angle_type="wide")
    assert r.created
    assert r.object_key == f"events/{event.id}/videos/{r.id}.mp4"
    assert _files(settings.store_root) - {f for f in _files(settings.store_root) if f.startswith(".incoming/")} \
        == {r.object_key}
    v = videos_repo.get_video(catalog, r.id)
    assert v.original_name == (stored or filename) == r.name
    assert v.duration_s == pytest.approx(1.2, abs=0.05)
    assert bool(r.warnings) == (stored is not None)
    if stored is not None:
        assert "it is stored and shown as" in r.warnings[0]
    assert sorted(p.name for p in media.iterdir()) == [filename]  # nothing written beside it


def test_upload_names_with_paths_keep_only_their_last_part(catalog, store, settings, event, base_clip):
    cases = {"../../etc/passwd": "passwd", "..": "upload", "": "upload", None: "upload", "C/../../x.MP4": "x.MP4"}
    for i, (name, shown) in enumerate(cases.items()):
        data = base_clip.read_bytes() + bytes(i)  # distinct content: not a duplicate of the last one
        r = ingest_video(catalog, store, event.id, io.BytesIO(data), angle_type="wide", name=name,
                         scratch=settings.home / "tmp")
        assert r.created and r.name == shown, name
        assert r.object_key == f"events/{event.id}/videos/{r.id}.{'mp4'}"
    assert list((settings.home / "tmp").iterdir()) == []
    assert not (settings.home.parent / "etc").exists()


def test_a_path_through_dot_dot_is_the_file_it_names(catalog, store, event, media, base_clip):
    (media / "a" / "b").mkdir(parents=True)
    shutil.copy(base_clip, media / "a" / "x.mp4")
    r = ingest_video(catalog, store, event.id, media / "a" / "b" / ".." / "x.mp4", angle_type="wide")
    assert r.created and r.name == "x.mp4"


def test_very_long_upload_names_are_shortened_with_a_warning(catalog, store, settings, event, base_clip):
    name = "y" * 1000 + ".mp4"
    r = ingest_video(catalog, store, event.id, io.BytesIO(base_clip.read_bytes()), angle_type="wide", name=name,
                     scratch=settings.home / "tmp")
    assert len(r.name) == 255 and r.name.endswith("y.mp4") and "…" in r.name
    assert len(r.warnings) == 1 and "is too long; it is stored and shown as" in r.warnings[0]
    assert r.object_key.endswith(".mp4")


# --- Event names ------------------------------------------------------------------------------

BAD_EVENT_NAMES = [
    ("newline", "Cup\nFinal", "an event name must be a single line: 'Cup\\nFinal' contains a line break"),
    ("carriage return", "Cup\rFinal", "must be a single line"),
    ("line separator", "Cup\u2028Final", "must be a single line"),
    ("tab", "Cup\tFinal", "must be plain text: 'Cup\\tFinal' contains the control character U+0009"),
    ("escape", "Cup\x1b[2J", "contains the control character U+001B"),
    ("nul", "Cup\x00", "contains the control character U+0000"),
    ("delete", "Cup\x7f", "contains the control character U+007F"),
    ("bidi override", "Cup\u202eFinal", "contains the control character U+202E"),
    ("lone surrogate", "Cup\udcff", "contains the control character U+DCFF"),
    ("blank", "   ", "an event needs a name"),
    ("too long", "x" * 201, "an event name is at most 200 characters (this one has 201)"),
]


@pytest.mark.parametrize(("name", "fragment"), [(n, f) for _, n, f in BAD_EVENT_NAMES],
                         ids=[c for c, _, _ in BAD_EVENT_NAMES])
def test_event_names_with_control_characters_are_refused(catalog, name, fragment):
    with pytest.raises(ValidationError) as err:
        events_repo.create_event(catalog, name, "sports")
    assert fragment in str(err.value)
    assert events_repo.list_events(catalog).height == 0


@pytest.mark.parametrize("name", ["Café ⚽ 決勝", 'O\'Brien; "Wedding" & <party>', "-final", "../../etc", "x" * 200,
                                  "👨\u200d👩\u200d👧 family day"])
def test_unusual_but_visible_event_names_are_kept(catalog, name):
    assert events_repo.create_event(catalog, f"  {name} ", "wedding").name == name


def test_cli_refuses_an_event_name_with_a_newline(tmp_path, capsys):
    home = str(tmp_path / "h")
    assert main(["--home", home, "event", "create", "Cup\nFinal", "--type", "sports"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "anchor: error: an event name must be a single line" in err
    assert main(["--home", home, "event", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
