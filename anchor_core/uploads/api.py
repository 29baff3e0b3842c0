"""The upload flow over either backend, with its state in the catalog."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from ..catalog import Catalog
from ..errors import ConfigError, ValidationError
from ..store import ObjectStore
from ..store.keys import validate_key
from .model import MultipartBackend, PartTarget, StoredPart, Upload, part_size
from .store import find_by_backend_id, get_upload, list_uploads, record_upload, set_state

MAX_UPLOAD_BYTES = 200 << 30  # 200 GiB: far above any camera file, far below S3's 5 TiB
STALE_AFTER = timedelta(days=1)


def open_multipart(store: ObjectStore, *, secret: bytes | None = None, base_url: str = "") -> MultipartBackend:
    """The multipart flow of the configured store: S3's own, or the local store's signed one."""
    from ..store.local import LocalStore
    from ..store.s3 import S3Store

    if isinstance(store, S3Store):
        from .s3 import S3Multipart

        return S3Multipart(store)
    if isinstance(store, LocalStore):
        from .local import LocalMultipart

        return LocalMultipart(store, secret=secret, base_url=base_url)
    raise ConfigError(f"the object store {type(store).__name__} offers no multipart uploads")


@dataclass(frozen=True)
class UploadStatus:
    upload: Upload
    stored: tuple[StoredPart, ...]

    @property
    def missing(self) -> list[int]:
        have = {p.number for p in self.stored}
        return [n for n in range(1, self.upload.parts + 1) if n not in have]

    @property
    def stored_bytes(self) -> int:
        return sum(p.size_bytes for p in self.stored)


def begin_upload(cat: Catalog, backend: MultipartBackend, key: str, size_bytes: int, *,
                 content_type: str = "application/octet-stream", meta: dict[str, object] | None = None) -> Upload:
    validate_key(key)
    if not 0 < size_bytes <= MAX_UPLOAD_BYTES:
        raise ValidationError(f"an upload must declare a size between 1 byte and {MAX_UPLOAD_BYTES >> 30} GiB")
    backend_id = backend.begin(key, size_bytes, content_type)
    return record_upload(cat, backend=backend.name, backend_id=backend_id, key=key, size_bytes=size_bytes,
                         part_bytes=part_size(size_bytes), content_type=content_type, meta=meta or {})


def part_targets(cat: Catalog, backend: MultipartBackend, upload_id: str, numbers: list[int], *,
                 expires_s: int = 3600) -> list[PartTarget]:
    up = _open_upload(cat, upload_id)
    out = []
    for n in numbers:
        offset, length = up.part_range(n)
        out.append(PartTarget(n, backend.part_url(up, n, expires_s=expires_s), offset, length))
    return out


def upload_status(cat: Catalog, backend: MultipartBackend, upload_id: str) -> UploadStatus:
    up = get_upload(cat, upload_id)
    stored = backend.stored_parts(up) if up.state == "open" else []
    return UploadStatus(up, tuple(sorted(stored, key=lambda p: p.number)))


def complete_upload(cat: Catalog, backend: MultipartBackend, upload_id: str, *, sha256: str | None = None) -> Upload:
    """Verify every part is there with the declared sizes, then publish the object."""
    status = upload_status(cat, backend, _open_upload(cat, upload_id).upload_id)
    up = status.upload
    if status.missing:
        raise ValidationError(f"the upload still lacks {len(status.missing)} of {up.parts} parts "
                              f"(first missing: {status.missing[0]}); send them, then complete")
    for p in status.stored:
        if p.size_bytes != up.part_range(p.number)[1]:
            raise ValidationError(f"part {p.number} has {p.size_bytes} bytes, {up.part_range(p.number)[1]} expected")
    try:
        backend.complete(up, list(status.stored), sha256=sha256)
    except ValidationError:
        set_state(cat, up.upload_id, "failed")
        raise
    set_state(cat, up.upload_id, "completed")
    return replace(up, state="completed")


def abort_upload(cat: Catalog, backend: MultipartBackend, upload_id: str) -> None:
    up = get_upload(cat, upload_id)
    backend.abort(up)
    if up.state == "open":
        set_state(cat, up.upload_id, "aborted")


def accept_local_part(cat: Catalog, backend: MultipartBackend, backend_id: str, number: int, *, expires: int,
                      sig: str, body: BinaryIO) -> StoredPart:
    """The server side of a local part URL: check the signature, then store the part."""
    from .local import LocalMultipart

    if not isinstance(backend, LocalMultipart):
        raise ConfigError("part PUTs go to S3 directly when the store is S3")
    up = find_by_backend_id(cat, "local", backend_id)
    if up is None:
        raise ValidationError("no such upload in progress")
    backend.check(up, number, expires=expires, sig=sig)
    up.part_range(number)
    return backend.write_part(up, number, body)


def abort_stale(cat: Catalog, backend: MultipartBackend, *, older_than: timedelta = STALE_AFTER,
                now: datetime | None = None) -> list[str]:
    """The janitor: abort open uploads older than a day (and, on S3, multipart uploads it holds
    under our prefix that the catalog no longer knows). Returns the keys aborted."""
    cutoff = (now or datetime.now()) - older_than
    aborted = []
    for up in list_uploads(cat, state="open", before=cutoff):
        abort_upload(cat, backend, up.upload_id)
        aborted.append(up.object_key)
    lifecycle = getattr(backend, "ensure_lifecycle", None)
    if lifecycle is not None:
        lifecycle(days=max(1, older_than.days))
    pending = getattr(backend, "pending", None)
    if pending is not None:
        known = {u.backend_id for u in list_uploads(cat, state="open")}
        cutoff_utc = cutoff.astimezone(UTC)  # a naive `now` is local time
        for key, backend_id, initiated in pending():
            started = initiated if initiated.tzinfo else initiated.replace(tzinfo=UTC)
            if backend_id not in known and started < cutoff_utc:
                backend.abort(Upload("", backend.name, backend_id, key, 1, 1, ""))
                aborted.append(key)
    return aborted


def _open_upload(cat: Catalog, upload_id: str) -> Upload:
    up = get_upload(cat, upload_id)
    if up.state != "open":
        raise ValidationError(f"upload {upload_id} is {up.state}; begin a new one")
    return up
