from __future__ import annotations

import io
import shutil

import pytest

from anchor_core.catalog import events as events_repo
from anchor_core.catalog import videos as videos_repo
from anchor_core.errors import IngestError, ValidationError
from anchor_core.ingest import ingest_music, ingest_video
from tests.mediagen import make_audio_only, make_clip


@pytest.fixture
def event(catalog):
    return events_repo.create_event(catalog, "Match", "sports")


def _nothing_stored(catalog, store, event_id):
    assert videos_repo.list_videos(catalog, event_id) == []
    assert [k for k in store.list() if "/videos/" in k] == []


def test_ingest_stores_probes_and_records_a_video(catalog, store, event, tmp_path):
    clip = make_clip(tmp_path / "angle1.mp4")
    seen = []
    r = ingest_video(catalog, store, event.id, clip, angle_type="wide", progress=lambda d, t: seen.append((d, t)))
    assert r.created and r.object_key == f"events/{event.id}/videos/{r.id}.mp4"
    assert store.exists(r.object_key)
    v = videos_repo.get_video(catalog, r.id)
    assert v.angle_type == "wide" and v.status == "uploaded"
    assert v.duration_s == pytest.approx(2.0, abs=0.1)
    assert v.probe["video"]["width"] == 160
    assert seen and seen[-1][0] == clip.stat().st_size
    assert events_repo.get_event(catalog, event.id).status == "uploaded"


def test_same_file_twice_is_one_video(catalog, store, event, tmp_path):
    clip = make_clip(tmp_path / "a.mp4")
    copy = tmp_path / "renamed.mp4"
    shutil.copy(clip, copy)
    first = ingest_video(catalog, store, event.id, clip, angle_type="wide")
    second = ingest_video(catalog, store, event.id, copy, angle_type="closeup")
    assert second.id == first.id and not second.created
    assert len(videos_repo.list_videos(catalog, event.id)) == 1


def test_ingest_from_a_stream_with_a_hostile_name(catalog, store, event, tmp_path):
    clip = make_clip(tmp_path / "a.mp4")
    r = ingest_video(catalog, store, event.id, io.BytesIO(clip.read_bytes()), angle_type="crowd",
                     name="../../etc/passwd", scratch=tmp_path / "scratch")
    assert r.object_key == f"events/{event.id}/videos/{r.id}.mp4"
    assert list((tmp_path / "scratch").iterdir()) == []  # the spooled copy is gone


def test_empty_file_is_refused(catalog, store, event, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        ingest_video(catalog, store, event.id, empty, angle_type="wide")
    _nothing_stored(catalog, store, event.id)


def test_text_renamed_mp4_is_refused(catalog, store, event, tmp_path):
    fake = tmp_path / "clip.mp4"
    fake.write_text("hello, I am a text file\n" * 100)
    with pytest.raises(IngestError, match="text file, not a media file"):
        ingest_video(catalog, store, event.id, fake, angle_type="wide")
    _nothing_stored(catalog, store, event.id)


def test_truncated_file_is_refused(catalog, store, event, tmp_path):
    clip = make_clip(tmp_path / "full.mp4", seconds=3.0)
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])  # faststart: index first, data cut off
    with pytest.raises(IngestError, match="truncated|damaged"):
        ingest_video(catalog, store, event.id, cut, angle_type="wide")
    _nothing_stored(catalog, store, event.id)


def test_corrupt_video_data_is_refused(catalog, store, event, tmp_path):
    clip = make_clip(tmp_path / "full.mp4", seconds=3.0, audio=False)
    data = bytearray(clip.read_bytes())
    # Scribble over the first bytes of the media data (the atoms before it stay intact).
    start = data.find(b"mdat") + 8
    data[start : start + 4000] = bytes((i * 37) % 256 for i in range(4000))
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(bytes(data))
    with pytest.raises(IngestError, match="damaged|cannot be decoded"):
        ingest_video(catalog, store, event.id, bad, angle_type="wide")
    _nothing_stored(catalog, store, event.id)


def test_audio_only_file_is_refused_as_an_angle(catalog, store, event, tmp_path):
    song = make_audio_only(tmp_path / "song.m4a")
    with pytest.raises(IngestError, match="audio-only.*anchor music"):
        ingest_video(catalog, store, event.id, song, angle_type="wide")
    _nothing_stored(catalog, store, event.id)


def test_unknown_angle_type_is_refused(catalog, store, event, tmp_path):
    with pytest.raises(ValidationError, match="unknown angle type"):
        ingest_video(catalog, store, event.id, tmp_path / "x.mp4", angle_type="drone")


def test_music_is_ingested_once(catalog, store, event, tmp_path):
    song = make_audio_only(tmp_path / "song.m4a")
    first = ingest_music(catalog, store, event.id, song)
    again = ingest_music(catalog, store, event.id, song)
    assert first.created and not again.created and first.id == again.id
    assert first.object_key.startswith(f"events/{event.id}/music/")


def test_video_without_audio_is_accepted_as_an_angle(catalog, store, event, tmp_path):
    clip = make_clip(tmp_path / "silent.mp4", audio=False)
    r = ingest_video(catalog, store, event.id, clip, angle_type="wide")
    assert videos_repo.get_video(catalog, r.id).probe["audio"] is None
