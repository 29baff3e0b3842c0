"""Job `timeline`: score the angles and build the edit."""

from __future__ import annotations

from typing import Any

from ..model import Task, TaskContext


def run(ctx: TaskContext, *, event: str, profile: str | None = None, strategy: str | None = None) -> dict[str, Any]:
    from ...jsonsafe import to_jsonable
    from ...timeline import timeline_event

    ctx.progress(0, 1, "building the edit")
    tid, tl = timeline_event(ctx.catalog(), event, profile=profile, strategy=strategy)
    counts = {"segments": len(tl.segments), "zooms": len(tl.zooms), "ad_slots": len(tl.ad_slots),
              "chapters": len(tl.chapters)}
    out = {"timeline_id": tid, "profile": f"{tl.profile_name} v{tl.profile_version}", "strategy": tl.strategy,
           "duration_s": tl.duration_ms / 1000.0, "beat_synced": tl.beat_synced, "audio_master": tl.audio_master,
           "counts": counts, "unsynced": list(tl.unsynced)}
    out.update(to_jsonable(tl.frames()))
    return dict(out)


TASK = Task(kind="timeline", summary="build the edit: segments, zooms, ad slots, chapters", run=run)
