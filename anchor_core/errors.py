"""One error hierarchy so the CLI and notebooks can report any failure the same way.

Every message says what was wrong and, where possible, what to do about it.
"""

from __future__ import annotations


class AnchorError(Exception):
    """Base class of every error Anchor raises on purpose."""


class ConfigError(AnchorError):
    """A setting (environment variable, CLI option, profile file) is invalid."""


class MediaError(AnchorError):
    """ffmpeg could not read or write a file; carries ffmpeg's own message."""

    def __init__(self, message: str, *, path: str | None = None, stderr: str = "") -> None:
        self.path = path
        self.stderr = stderr
        detail = f" ({path})" if path else ""
        tail = _last_lines(stderr)
        super().__init__(f"{message}{detail}" + (f"\nffmpeg said: {tail}" if tail else ""))


class IngestError(AnchorError):
    """A file was refused at ingest; nothing was stored or recorded."""


class StoreKeyError(AnchorError):
    """An object-store key is unsafe or malformed."""


class NotFoundError(AnchorError):
    """An event, video or other catalog entity does not exist."""


class InvalidTransition(AnchorError):
    """A status change that the life cycle does not allow."""


class ValidationError(AnchorError):
    """A value (event type, angle type, profile field) is outside what is allowed."""


def _last_lines(text: str, n: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-n:])
