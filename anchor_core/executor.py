"""The one place that decides where fanned-out work runs.

Task functions take and return plain picklable data, so a cluster engine (Dask, Ray) that
offers the `concurrent.futures.Executor` interface can replace the local pool by configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar

from .config import Settings

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


def make_executor(settings: Settings, max_workers: int | None = None) -> Executor:
    workers = max(1, max_workers or settings.workers)
    if settings.executor == "serial" or workers == 1:
        return SerialExecutor()
    if settings.executor == "process":
        return ProcessPoolExecutor(max_workers=workers)
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="anchor")


def map_ordered(executor: Executor, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """Submit all items, yield results in input order (errors surface at their item)."""
    futures = [executor.submit(fn, item) for item in items]
    for fut in futures:
        yield fut.result()
