"""Object store in a folder: atomic writes (temp name + rename), keys that cannot escape.

A write lands in `.incoming/<pid>-…` first (same filesystem, so the rename is atomic); a writer
killed mid-copy leaves its part there, never under a real key, and the next store opened on
the folder removes parts whose writer is gone."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import AnchorError, NotFoundError, StoreKeyError
from ..workdir import os_reason, process_alive, process_start
from .base import Progress
from .keys import validate_key

CHUNK = 8 << 20
INCOMING = ".incoming"
STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def sweep_parts(folder: Path) -> None:
    """Remove the parts of writers that died (named `<pid>-<start>-….part`)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        pid, _, rest = name.partition("-")
        start = rest.partition("-")[0]
        if pid.isdigit() and not process_alive(int(pid), None if start == "None" else start):
            (folder / name).unlink(missing_ok=True)


class LocalStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.incoming = self.root / INCOMING
        sweep_parts(self.incoming)

    def _path(self, key: str) -> Path:
        validate_key(key)
        if key.split("/", 1)[0] == INCOMING:
            raise StoreKeyError(f"object key {key!r}: {INCOMING}/ holds unfinished writes, not objects")
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
        self.incoming.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{os.getpid()}-{process_start(os.getpid())}-", suffix=".part",
                                   dir=self.incoming)
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
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            if exc.errno not in STORAGE_ERRNOS:  # e.g. the source stream failed: its own error
                raise
            raise AnchorError(f"cannot store {key} in {self.root}: {os_reason(exc)}; "
                              "free some space or choose another --home") from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def adopt(self, key: str, path: Path) -> str:
        """Publish a finished file already inside this store's folder (e.g. joined upload parts)
        by renaming it into place: atomic, and no second copy of a multi-GB file."""
        dest = self._path(key)
        path = Path(path).resolve()
        if self.root not in path.parents:
            raise StoreKeyError(f"{path} is not inside the store; use put_file")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
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
        for dirpath, dirs, files in os.walk(base):
            if dirpath == str(base) and INCOMING in dirs:
                dirs.remove(INCOMING)
            for name in sorted(files):
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
