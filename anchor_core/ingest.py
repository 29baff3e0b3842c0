"""Ingest: check a file is playable media, store it once (by content hash), record it.

Everything is checked before anything is written, and a failure after the copy removes the
copy, so a refused file leaves neither an object nor a catalog row behind.

What is refused and what is accepted with a warning (`IngestResult.warnings`, printed by
`anchor ingest` as `anchor: warning: ...`):

- refused: empty, unreadable, truncated or damaged files, text renamed as media, an angle with
  no video stream (audio goes to `anchor music`), and an angle with less than `MIN_ANGLE_S` of
  picture (a single frame, a still image, a sub-second clip: nothing to sync or cut to);
- accepted with a warning: an angle without an audio track or with a silent one (it cannot be
  audio-synced, so sync leaves it out of the edit), a file name with control characters (stored
  with them replaced), and the same footage again under another `--angle` (the footage is
  already in the event: nothing changes and it keeps the angle type it was ingested with).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from .catalog import Catalog
from .catalog import events as events_repo
from .catalog import music as music_repo
from .catalog import videos as videos_repo
from .catalog.ids import new_id
from .catalog.status import check_angle_type
from .errors import IngestError, MediaError
from .media import MediaProbe, decode_audio, probe, run_ffmpeg
from .media.probe import input_arg
from .store import ObjectStore, music_key, safe_ext, video_key

Progress = Callable[[int, int | None], None]
HASH_CHUNK = 8 << 20
MIN_ANGLE_S = 1.0  # sync needs a second of sound, the edit a shot; less is not an angle
SILENCE_RMS = 1e-4  # the level under which sync calls a track silent (sync.pair.silence_reason)
SILENCE_RATE = 2000  # samples per second for the silence check (as sync's coarse search)
MAX_NAME = 255
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class IngestResult:
    id: str
    kind: str  # "video" | "music"
    created: bool  # False when the same content was already in the event
    object_key: str
    probe: MediaProbe | None  # the stored probe facts (those of the existing copy for a duplicate)
    name: str = ""  # the stored original name (the existing copy's for a duplicate)
    angle_type: str | None = None  # as stored (videos only)
    warnings: tuple[str, ...] = ()  # accepted, but the producer should know (see the module doc)
    duration_s: float | None = None

    def __post_init__(self) -> None:
        if self.duration_s is None and self.probe is not None:
            object.__setattr__(self, "duration_s", self.probe.duration_s)


def ingest_video(
    cat: Catalog, store: ObjectStore, event_id: str, src: str | Path | BinaryIO, *, angle_type: str,
    name: str | None = None, progress: Progress | None = None, scratch: str | Path | None = None,
    ffmpeg: str | None = None,
) -> IngestResult:
    """Add one angle to an event from a path or a binary stream."""
    check_angle_type(angle_type)
    events_repo.get_event(cat, event_id)
    with _as_local_file(src, name, scratch) as (path, display):
        stored_name, warnings = clean_name(display)
        digest = file_sha256(path)
        existing = videos_repo.find_by_hash(cat, event_id, digest)
        if existing:
            info = MediaProbe.from_dict(existing.probe) if existing.probe else None
            label = existing.original_name or existing.id
            notes: list[str] = []
            if existing.angle_type != angle_type:
                same = f"is the same footage as {label}, already" if label != stored_name else "is already"
                notes.append(
                    f"{stored_name} {same} in the event as {existing.id} with angle {existing.angle_type}; it "
                    f"keeps that angle and --angle {angle_type} was not applied (an angle's type is set when it "
                    "is first ingested)")
            return IngestResult(existing.id, "video", False, existing.object_key, info, label,
                                existing.angle_type, tuple(notes), existing.duration_s)
        info = check_playable(path, display, want_video=True, ffmpeg=ffmpeg)
        warnings += sync_warnings(path, stored_name, info, ffmpeg=ffmpeg)
        video_id = new_id("vid")
        key = video_key(event_id, video_id, safe_ext(display, "mp4"))
        info = replace(info, path=key)  # where the footage now is (the source path may not be storable)
        _advance(cat, event_id, "uploading")
        store.put_file(key, path, progress=progress)
        try:
            videos_repo.insert_video(
                cat, video_id=video_id, event_id=event_id, angle_type=angle_type, object_key=key,
                original_name=stored_name, content_hash=digest, size_bytes=info.size_bytes,
                duration_s=info.duration_s, probe=info.to_dict(),
            )
        except BaseException:
            store.delete(key)
            raise
        _advance(cat, event_id, "uploaded")
        return IngestResult(video_id, "video", True, key, info, stored_name, angle_type, tuple(warnings))


def ingest_music(
    cat: Catalog, store: ObjectStore, event_id: str, src: str | Path | BinaryIO, *,
    name: str | None = None, progress: Progress | None = None, scratch: str | Path | None = None,
    ffmpeg: str | None = None,
) -> IngestResult:
    """Add the event's music track (audio only is expected; a video's audio is accepted too)."""
    events_repo.get_event(cat, event_id)
    with _as_local_file(src, name, scratch) as (path, display):
        stored_name, warnings = clean_name(display)
        digest = file_sha256(path)
        existing = music_repo.find_music_by_hash(cat, event_id, digest)
        if existing:
            return IngestResult(existing.id, "music", False, existing.object_key, None,
                                existing.original_name or existing.id, duration_s=existing.duration_s)
        info = check_playable(path, display, want_video=False, ffmpeg=ffmpeg)
        music_id = new_id("mus")
        key = music_key(event_id, music_id, safe_ext(display, "m4a"))
        info = replace(info, path=key)
        store.put_file(key, path, progress=progress)
        try:
            music_repo.insert_music(
                cat, music_id=music_id, event_id=event_id, object_key=key, original_name=stored_name,
                content_hash=digest, size_bytes=info.size_bytes, duration_s=info.duration_s,
                probe=info.to_dict(),
            )
        except BaseException:
            store.delete(key)
            raise
        return IngestResult(music_id, "music", True, key, info, stored_name, None, tuple(warnings))


def check_playable(path: Path, display: str, *, want_video: bool, ffmpeg: str | None = None) -> MediaProbe:
    """Probe and trial-decode; turn every failure into an IngestError that says what to do."""
    label, _ = clean_name(display)
    if _looks_like_text(path):
        raise IngestError(f"{label} is a text file, not a media file (was it renamed?). Nothing was stored.")
    try:
        info = probe(path, ffmpeg=ffmpeg)
    except MediaError as exc:
        raise IngestError(f"{label}: {_reason(exc, path)}. Nothing was stored; export the file again and retry.") from exc
    if want_video and info.video is None:
        what = "an audio-only file" if info.audio else "a file with no video stream"
        raise IngestError(
            f"{label} is {what}; a camera angle needs a video stream. Nothing was stored. "
            "Use `anchor music` for music."
        )
    if not want_video and info.audio is None:
        raise IngestError(f"{label} has no audio track; music must contain audio. Nothing was stored.")
    if info.video is not None and (info.video.width < 16 or info.video.height < 16):
        raise IngestError(f"{label}: the video stream has no usable picture size. Nothing was stored.")
    if want_video and info.video is not None:
        _check_length(label, info)
    _trial_decode(path, label, info, ffmpeg)
    return info


def _check_length(label: str, info: MediaProbe) -> None:
    """A camera angle needs footage to sync and cut to: a frame or a sub-second clip is not one."""
    assert info.video is not None
    frames = info.video.frame_count
    length = min(info.duration_s, info.video.length_s or info.duration_s)
    one_frame = 1.0 / info.video.real_fps if info.video.real_fps > 0 else 0.0
    if frames == 1 or length + one_frame < MIN_ANGLE_S - 1e-3:  # a frame's grace: 29 frames at 29.97 fps
        what = (f"has a single frame ({length:.2f} s: a still image?)" if frames == 1 else
                f"is only {length:.2f} s long ({frames} frames)")
        raise IngestError(
            f"{label} {what}; a camera angle needs at least {MIN_ANGLE_S:g} s of footage to be synced "
            "and cut to. Nothing was stored; check that the recording or export finished, or use a longer clip."
        )


def sync_warnings(path: Path, label: str, info: MediaProbe, *, ffmpeg: str | None = None) -> list[str]:
    """Why an accepted angle cannot be audio-synced, if it cannot: sync places angles by their
    sound, so one without sound stays unsynced (out of the edit) until it gets some."""
    fix = ("`anchor sync` will leave it unsynced and out of the edit. To place it, ingest the camera's "
           "own file with its sound, or mux the sound recorded with it back in "
           "(ffmpeg -i VIDEO -i SOUND -map 0:v -map 1:a -c copy OUT.mp4) and ingest that")
    if info.audio is None:
        return [f"{label} has no audio track, so it cannot be audio-synced: {fix}"]
    try:
        silent = _is_silent(path, info, ffmpeg)
    except MediaError as exc:
        return [f"{label}: its audio track cannot be decoded ({_reason(exc, path)}), so it cannot be "
                f"audio-synced: {fix}"]
    if silent:
        return [f"{label} has a silent audio track, so it cannot be audio-synced: {fix}"]
    return []


def _is_silent(path: Path, info: MediaProbe, ffmpeg: str | None) -> bool:
    """Silent at sync's threshold: the whole track when short, else the start, middle and end."""
    d = info.duration_s
    spans = [(0.0, d)] if d <= 30.0 else [(0.0, 10.0), (d / 2 - 5.0, 10.0), (d - 10.0, 10.0)]
    total, energy = 0, 0.0
    for start, length in spans:
        x = decode_audio(path, SILENCE_RATE, start_s=start, duration_s=length, expected_duration_s=length,
                         ffmpeg=ffmpeg)
        total += x.size
        energy += float((x.astype("float64") ** 2).sum())
    return total == 0 or (energy / total) ** 0.5 < SILENCE_RMS


def _trial_decode(path: Path, label: str, info: MediaProbe, ffmpeg: str | None) -> None:
    """Decode the first and last second: containers can be intact around broken data."""
    tail = max(0.0, info.duration_s - 1.0)
    for start in sorted({0.0, tail}):
        args = ["-v", "error", "-ss", f"{start:.3f}", "-i", input_arg(path), "-t", "1"]
        args += ["-map", "0:v:0"] if info.video is not None else ["-map", "0:a:0"]
        args += ["-f", "null", "-"]
        try:
            proc = run_ffmpeg(args, path=path, what="trial decode failed", ffmpeg=ffmpeg)
        except MediaError as exc:
            raise IngestError(f"{label}: cannot be decoded ({_reason(exc, path)}). Nothing was stored.") from exc
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


# Boxes an ISO media file (mp4, mov, m4a, 3gp) starts with: a file without one is not an mp4 at all.
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid")


def _reason(exc: MediaError, path: Path | None = None) -> str:
    msg = str(exc).split("\n")[0]
    if exc.path:
        msg = msg.replace(f" ({exc.path})", "")
    stderr = exc.stderr.lower()
    if "moov atom not found" in stderr:
        if path is not None and not _starts_like_mp4(path):
            return "not a media file ffmpeg can read (is it really a video/audio file?)"
        return "the file is truncated or was not finished (no index: 'moov atom not found')"
    if "invalid data found" in stderr:
        return "not a media file ffmpeg can read (is it really a video/audio file?)"
    if "damaged or truncated" in msg:
        return "the file is truncated or its video data is damaged"
    return msg


def _starts_like_mp4(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return len(head) >= 8 and head[4:8] in _MP4_BOXES


def clean_name(name: str) -> tuple[str, list[str]]:
    """The name to store and show for an uploaded file: its last path part, one line of visible
    text (control, line-break and bidi characters replaced by U+FFFD, undecodable bytes too),
    at most MAX_NAME characters. A warning says so when the name had to change."""
    base = Path(name).name if name else ""
    if base in ("", ".", ".."):
        base = "upload"
    out = "".join("\ufffd" if _hidden(ch) else ch for ch in base)
    if len(out) > MAX_NAME:
        out = out[: MAX_NAME - 41] + "…" + out[-40:]
    warnings = []
    if out != base:
        shown = repr(base) if len(base) <= 80 else repr(base[:80]) + "…"
        why = "is too long" if out.count("\ufffd") == base.count("\ufffd") else "has characters that cannot be shown"
        warnings.append(f"the file name {shown} {why}; it is stored and shown as {out!r}")
    return out, warnings


def _hidden(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI


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
                what = "is a folder, not a file" if path.is_dir() else "no such file"
                shown = "".join("\ufffd" if _hidden(ch) else ch for ch in str(path))
                raise IngestError(f"{shown}: {what}; give the path of a video file")
            # Absolute, so ffmpeg never reads a name like `-`, `pipe:0` or `concat:a|b` as stdin or a protocol.
            return path.absolute(), self.name or path.name
        display = self.name or "upload"
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
