from __future__ import annotations

import numpy as np
import pytest

from anchor_core.errors import MediaError
from anchor_core.media import AVDecoder, decode_audio, iter_video_frames, parse_ffmpeg_info, probe
from tests.mediagen import make_clip


def test_vfr_phone_footage_is_reported_as_variable_frame_rate(fixtures_dir):
    info = probe(fixtures_dir / "scenes" / "goldeneye-vfr-drop3.mp4")
    assert info.video is not None and info.video.vfr
    assert (info.video.width, info.video.height) == (1280, 544)
    assert info.video.frame_count == 160
    assert info.audio is None  # this fixture has no audio track
    assert info.duration_s == pytest.approx(9.97, abs=0.05)


def test_constant_frame_rate_is_not_vfr(fixtures_dir):
    info = probe(fixtures_dir / "scenes" / "testvideo.mp4")
    assert info.video is not None and not info.video.vfr
    assert info.video.real_fps == pytest.approx(29.97, abs=0.01)


def test_audio_only_file_probes_without_video(fixtures_dir):
    info = probe(fixtures_dir / "sync" / "bbc-aof_timbl_1.mp3")
    assert info.video is None
    assert info.audio is not None and info.audio.sample_rate == 48000 and info.audio.channels == 2


def test_rotation_metadata_is_read_and_display_size_swapped(tmp_path):
    clip = make_clip(tmp_path / "phone.mp4", width=160, height=96, rotation=90)
    info = probe(clip)
    assert info.video is not None
    assert info.video.rotation in (90, 270)
    assert info.video.display_size == (96, 160)
    chunk = next(iter_video_frames(clip, width=48))
    assert chunk.frames.shape[1:] == (80, 48)  # decoded upright


def test_parse_ffmpeg_info_reads_streams_from_text():
    text = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 1000 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv), 1920x1080, 8000 kb/s, 29.98 fps, 30 tbr, 600 tbn (default)
      Side data:
        displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)
"""
    info = parse_ffmpeg_info(text)
    assert info["duration_s"] == pytest.approx(62.5)
    assert info["video"].codec == "hevc" and info["video"].rotation == 90
    assert info["audio"].sample_rate == 44100 and info["audio"].channels == 2


@pytest.mark.parametrize(("name", "seconds"), [("bbc-aof_timbl_1.mp3", 47.98), ("syncstart_test.wav", 4.6228)])
@pytest.mark.parametrize("sr", [8000, 44100])
def test_decoded_audio_length_matches_duration(fixtures_dir, name, seconds, sr):
    audio = decode_audio(fixtures_dir / "sync" / name, sr)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) / sr == pytest.approx(seconds, abs=0.03)


def test_truncated_copy_is_shorter_by_the_known_offset(fixtures_dir):
    a = decode_audio(fixtures_dir / "sync" / "bbc-aof_timbl_1.mp3", 8000)
    b = decode_audio(fixtures_dir / "sync" / "bbc-aof_timbl_2.mp3", 8000)
    assert (len(a) - len(b)) / 8000 == pytest.approx(12.254, abs=0.06)


def test_audio_window_decodes_only_the_window(fixtures_dir):
    audio = decode_audio(fixtures_dir / "sync" / "bbc-aof_timbl_1.mp3", 16000, start_s=10.0, duration_s=5.0)
    assert len(audio) / 16000 == pytest.approx(5.0, abs=0.01)


def test_vfr_frames_keep_their_real_timestamps(fixtures_dir):
    times = np.concatenate([c.times_s for c in iter_video_frames(
        fixtures_dir / "scenes" / "goldeneye-vfr-drop3.mp4", width=64, chunk_frames=50)])
    assert len(times) == 160
    steps = np.round(np.diff(times) * 24000 / 1001).astype(int)
    assert set(steps) >= {1, 2}  # single and dropped-frame gaps both present
    assert np.all(np.diff(times) > 0)


def test_single_pass_decoder_gives_video_and_audio(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", seconds=2.0, fps=25, sr=44100)
    dec = AVDecoder(clip, width=32, fps=10, sample_rate=16000)
    chunks = list(dec.frames())
    n = sum(len(c.frames) for c in chunks)
    assert n == 20
    assert len(dec.audio) / 16000 == pytest.approx(2.0, abs=0.05)
    # the same samples as the audio-only decoder, read into one array sized from the probe
    alone = decode_audio(clip, 16000)
    assert len(alone) == len(dec.audio) and np.allclose(alone, dec.audio, atol=1e-4)


def test_single_pass_decoder_grows_its_audio_when_the_container_understates_it(tmp_path):
    from dataclasses import replace

    clip = make_clip(tmp_path / "c.mp4", seconds=3.0, fps=25, sr=8000)
    info = probe(clip)
    dec = AVDecoder(clip, width=32, fps=5, sample_rate=8000, info=replace(info, duration_s=0.2))
    list(dec.frames())
    assert len(dec.audio) / 8000 == pytest.approx(3.0, abs=0.05)


def test_decoder_without_audio_gives_empty_audio(fixtures_dir):
    dec = AVDecoder(fixtures_dir / "scenes" / "fades.mp4", width=32, fps=5, sample_rate=16000)
    assert sum(len(c.frames) for c in dec.frames()) == 50
    assert dec.audio.size == 0


def test_ffmpeg_errors_name_the_file_and_carry_its_message(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video")
    with pytest.raises(MediaError) as err:
        probe(bad)
    assert "notes.mp4" in str(err.value)
    assert "Invalid data" in err.value.stderr or "invalid" in err.value.stderr.lower()
