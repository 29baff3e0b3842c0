"""Background jobs: every long step (sync, analyze, music, timeline, ads, render, reel, product
sync) is a job with a row in the catalog that any process can read, follow and cancel.

A command runs its job in the foreground (and records it), or with --background queues it for
`anchor worker` (which `anchor serve` starts). Notebooks submit and show progress the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import ACTIVE, STATUSES, Cancelled, Job, Task, TaskContext
from .runner import follow, job_kinds, run_foreground, run_in_child, run_worker, task_for
from .store import get as get_job
from .store import list_jobs, request_cancel, requeue_stale
from .store import retry as retry_job

if TYPE_CHECKING:
    from ..catalog import Catalog


def submit_job(cat: Catalog, kind: str, args: dict[str, Any], *, event_id: str | None = None,
               max_attempts: int = 3) -> tuple[Job, bool]:
    """Queue a job for a worker: (job, created); an identical active job is returned instead."""
    from .store import submit

    task = task_for(kind)
    if event_id is None and task.event_arg:
        event_id = args.get(task.event_arg)
    return submit(cat, kind, args, event_id=event_id, max_attempts=max_attempts)


def job_summary(job: Job) -> dict[str, Any]:
    """The JSON a person or a script reads: `anchor jobs show --json`, the notebooks' job list."""
    return {"id": job.id, "kind": job.kind, "event_id": job.event_id, "status": job.status,
            "progress": round(job.progress, 4), "message": job.message, "attempts": job.attempts,
            "max_attempts": job.max_attempts, "worker": job.worker, "args": job.args, "result": job.result,
            "error": job.error, "created_at": job.created_at, "updated_at": job.updated_at,
            "heartbeat_at": job.heartbeat_at, "cancel_requested": job.cancel_requested,
            "started_at": job.extra.get("started_at"), "finished_at": job.extra.get("finished_at"),
            "history": job.extra.get("history", [])}


__all__ = ["ACTIVE", "STATUSES", "Cancelled", "Job", "Task", "TaskContext", "follow", "get_job", "job_kinds",
           "job_summary", "list_jobs", "request_cancel", "requeue_stale", "retry_job", "run_foreground",
           "run_in_child", "run_worker", "submit_job", "task_for"]
