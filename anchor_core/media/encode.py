"""Encoding builders: raw frames piped into H.264, PCM into AAC. Used by the demo generator,
the ad clips and tests that need real media; every command is built here, not by callers.
"""

from __future__ import annotations

import threading
import wave
from pathlib import Path
from types import TracebackType

import numpy as np

from ..errors import MediaError
from .ffmpeg import popen_ffmpeg, run_ffmpeg


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int) -> Path:
    """16-bit PCM WAV (mono or (n, channels)); clipping is the caller's job to avoid."""
    data = np.asarray(samples, dtype=np.float32)
    channels = 1 if data.ndim == 1 else data.shape[1]
    pcm = (np.clip(data, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return Path(path)


def encode_audio(src_wav: str | Path, out: str | Path, *, codec: str = "aac", bitrate: str = "160k") -> Path:
    """Encode a WAV to a compressed track (aac in .m4a, or libmp3lame/mp3 if the build has it)."""
    run_ffmpeg(["-i", str(src_wav), "-c:a", codec, "-b:a", bitrate, "-movflags", "+faststart", str(out)],
               path=src_wav, what="cannot encode audio")
    return Path(out)


class RawVideoWriter:
    """Pipe BGR24 frames into an H.264 mp4, optionally muxing a WAV as AAC audio.

    `display_rotation` (degrees counter-clockwise, as ffmpeg's option) tags phone-style
    rotation metadata without touching the pixels.
    """

    def __init__(
        self, out: str | Path, *, width: int, height: int, fps: float, audio_wav: str | Path | None = None,
        crf: int = 23, preset: str = "veryfast", gop_s: float = 2.0, display_rotation: int | None = None,
        threads: int = 0,
    ) -> None:
        self.out = Path(out)
        self.width, self.height = width, height
        self.rotation = display_rotation
        self._target = self.out if display_rotation is None else self.out.with_name(self.out.name + ".raw.mp4")
        args = ["-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", f"{fps:g}"]
        args += ["-i", "pipe:0"]
        if audio_wav is not None:
            args += ["-i", str(audio_wav), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "128k"]
        args += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
        args += ["-g", str(max(1, int(round(fps * gop_s)))), "-threads", str(threads)]
        args += ["-movflags", "+faststart", str(self._target)]
        self._proc = popen_ffmpeg(args, stdin_pipe=True)
        self._err: list[bytes] = []
        self._drain = threading.Thread(target=self._read_err, daemon=True)
        self._drain.start()
        self.frames = 0

    def _read_err(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._err.append(line)

    def __enter__(self) -> RawVideoWriter:
        return self

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be uint8 {(self.height, self.width, 3)}, got {frame.dtype} {frame.shape}")
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(np.ascontiguousarray(frame).tobytes())
        except BrokenPipeError as exc:
            self._proc.wait()
            raise MediaError("the encoder stopped", path=str(self.out), stderr=b"".join(self._err).decode()) from exc
        self.frames += 1

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close(failed=et is not None)

    def close(self, failed: bool = False) -> None:
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            self._proc.stdin.close()
        code = self._proc.wait()
        self._drain.join(timeout=10)
        if failed:
            self._target.unlink(missing_ok=True)
            return
        if code != 0:
            raise MediaError("cannot encode video", path=str(self.out), stderr=b"".join(self._err).decode())
        if self.rotation is not None:
            # Tag the rotation on a stream copy: encoding would apply it to the pixels instead.
            run_ffmpeg(["-display_rotation:v:0", str(self.rotation), "-i", str(self._target), "-c", "copy",
                        "-movflags", "+faststart", str(self.out)], path=self.out, what="cannot tag rotation")
            self._target.unlink()
