"""Decoding through pipes: audio as mono float32, video as small numpy frames in chunks.

Nothing here loads a whole file: audio is read straight into one preallocated array, video is
yielded a chunk at a time. Frame times come from ffmpeg's own timestamps (showinfo), so
variable frame rate footage keeps its real timing.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MediaError
from .ffmpeg import finish, popen_ffmpeg
from .probe import MediaProbe, probe

_PTS_TIME = re.compile(rb"n:\s*(\d+)\s+pts:\s*-?\d+\s+pts_time:(-?[\d.e+-]+)")


@dataclass(frozen=True)
class VideoChunk:
    """Consecutive decoded frames: `frames` is (n, h, w) uint8 for gray, (n, h, w, 3) for rgb."""

    times_s: np.ndarray
    frames: np.ndarray


def decode_audio(
    path: str | Path,
    sample_rate: int,
    *,
    start_s: float = 0.0,
    duration_s: float | None = None,
    expected_duration_s: float | None = None,
    ffmpeg: str | None = None,
) -> np.ndarray:
    """Mono float32 samples at `sample_rate`, streamed into one array (no intermediate copies)."""
    if expected_duration_s is None:
        info = probe(path, scan_packets=False, ffmpeg=ffmpeg)
        if info.audio is None:
            raise MediaError("the file has no audio track", path=str(path))
        expected_duration_s = max(0.0, info.duration_s - start_s)
    want = expected_duration_s if duration_s is None else min(duration_s, expected_duration_s)
    args = _seek_args(start_s, duration_s) + ["-i", str(path), "-map", "0:a:0", "-vn", "-ac", "1"]
    args += ["-ar", str(int(sample_rate)), "-f", "f32le", "pipe:1"]
    proc = popen_ffmpeg(args, ffmpeg=ffmpeg)
    assert proc.stdout is not None
    capacity = int(want * sample_rate) + sample_rate  # a second of slack for container rounding
    buf = np.empty(capacity, dtype=np.float32)
    n = _read_into(proc.stdout, buf)
    extra: list[np.ndarray] = []
    while True:  # the container understated its duration: keep reading in blocks
        block = np.empty(sample_rate * 10, dtype=np.float32)
        got = _read_into(proc.stdout, block)
        if got == 0:
            break
        extra.append(block[:got])
    finish(proc, path=path, what="cannot decode the audio track")
    out = buf[:n] if not extra else np.concatenate([buf[:n], *extra])
    return out


def iter_video_frames(
    path: str | Path,
    *,
    width: int,
    height: int | None = None,
    fps: float | None = None,
    gray: bool = True,
    chunk_frames: int = 64,
    start_s: float = 0.0,
    duration_s: float | None = None,
    info: MediaProbe | None = None,
    ffmpeg: str | None = None,
) -> Iterator[VideoChunk]:
    """Yield frames scaled to `width` (height keeps the display aspect) with their real times."""
    dec = AVDecoder(path, width=width, height=height, fps=fps, gray=gray, chunk_frames=chunk_frames,
                    start_s=start_s, duration_s=duration_s, info=info, ffmpeg=ffmpeg, sample_rate=None)
    yield from dec.frames()


class AVDecoder:
    """One ffmpeg process that decodes video frames and (optionally) audio in a single pass.

    Iterate `frames()`; afterwards `audio` holds the mono float32 track (or an empty array when
    the file has none). The analyzer uses this so each angle is read from disk once.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        width: int,
        height: int | None = None,
        fps: float | None = None,
        gray: bool = True,
        chunk_frames: int = 64,
        start_s: float = 0.0,
        duration_s: float | None = None,
        sample_rate: int | None = None,
        read_ahead: int = 3,
        info: MediaProbe | None = None,
        ffmpeg: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.info = info or probe(path, scan_packets=False, ffmpeg=ffmpeg)
        if self.info.video is None:
            raise MediaError("the file has no video stream", path=str(path))
        dw, dh = self.info.video.display_size
        self.width = int(width) // 2 * 2
        self.height = int(height) if height else max(2, int(round(self.width * dh / max(dw, 1) / 2)) * 2)
        self.fps = fps
        self.gray = gray
        self.chunk_frames = max(1, chunk_frames)
        self.read_ahead = max(1, read_ahead)
        self.start_s = start_s
        self.duration_s = duration_s
        self.sample_rate = sample_rate if (sample_rate and self.info.audio is not None) else None
        self.ffmpeg = ffmpeg
        self.audio: np.ndarray = np.zeros(0, dtype=np.float32)

    def frames(self) -> Iterator[VideoChunk]:
        import os

        chain = []
        if self.fps:
            chain.append(f"fps={self.fps:g}")
        chain.append(f"scale={self.width}:{self.height}:flags=area")
        chain.append("showinfo=checksum=0")
        pix = "gray" if self.gray else "rgb24"
        args = _seek_args(self.start_s, self.duration_s) + ["-i", str(self.path)]
        args += ["-map", "0:v:0", "-vf", ",".join(chain), "-fps_mode", "passthrough"]
        args += ["-pix_fmt", pix, "-f", "rawvideo", "pipe:1"]
        audio_r = audio_w = -1
        if self.sample_rate:
            audio_r, audio_w = os.pipe()
            args += ["-map", "0:a:0", "-ac", "1", "-ar", str(self.sample_rate), "-f", "f32le", f"pipe:{audio_w}"]
        # showinfo logs at info level; keep everything else quiet but errors.
        proc = popen_ffmpeg(["-loglevel", "info", *args], pass_fds=(audio_w,) if audio_w >= 0 else (),
                            ffmpeg=self.ffmpeg)
        if audio_w >= 0:
            os.close(audio_w)
        times: list[float] = []
        err_lines: list[bytes] = []

        def read_stderr() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                m = _PTS_TIME.search(line)
                if m:
                    times.append(float(m.group(2)))
                elif b"error" in line.lower() or b"invalid" in line.lower():
                    err_lines.append(line)

        # Audio goes straight into one array sized from the probe (grown only if the container
        # understated its length): a three-hour track costs the array, not three copies of it.
        a_rate = self.sample_rate or 0
        span = self.info.duration_s - self.start_s if self.duration_s is None else self.duration_s
        audio_buf = [np.empty(max(1, int(max(span, 0.0) * a_rate) + a_rate), dtype=np.float32)]
        audio_n = [0]

        def read_audio() -> None:
            with os.fdopen(audio_r, "rb", buffering=0) as fh:
                while True:
                    buf = audio_buf[0]
                    if audio_n[0] == len(buf):
                        grown = np.empty(len(buf) + max(a_rate * 60, len(buf) // 4), dtype=np.float32)
                        grown[:len(buf)] = buf
                        audio_buf[0] = buf = grown
                    got = _read_into(fh, buf[audio_n[0]:])
                    if got == 0:
                        break
                    audio_n[0] += got

        threads = [threading.Thread(target=read_stderr, daemon=True)]
        if audio_r >= 0:
            threads.append(threading.Thread(target=read_audio, daemon=True))
        for t in threads:
            t.start()
        c = 1 if self.gray else 3
        frame_bytes = self.width * self.height * c
        shape = (self.height, self.width) if self.gray else (self.height, self.width, 3)
        assert proc.stdout is not None
        stdout = proc.stdout
        # Read ahead in a thread (pipe reads release the GIL), so ffmpeg keeps decoding while the
        # caller works on the previous chunk instead of both taking turns through a 64 KB pipe.
        ahead: queue.Queue[tuple[np.ndarray, int] | None] = queue.Queue(maxsize=self.read_ahead)
        stop = threading.Event()

        def read_frames() -> None:
            try:
                while not stop.is_set():
                    buf = np.empty((self.chunk_frames, *shape), dtype=np.uint8)
                    got = _read_into(stdout, buf.reshape(-1).view(np.uint8)) // frame_bytes
                    if got == 0:
                        break
                    ahead.put((buf, got))
                    if got < self.chunk_frames:
                        break
            except (OSError, ValueError):
                pass
            finally:
                ahead.put(None)

        reader = threading.Thread(target=read_frames, daemon=True)
        reader.start()
        index = 0
        try:
            while True:
                item = ahead.get()
                if item is None:
                    break
                buf, got = item
                # showinfo prints a frame's line before the frame reaches the pipe, but the
                # stderr thread may lag: wait until it has seen these frames.
                _wait_for(lambda i=index + got: len(times) >= i or not threads[0].is_alive())
                ts = np.asarray(times[index:index + got], dtype=np.float64)
                if len(ts) < got:  # timestamps lost: fall back to the nominal rate
                    rate = self.fps or (self.info.video.real_fps if self.info.video else 25.0)
                    ts = np.arange(index, index + got, dtype=np.float64) / rate
                yield VideoChunk(ts + self.start_s, buf[:got])
                index += got
        finally:
            stop.set()
            while reader.is_alive():  # unblock a reader waiting on a full queue
                with contextlib.suppress(queue.Empty):
                    ahead.get_nowait()
                reader.join(timeout=0.05)
            stdout.close()
            code = proc.wait()
            for t in threads:
                t.join(timeout=30)
        if code != 0:
            raise MediaError("cannot decode the video", path=str(self.path),
                             stderr=b"".join(err_lines).decode("utf-8", "replace"))
        if audio_n[0]:
            self.audio = audio_buf[0][:audio_n[0]]


def _wait_for(cond: object, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.001)


def _seek_args(start_s: float, duration_s: float | None) -> list[str]:
    args: list[str] = []
    if start_s > 0:
        args += ["-ss", f"{start_s:.6f}"]
    if duration_s is not None:
        args += ["-t", f"{duration_s:.6f}"]
    return args


def _read_into(stream: object, arr: np.ndarray) -> int:
    """Fill a numpy buffer from a pipe; returns the number of whole items read."""
    view = memoryview(arr).cast("B")  # type: ignore[arg-type]
    total = 0
    while total < len(view):
        got = stream.readinto(view[total:])  # type: ignore[attr-defined]
        if not got:
            break
        total += got
    return total // arr.itemsize
