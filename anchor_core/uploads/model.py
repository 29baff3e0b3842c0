"""Resumable multipart uploads as plain data: one protocol, two backends (S3, the local store).

`begin` gives an upload id and a part size; `part_targets` gives a URL to PUT each part to;
`status` says which parts are already stored (the backend is the authority, so a client that
lost its state resumes from it); `complete` verifies and publishes the object; `abort` drops it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

MIN_PART_BYTES = 8 << 20  # S3 wants >= 5 MiB for every part but the last; 8 MiB is the platform's
MAX_PARTS = 9_000  # S3 allows 10,000: keep a margin for a size that was declared a little short
UPLOAD_STATES = ("open", "completed", "aborted", "failed")


def part_size(size_bytes: int) -> int:
    """The part size for an object: at least 8 MiB and at least size / 9,000, in whole MiB."""
    need = max(MIN_PART_BYTES, -(-size_bytes // MAX_PARTS))
    return -(-need // (1 << 20)) * (1 << 20)


def part_count(size_bytes: int, part_bytes: int) -> int:
    return max(1, -(-size_bytes // part_bytes))


@dataclass(frozen=True)
class Upload:
    upload_id: str
    backend: str  # "s3" or "local"
    backend_id: str  # S3's UploadId, or our own for the local store
    object_key: str
    size_bytes: int
    part_bytes: int
    content_type: str
    state: str = "open"
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def parts(self) -> int:
        return part_count(self.size_bytes, self.part_bytes)

    def part_range(self, number: int) -> tuple[int, int]:
        """(offset, length) of part `number` (1-based) in the file."""
        if not 1 <= number <= self.parts:
            raise ValueError(f"part {number} is outside 1..{self.parts}")
        offset = (number - 1) * self.part_bytes
        return offset, min(self.part_bytes, self.size_bytes - offset)


@dataclass(frozen=True)
class PartTarget:
    number: int
    url: str
    offset: int
    length: int


@dataclass(frozen=True)
class StoredPart:
    number: int
    size_bytes: int
    etag: str


class MultipartBackend(Protocol):
    """What a store offers for browser uploads (the S3 API's shape; the local store mimics it)."""

    name: str

    def begin(self, key: str, size_bytes: int, content_type: str) -> str: ...

    def part_url(self, upload: Upload, number: int, *, expires_s: int) -> str: ...

    def stored_parts(self, upload: Upload) -> list[StoredPart]: ...

    def complete(self, upload: Upload, parts: list[StoredPart], *, sha256: str | None = None) -> None: ...

    def abort(self, upload: Upload) -> None: ...
