"""Probing media with ffmpeg alone (the wheel ships no ffprobe).

Two cheap reads: `ffmpeg -i` for container, streams and rotation, then a stream-copy packet
scan (`-f framemd5`, no decoding) for the real frame timing, which is the only honest way to
tell variable frame rate footage (phones) and to catch a truncated file.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MediaError
from .ffmpeg import run_ffmpeg


@dataclass(frozen=True)
class VideoStream:
    codec: str
    width: int  # coded size
    height: int
    rotation: int  # degrees clockwise to display upright: 0, 90, 180, 270
    avg_fps: float  # as the container states it
    real_fps: float  # frames / time span, from the packet timestamps
    vfr: bool
    frame_count: int
    pix_fmt: str = ""  # as ffmpeg names it: yuv420p, yuv420p10le (10-bit), ... ("" if not stated)

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown, after applying rotation (ffmpeg autorotates on decode)."""
        return (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)

    @property
    def length_s(self) -> float:
        """How long the picture lasts, from the packets (0 when the packets were not scanned)."""
        return self.frame_count / self.real_fps if self.frame_count and self.real_fps > 0 else 0.0


@dataclass(frozen=True)
class AudioStream:
    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class MediaProbe:
    path: str
    container: str
    duration_s: float
    size_bytes: int
    video: VideoStream | None
    audio: AudioStream | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> MediaProbe:
        v = d.get("video")
        a = d.get("audio")
        return MediaProbe(
            path=d["path"],
            container=d["container"],
            duration_s=float(d["duration_s"]),
            size_bytes=int(d["size_bytes"]),
            video=VideoStream(**_known(VideoStream, v)) if v else None,
            audio=AudioStream(**_known(AudioStream, a)) if a else None,
        )


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    """The keys of a stored dict that the dataclass still has (rows outlive field changes)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):([\d.]+)")
_INPUT = re.compile(r"Input #0, ([^,\n]+(?:,[^,\n]+)*?), from")
_STREAM = re.compile(r"Stream #0:(\d+)(?:\[[^\]]*\])?(?:\([^)]*\))?: (Video|Audio|Data|Subtitle): (.*)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS = re.compile(r"([\d.]+)(k?) fps")
_HZ = re.compile(r"(\d+) Hz")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")
_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "4.0": 4, "5.0": 5, "5.1": 6, "6.1": 7, "7.1": 8}


def probe(path: str | Path, *, scan_packets: bool = True, ffmpeg: str | None = None) -> MediaProbe:
    """Describe a media file; raise MediaError if ffmpeg cannot read it as media at all."""
    p = Path(path)
    if not p.is_file():
        raise MediaError("file not found", path=str(p))
    size = p.stat().st_size
    if size == 0:
        raise MediaError("file is empty (0 bytes)", path=str(p))
    proc = run_ffmpeg(["-i", input_arg(p)], path=p, check=False, ffmpeg=ffmpeg)
    text = proc.stderr.decode("utf-8", "replace")
    if "Input #0" not in text:
        raise MediaError("not a media file ffmpeg can read", path=str(p), stderr=text)
    info = parse_ffmpeg_info(text)
    video = info["video"]
    duration = info["duration_s"]
    if video is not None and scan_packets:
        video, scanned = _scan_video_packets(p, video, ffmpeg)
        if duration <= 0 and scanned > 0:
            duration = scanned
    if duration <= 0:
        raise MediaError("media has no duration (empty or broken stream)", path=str(p), stderr=text)
    return MediaProbe(
        path=str(p),
        container=info["container"],
        duration_s=duration,
        size_bytes=size,
        video=video,
        audio=info["audio"],
    )


def input_arg(path: str | Path) -> str:
    """A file name ffmpeg cannot mistake for anything else: absolute, so `-`, `pipe:0`,
    `concat:a|b` or `-i`-looking names are plain files, never stdin, a protocol or an option."""
    return str(Path(os.path.abspath(path)))


def parse_ffmpeg_info(text: str) -> dict[str, Any]:
    """Parse the stream summary `ffmpeg -i` prints. Pure, so it is tested on captured text."""
    m = _DURATION.search(text)
    duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)) if m else 0.0
    cm = _INPUT.search(text)
    container = cm.group(1).strip() if cm else "unknown"
    video: VideoStream | None = None
    audio: AudioStream | None = None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        sm = _STREAM.search(line)
        if not sm:
            continue
        kind, desc = sm.group(2), sm.group(3)
        codec = desc.split()[0].rstrip(",")
        if kind == "Video" and video is None and "attached pic" not in desc:
            size = _SIZE.search(desc)
            fps_m = _FPS.search(desc)
            fps = float(fps_m.group(1)) * (1000 if fps_m and fps_m.group(2) else 1) if fps_m else 0.0
            rotation = 0
            for follow in lines[i + 1 : i + 12]:
                if _STREAM.search(follow):
                    break
                rm = _ROTATION.search(follow)
                if rm:
                    rotation = _normalise_rotation(float(rm.group(1)))
            w, h = (int(size.group(1)), int(size.group(2))) if size else (0, 0)
            video = VideoStream(codec, w, h, rotation, fps, fps, False, 0, _pix_fmt(desc))
        elif kind == "Audio" and audio is None:
            hz = _HZ.search(desc)
            channels = 0
            parts = [s.strip() for s in desc.split(",")]
            for part in parts:
                if part in _CHANNELS:
                    channels = _CHANNELS[part]
                elif part.endswith("channels") and part.split()[0].isdigit():
                    channels = int(part.split()[0])
            audio = AudioStream(codec, int(hz.group(1)) if hz else 0, channels or 1)
    return {"duration_s": duration, "container": container, "video": video, "audio": audio}


def _pix_fmt(desc: str) -> str:
    """The pixel format: the second top-level item of a video stream line
    (`hevc (Main 10) (hvc1 / …), yuv420p10le(tv, progressive), 160x90, …`)."""
    parts, depth, cur = [], 0, ""
    for ch in desc:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    if len(parts) < 2:
        return ""
    fmt = parts[1].split("(")[0].strip()
    return fmt if re.fullmatch(r"[a-z][a-z0-9_]*", fmt) else ""


def _normalise_rotation(display_matrix_deg: float) -> int:
    # ffmpeg reports the display matrix rotation counter-clockwise; store clockwise 0/90/180/270.
    return int(round(-display_matrix_deg / 90.0)) % 4 * 90


def _scan_video_packets(path: Path, video: VideoStream, ffmpeg: str | None) -> tuple[VideoStream, float]:
    proc = run_ffmpeg(
        ["-v", "error", "-i", input_arg(path), "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"],
        path=path,
        what="cannot read the video stream",
        ffmpeg=ffmpeg,
    )
    err = proc.stderr.decode("utf-8", "replace").strip()
    if err:
        raise MediaError("the video stream is damaged or truncated", path=str(path), stderr=err)
    tb = 1.0
    pts: list[int] = []
    durs: list[int] = []
    for raw in proc.stdout.decode("ascii", "replace").splitlines():
        if raw.startswith("#tb"):
            num, den = raw.split(":")[1].strip().split("/")
            tb = int(num) / int(den)
        elif raw and not raw.startswith("#"):
            cols = [c.strip() for c in raw.split(",")]
            pts.append(int(cols[2]))
            durs.append(int(cols[3]))
    if not pts:
        raise MediaError("the video stream has no frames", path=str(path))
    times = np.sort(np.asarray(pts, dtype=np.float64) * tb)
    n = len(times)
    span = times[-1] - times[0] + durs[int(np.argmax(pts))] * tb
    real_fps = n / span if span > 0 else video.avg_fps
    vfr = False
    if n > 2:
        deltas = np.diff(times)
        med = float(np.median(deltas))
        # Constant frame rate: (nearly) every step equals the median. Phones and dropped
        # frames give steps that differ by whole frame intervals.
        vfr = bool(med > 0 and np.mean(np.abs(deltas - med) > 0.25 * med) > 0.01)
    stream = VideoStream(
        video.codec, video.width, video.height, video.rotation,
        video.avg_fps or float(real_fps), round(float(real_fps), 4), vfr, n, video.pix_fmt,
    )
    return stream, float(span)
