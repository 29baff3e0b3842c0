"""Job `generate`: the edit, the ad clips and the master (the organizer's "Generate" button)."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from ..model import Task, TaskContext
from ..steps import run_steps


def run(ctx: TaskContext, *, event: str, profile: str | None = None, yes: bool = False) -> dict[str, Any]:
    """`yes` confirms paid ad generation (Veo); without it a paid slot shows the local clip and says why."""
    from . import render, timeline

    steps: list[Any] = [("timeline", 1.0, lambda c: timeline.run(c, event=event, profile=profile))]
    if importlib.util.find_spec(f"{__package__}.ads") is not None:  # the ad generator's own job
        ads = importlib.import_module(f"{__package__}.ads")
        steps.append(("ads", 2.0, lambda c: ads.TASK.run(c, event=event, yes=yes)))
    steps.append(("render", 6.0, lambda c: render.run(c, event=event)))
    return run_steps(ctx, steps)


TASK = Task(kind="generate", summary="build the edit, make the ad clips, render the master", run=run)
