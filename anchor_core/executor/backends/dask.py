"""A Dask cluster: `ANCHOR_DASK_SCHEDULER=tcp://host:port`, or `local` (the default) for a
`LocalCluster` of worker processes on this machine.

The fan-out (per-angle analysis and sync decoding, render chunks) already takes paths and plain
parameters and returns plain data, so it runs here unchanged. What this module adds is what a
cluster gets wrong by default:

- Dask names a task by hashing its function and arguments and runs one task per name; two
  identical render chunks would be one. Every task gets its own key (`pure=False`).
- A result is waited for at most `ANCHOR_DASK_TIMEOUT` seconds (default 7200), then a
  `TaskTimeout` says which task and what to change, and the task is cancelled.
- A task that raises is retried `ANCHOR_DASK_RETRIES` times (default 2); a task whose worker
  died is re-run elsewhere by the scheduler (for a LocalCluster up to the same count).
- The LocalCluster has no dashboard unless `ANCHOR_DASK_DASHBOARD` names a port (0 = any free one).

Each finished task leaves a `TaskRecord` (attempts, bytes each way) readable with
`anchor_core.executor.task_records(executor)`. Only the coordinator writes the catalog.
dask is an optional extra: it is imported here, when this backend is chosen, and nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from ...config import Settings
from ...errors import ConfigError
from ...registry import Backend
from ...workdir import OWNER, os_reason, owner_record
from .. import TaskRecord, TaskTimeout

DEFAULT_TIMEOUT_S = 7200.0  # an angle of a 3 h event analyses in about 35 CPU-minutes
DEFAULT_RETRIES = 2
CONNECT_TIMEOUT_S = 20.0


def wire_bytes(obj: Any) -> int:
    """The size of `obj` pickled as Dask sends it (protocol 5, big buffers counted, not copied)."""
    buffers: list[pickle.PickleBuffer] = []
    try:
        head = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    except Exception:  # noqa: BLE001 - a closure or a lambda: Dask would use cloudpickle; not counted
        return 0
    return len(head) + sum(b.raw().nbytes for b in buffers)


def _attempts_on_scheduler(key: str, retries: int, dask_scheduler: Any = None) -> int:
    """Runs on the scheduler: how often the task was started. A worker that died while holding
    it marks it suspicious; a raised error uses up one retry."""
    ts = dask_scheduler.tasks.get(key)
    if ts is None:
        return 1
    return 1 + int(ts.suspicious) + max(0, retries - int(ts.retries))


class _TaskFuture(Future[Any]):
    """A concurrent.futures.Future whose wait is bounded by default (`result()` never hangs)."""

    def __init__(self, name: str, timeout_s: float, cancel: Callable[[], Any]) -> None:
        super().__init__()
        self._name = name
        self._timeout_s = timeout_s
        self._cancel_task = cancel

    def result(self, timeout: float | None = None) -> Any:
        try:
            return super().result(self._timeout_s if timeout is None else timeout)
        except FutureTimeout as exc:
            raise self._timed_out(timeout) from exc

    def exception(self, timeout: float | None = None) -> BaseException | None:
        try:
            return super().exception(self._timeout_s if timeout is None else timeout)
        except FutureTimeout as exc:
            raise self._timed_out(timeout) from exc

    def _timed_out(self, timeout: float | None) -> TaskTimeout:
        waited = self._timeout_s if timeout is None else timeout
        if timeout is None:  # our own limit: the task is given up, not left running
            self._cancel_task()
        return TaskTimeout(f"the Dask task {self._name} gave no result within {waited:.0f} s; check the workers "
                           f"(are they alive, can they read the store?) or raise ANCHOR_DASK_TIMEOUT")


class DaskExecutor(Executor):
    """`concurrent.futures.Executor` over a Dask client (as `Client.get_executor()`, with
    `pure=False`, retries and bounded waits). Shutting it down closes the client and the
    LocalCluster it started."""

    def __init__(self, client: Any, cluster: Any | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                 retries: int = DEFAULT_RETRIES, scratch: Path | None = None) -> None:
        self.client = client
        self.cluster = cluster
        self.scratch = scratch  # the LocalCluster's work folder, removed with it
        self.timeout_s = timeout_s
        self.retries = retries
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}  # key -> dask future, until its outcome is copied over
        self._records: list[TaskRecord] = []
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        name = getattr(fn, "__name__", type(fn).__name__)
        key = f"{name}-{uuid.uuid4().hex}"  # never the same key twice: nothing is deduplicated
        sent = wire_bytes((args, kwargs))
        started = time.perf_counter()
        dfut = self.client.submit(fn, *args, key=key, pure=False, retries=self.retries, **kwargs)
        fut = _TaskFuture(key, self.timeout_s, dfut.cancel)
        with self._lock:
            self._pending[key] = dfut

        def copy_outcome(done: Any) -> None:  # on Dask's callback thread, not its event loop
            value: Any = None
            error: BaseException | None = None
            try:
                value = done.result()
            except BaseException as exc:  # noqa: BLE001 - delivered through the future
                error = exc
            try:
                attempts = int(self.client.run_on_scheduler(_attempts_on_scheduler, key, self.retries))
            except Exception:  # noqa: BLE001 - the client is closing: the record is all that is lost
                attempts = 1
            record = TaskRecord(key, name, attempts, sent, wire_bytes(value) if error is None else 0,
                                time.perf_counter() - started)
            with self._lock:
                self._records.append(record)
                self._pending.pop(key, None)
            if fut.set_running_or_notify_cancel():
                if error is None:
                    fut.set_result(value)
                else:
                    fut.set_exception(error)
            done.release()

        def cancel_task(f: Future[Any]) -> None:
            if f.cancelled():
                dfut.cancel()

        fut.add_done_callback(cancel_task)
        dfut.add_done_callback(copy_outcome)
        return fut

    def task_records(self) -> tuple[TaskRecord, ...]:
        with self._lock:
            return tuple(self._records)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        with self._lock:
            pending = list(self._pending.values())
        try:
            if pending and (cancel_futures or not wait):
                self.client.cancel(pending)
            elif pending:
                from distributed import wait as wait_all

                with contextlib.suppress(TimeoutError):  # closing anyway: do not hide the caller's error
                    wait_all(pending, timeout=self.timeout_s)
        finally:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)


def _float_option(settings: Settings, name: str, default: float) -> float:
    raw = settings.option(name)
    try:
        value = float(raw) if raw is not None else default
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0 seconds")
    return value


def _int_option(settings: Settings, name: str, default: int, *, least: int = 0) -> int:
    raw = settings.option(name)
    try:
        value = int(raw) if raw is not None else default
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from exc
    if value < least:
        raise ConfigError(f"{name} must be at least {least}")
    return value


def _scratch(settings: Settings) -> Path:
    """The workers' spill folder: a work folder of tmp/ with an owner, so a sweep spares it while
    this process lives and removes it after a crash."""
    root = settings.tmp_root.resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix="dask-", dir=root))
        (path / OWNER).write_text(json.dumps(owner_record()))
    except OSError as exc:
        raise ConfigError(f"cannot create the Dask work folder in {root}: {os_reason(exc)}") from exc
    return path


def _local_cluster(settings: Settings, workers: int, retries: int, scratch: Path) -> Any:
    import logging

    import dask
    from distributed import LocalCluster

    dash = settings.option("ANCHOR_DASK_DASHBOARD")
    port = _int_option(settings, "ANCHOR_DASK_DASHBOARD", 0) if dash is not None else None
    with dask.config.set({"distributed.scheduler.allowed-failures": retries}):
        # The scheduler always serves /health on an HTTP port, 8787 unless told: a free one instead.
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, scheduler_port=0,
                            scheduler_kwargs={"dashboard": port is not None,
                                              "dashboard_address": f"127.0.0.1:{port or 0}"},
                            host="127.0.0.1", local_directory=str(scratch), silence_logs=logging.ERROR)


def _check_workers_see_home(client: Any, home: Path) -> None:
    """A remote worker reads the media at the coordinator's paths: say so if it cannot."""
    if not home.is_dir():
        return
    seen = client.run(os.path.isdir, str(home))
    blind = sorted(w for w, ok in seen.items() if not ok)
    if blind:
        raise ConfigError(f"Dask worker(s) {', '.join(blind)} cannot see ANCHOR_HOME at {home}; mount the shared "
                          f"folder at the same path on every worker")


def _open(settings: Settings, *, max_workers: int) -> Executor:
    try:
        from distributed import Client
    except ImportError as exc:
        raise ConfigError("ANCHOR_EXECUTOR=dask needs the dask extra: pip install -e '.[dask]'") from exc
    scheduler = settings.option("ANCHOR_DASK_SCHEDULER", "local") or "local"
    timeout_s = _float_option(settings, "ANCHOR_DASK_TIMEOUT", DEFAULT_TIMEOUT_S)
    retries = _int_option(settings, "ANCHOR_DASK_RETRIES", DEFAULT_RETRIES)
    if scheduler == "local":
        scratch = _scratch(settings)
        try:
            cluster = _local_cluster(settings, max(1, max_workers), retries, scratch)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        try:
            client = Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        return DaskExecutor(client, cluster, timeout_s=timeout_s, retries=retries, scratch=scratch)
    if not scheduler.startswith(("tcp://", "tls://")):
        raise ConfigError(f"ANCHOR_DASK_SCHEDULER={scheduler!r}: give tcp://host:port (or tls://) of a running "
                          f"`dask scheduler`, or `local` for a cluster on this machine")
    if settings.store_backend != "local":
        raise ConfigError(f"ANCHOR_STORE={settings.store_backend}: remote Dask workers read media from a shared "
                          f"folder (ANCHOR_STORE=local on a mount every machine sees); with this store use "
                          f"ANCHOR_DASK_SCHEDULER=local")
    if not settings.home.is_absolute():
        raise ConfigError(f"ANCHOR_HOME={settings.home} is relative; workers on other machines need the shared "
                          f"folder's absolute path, the same on every machine")
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start it with "
                          f"`dask scheduler` or set ANCHOR_DASK_SCHEDULER=local") from exc
    try:
        _check_workers_see_home(client, settings.home)
    except BaseException:
        client.close()
        raise
    return DaskExecutor(client, None, timeout_s=timeout_s, retries=retries)


BACKEND: Backend[Executor] = Backend("dask", "a Dask cluster (ANCHOR_DASK_SCHEDULER: local or tcp://host:port)",
                                     _open)
