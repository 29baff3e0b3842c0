"""Children that die with their parent.

A killed `anchor render` must not leave ffmpeg writing chunks as an orphan. On Linux each child
asks the kernel for SIGKILL when the thread that started it dies (`PR_SET_PDEATHSIG`); the
check of the parent pid after the call closes the race where the parent died first. Elsewhere
the hook is a no-op and children are reaped by the normal error paths.

The kernel ties the signal to the starting *thread*: callers start and wait for a child in the
same thread (every runner in this package does), so a pool thread never outlives its child.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn: Callable[..., int] = libc.prctl
        return fn
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()  # resolved once, before any fork: the child only calls it


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess: the child is killed when this thread/process dies.

    None where the platform has no such call (subprocess then starts the child as usual)."""
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def hook() -> None:  # runs in the forked child, before exec
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the call took effect
            os._exit(1)

    return hook


def bind_to_parent() -> None:
    """Call in a worker process (e.g. a process pool's initializer) so it dies with its parent."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def spawn_python(args: list[str], *, log_path: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`python ARGS` in its own process group, dying with this thread, output appended to a log.

    Its own group lets a cancel stop it and every ffmpeg it started with one signal."""
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, *args], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                env=env, start_new_session=True, preexec_fn=die_with_parent())


def kill_group(proc: subprocess.Popen[bytes], *, grace_s: float = 1.0) -> int:
    """SIGTERM the child's process group, then SIGKILL whatever of the group is left; its exit code."""

    def signal_group(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    signal_group(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)
    signal_group(signal.SIGKILL)  # also any ffmpeg the child left behind
    return proc.wait()
