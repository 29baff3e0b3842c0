"""A process pool on this machine (pure-Python work that holds the GIL)."""

from __future__ import annotations

from concurrent.futures import Executor, ProcessPoolExecutor

from ...config import Settings
from ...media.lifetime import bind_to_parent
from ...registry import Backend


def _open(settings: Settings, *, max_workers: int) -> Executor:
    # Workers die with the command that started them (and their ffmpeg children with them).
    return ProcessPoolExecutor(max_workers=max_workers, initializer=bind_to_parent)


BACKEND: Backend[Executor] = Backend("process", "a process pool on this machine", _open)
