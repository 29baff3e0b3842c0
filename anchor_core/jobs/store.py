"""The jobs table: submit (deduplicated), claim, heartbeat, progress, finish, cancel, re-queue.

Every state change is one short transaction, so any process (a CLI call, the worker, a notebook)
can read and submit while a job runs. Claiming is a conditional UPDATE inside a transaction:
DuckDB lets one process write at a time, so two workers never take the same job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..catalog import Catalog
from ..catalog.ids import new_id
from ..errors import NotFoundError, ValidationError
from .model import STATUSES, Job

_COLUMNS = ("id, kind, event_id, args, status, progress, message, attempts, max_attempts, worker, "
            "heartbeat_at, result, error, created_at, updated_at, cancel_requested, started_at, "
            "finished_at, history")


def args_key(kind: str, args: dict[str, Any]) -> str:
    """Same kind + same arguments = same key, whatever the key order."""
    text = json.dumps({"kind": kind, "args": args}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _job(row: tuple[Any, ...]) -> Job:
    (jid, kind, event_id, args, status, progress, message, attempts, max_attempts, worker, heartbeat,
     result, error, created, updated, cancel, started, finished, history) = row
    return Job(id=jid, kind=kind, event_id=event_id, args=json.loads(args) if args else {}, status=status,
               progress=float(progress or 0.0), message=message or "", attempts=int(attempts or 0),
               max_attempts=int(max_attempts or 1), worker=worker, heartbeat_at=heartbeat,
               result=json.loads(result) if result else None, error=error, created_at=created,
               updated_at=updated, cancel_requested=bool(cancel),
               extra={"started_at": started, "finished_at": finished,
                      "history": json.loads(history) if history else []})


def submit(cat: Catalog, kind: str, args: dict[str, Any], *, event_id: str | None,
           max_attempts: int = 3, claim_for: str | None = None) -> tuple[Job, bool]:
    """(job, created). An identical queued or running job is returned instead of a new one.

    `claim_for` names a worker that starts the new job at once (a foreground CLI command)."""
    key = args_key(kind, args)
    with cat.transaction() as cur:
        row = cur.execute(f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? AND args_key = ? AND status IN "
                          "('queued', 'running') ORDER BY created_at LIMIT 1", [kind, key]).fetchone()
        if row:
            return _job(row), False
        job_id = new_id("job")
        status = "running" if claim_for else "queued"
        cur.execute(
            "INSERT INTO jobs (id, event_id, kind, status, args, args_key, attempts, max_attempts, worker, "
            "heartbeat_at, started_at, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "CASE WHEN ? THEN now() END, CASE WHEN ? THEN now() END, ?)",
            [job_id, event_id, kind, status, json.dumps(args, default=str), key, 1 if claim_for else 0,
             max_attempts, claim_for, bool(claim_for), bool(claim_for), "started" if claim_for else "queued"])
        created = cur.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", [job_id]).fetchone()
    assert created is not None  # inserted in this very transaction
    return _job(created), True


def get(cat: Catalog, job_id: str) -> Job:
    with cat.cursor() as cur:
        row = cur.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", [job_id]).fetchone()
        if row is None:  # a prefix is enough when it is unambiguous
            rows = cur.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id LIKE ? LIMIT 2",
                               [job_id.replace("%", "") + "%"]).fetchall()
            row = rows[0] if len(rows) == 1 else None
    if row is None:
        raise NotFoundError(f"no job {job_id!r}; `anchor jobs list` shows the jobs")
    return _job(row)


def list_jobs(cat: Catalog, *, event_id: str | None = None, status: str | None = None,
              limit: int = 200) -> list[Job]:
    where, params = [], []
    if event_id:
        where.append("event_id = ?")
        params.append(event_id)
    if status:
        if status not in STATUSES:
            raise ValidationError(f"status {status!r}: use one of {', '.join(STATUSES)}")
        where.append("status = ?")
        params.append(status)
    sql = f"SELECT {_COLUMNS} FROM jobs" + (" WHERE " + " AND ".join(where) if where else "")
    with cat.cursor() as cur:
        rows = cur.execute(sql + " ORDER BY created_at DESC LIMIT ?", [*params, limit]).fetchall()
    return [_job(r) for r in rows]


def claim(cat: Catalog, worker: str, *, job_id: str | None = None,
          kinds: tuple[str, ...] | None = None) -> Job | None:
    """Take the oldest queued job (or the one named) for `worker`; None when there is none."""
    with cat.transaction() as cur:
        if job_id:
            row = cur.execute("SELECT id FROM jobs WHERE id = ? AND status = 'queued'", [job_id]).fetchone()
        else:
            kind_sql = f" AND kind IN ({', '.join('?' for _ in kinds)})" if kinds else ""
            row = cur.execute(f"SELECT id FROM jobs WHERE status = 'queued'{kind_sql} "
                              "ORDER BY created_at LIMIT 1", list(kinds or ())).fetchone()
        if row is None:
            return None
        cur.execute("UPDATE jobs SET status = 'running', worker = ?, attempts = attempts + 1, heartbeat_at = now(), "
                    "started_at = now(), updated_at = now(), message = 'started', error = NULL WHERE id = ?",
                    [worker, row[0]])
        taken = cur.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", [row[0]]).fetchone()
    assert taken is not None  # updated in this very transaction
    return _job(taken)


def heartbeat(cat: Catalog, job_id: str) -> bool:
    """Refresh the heartbeat; True when someone asked for the job to be cancelled."""
    with cat.transaction() as cur:
        cur.execute("UPDATE jobs SET heartbeat_at = now() WHERE id = ? AND status = 'running'", [job_id])
        row = cur.execute("SELECT cancel_requested, status FROM jobs WHERE id = ?", [job_id]).fetchone()
    return bool(row and (row[0] or row[1] == "cancelled"))


def set_progress(cat: Catalog, job_id: str, progress: float, message: str) -> bool:
    """Record progress (0-1); True when the job was cancelled meanwhile."""
    with cat.transaction() as cur:
        cur.execute("UPDATE jobs SET progress = ?, message = ?, heartbeat_at = now(), updated_at = now() "
                    "WHERE id = ? AND status = 'running'", [max(0.0, min(1.0, progress)), message[:300], job_id])
        row = cur.execute("SELECT cancel_requested, status FROM jobs WHERE id = ?", [job_id]).fetchone()
    return bool(row and (row[0] or row[1] == "cancelled"))


def _note(cur: Any, job_id: str, event: dict[str, Any]) -> None:
    row = cur.execute("SELECT history FROM jobs WHERE id = ?", [job_id]).fetchone()
    history = json.loads(row[0]) if row and row[0] else []
    history.append(dict(event, at=datetime.now().isoformat(timespec="seconds")))
    cur.execute("UPDATE jobs SET history = ? WHERE id = ?", [json.dumps(history[-50:], default=str), job_id])


def finish(cat: Catalog, job_id: str, *, result: dict[str, Any] | None = None, error: str | None = None,
           status: str | None = None) -> Job:
    """Close a running job: done with its result, failed with its error, or cancelled."""
    final = status or ("failed" if error else "done")
    if final not in ("done", "failed", "cancelled"):
        raise ValueError(final)
    with cat.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = ?, result = ?, error = ?, finished_at = now(), updated_at = now(), "
            "progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END, "
            "message = CASE WHEN ? = 'done' THEN 'done' WHEN ? = 'cancelled' THEN 'cancelled' ELSE message END "
            "WHERE id = ? AND status IN ('queued', 'running')",
            [final, json.dumps(result, default=str) if result is not None else None, error, final, final, final,
             job_id])
        _note(cur, job_id, {"status": final, **({"error": error} if error else {})})
        row = cur.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", [job_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no job {job_id!r}; `anchor jobs list` shows the jobs")
    return _job(row)


def request_cancel(cat: Catalog, job_id: str) -> Job:
    """A queued job is cancelled at once; a running one is flagged for its worker to stop."""
    job = get(cat, job_id)
    if not job.active:
        raise ValidationError(f"job {job.id} is already {job.status}; nothing to cancel")
    with cat.transaction() as cur:
        cur.execute("UPDATE jobs SET cancel_requested = true, updated_at = now() WHERE id = ?", [job.id])
        cur.execute("UPDATE jobs SET status = 'cancelled', finished_at = now(), message = 'cancelled' "
                    "WHERE id = ? AND status = 'queued'", [job.id])
    return get(cat, job.id)


def retry(cat: Catalog, job_id: str) -> Job:
    """Queue a failed or cancelled job again, with a fresh attempt budget."""
    job = get(cat, job_id)
    if job.active:
        raise ValidationError(f"job {job.id} is {job.status}; only a failed or cancelled job can be retried")
    if job.status == "done":
        raise ValidationError(f"job {job.id} is done; submit the command again to run it afresh")
    twin = [j for j in list_jobs(cat, status="queued") + list_jobs(cat, status="running")
            if j.kind == job.kind and j.args == job.args]
    if twin:
        return twin[0]
    with cat.transaction() as cur:
        cur.execute("UPDATE jobs SET status = 'queued', attempts = 0, error = NULL, result = NULL, progress = 0, "
                    "cancel_requested = false, worker = NULL, message = 'queued again', updated_at = now() "
                    "WHERE id = ?", [job.id])
        _note(cur, job.id, {"status": "queued", "why": "retry"})
    return get(cat, job.id)


def requeue_stale(cat: Catalog, *, stale_after_s: float,
                  gone: Callable[[str | None], bool] | None = None) -> list[tuple[str, str]]:
    """Jobs left `running` by a worker that is gone (`gone(worker)`, known at once on this
    machine) or that stopped sending heartbeats: queued again while they have attempts left,
    else failed with the reason. Returns (job id, new status)."""
    out = []
    with cat.transaction() as cur:
        rows = cur.execute(
            "SELECT id, attempts, max_attempts, worker, cancel_requested, "
            "heartbeat_at IS NULL OR heartbeat_at < now() - to_microseconds(CAST(? AS BIGINT)) "
            "FROM jobs WHERE status = 'running'", [int(stale_after_s * 1e6)]).fetchall()
        for jid, attempts, max_attempts, worker, cancel, stale in rows:
            dead = gone is not None and gone(worker)
            if not (stale or dead):
                continue
            why = (f"its process {worker} is gone (killed or crashed)" if dead
                   else f"worker {worker} stopped sending heartbeats (killed or crashed)")
            if cancel:
                cur.execute("UPDATE jobs SET status = 'cancelled', finished_at = now() WHERE id = ?", [jid])
                out.append((jid, "cancelled"))
            elif attempts < max_attempts:
                cur.execute("UPDATE jobs SET status = 'queued', worker = NULL, message = ?, updated_at = now() "
                            "WHERE id = ?", [f"queued again: {why}", jid])
                out.append((jid, "queued"))
            else:
                cur.execute("UPDATE jobs SET status = 'failed', finished_at = now(), updated_at = now(), error = ? "
                            "WHERE id = ?", [f"{why}, {attempts} attempt(s) used; `anchor jobs retry {jid}` "
                                             "runs it again", jid])
                out.append((jid, "failed"))
            _note(cur, jid, {"status": out[-1][1], "why": why})
    return out


def release(cat: Catalog, job_id: str, reason: str) -> str:
    """A job whose process died under a live worker: queued again or failed, like a stale one."""
    with cat.transaction() as cur:
        row = cur.execute("SELECT attempts, max_attempts, status FROM jobs WHERE id = ?", [job_id]).fetchone()
        if row is None or row[2] != "running":
            return row[2] if row else "missing"
        attempts, max_attempts, _ = row
        if attempts < max_attempts:
            cur.execute("UPDATE jobs SET status = 'queued', worker = NULL, message = ?, updated_at = now() "
                        "WHERE id = ?", [f"queued again: {reason}", job_id])
            new = "queued"
        else:
            cur.execute("UPDATE jobs SET status = 'failed', finished_at = now(), updated_at = now(), error = ? "
                        "WHERE id = ?", [f"{reason}; {attempts} attempt(s) used", job_id])
            new = "failed"
        _note(cur, job_id, {"status": new, "why": reason})
    return new
