"""Job `render`: the master (or a preview) from the event's latest timeline."""

from __future__ import annotations

from typing import Any

from ..model import Task, TaskContext


def run(ctx: TaskContext, *, event: str, width: int = 1280, height: int = 720, fps: float = 30.0,
        out: str | None = None, with_ads: bool = True) -> dict[str, Any]:
    from ...render import OutputFormat, render_event

    r = render_event(ctx.catalog(), ctx.store(), ctx.settings, event,
                     fmt=OutputFormat(width=width, height=height, fps=fps), out=out, progress=ctx.progress,
                     with_ads=with_ads)
    return {"event_id": event, "render_id": r.render_id, "kind": r.kind, "object_key": r.object_key or None,
            "path": str(r.path), "duration_s": r.result.duration_s, "chunks": r.result.chunks, "ads": r.ads,
            "audio_master": r.audio_master, "loudness_lufs": r.result.loudness.get("output_i"),
            "true_peak_dbtp": r.result.loudness.get("true_peak_dbtp"), "unsynced": list(r.unsynced),
            "warnings": list(r.warnings)}


TASK = Task(kind="render", summary="render the master video from the latest timeline", run=run)
