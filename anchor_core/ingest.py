"""Ingest: check a file is playable media, store it once (by content hash), record it.

Everything is checked before anything is written, and a failure after the copy removes the
copy, so a refused file leaves neither an object nor a catalog row behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .catalog import Catalog
from .catalog import events as events_repo
from .catalog import music as music_repo
from .catalog import videos as videos_repo
from .catalog.ids import new_id
from .catalog.status import check_angle_type
from .errors import IngestError, MediaError
from .media import MediaProbe, probe, run_ffmpeg
from .store import ObjectStore, music_key, safe_ext, video_key

Progress = Callable[[int, int | None], None]
HASH_CHUNK = 8 << 20


@dataclass(frozen=True)
class IngestResult:
    id: str
    kind: str  # "video" | "music"
    created: bool  # False when the same content was already in the event
    object_key: str
    probe: MediaProbe | None


def ingest_video(
    cat: Catalog, store: ObjectStore, event_id: str, src: str | Path | BinaryIO, *, angle_type: str,
    name: str | None = None, progress: Progress | None = None, scratch: str | Path | None = None,
    ffmpeg: str | None = None,
) -> IngestResult:
    """Add one angle to an event from a path or a binary stream."""
    check_angle_type(angle_type)
    events_repo.get_event(cat, event_id)
    with _as_local_file(src, name, scratch) as (path, display):
        digest = file_sha256(path)
        existing = videos_repo.find_by_hash(cat, event_id, digest)
        if existing:
            return IngestResult(existing.id, "video", False, existing.object_key, None)
        info = check_playable(path, display, want_video=True, ffmpeg=ffmpeg)
        video_id = new_id("vid")
        key = video_key(event_id, video_id, safe_ext(display, "mp4"))
        _advance(cat, event_id, "uploading")
        store.put_file(key, path, progress=progress)
        try:
            videos_repo.insert_video(
                cat, video_id=video_id, event_id=event_id, angle_type=angle_type, object_key=key,
                original_name=Path(display).name, content_hash=digest, size_bytes=info.size_bytes,
                duration_s=info.duration_s, probe=info.to_dict(),
            )
        except BaseException:
            store.delete(key)
            raise
        _advance(cat, event_id, "uploaded")
        return IngestResult(video_id, "video", True, key, info)


def ingest_music(
    cat: Catalog, store: ObjectStore, event_id: str, src: str | Path | BinaryIO, *,
    name: str | None = None, progress: Progress | None = None, scratch: str | Path | None = None,
    ffmpeg: str | None = None,
) -> IngestResult:
    """Add the event's music track (audio only is expected; a video's audio is accepted too)."""
    events_repo.get_event(cat, event_id)
    with _as_local_file(src, name, scratch) as (path, display):
        digest = file_sha256(path)
        existing = music_repo.find_music_by_hash(cat, event_id, digest)
        if existing:
            return IngestResult(existing.id, "music", False, existing.object_key, None)
        info = check_playable(path, display, want_video=False, ffmpeg=ffmpeg)
        music_id = new_id("mus")
        key = music_key(event_id, music_id, safe_ext(display, "m4a"))
        store.put_file(key, path, progress=progress)
        try:
            music_repo.insert_music(
                cat, music_id=music_id, event_id=event_id, object_key=key, original_name=Path(display).name,
                content_hash=digest, size_bytes=info.size_bytes, duration_s=info.duration_s,
                probe=info.to_dict(),
            )
        except BaseException:
            store.delete(key)
            raise
        return IngestResult(music_id, "music", True, key, info)


def check_playable(path: Path, display: str, *, want_video: bool, ffmpeg: str | None = None) -> MediaProbe:
    """Probe and trial-decode; turn every failure into an IngestError that says what to do."""
    label = Path(display).name
    if _looks_like_text(path):
        raise IngestError(f"{label} is a text file, not a media file (was it renamed?). Nothing was stored.")
    try:
        info = probe(path, ffmpeg=ffmpeg)
    except MediaError as exc:
        raise IngestError(f"{label}: {_reason(exc)}. Nothing was stored; export the file again and retry.") from exc
    if want_video and info.video is None:
        what = "an audio-only file" if info.audio else "a file with no video stream"
        raise IngestError(
            f"{label} is {what}; a camera angle needs a video stream. Use `anchor music` for music."
        )
    if not want_video and info.audio is None:
        raise IngestError(f"{label} has no audio track; music must contain audio.")
    if info.video is not None and (info.video.width < 16 or info.video.height < 16):
        raise IngestError(f"{label}: the video stream has no usable picture size.")
    _trial_decode(path, label, info, ffmpeg)
    return info


def _trial_decode(path: Path, label: str, info: MediaProbe, ffmpeg: str | None) -> None:
    """Decode the first and last second: containers can be intact around broken data."""
    tail = max(0.0, info.duration_s - 1.0)
    for start in sorted({0.0, tail}):
        args = ["-v", "error", "-ss", f"{start:.3f}", "-i", str(path), "-t", "1"]
        args += ["-map", "0:v:0"] if info.video is not None else ["-map", "0:a:0"]
        args += ["-f", "null", "-"]
        try:
            proc = run_ffmpeg(args, path=path, what="trial decode failed", ffmpeg=ffmpeg)
        except MediaError as exc:
            raise IngestError(f"{label}: cannot be decoded ({_reason(exc)}). Nothing was stored.") from exc
        err = proc.stderr.decode("utf-8", "replace").strip()
        if err and any(w in err.lower() for w in ("invalid", "corrupt", "error while decoding", "truncat")):
            raise IngestError(f"{label}: damaged data near {start:.0f} s ({err.splitlines()[-1]}). Nothing was stored.")


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _reason(exc: MediaError) -> str:
    msg = str(exc).split("\n")[0]
    stderr = exc.stderr.lower()
    if "moov atom not found" in stderr:
        return "the file is truncated or was not finished (no index: 'moov atom not found')"
    if "invalid data found" in stderr:
        return "not a media file ffmpeg can read (is it really a video/audio file?)"
    if "damaged or truncated" in msg:
        return "the file is truncated or its video data is damaged"
    return msg


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(HASH_CHUNK):
            h.update(block)
    return h.hexdigest()


def _advance(cat: Catalog, event_id: str, target: str) -> None:
    event = events_repo.get_event(cat, event_id)
    if event.status == target:
        return
    if target == "uploading" and event.status in ("created", "uploaded", "analyzed", "completed", "failed"):
        events_repo.set_event_status(cat, event_id, "uploading")
    elif target == "uploaded" and event.status == "uploading":
        events_repo.set_event_status(cat, event_id, "uploaded")


class _as_local_file:
    """A path for ffmpeg: the file itself, or a stream spooled to a temporary file."""

    def __init__(self, src: str | Path | BinaryIO, name: str | None, scratch: str | Path | None) -> None:
        self.src = src
        self.name = name
        self.scratch = scratch
        self.tmp: Path | None = None

    def __enter__(self) -> tuple[Path, str]:
        if isinstance(self.src, str | Path):
            path = Path(self.src)
            if not path.is_file():
                raise IngestError(f"{path}: no such file")
            return path, self.name or path.name
        display = self.name or "upload.bin"
        if self.scratch:
            Path(self.scratch).mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="ingest-", suffix="." + safe_ext(display, "bin"), dir=self.scratch)
        self.tmp = Path(tmp)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(self.src, out, HASH_CHUNK)
        return self.tmp, display

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
