"""Work folders: `ANCHOR_HOME/tmp/<kind>-<id>/`, one per job.

Removed when the job ends, whether it succeeded or failed. A job killed outright (SIGKILL, a
power cut) runs no cleanup, so every folder records its owner (pid and the kernel's start time
of that pid, which tells a reused pid apart), and the next job to start sweeps folders whose
owner is gone. Nothing outside `tmp/` is ever touched here.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import AnchorError

OWNER = ".owner"
GRACE_S = 120.0  # a folder without an owner file younger than this may be mid-creation


def process_start(pid: int) -> str | None:
    """The kernel's start time of `pid` (Linux /proc), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22: starttime, after the command name


def process_alive(pid: int, start: str | None = None) -> bool:
    """Is `pid` running and (when `start` is known) still the same process?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if start is not None:
        now = process_start(pid)
        if now is not None and now != start:
            return False
        # a zombie has exited: its work is over even though the pid still exists
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            return True
        return state != "Z"
    return True


def owner_record() -> dict[str, object]:
    pid = os.getpid()
    return {"pid": pid, "start": process_start(pid), "host": os.uname().nodename}


def is_orphaned(folder: Path, *, now: float | None = None) -> bool:
    """True when the folder's owner process is gone (or it never got an owner and is old)."""
    try:
        info = json.loads((folder / OWNER).read_text())
    except (OSError, ValueError):
        try:
            age = (now or time.time()) - folder.stat().st_mtime
        except OSError:
            return False
        return age > GRACE_S
    if info.get("host") not in (None, os.uname().nodename):
        return False  # a shared home: another machine's job is not ours to judge
    return not process_alive(int(info.get("pid", -1)), info.get("start"))


def sweep_stale(tmp_root: Path) -> list[Path]:
    """Remove the work folders of jobs that died; returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(tmp_root.iterdir())
    except OSError:
        return removed
    for folder in entries:
        if folder.is_dir() and is_orphaned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def job_dir(tmp_root: Path, kind: str) -> Iterator[Path]:
    """A fresh work folder for one job, removed on the way out (and swept if we are killed)."""
    sweep_stale(tmp_root)
    try:
        tmp_root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=tmp_root))
        (path / OWNER).write_text(json.dumps(owner_record()))
    except OSError as exc:
        raise AnchorError(f"cannot create a work folder in {tmp_root}: {os_reason(exc)}; "
                          "free some space or choose a writable --home") from exc
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def os_reason(exc: OSError) -> str:
    """An OSError in words a user can act on."""
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "the folder is read-only"
    return exc.strerror or str(exc)


def os_advice(exc: OSError) -> str:
    """The one-line error for an OSError: what happened, where, and what to do."""
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    return (f"{os_reason(exc)}{where}; free some space, check the folder's permissions "
            "or choose another --home")
