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
