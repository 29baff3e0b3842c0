"""Job `prepare`: sync the angles, then analyse them (the organizer's "Analyse" button)."""

from __future__ import annotations

from typing import Any

from ..model import Task, TaskContext
from ..steps import run_steps


def run(ctx: TaskContext, *, event: str) -> dict[str, Any]:
    from . import analyze, sync

    return run_steps(ctx, [("sync", 1.0, lambda c: sync.run(c, event=event)),
                           ("analyze", 4.0, lambda c: analyze.run(c, event=event))])


TASK = Task(kind="prepare", summary="sync the angles, then analyse them", run=run)
