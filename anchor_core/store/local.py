"""Object store in a folder: atomic writes (temp name + rename), keys that cannot escape."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import NotFoundError, StoreKeyError
from .base import Progress
from .keys import validate_key

CHUNK = 8 << 20


class LocalStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StoreKeyError(f"object key {key!r} resolves outside the store")
        return path

    def put_file(self, key: str, src: str | Path, *, progress: Progress | None = None) -> str:
        size = os.path.getsize(src)
        with open(src, "rb") as fh:
            return self.put_stream(key, fh, size=size, progress=progress)

    def put_stream(
        self, key: str, stream: BinaryIO, *, size: int | None = None, progress: Progress | None = None
    ) -> str:
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".partial-", dir=dest.parent)
        done = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    block = stream.read(CHUNK)
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(done, size)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"no object {key!r} in the store")
        return open(path, "rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        base = self.root
        for dirpath, _dirs, files in os.walk(base):
            for name in sorted(files):
                if name.startswith(".partial-"):
                    continue
                key = Path(dirpath, name).relative_to(base).as_posix()
                if key.startswith(prefix):
                    yield key

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def path_for(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"no object {key!r} in the store")
        return path

    def url(self, key: str) -> str:
        return self._path(key).as_uri()

    def copy_to(self, key: str, dest: str | Path) -> Path:
        shutil.copyfile(self.path_for(key), dest)
        return Path(dest)
