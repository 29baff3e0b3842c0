"""The one place that decides where fanned-out work runs.

Task functions take and return plain picklable data, so a cluster engine (Dask, Ray) that
offers the `concurrent.futures.Executor` interface replaces the local pool by configuration:
`ANCHOR_EXECUTOR` names a module of `executor/backends/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from ..config import Settings
from ..errors import AnchorError

T = TypeVar("T")
R = TypeVar("R")


class SerialExecutor(Executor):
    """Runs each task at submit time; for debugging and for one-core machines."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future
            fut.set_exception(exc)
        return fut


class TaskTimeout(AnchorError, TimeoutError):
    """A task gave no result in the time allowed (a hung worker, or a limit set too low)."""


@dataclass(frozen=True)
class TaskRecord:
    """What one finished cluster task cost: how often it was started (a worker that died
    mid-task makes it 2 or more) and how many bytes its arguments and result were on the wire."""

    key: str
    function: str
    attempts: int
    sent_bytes: int  # pickled arguments, coordinator -> worker
    received_bytes: int  # pickled result, worker -> coordinator
    seconds: float  # submit to result, as the coordinator saw it


def make_executor(settings: Settings, max_workers: int | None = None) -> Executor:
    """The configured executor with at most `max_workers` (default: the settings' workers)."""
    from ..registry import EXECUTORS

    workers = max(1, max_workers or settings.workers)
    name = "serial" if workers == 1 and settings.executor in ("thread", "process") else None
    return EXECUTORS.open(settings, name, max_workers=workers)


def map_ordered(executor: Executor, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """Submit all items, yield results in input order (errors surface at their item)."""
    futures = [executor.submit(fn, item) for item in items]
    for fut in futures:
        yield fut.result()


def shares_memory(executor: Executor | None) -> bool:
    """Whether tasks run in this process, so a progress callback (a closure over a lock) can
    travel with them. Process pools and clusters get plain data only."""
    return executor is None or isinstance(executor, (SerialExecutor, ThreadPoolExecutor))


def task_records(executor: Executor) -> tuple[TaskRecord, ...]:
    """Every finished task's record on executors that keep them (the Dask one); () otherwise."""
    records: Callable[[], tuple[TaskRecord, ...]] | None = getattr(executor, "task_records", None)
    return records() if records is not None else ()
