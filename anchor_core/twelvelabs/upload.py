"""One index per event, one indexed video per angle: check limits, re-encode, upload, wait.

Each id is saved the moment it is issued (index, task, video), so a crash or restart resumes
polling the task it already has and never uploads the same angle twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..media import run_ffmpeg
from ..media.commands import reencode_for_upload_args
from . import INDEX_MODEL
from .client import AngleNotDone, RemoteNotFound, Sleep, TwelveLabsError, call, poll
from .config import TLConfig
from .store import INDEX, TASK, VIDEO, forget, get_remote, put_remote, set_event_index

TASK_DONE = ("ready",)
TASK_FAILED = ("failed",)
Status = Callable[[str], None]


@dataclass(frozen=True)
class Prepared:
    """The file to upload and how its time maps onto the original's: own = upload + offset_s."""

    path: Path
    offset_s: float
    covered_s: float  # the original's seconds the upload holds
    transcoded: bool
    reason: str = ""


@dataclass(frozen=True)
class Indexed:
    video_id: str  # ours
    remote_video_id: str
    asset_id: str
    offset_s: float
    covered_s: float


def indexed_minutes(durations_s: list[float]) -> float:
    """What indexing costs: TwelveLabs bills whole minutes of video per file."""
    return float(sum(math.ceil(max(d, 0.0) / 60.0) for d in durations_s))


def cost_estimate(cat: Catalog, event_id: str) -> dict[str, Any]:
    """What analysing the event will cost: the angles not indexed yet, in indexed minutes."""
    from ..catalog import videos as videos_repo

    videos = videos_repo.list_videos(cat, event_id)
    todo = [v for v in videos if (r := get_remote(cat, event_id, v.id, VIDEO)) is None or r.state != "ready"]
    return {"angles": len(videos), "to_index": len(todo),
            "indexed_minutes": indexed_minutes([v.duration_s for v in todo])}


def ensure_index(cat: Catalog, client: Any, cfg: TLConfig, event_id: str, event_name: str, *,
                 sleep: Sleep) -> str:
    """The event's index (Marengo 3.0, visual + audio): the stored one if it still exists, else new."""
    from twelvelabs.indexes import IndexesCreateRequestModelsItem

    row = get_remote(cat, event_id, "", INDEX)
    if row is not None:
        try:
            call(cfg, "open the event's index", lambda: client.indexes.retrieve(row.remote_id), sleep=sleep)
            return row.remote_id
        except RemoteNotFound as exc:
            raise TwelveLabsError(
                f"the TwelveLabs index {row.remote_id} of event {event_id} is gone (404): run "
                f"`anchor analyze {event_id} --force` to create a new index and upload the angles again "
                "(the local analysis is kept)", status=404) from exc
    name = f"anchor-{event_id}-{event_name}"[:60]
    created = call(cfg, "create an index", lambda: client.indexes.create(
        index_name=name, models=[IndexesCreateRequestModelsItem(model_name=INDEX_MODEL,
                                                                model_options=["visual", "audio"])]), sleep=sleep)
    put_remote(cat, event_id, "", INDEX, created.id, "ready", {"name": name, "model": INDEX_MODEL})
    set_event_index(cat, event_id, created.id)
    return str(created.id)


def reset_event(cat: Catalog, event_id: str) -> None:
    """Forget every remote id of the event (after --force, or a gone index)."""
    forget(cat, event_id)
    set_event_index(cat, event_id, None)


def prepare(src: Path, duration_s: float, cfg: TLConfig, work: Path, *, ffmpeg: str | None = None) -> Prepared:
    """The original when it is within the limits; else a CRF 23 re-encode, trimmed to the longest allowed."""
    if duration_s < cfg.min_duration_s:
        raise AngleNotDone(f"{src.name} is {duration_s:.1f} s long; TwelveLabs indexes videos of at least "
                              f"{cfg.min_duration_s:g} s, so it keeps its local analysis")
    size = src.stat().st_size
    too_long = duration_s > cfg.max_duration_s
    if size <= cfg.max_upload_bytes and not too_long:
        return Prepared(src, 0.0, duration_s, False)
    reason = ", ".join(r for r in (f"{size} bytes > {cfg.max_upload_bytes}" if size > cfg.max_upload_bytes else "",
                                   f"{duration_s:.0f} s > {cfg.max_duration_s:g} s" if too_long else "") if r)
    out = work / f"{src.stem}.upload.mp4"
    args = reencode_for_upload_args(src, out, max_duration_s=cfg.max_duration_s if too_long else None)
    run_ffmpeg(args, path=src, what="cannot re-encode the angle for upload", ffmpeg=ffmpeg)
    if out.stat().st_size > cfg.max_upload_bytes:
        raise AngleNotDone(f"{src.name} is still {out.stat().st_size} bytes after a CRF 23 re-encode, over "
                              f"TwelveLabs' {cfg.max_upload_bytes} byte limit; split it before ingest")
    return Prepared(out, 0.0, min(duration_s, cfg.max_duration_s), True, reason)


def accepted_task(client: Any, index_id: str, filename: str) -> Any | None:
    """A task the index already holds for this file (one not failed), newest first; None if none.

    The names we upload are the angle's stored name (its video id), so a match is this angle."""
    for t in client.tasks.list(index_id=index_id, filename=filename, sort_by="created_at", sort_option="desc"):
        if t.status != "failed":
            return t
    return None


def upload_angle(cat: Catalog, client: Any, cfg: TLConfig, event_id: str, index_id: str, video_id: str,
                 prepared: Callable[[], Prepared], *, status: Status, sleep: Sleep) -> Indexed:
    """Upload (unless a task is already on record), wait for indexing, note the video and asset ids."""
    done = get_remote(cat, event_id, video_id, VIDEO)
    if done is not None and done.state == "ready":
        return Indexed(video_id, done.remote_id, str(done.meta["asset_id"]), float(done.meta.get("offset_s", 0.0)),
                       float(done.meta["covered_s"]))
    task = get_remote(cat, event_id, video_id, TASK)
    if task is None or task.state == "failed" or task.meta.get("index_id") != index_id:
        p = prepared()
        tries = [0]

        def create() -> Any:
            tries[0] += 1
            if tries[0] > 1:  # the last attempt may have been accepted with its answer lost: never pay twice
                earlier = accepted_task(client, index_id, p.path.name)
                if earlier is not None:
                    return earlier
            with open(p.path, "rb") as fh:  # re-opened per attempt: a retry must send the whole file
                return client.tasks.create(index_id=index_id, video_file=(p.path.name, fh, "video/mp4"))

        status(f"uploading {p.path.stat().st_size / 1e6:.1f} MB" + (f" (re-encoded: {p.reason})" if p.transcoded
                                                                      else ""))
        t = call(cfg, "upload an angle", create, sleep=sleep)
        task = put_remote(cat, event_id, video_id, TASK, t.id, "pending",
                          {"index_id": index_id, "offset_s": p.offset_s, "covered_s": p.covered_s,
                           "transcoded": p.transcoded, "transcode_reason": p.reason,
                           "remote_video_id": t.video_id})
    else:
        status(f"resuming task {task.remote_id}")
    tid = task.remote_id
    try:
        r = poll(cfg, "index an angle", lambda: client.tasks.retrieve(tid), done=TASK_DONE, failed=TASK_FAILED,
                 on_status=lambda s, n: status(f"indexing: {s} (poll {n})"), sleep=sleep)
    except AngleNotDone as exc:
        if "ended failed" in str(exc):  # a new upload next time; a deadline keeps the task to resume
            put_remote(cat, event_id, video_id, TASK, tid, "failed")
        raise
    put_remote(cat, event_id, video_id, TASK, tid, "ready")
    remote_vid = str(r.video_id or task.meta.get("remote_video_id"))
    v = call(cfg, "read an indexed video", lambda: client.indexes.videos.retrieve(index_id, remote_vid), sleep=sleep)
    meta = {"asset_id": v.asset_id, "index_id": index_id, "offset_s": task.meta.get("offset_s", 0.0),
            "covered_s": task.meta["covered_s"], "duration_s": getattr(v.system_metadata, "duration", None)}
    put_remote(cat, event_id, video_id, VIDEO, remote_vid, "ready", meta)
    return Indexed(video_id, remote_vid, str(v.asset_id), float(meta["offset_s"]), float(meta["covered_s"]))
