"""A thread pool in this process (the default: ffmpeg and numpy release the GIL)."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor

from ...config import Settings
from ...registry import Backend


def _open(settings: Settings, *, max_workers: int) -> Executor:
    return ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="anchor")


BACKEND: Backend[Executor] = Backend("thread", "a thread pool in this process", _open)
