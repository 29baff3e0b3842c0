"""Ingest an object a browser upload has just published: the same checks and clear refusals as
`anchor ingest` (`anchor_core.ingest`), but the file is already in the store under its final
key, so nothing is copied; a refused object is deleted, so a refusal leaves nothing behind.

The key's id (`events/{event}/videos/{video_id}.ext`) was chosen when the upload began, so the
catalog row takes that id. Video rows go in as `uploading` and move to `uploaded` once stored
and recorded, and the event follows (`uploading` → `uploaded`) as `anchor ingest` moves it.
"""

from __future__ import annotations

import hmac
from dataclasses import replace
from pathlib import Path, PurePosixPath

from ..catalog import Catalog
from ..catalog import events as events_repo
from ..catalog import music as music_repo
from ..catalog import videos as videos_repo
from ..catalog.status import check_angle_type
from ..errors import ValidationError
from ..ingest import IngestResult, check_playable, clean_name, file_sha256, sync_warnings
from ..media import MediaProbe
from ..store import ObjectStore

KINDS = ("video", "music")
# What may take an event to `uploading` (the others are busy analysing or rendering: left alone),
# as `anchor ingest` does.
_UPLOAD_FROM = ("created", "uploaded", "analyzed", "completed", "failed")


def object_id(key: str) -> str:
    """The video or music id a platform key carries (`.../videos/vid_ab12.mp4` → `vid_ab12`)."""
    return PurePosixPath(key).stem


def _mark_uploaded(cat: Catalog, event_id: str) -> None:
    """The event went through `uploading` to `uploaded`, as `anchor ingest` moves it. Not at the
    upload's start: an upload abandoned or cancelled must not leave the event `uploading`."""
    event = events_repo.get_event(cat, event_id)
    if event.status in _UPLOAD_FROM:
        events_repo.set_event_status(cat, event_id, "uploading")
        event = events_repo.get_event(cat, event_id)
    if event.status == "uploading":
        events_repo.set_event_status(cat, event_id, "uploaded")


def ingest_stored_object(
    cat: Catalog, store: ObjectStore, event_id: str, key: str, *, kind: str, name: str,
    angle_type: str | None = None, content_hash: str | None = None, expect_sha256: str | None = None,
    ffmpeg: str | None = None,
) -> IngestResult:
    """Probe the object at `key` and record it as the event's angle (`kind="video"`) or music.

    `content_hash` is a sha256 already verified against the bytes (the local store checks it
    while joining the parts), so the file is not read again for it. `expect_sha256` is one the
    client claims and is checked here (S3: read once, from the read cache ffmpeg needs anyway).
    Any refusal deletes the object; the same footage already in the event keeps its row and
    the new copy is deleted."""
    if kind not in KINDS:
        raise ValidationError(f"unknown upload kind {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "video":
        check_angle_type(angle_type or "")
    try:
        events_repo.get_event(cat, event_id)
        path = store.path_for(key)
        stored_name, warnings = clean_name(name)
        digest = content_hash or file_sha256(path)
        if expect_sha256 and not hmac.compare_digest(digest, expect_sha256.lower()):
            raise ValidationError(f"the uploaded file's sha256 is {digest}, not {expect_sha256}: it was damaged on "
                                  "the way and was removed; upload it again")
        if kind == "video":
            return _record_video(cat, store, event_id, key, path, stored_name, warnings, digest, str(angle_type),
                                 ffmpeg)
        return _record_music(cat, store, event_id, key, path, stored_name, warnings, digest, ffmpeg)
    except BaseException:
        store.delete(key)
        raise


def _record_video(cat: Catalog, store: ObjectStore, event_id: str, key: str, path: Path, stored_name: str,
                  warnings: list[str], digest: str, angle_type: str, ffmpeg: str | None) -> IngestResult:
    existing = videos_repo.find_by_hash(cat, event_id, digest)
    if existing:
        store.delete(key)  # the footage is already in the event: keep the first copy only
        label = existing.original_name or existing.id
        notes = [f"{stored_name} is the same footage as {label}, already in the event as {existing.id} "
                 f"(angle {existing.angle_type}); the new copy was not kept"]
        info = MediaProbe.from_dict(existing.probe) if existing.probe else None
        return IngestResult(existing.id, "video", False, existing.object_key, info, label, existing.angle_type, tuple(notes), existing.duration_s)
    info = check_playable(path, stored_name, want_video=True, ffmpeg=ffmpeg)
    warnings = warnings + sync_warnings(path, stored_name, info, ffmpeg=ffmpeg)
    info = replace(info, path=key)
    video_id = object_id(key)
    videos_repo.insert_video(cat, video_id=video_id, event_id=event_id, angle_type=angle_type, object_key=key,
                             original_name=stored_name, content_hash=digest, size_bytes=info.size_bytes,
                             duration_s=info.duration_s, probe=info.to_dict(), status="uploading")
    videos_repo.set_video_status(cat, video_id, "uploaded")
    _mark_uploaded(cat, event_id)
    return IngestResult(video_id, "video", True, key, info, stored_name, angle_type, tuple(warnings))


def _record_music(cat: Catalog, store: ObjectStore, event_id: str, key: str, path: Path, stored_name: str,
                  warnings: list[str], digest: str, ffmpeg: str | None) -> IngestResult:
    existing = music_repo.find_music_by_hash(cat, event_id, digest)
    if existing:
        store.delete(key)
        return IngestResult(existing.id, "music", False, existing.object_key, None,
                            existing.original_name or existing.id, duration_s=existing.duration_s)
    info = replace(check_playable(path, stored_name, want_video=False, ffmpeg=ffmpeg), path=key)
    music_id = object_id(key)
    music_repo.insert_music(cat, music_id=music_id, event_id=event_id, object_key=key, original_name=stored_name,
                            content_hash=digest, size_bytes=info.size_bytes, duration_s=info.duration_s,
                            probe=info.to_dict())
    return IngestResult(music_id, "music", True, key, info, stored_name, None, tuple(warnings))
