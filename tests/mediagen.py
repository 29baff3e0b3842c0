"""Small real media files for tests, made with the project's own encoder builders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anchor_core.media.encode import RawVideoWriter, encode_audio, write_wav


def noise_audio(seconds: float, sr: int = 48000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.2 * rng.standard_normal(int(seconds * sr))).astype(np.float32)


def make_clip(path: Path, *, seconds: float = 2.0, width: int = 160, height: int = 90, fps: float = 25.0,
              audio: bool = True, sr: int = 48000, rotation: int | None = None, seed: int = 0) -> Path:
    wav = None
    if audio:
        wav = write_wav(path.with_suffix(".wav"), noise_audio(seconds, sr, seed), sr)
    with RawVideoWriter(path, width=width, height=height, fps=fps, audio_wav=wav, display_rotation=rotation) as w:
        for i in range(int(seconds * fps)):
            f = np.zeros((height, width, 3), np.uint8)
            f[:, : (i * 7 + seed * 13) % width] = (30, 160, 60)
            w.write(f)
    if wav is not None:
        wav.unlink()
    return path


def make_audio_only(path: Path, seconds: float = 2.0, sr: int = 44100) -> Path:
    wav = write_wav(path.with_suffix(".wav"), noise_audio(seconds, sr), sr)
    encode_audio(wav, path)
    wav.unlink()
    return path


# --- Corpus generators (tests/test_corpus.py): odd but real footage, each a second or two. ---

def make_clip_with_sound(path: Path, samples: np.ndarray, sr: int, *, seconds: float = 2.0, width: int = 160,
                         height: int = 90, fps: float = 25.0) -> Path:
    """A clip whose sound is exactly `samples` (mono, or (n, channels): 6 columns make 5.1)."""
    wav = write_wav(path.with_suffix(".sound.wav"), samples, sr)
    with RawVideoWriter(path, width=width, height=height, fps=fps, audio_wav=wav) as w:
        for i in range(int(seconds * fps)):
            f = np.zeros((height, width, 3), np.uint8)
            f[:, : (i * 7) % width] = (160, 60, 30)
            w.write(f)
    wav.unlink()
    return path


def remux(src: Path, out: Path, *, faststart: bool) -> Path:
    """The same streams, with the mp4 index (moov) at the front (faststart) or at the end."""
    from anchor_core.media import run_ffmpeg

    args = ["-i", str(src), "-map", "0", "-c", "copy"] + (["-movflags", "+faststart"] if faststart else [])
    run_ffmpeg([*args, str(out)], path=src, what="cannot remux")
    return out


def make_vfr_clip(path: Path, *, seconds: float = 2.0, fps: float = 25.0) -> Path:
    """Phone-style variable frame rate: one frame in four dropped, the others keep their times."""
    from anchor_core.media import run_ffmpeg

    src = make_clip(path.with_name(path.stem + ".cfr.mp4"), seconds=seconds, fps=fps)
    run_ffmpeg(["-i", str(src), "-vf", "select='not(eq(mod(n\\,4)\\,1))'", "-fps_mode", "vfr",
                "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", str(path)],
               path=src, what="cannot make a VFR clip")
    src.unlink()
    return path


def make_hevc10_clip(path: Path, *, seconds: float = 1.5) -> Path:
    """10-bit HEVC (Main 10, yuv420p10le) with AAC sound; MediaError if this ffmpeg cannot encode it."""
    from anchor_core.media import run_ffmpeg

    src = make_clip(path.with_name(path.stem + ".h264.mp4"), seconds=seconds)
    try:
        run_ffmpeg(["-i", str(src), "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
                    "-x265-params", "log-level=error", "-tag:v", "hvc1", "-c:a", "copy", str(path)],
                   path=src, what="cannot encode 10-bit HEVC")
    finally:
        src.unlink()
    return path


def make_still_png(path: Path, *, width: int = 160, height: int = 90) -> Path:
    """One picture (a PNG), for "a still image renamed .mp4"."""
    from anchor_core.media import run_ffmpeg

    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=green:s={width}x{height}", "-frames:v", "1", "-f", "image2",
                "-c:v", "png", str(path)], path=path, what="cannot write a PNG")
    return path
