"""Multipart uploads into the local store, mimicking S3: each part URL is signed (HMAC over the
upload, the key, the part number and an expiry) and checked on every PUT; parts wait under the
store's `.incoming/uploads/<id>/`, and completion joins them, checks the size (and the hash when
given) and renames the object into place."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlencode

from ..errors import AnchorError, ConfigError, ValidationError
from ..store.local import INCOMING, LocalStore
from .model import StoredPart, Upload

CHUNK = 1 << 20


class LocalMultipart:
    name = "local"

    def __init__(self, store: LocalStore, *, secret: bytes | None, base_url: str) -> None:
        self.store = store
        self.secret = secret
        self.base_url = base_url.rstrip("/")
        self.root = store.root / INCOMING / "uploads"

    def _dir(self, upload: Upload) -> Path:
        if not upload.backend_id.isalnum():
            raise ValidationError("malformed upload id")
        return self.root / upload.backend_id

    def begin(self, key: str, size_bytes: int, content_type: str) -> str:
        backend_id = secrets.token_hex(16)
        (self.root / backend_id).mkdir(parents=True, exist_ok=False)
        return backend_id

    def signature(self, backend_id: str, key: str, number: int, expires: int) -> str:
        if not self.secret:  # listing and aborting need none; signing and checking do
            raise ConfigError("local part URLs need the server's signing secret (anchor serve holds it)")
        msg = f"{backend_id}\n{key}\n{number}\n{expires}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()

    def part_url(self, upload: Upload, number: int, *, expires_s: int) -> str:
        expires = int(time.time()) + int(expires_s)
        sig = self.signature(upload.backend_id, upload.object_key, number, expires)
        return f"{self.base_url}/uploads/{upload.backend_id}/{number}?" + urlencode({"expires": expires, "sig": sig})

    def check(self, upload: Upload, number: int, *, expires: int, sig: str, now: float | None = None) -> None:
        """Refuse a PUT whose URL was not signed by us for this upload, key and part, or is old."""
        want = self.signature(upload.backend_id, upload.object_key, number, int(expires))
        if not hmac.compare_digest(want, str(sig)):
            raise ValidationError("this part URL's signature does not match: ask for new part URLs")
        if (now or time.time()) > int(expires):
            raise ValidationError("this part URL has expired: ask for new part URLs (the stored parts are kept)")
        if upload.state != "open":
            raise ValidationError(f"the upload is {upload.state}, it takes no more parts")

    def write_part(self, upload: Upload, number: int, stream: BinaryIO) -> StoredPart:
        """Store one part whole or not at all; more bytes than the part's share of the declared size
        is refused (a client cannot grow the object past what it declared)."""
        _, length = upload.part_range(number)
        folder = self._dir(upload)
        if not folder.is_dir():
            raise ValidationError("no such upload in progress")
        part = folder / f"{number}.part"
        tmp = folder / f".{number}.{os.getpid()}.{secrets.token_hex(4)}"
        digest = hashlib.md5(usedforsecurity=False)
        done = 0
        try:
            with open(tmp, "wb") as out:
                while True:
                    block = stream.read(CHUNK)
                    if not block:
                        break
                    done += len(block)
                    if done > length:
                        raise ValidationError(f"part {number} is larger than the declared size allows ({length} bytes)")
                    digest.update(block)
                    out.write(block)
            if done != length:
                raise ValidationError(f"part {number} has {done} bytes, {length} were expected")
            os.replace(tmp, part)
        finally:
            tmp.unlink(missing_ok=True)
        return StoredPart(number, done, f'"{digest.hexdigest()}"')

    def stored_parts(self, upload: Upload) -> list[StoredPart]:
        folder = self._dir(upload)
        out = []
        for p in sorted(folder.glob("*.part"), key=lambda x: int(x.stem)) if folder.is_dir() else []:
            out.append(StoredPart(int(p.stem), p.stat().st_size, ""))
        return out

    def complete(self, upload: Upload, parts: list[StoredPart], *, sha256: str | None = None) -> None:
        """Join the parts (hashing as it goes), refuse a hash that differs, rename into place."""
        folder = self._dir(upload)
        joined = folder / ".joined"
        digest = hashlib.sha256()
        try:
            with open(joined, "wb") as out:
                for p in parts:
                    with open(folder / f"{p.number}.part", "rb") as src:
                        while block := src.read(CHUNK):
                            digest.update(block)
                            out.write(block)
            if sha256 and not hmac.compare_digest(digest.hexdigest(), sha256.lower()):
                raise ValidationError(f"the uploaded file's sha256 is {digest.hexdigest()}, not {sha256}: "
                                      "it was damaged on the way; upload it again")
            self.store.adopt(upload.object_key, joined)
        except OSError as exc:
            raise AnchorError(f"cannot publish {upload.object_key}: {exc}") from exc
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def abort(self, upload: Upload) -> None:
        shutil.rmtree(self._dir(upload), ignore_errors=True)
