"""Jobs made of other jobs' steps, run in order in one job: the organizer's two buttons.

Each step gets a slice of the progress bar, so one bar moves from 0 to 1 across the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .model import TaskContext


@dataclass
class StepContext:
    """The parent's context, with progress mapped into [start, start + span] and a step label."""

    parent: TaskContext
    start: float
    span: float
    label: str

    @property
    def settings(self) -> Any:
        return self.parent.settings

    @property
    def job_id(self) -> str:
        return self.parent.job_id

    def catalog(self) -> Any:
        return self.parent.catalog()

    def store(self) -> Any:
        return self.parent.store()

    def progress(self, done: float, total: float, message: str = "") -> None:
        fraction = done / total if total else 0.0
        text = f"{self.label}: {message}" if message else self.label
        self.parent.progress(self.start + self.span * min(1.0, max(0.0, fraction)), 1.0, text)


def run_steps(ctx: TaskContext, steps: list[tuple[str, float, Callable[[TaskContext], dict[str, Any]]]]
              ) -> dict[str, Any]:
    """Run (label, weight, fn) steps in order; the result holds each step's result by label."""
    total = sum(w for _, w, _ in steps) or 1.0
    at = 0.0
    out: dict[str, Any] = {}
    for label, weight, fn in steps:
        step = StepContext(ctx, at / total, weight / total, label)
        step.progress(0, 1)
        out[label] = fn(step)
        at += weight
    return out
