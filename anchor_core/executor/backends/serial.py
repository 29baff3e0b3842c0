"""Each task runs at submit time: for debugging and one-core machines."""

from __future__ import annotations

from concurrent.futures import Executor

from ...config import Settings
from ...registry import Backend
from .. import SerialExecutor


def _open(settings: Settings, *, max_workers: int) -> Executor:
    return SerialExecutor()


BACKEND: Backend[Executor] = Backend("serial", "one task at a time, in the caller", _open)
