"""Job `ads`: the product clips of the latest timeline's ad slots (paid generation only with `yes`)."""

from __future__ import annotations

from typing import Any

from ..model import Task, TaskContext


def run(ctx: TaskContext, *, event: str, yes: bool = False, width: int = 1280, height: int = 720,
        fps: float = 30.0) -> dict[str, Any]:
    from ...ads import estimate_cost, event_ads
    from ...media import OutputFormat

    warnings: list[str] = []
    fmt = OutputFormat(width=width, height=height, fps=fps)
    cat, store = ctx.catalog(), ctx.store()
    plan = event_ads(cat, store, ctx.settings, event, fmt, plan_only=True, warn=warnings.append)
    clips, seconds, cost = estimate_cost(ctx.settings, plan)
    reports = event_ads(cat, store, ctx.settings, event, fmt, confirmed=yes, progress=ctx.progress,
                        warn=lambda m: None)
    return {"event_id": event, "confirmed": yes, "to_generate": clips, "billed_seconds": seconds,
            "estimated_cost_usd": cost, "slots": [r.to_dict() for r in reports], "warnings": warnings}


TASK = Task(kind="ads", summary="make the ad clips of the latest timeline's slots (Veo only when confirmed)",
            run=run)
