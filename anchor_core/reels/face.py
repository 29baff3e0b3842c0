"""A "find me" photo for a reel: checked, then kept in the object store under the event, so a
worker on another machine can read it; the job carries only its key."""

from __future__ import annotations

import hashlib
import io

from ..errors import ValidationError
from ..store import ObjectStore, face_key

MAX_FACE_BYTES = 10 * 1024 * 1024
_KINDS = {"png", "jpg", "webp"}  # what an image query accepts


def store_face(store: ObjectStore, event_id: str, data: bytes) -> str:
    """The photo's store key; a clear error for what is not a photo or is too large."""
    from ..products_csv import image_kind

    if not data:
        raise ValidationError("the photo is empty: choose a JPEG or PNG of the person's face")
    if len(data) > MAX_FACE_BYTES:
        raise ValidationError(f"the photo is {len(data) / 1e6:.1f} MB; use one under {MAX_FACE_BYTES // 2**20} MB")
    kind = image_kind(data[:16])
    if kind not in _KINDS:
        raise ValidationError("that file is not a JPEG, PNG or WebP photo: choose a picture of the person's face")
    key = face_key(event_id, hashlib.sha256(data).hexdigest()[:32], kind)
    if not store.exists(key):
        store.put_stream(key, io.BytesIO(data), size=len(data))
    return key
