"""Job `sync`: offsets, drift and confidence of every angle of an event."""

from __future__ import annotations

from typing import Any

from ..model import Task, TaskContext


def run(ctx: TaskContext, *, event: str, reference: str | None = None) -> dict[str, Any]:
    from ...executor import make_executor
    from ...sync import sync_event

    executor = make_executor(ctx.settings, max_workers=2)
    try:
        pairs = sync_event(ctx.catalog(), ctx.store(), event, reference_video_id=reference, executor=executor,
                           progress=ctx.progress, ffmpeg=ctx.settings.ffmpeg)
    finally:
        executor.shutdown()
    return {"event_id": event, "angles": [dict(r.public(), video_id=vid) for vid, r in pairs]}


TASK = Task(kind="sync", summary="sync the event's angles by their sound", run=run)
