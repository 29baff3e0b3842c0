"""A process pool on this machine (pure-Python work that holds the GIL)."""

from __future__ import annotations

from concurrent.futures import Executor, ProcessPoolExecutor

from ...config import Settings
from ...registry import Backend


def _open(settings: Settings, *, max_workers: int) -> Executor:
    return ProcessPoolExecutor(max_workers=max_workers)


BACKEND: Backend[Executor] = Backend("process", "a process pool on this machine", _open)
