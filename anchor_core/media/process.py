"""Running another Python process (e.g. the marimo side, `anchor_app`, which the library itself
never imports). Like ffmpeg, every child process of the project starts in `anchor_core.media`.

This module imports nothing heavy; import it directly (`anchor_core.media.process`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence

from ..errors import AnchorError
from .lifetime import die_with_parent

STDERR_TAIL = 2000  # characters of the child's stderr kept in the error


def run_python_module(module: str, args: Sequence[str], *, what: str, env: Mapping[str, str] | None = None) -> str:
    """Run `python -m module args...` with this interpreter to completion and return its stdout.

    On a non-zero exit raise AnchorError "{what}:" followed by the last characters of its stderr.
    `env` replaces the environment when given (default: inherit this process's)."""
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          env=None if env is None else dict(env), check=False,
                          preexec_fn=die_with_parent())
    if proc.returncode != 0:
        raise AnchorError(f"{what}:\n{proc.stderr.strip()[-STDERR_TAIL:]}")
    return proc.stdout
