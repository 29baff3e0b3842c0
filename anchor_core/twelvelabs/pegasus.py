"""Pegasus async `time_based_metadata`: one task per indexed angle, resumable, its answer validated."""

from __future__ import annotations

from typing import Any

from ..catalog import Catalog
from . import ANALYZE_MODEL
from .client import AngleNotDone, Sleep, call, poll
from .config import TLConfig
from .segments import Answer, parse_answer, segment_definitions
from .store import ANALYSIS, get_remote, put_remote
from .upload import Indexed, Status

DONE = ("ready",)
FAILED = ("failed", "canceled")
MAX_TOKENS = 32768


def analyze_angle(cat: Catalog, client: Any, cfg: TLConfig, event_id: str, video: Indexed, *, status: Status,
                  sleep: Sleep, max_segment_s: float | None = None) -> tuple[Answer, dict[str, Any]]:
    """The angle's segments (a stored answer if this asset was analysed already) and the task's facts."""
    from twelvelabs.types import AsyncResponseFormat, VideoContext_AssetId

    row = get_remote(cat, event_id, video.video_id, ANALYSIS)
    if row is not None and row.state == "ready" and row.meta.get("asset_id") == video.asset_id:
        return parse_answer(row.meta.get("data"), row.meta.get("finish_reason")), row.meta
    if row is None or row.state in FAILED or row.meta.get("asset_id") != video.asset_id:
        fmt = AsyncResponseFormat(type="segment_definitions", segment_definitions=segment_definitions())
        extra = {"max_segment_duration": max_segment_s} if max_segment_s else {}
        created = call(cfg, "start a Pegasus analysis", lambda: client.analyze_async.tasks.create(
            model_name=ANALYZE_MODEL, video=VideoContext_AssetId(asset_id=video.asset_id),
            analysis_mode="time_based_metadata", response_format=fmt, min_segment_duration=2,
            max_tokens=MAX_TOKENS, temperature=0.1, **extra), sleep=sleep)
        row = put_remote(cat, event_id, video.video_id, ANALYSIS, created.task_id, str(created.status),
                         {"asset_id": video.asset_id, "model": ANALYZE_MODEL})
    else:
        status(f"resuming Pegasus task {row.remote_id}")
    tid = row.remote_id
    try:
        r = poll(cfg, "analyse an angle with Pegasus", lambda: client.analyze_async.tasks.retrieve(tid),
                 done=DONE, failed=FAILED, on_status=lambda s, n: status(f"Pegasus: {s} (poll {n})"), sleep=sleep)
    except AngleNotDone as exc:
        if "ended" in str(exc):
            put_remote(cat, event_id, video.video_id, ANALYSIS, tid, "failed", {"error": str(exc)})
            return Answer({}, f"Pegasus task {tid} failed"), {"task_id": tid}
        raise
    result = r.result
    if result is None:
        return Answer({}, "Pegasus task ready without a result"), {"task_id": tid}
    usage = getattr(result, "usage", None)
    facts = {"asset_id": video.asset_id, "model": ANALYZE_MODEL, "data": result.data,
             "finish_reason": result.finish_reason, "output_tokens": getattr(usage, "output_tokens", None)}
    put_remote(cat, event_id, video.video_id, ANALYSIS, tid, "ready", facts)
    return parse_answer(result.data, result.finish_reason), {**facts, "task_id": tid}
