"""Object keys: the platform's layout, and the one validator every key passes through."""

from __future__ import annotations

import re

from ..errors import StoreKeyError

_SEGMENT = re.compile(r"[A-Za-z0-9._\-]+")  # always fullmatch: `$` would let a trailing newline in
_EXT = re.compile(r"[a-z0-9]{1,8}")
MAX_KEY = 512
MAX_SEGMENT = 255  # a file name on every local filesystem


def validate_key(key: str) -> str:
    """Refuse anything that could escape the store or confuse a filesystem or S3."""
    if not isinstance(key, str) or not key:
        raise StoreKeyError("empty object key")
    if len(key) > MAX_KEY:
        raise StoreKeyError(f"object key longer than {MAX_KEY} characters ({len(key)})")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise StoreKeyError(f"object key {key!r} contains control characters")
    if key.startswith("/") or "\\" in key or re.match(r"^[A-Za-z]:", key):
        raise StoreKeyError(f"object key {key!r} must be relative (no leading '/', no drive, no '\\')")
    for part in key.split("/"):
        if part in ("", ".", ".."):
            raise StoreKeyError(f"object key {key!r} has an empty, '.' or '..' segment")
        if not _SEGMENT.fullmatch(part):
            raise StoreKeyError(f"object key {key!r}: segment {part!r} may only use letters, digits, '.', '_', '-'")
        if len(part) > MAX_SEGMENT:
            raise StoreKeyError(f"object key {key!r}: segment longer than {MAX_SEGMENT} characters")
    return key


def safe_ext(filename: str, default: str) -> str:
    """The extension of an uploaded name, if it is a plain one; hostile names fall back."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return ext if _EXT.fullmatch(ext) else default


def video_key(event_id: str, video_id: str, ext: str) -> str:
    return validate_key(f"events/{event_id}/videos/{video_id}.{ext}")


def music_key(event_id: str, music_id: str, ext: str) -> str:
    return validate_key(f"events/{event_id}/music/{music_id}.{ext}")


def face_key(event_id: str, digest: str, ext: str) -> str:
    """A "find me" photo for the event's reels, named by its content hash."""
    return validate_key(f"events/{event_id}/faces/{digest}.{ext}")


def product_image_key(product_id: str, ext: str) -> str:
    return validate_key(f"products/{product_id}/image.{ext}")


def output_key(owner_id: str, name: str) -> str:
    """Renders: `outputs/{event_id}/master.mp4`, `outputs/{reel_id}/reel.mp4`, ads, exports."""
    return validate_key(f"outputs/{owner_id}/{name}")
