"""What a job is: a registered task kind plus JSON-safe arguments, and its row's read model.

A task is a plain function `run(ctx, **args) -> dict`. It must be idempotent: it writes its
outputs atomically under their final keys, so a re-queued job never sees half a file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import AnchorError

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..config import Settings
    from ..store import ObjectStore

STATUSES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE = ("queued", "running")


class Cancelled(AnchorError):
    """Raised inside a task (by its progress callback) when someone cancelled its job."""


class TaskContext(Protocol):
    """What a task function gets. `progress` also checks for cancellation and raises Cancelled."""

    @property
    def settings(self) -> Settings: ...

    @property
    def job_id(self) -> str: ...

    def catalog(self) -> Catalog: ...

    def store(self) -> ObjectStore: ...

    def progress(self, done: float, total: float, message: str = "") -> None: ...


@dataclass(frozen=True)
class Task:
    """One job kind. `run(ctx, **args)` returns a JSON-safe result dict."""

    kind: str
    summary: str
    run: Callable[..., dict[str, Any]]
    event_arg: str | None = "event"  # which argument names the event (for listing by event)


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    event_id: str | None
    args: dict[str, Any]
    status: str
    progress: float
    message: str
    attempts: int
    max_attempts: int
    worker: str | None
    heartbeat_at: datetime | None
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    cancel_requested: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE
