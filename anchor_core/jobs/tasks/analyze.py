"""Job `analyze`: the feature table of every angle of an event."""

from __future__ import annotations

from typing import Any

from ..model import Task, TaskContext


def run(ctx: TaskContext, *, event: str, window_ms: int = 2000, force: bool = False,
        backend: str | None = None) -> dict[str, Any]:
    from ...analysis import AnalysisParams, analysis_summary, run_analysis
    from ...catalog import videos as videos_repo

    cat = ctx.catalog()
    result = run_analysis(cat, ctx.store(), ctx.settings, event, params=AnalysisParams(window_ms=window_ms),
                          progress=ctx.progress, force=force, backend=backend)
    summary = analysis_summary(result, videos_repo.list_videos(cat, event))
    return {"event_id": event, "angles": summary.to_dicts(), "failed": dict(result.failed),
            "task_retries": result.task_retries}  # > 0: a cluster worker died and its angle was run again


TASK = Task(kind="analyze", summary="measure action, cuts, faces, speech, crowd and whistles per window", run=run)
