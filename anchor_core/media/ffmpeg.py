"""The one module that finds ffmpeg and runs it. Every ffmpeg command of the project is built
and started here (render command builders live in `anchor_core.media.commands`), so that
error handling, logging flags and the binary choice are decided once.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from ..errors import MediaError
from .lifetime import die_with_parent

BASE_FLAGS = ("-hide_banner", "-nostdin", "-y")


@lru_cache(maxsize=8)
def _resolve(override: str | None) -> str:
    if override:
        found = shutil.which(override) or (override if Path(override).is_file() else None)
        if not found:
            raise MediaError(f"ANCHOR_FFMPEG points to {override!r}, which is not an executable ffmpeg")
        return found
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as exc:  # the wheel is a declared dependency; say how to fix a broken install
        system = shutil.which("ffmpeg")
        if system:
            return system
        raise MediaError(
            "no ffmpeg found: reinstall the project (pip install -e .) to get imageio-ffmpeg, "
            "or set ANCHOR_FFMPEG to an ffmpeg binary"
        ) from exc


def ffmpeg_exe(override: str | None = None) -> str:
    """Path of the ffmpeg binary: the override (`Settings.ffmpeg`, from ANCHOR_FFMPEG), else the
    wheel's. Callers pass the settings' choice down; nothing here reads the environment."""
    return _resolve(override or None)


def run_ffmpeg(
    args: Sequence[str],
    *,
    path: str | Path | None = None,
    what: str = "ffmpeg failed",
    ffmpeg: str | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg to completion; on failure raise MediaError naming the file and ffmpeg's words."""
    cmd = [ffmpeg_exe(ffmpeg), *BASE_FLAGS, *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False,
                              preexec_fn=die_with_parent())
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"{what}: ffmpeg took longer than {timeout} s", path=_s(path)) from exc
    if check and proc.returncode != 0:
        raise MediaError(what, path=_s(path), stderr=proc.stderr.decode("utf-8", "replace"))
    return proc


def popen_ffmpeg(
    args: Sequence[str],
    *,
    ffmpeg: str | None = None,
    pass_fds: Sequence[int] = (),
    stdin_pipe: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ffmpeg on pipes; the caller reads stdout (or writes stdin) and must call `finish`."""
    cmd = [ffmpeg_exe(ffmpeg), *BASE_FLAGS, "-loglevel", "error", *args]
    return subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=tuple(pass_fds),
        bufsize=0,
        preexec_fn=die_with_parent(),
    )


def finish(proc: subprocess.Popen[bytes], *, path: str | Path | None, what: str) -> None:
    """Wait for a piped ffmpeg and raise MediaError if it failed."""
    if proc.stdout:
        proc.stdout.close()
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = proc.wait()
    if proc.stderr:
        proc.stderr.close()
    if code != 0:
        raise MediaError(what, path=_s(path), stderr=err)


def _s(path: str | Path | None) -> str | None:
    return None if path is None else str(path)
