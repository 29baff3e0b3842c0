"""`render_event`: the event's master video from its latest timeline, stored under
outputs/{event_id}/master.mp4 and recorded in the catalog.

Only a full render (ads included, no `out`) replaces the stored master. A render to `out` is a
preview: it is written there alone (atomically) and recorded as a preview; a render without
ads and without `out` is kept as the event's one preview object (`outputs/{event_id}/preview.mp4`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..ads import AdBreak, make_ad_breaks
from ..analysis import event_features
from ..catalog import Catalog
from ..catalog import events as events_repo
from ..config import Settings
from ..errors import AnchorError
from ..executor import make_executor
from ..media import OutputFormat
from ..music import event_music
from ..store import ObjectStore, output_key
from ..sync import EventAngles, load_angles
from ..timeline import Timeline, audio_master_for, load_latest_timeline
from ..workdir import job_dir, os_reason
from .inputs import music_gain_curve
from .master import MasterInputs, RenderResult, render_master
from .store import record_render

Progress = Callable[[float, float, str], None]


@dataclass(frozen=True)
class EventRender:
    render_id: str
    object_key: str
    path: str
    result: RenderResult
    ads: int
    audio_master: str
    unsynced: tuple[str, ...] = ()  # names of the angles left out (never seen or heard)
    kind: str = "master"  # or "preview": the stored master was left as it was
    warnings: tuple[str, ...] = ()  # e.g. sponsors the ads had to leave out, and why


def preview_ads(cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, *,
                fmt: OutputFormat | None = None, warn: Callable[[str], None] | None = None) -> int:
    """Make (or reuse) the product clip of every ad slot of the latest timeline without rendering
    the master, so a producer can watch them and change the products first. Returns the count."""
    tl = load_latest_timeline(cat, event_id)
    angles = load_angles(cat, event_id)
    return len(make_ad_breaks(cat, store, settings, event_id, tl, angles.by_id(), fmt or OutputFormat(), warn=warn))


def master_inputs(cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, tl: Timeline,
                  fmt: OutputFormat, *, with_ads: bool = True, angles: EventAngles | None = None,
                  warn: Callable[[str], None] | None = None) -> MasterInputs:
    """The timeline, the synced angles and their files, the ads, the music and its levels."""
    angles = angles or load_angles(cat, event_id)
    synced = {a.video_id: a for a in angles.synced}
    feats = event_features(cat, angles.synced)
    master_id = audio_master_for(tl.audio_master, angles.synced, lambda: feats.frame, tl.duration_s)
    ads: list[AdBreak] = make_ad_breaks(cat, store, settings, event_id, tl, synced, fmt, warn=warn) if with_ads else []
    music = event_music(cat, event_id)
    music_path = str(store.path_for(music.object_key)) if music else None
    return MasterInputs(
        duration_s=tl.duration_s, segments=tl.segments, angles=synced,
        paths={v: str(store.path_for(a.object_key)) for v, a in synced.items()}, zooms=tl.zooms, ads=ads,
        chapters=tl.chapters, audio_master_id=master_id or None, music_path=music_path,
        music_gain=music_gain_curve(feats, master_id, tl.duration_s) if music_path else None,
    )


def render_event(
    cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, *, fmt: OutputFormat | None = None,
    out: str | Path | None = None, progress: Progress | None = None, with_ads: bool = True,
) -> EventRender:
    fmt = fmt or OutputFormat()
    event = events_repo.get_event(cat, event_id)
    tl = load_latest_timeline(cat, event_id)
    angles = load_angles(cat, event_id)
    notes: list[str] = []
    inputs = master_inputs(cat, store, settings, event_id, tl, fmt, with_ads=with_ads, angles=angles,
                           warn=notes.append)
    unsynced = tuple(a.label for a in angles.unsynced)
    kind = "preview" if out is not None or not with_ads else "master"
    key = None if out is not None else output_key(event_id, f"{kind}.mp4")
    is_master = kind == "master"
    if is_master and event.status in ("analyzed", "completed", "failed"):
        events_repo.set_event_status(cat, event_id, "generating")
    executor = make_executor(settings)
    try:
        with job_dir(settings.tmp_root, "render") as tmp:
            tmp_out = tmp / "master.mp4"
            result = render_master(inputs, tmp_out, fmt=fmt, executor=executor, progress=progress,
                                   title=event.name, workers=settings.workers, ffmpeg=settings.ffmpeg)
            if key is not None:
                store.put_file(key, tmp_out)
                path = str(store.path_for(key))
            else:
                path = str(publish_file(tmp_out, Path(str(out))))
    except BaseException:
        if is_master and events_repo.get_event(cat, event_id).status == "generating":
            events_repo.set_event_status(cat, event_id, "failed")
        raise
    finally:
        executor.shutdown()
    if is_master and events_repo.get_event(cat, event_id).status == "generating":
        events_repo.set_event_status(cat, event_id, "completed")
    meta = {"audio_master": inputs.audio_master_id, "ads": len(inputs.ads), "chunks": result.chunks,
            "loudness": result.loudness, "format": fmt.__dict__, "unsynced": list(unsynced)}
    if key is None:
        meta["path"] = path
    render_id = record_render(cat, event_id=event_id, timeline_id=tl.timeline_id, kind=kind, object_key=key,
                              duration_s=result.duration_s, meta=meta)
    return EventRender(render_id, key or "", path, result, len(inputs.ads), inputs.audio_master_id or "",
                       unsynced, kind, tuple(notes))


def publish_file(src: Path, dest: Path) -> Path:
    """Copy a finished file to a user's path: whole or not at all (temp name, then rename)."""
    dest = dest.expanduser()
    part = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, part)
        os.replace(part, dest)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise AnchorError(f"cannot write {dest}: {os_reason(exc)}") from exc
    return dest.resolve()
