"""Running jobs: in the foreground of a command, or by a worker that runs each job in a child.

A worker runs every job in its own child process group, so a cancel kills the job and the
ffmpeg processes it started (by their process ids) without touching the worker, and a job that
crashes cannot take the worker down. The worker sends the heartbeats; a worker that is killed
takes its children with it (PR_SET_PDEATHSIG) and the next worker to start re-queues the jobs it
left `running`. Temporary folders of killed jobs are swept by their owner pid (`workdir`).
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AnchorError, ValidationError
from . import store
from .model import Cancelled, Job, Task

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..config import Settings
    from ..store import ObjectStore

ProgressFn = Callable[[float, float, str], None]
HEARTBEAT_S = 2.0
STALE_AFTER_S = 30.0
CANCEL_POLL_S = 0.4


def task_for(kind: str) -> Task:
    """The registered task of a kind (`tasks/<kind>.py`), or a clear error listing the kinds."""
    from . import tasks

    module_name = kind.replace("-", "_")
    folder = Path(tasks.__file__).parent
    kinds = sorted(p.stem.replace("_", "-") for p in folder.glob("*.py") if not p.stem.startswith("_"))
    if kind not in kinds:
        raise ValidationError(f"no job kind {kind!r}; the kinds are: {', '.join(kinds)}")
    task: Task = importlib.import_module(f"{tasks.__name__}.{module_name}").TASK
    return task


def job_kinds() -> list[str]:
    from . import tasks

    folder = Path(tasks.__file__).parent
    return sorted(p.stem.replace("_", "-") for p in folder.glob("*.py") if not p.stem.startswith("_"))


def worker_name(role: str) -> str:
    """`role:host:pid:start`: enough to tell, on this machine, that the process is gone."""
    from ..workdir import process_start

    return f"{role}:{socket.gethostname()}:{os.getpid()}:{process_start(os.getpid()) or ''}"


def worker_gone(name: str | None) -> bool:
    """True when `name` is a process of this machine that no longer runs."""
    from ..workdir import process_alive

    try:
        _role, host, pid, start = (name or "").split("/")[0].split(":")
    except ValueError:
        return False
    return host == socket.gethostname() and not process_alive(int(pid), start or None)


def requeue_dead(cat: Catalog, stale_after_s: float = STALE_AFTER_S) -> list[tuple[str, str]]:
    out = store.requeue_stale(cat, stale_after_s=stale_after_s, gone=worker_gone)
    for job_id, _status in out:
        settle_event(cat, store.get(cat, job_id).event_id)
    return out


def settle_event(cat: Catalog, event_id: str | None) -> None:
    """A job killed mid-step cannot take its event out of `analyzing` or `generating`; when no
    job of the event still runs, the event is marked `failed`, from which every step may start
    again (otherwise a cancelled render would block the next analysis for good)."""
    from ..catalog import events as events_repo

    if not event_id or store.list_jobs(cat, event_id=event_id, status="running"):
        return
    try:
        if events_repo.get_event(cat, event_id).status in ("analyzing", "generating"):
            events_repo.set_event_status(cat, event_id, "failed")
    except AnchorError:
        return


@dataclass
class JobRun:
    """The TaskContext a task function gets: settings, catalog, store, progress (+ cancellation)."""

    settings: Settings
    job_id: str
    _catalog: Catalog
    echo: ProgressFn | None = None
    min_interval_s: float = 0.5
    _store: ObjectStore | None = None
    _last_write: float = 0.0
    cancel_seen: bool = False

    def catalog(self) -> Catalog:
        return self._catalog

    def store(self) -> ObjectStore:
        if self._store is None:
            from ..store import open_store

            self._store = open_store(self.settings)
        return self._store

    def progress(self, done: float, total: float, message: str = "") -> None:
        if self.echo is not None:
            self.echo(done, total, message)
        if self.cancel_seen:
            raise Cancelled(f"job {self.job_id} was cancelled")
        now = time.monotonic()
        if now - self._last_write < self.min_interval_s and not (total and done >= total):
            return
        self._last_write = now
        fraction = done / total if total else 0.0
        if store.set_progress(self._catalog, self.job_id, fraction, message):
            self.cancel_seen = True
            raise Cancelled(f"job {self.job_id} was cancelled")


def execute(run: JobRun, job: Job) -> Job:
    """Run a claimed job here and close its row: done, failed (with the advice) or cancelled."""
    cat = run.catalog()
    try:
        task = task_for(job.kind)
        result = task.run(run, **job.args)
    except Cancelled:
        return store.finish(cat, job.id, status="cancelled")
    except AnchorError as exc:
        return store.finish(cat, job.id, error=str(exc))
    except OSError as exc:  # the machine said no (disk full, read-only): advice, not a traceback
        from ..workdir import os_advice

        return store.finish(cat, job.id, error=os_advice(exc))
    except KeyboardInterrupt:
        store.finish(cat, job.id, status="cancelled")
        raise
    except Exception as exc:  # noqa: BLE001 - recorded on the job; the worker keeps going
        tail = traceback.format_exc(limit=4).strip().splitlines()[-1]
        return store.finish(cat, job.id, error=f"{type(exc).__name__}: {exc} (an Anchor bug: {tail}); "
                                               f"`anchor jobs retry {job.id}` runs it again")
    return store.finish(cat, job.id, result=result)


class _Heartbeat:
    """Heartbeats for a job running in this process; flags the run when it is cancelled."""

    def __init__(self, cat: Catalog, run: JobRun, every_s: float = HEARTBEAT_S) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(cat, run, every_s), daemon=True,
                                        name=f"heartbeat-{run.job_id}")

    def _loop(self, cat: Catalog, run: JobRun, every_s: float) -> None:
        while not self._stop.wait(every_s):
            try:
                if store.heartbeat(cat, run.job_id):
                    run.cancel_seen = True
            except AnchorError:
                continue  # the catalog was busy: the next beat tries again

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def run_foreground(settings: Settings, cat: Catalog, kind: str, args: dict[str, Any], *,
                   event_id: str | None, echo: ProgressFn | None = None,
                   wait_poll_s: float = 0.5) -> Job:
    """What a command without --background does: record a job and run it here, or, when the same
    job is already queued or running elsewhere, follow that one to its end."""
    task_for(kind)  # a clear error for an unknown kind before anything is written
    requeue_dead(cat)  # a killed earlier run of this command must not be waited for
    job, created = store.submit(cat, kind, args, event_id=event_id, claim_for=worker_name("cli"))
    if not created:
        claimed = store.claim(cat, worker_name("cli"), job_id=job.id) if job.status == "queued" else None
        if claimed is None:
            return follow(cat, job.id, echo=echo, poll_s=wait_poll_s)
        job = claimed
    run = JobRun(settings, job.id, cat, echo=echo)
    with _Heartbeat(cat, run):
        return execute(run, job)


def follow(cat: Catalog, job_id: str, *, echo: ProgressFn | None = None, poll_s: float = 0.5,
           timeout_s: float | None = None) -> Job:
    """Wait for a job to end, echoing its progress."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        job = store.get(cat, job_id)
        if echo is not None and job.status == "running":
            echo(job.progress, 1.0, job.message)
        if not job.active:
            return job
        if deadline is not None and time.monotonic() > deadline:
            return job
        time.sleep(poll_s)


def run_in_child(settings: Settings, cat: Catalog, job: Job, *, heartbeat_s: float = HEARTBEAT_S,
                 cancel_poll_s: float = CANCEL_POLL_S, stop: threading.Event | None = None) -> Job:
    """Run a claimed job in a child process group; heartbeat it, kill it on cancel, release it
    (re-queue or fail) when the child dies without closing the job."""
    from ..media.lifetime import kill_group, spawn_python
    from ..workdir import sweep_stale

    logs = settings.home / "logs" / "jobs"
    logs.mkdir(parents=True, exist_ok=True)
    proc = spawn_python(["-m", "anchor_core.jobs.child", "--home", str(settings.home), job.id],
                        log_path=str(logs / f"{job.id}.log"))
    cancelled = False
    last_beat = time.monotonic()
    while proc.poll() is None:
        time.sleep(cancel_poll_s)
        try:
            now = time.monotonic()
            if now - last_beat >= heartbeat_s:
                cancelled = store.heartbeat(cat, job.id)
                last_beat = now
            else:
                cancelled = store.get(cat, job.id).cancel_requested
        except AnchorError:
            continue  # the child holds the catalog for a moment: look again
        if cancelled or (stop is not None and stop.is_set()):
            kill_group(proc, grace_s=0.0 if cancelled else 2.0)  # a cancelled job's output is discarded anyway
            break
    code = proc.wait()
    current = store.get(cat, job.id)
    if current.status != "running":
        return current
    if cancelled or current.cancel_requested:
        sweep_stale(settings.tmp_root)
        done = store.finish(cat, job.id, status="cancelled")
        settle_event(cat, job.event_id)
        return done
    how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    sweep_stale(settings.tmp_root)
    why = ("the worker was stopped" if stop is not None and stop.is_set()
           else f"its process ended with {how} (log: {logs / (job.id + '.log')})")
    store.release(cat, job.id, why)
    settle_event(cat, job.event_id)
    return store.get(cat, job.id)


def run_worker(settings: Settings, *, until_idle: bool = False, concurrency: int = 1, poll_s: float = 0.5,
               stale_after_s: float = STALE_AFTER_S, stop: threading.Event | None = None,
               on_job: Callable[[Job], None] | None = None) -> int:
    """Run queued jobs until stopped (or, with `until_idle`, until none is left); jobs run."""
    from ..catalog import open_catalog

    cat = open_catalog(settings, create=False)
    stop = stop or threading.Event()
    name = worker_name("worker")
    for job_id, _status in requeue_dead(cat, stale_after_s):
        if on_job is not None:
            on_job(store.get(cat, job_id))
    count = [0]
    lock = threading.Lock()

    def loop(slot: int) -> None:
        while not stop.is_set():
            try:
                job = store.claim(cat, f"{name}/{slot}")
            except AnchorError:
                job = None
            if job is None:
                if until_idle:
                    return
                stop.wait(poll_s)
                continue
            if on_job is not None:
                on_job(job)
            done = run_in_child(settings, cat, job, stop=stop)
            with lock:
                count[0] += 1
            if on_job is not None:
                on_job(done)

    threads = [threading.Thread(target=loop, args=(i,), name=f"anchor-worker-{i}") for i in range(max(1, concurrency))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(timeout=0.5)
    except KeyboardInterrupt:
        stop.set()
        for t in threads:
            t.join()
        raise
    return count[0]
