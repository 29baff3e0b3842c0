"""The object-store interface. The local folder implements it now; S3 plugs in behind it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

Progress = Callable[[int, int | None], None]  # (bytes done, total bytes or None)


class ObjectStore(Protocol):
    def put_file(self, key: str, src: str | Path, *, progress: Progress | None = None) -> str: ...

    def put_stream(
        self, key: str, stream: BinaryIO, *, size: int | None = None, progress: Progress | None = None
    ) -> str: ...

    def open(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[str]: ...

    def delete(self, key: str) -> None: ...

    def path_for(self, key: str) -> Path:
        """A local file path for reading the object (a cache download for remote stores)."""
        ...

    def url(self, key: str) -> str: ...
