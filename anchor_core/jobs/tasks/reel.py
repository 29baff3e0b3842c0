"""Job `reel`: a personal highlight reel for a query and a vibe."""

from __future__ import annotations

from typing import Any

from ..model import Task, TaskContext


def run(ctx: TaskContext, *, event: str, query: str = "", vibe: str = "high_energy", duration_s: float = 30.0,
        width: int = 1280, height: int = 720, face: str | None = None,
        face_key: str | None = None) -> dict[str, Any]:
    """`face` is a photo's path on this machine (the CLI); `face_key` one kept in the store (notebooks)."""
    from ...reels import make_reel
    from ...render import OutputFormat

    if face_key:
        face = str(ctx.store().path_for(face_key))
    r = make_reel(ctx.catalog(), ctx.store(), ctx.settings, event, query=query, vibe=vibe, duration_s=duration_s,
                  fmt=OutputFormat(width=width, height=height), progress=ctx.progress, face=face)
    return {"event_id": event, "reel_id": r.reel_id, "path": str(r.path), "object_key": r.object_key,
            "duration_s": r.duration_s, "moments": [dict(m.__dict__) for m in r.moments]}


TASK = Task(kind="reel", summary="make a personal highlight reel", run=run)
