"""Object store in an S3 bucket (or any S3-compatible service), behind the same interface.

Keys stay the platform's (`events/{event_id}/videos/{video_id}.{ext}`, `outputs/...`), under an
optional prefix. ffmpeg reads files, so `path_for` is a bounded local read cache: filled
atomically (part file, then rename), checked against the object's size and ETag, and trimmed
least-recently-used first. Credentials come from boto3's usual chain, never from the catalog.

boto3 >= 1.36 adds CRC checksums to every upload by default, which several S3-compatible
servers refuse: checksums are sent and checked only when the operation requires them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from ..errors import AnchorError, NotFoundError
from .base import Progress
from .keys import validate_key

PART_BYTES = 16 << 20  # multipart part size for uploads from this process
URL_EXPIRY_S = 24 * 3600  # presigned GET links for sharing outputs


def s3_client(*, region: str | None = None, endpoint_url: str | None = None) -> Any:
    """A boto3 S3 client with checksums only where required (S3-compatible servers)."""
    import boto3
    from botocore.config import Config

    cfg = Config(request_checksum_calculation="when_required", response_checksum_validation="when_required",
                 retries={"max_attempts": 5, "mode": "standard"}, signature_version="s3v4")
    return boto3.client("s3", region_name=region, endpoint_url=endpoint_url, config=cfg)


class S3Store:
    def __init__(self, client: Any, bucket: str, *, prefix: str = "", cache_dir: str | Path,
                 cache_bytes: int = 20 << 30) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if self.prefix:
            validate_key(self.prefix.rstrip("/"))
        self.cache = Path(cache_dir)
        self.cache_bytes = cache_bytes
        self._lock = threading.Lock()

    # -- keys --------------------------------------------------------------------------------
    def _k(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _errors(self, key: str, exc: Exception) -> AnchorError:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                return NotFoundError(f"no object {key!r} in s3://{self.bucket}/{self.prefix}")
            if code in ("NoSuchBucket",):
                return AnchorError(f"the bucket {self.bucket!r} does not exist; create it or set ANCHOR_S3_BUCKET")
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                return AnchorError(f"S3 refused access to {key!r} in {self.bucket!r} ({code}): check the credentials "
                                   "(AWS_PROFILE, AWS_ACCESS_KEY_ID, …) and the bucket policy")
            return AnchorError(f"S3 failed on {key!r}: {code} {exc}")
        return AnchorError(f"cannot reach S3 for {key!r}: {exc}; check ANCHOR_S3_ENDPOINT_URL and the network")

    # -- writes ------------------------------------------------------------------------------
    def put_file(self, key: str, src: str | Path, *, progress: Progress | None = None) -> str:
        size = os.path.getsize(src)
        with open(src, "rb") as fh:
            return self.put_stream(key, fh, size=size, progress=progress)

    def put_stream(self, key: str, stream: BinaryIO, *, size: int | None = None,
                   progress: Progress | None = None) -> str:
        """Upload whole or not at all: S3 publishes an object only when its upload completes
        (multipart above one part), so a reader never sees half of it under the key."""
        from boto3.s3.transfer import TransferConfig

        full = self._k(key)
        done = [0]

        def cb(n: int) -> None:
            done[0] += n
            if progress:
                progress(done[0], size)

        cfg = TransferConfig(multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, max_concurrency=4,
                             use_threads=True)
        try:
            self.client.upload_fileobj(stream, self.bucket, full, Config=cfg, Callback=cb)
        except Exception as exc:  # botocore raises many kinds; say what to do in one place
            raise self._errors(key, exc) from exc
        self._forget(key)
        return key

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._k(key))
        except Exception as exc:
            raise self._errors(key, exc) from exc
        self._forget(key)

    # -- reads -------------------------------------------------------------------------------
    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return cast(dict[str, Any], self.client.head_object(Bucket=self.bucket, Key=self._k(key)))
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._errors(key, exc) from exc
        except Exception as exc:
            raise self._errors(key, exc) from exc

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def open(self, key: str) -> BinaryIO:
        return open(self.path_for(key), "rb")

    def list(self, prefix: str = "") -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        try:
            for page in pages:
                for obj in page.get("Contents", []):
                    yield str(obj["Key"])[len(self.prefix):]
        except Exception as exc:
            raise self._errors(prefix or "/", exc) from exc

    def url(self, key: str, *, expires_s: int = URL_EXPIRY_S) -> str:
        """A presigned GET link (what outputs are shared as); it stops working after `expires_s`."""
        if self._head(key) is None:
            raise NotFoundError(f"no object {key!r} in s3://{self.bucket}/{self.prefix}")
        return str(self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket,
                                                                          "Key": self._k(key)},
                                                      ExpiresIn=int(expires_s)))

    # -- the read cache ----------------------------------------------------------------------
    def _slot(self, key: str) -> Path:
        digest = hashlib.sha256(self._k(key).encode()).hexdigest()[:32]
        return self.cache / digest

    def _forget(self, key: str) -> None:
        shutil.rmtree(self._slot(key), ignore_errors=True)

    def path_for(self, key: str) -> Path:
        """A local copy of the object for ffmpeg: reused while its size and ETag match."""
        head = self._head(key)
        if head is None:
            raise NotFoundError(f"no object {key!r} in s3://{self.bucket}/{self.prefix}")
        slot = self._slot(key)
        name = Path(key).name
        path, meta = slot / name, slot / "meta.json"
        size = int(head.get("ContentLength", -1))
        stamp = {"key": key, "etag": head.get("ETag"), "size": size}
        with self._lock:
            try:
                if path.is_file() and json.loads(meta.read_text()) == stamp and path.stat().st_size == size:
                    os.utime(slot)  # most recently used
                    return path
            except (OSError, ValueError):
                pass
            self._trim(need=size)
            shutil.rmtree(slot, ignore_errors=True)
            slot.mkdir(parents=True, exist_ok=True)
            fd, part = tempfile.mkstemp(prefix=".part-", dir=slot)
            os.close(fd)
            try:
                self.client.download_file(self.bucket, self._k(key), part)
                os.replace(part, path)
                meta.write_text(json.dumps(stamp))
            except Exception as exc:
                Path(part).unlink(missing_ok=True)
                if isinstance(exc, OSError):
                    raise
                raise self._errors(key, exc) from exc
        return path

    def cached_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.cache.rglob("*") if p.is_file()) if self.cache.is_dir() else 0

    def _trim(self, *, need: int) -> None:
        """Evict least-recently-used copies until `need` more bytes fit under the limit."""
        if not self.cache.is_dir():
            return
        slots = []
        for slot in self.cache.iterdir():
            if slot.is_dir():
                size = sum(p.stat().st_size for p in slot.iterdir() if p.is_file())
                slots.append((slot.stat().st_mtime, size, slot))
        total = sum(s for _, s, _ in slots)
        for _, size, slot in sorted(slots, key=lambda x: x[0]):
            if total + need <= self.cache_bytes:
                break
            shutil.rmtree(slot, ignore_errors=True)
            total -= size
