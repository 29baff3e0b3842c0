"""Product images from Shopify's CDN into the object store: allowed hosts only, no redirect to
another host, a size cap, and both the Content-Type and the file's own magic bytes checked."""

from __future__ import annotations

import io
from urllib.parse import urljoin, urlsplit

import httpx

from ..products_csv import image_kind
from ..store import ObjectStore, product_image_key
from .config import LOOPBACK

MAX_IMAGE_BYTES = 20 << 20
MAX_REDIRECTS = 3
CONTENT_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
TIMEOUT = httpx.Timeout(20.0, connect=5.0)


class ImageRefused(Exception):
    """Why an image was not stored (said in the sync report; the product is kept without it)."""


def _where(url: str, allowed: tuple[str, ...]) -> str:
    """The URL's host[:port], if images may come from there."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise ImageRefused("the image URL is not a valid URL") from None
    netloc = f"{host}:{port}" if port else host
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK):
        raise ImageRefused(f"the image is not on https ({parts.scheme or 'no scheme'})")
    if host not in allowed and netloc not in allowed:
        raise ImageRefused(f"the image is on {netloc or 'no host'}, not on Shopify's CDN ({', '.join(allowed)})")
    return netloc


def fetch_image(http: httpx.Client, url: str, allowed: tuple[str, ...], *,
                max_bytes: int = MAX_IMAGE_BYTES) -> tuple[bytes, str]:
    """The image's bytes and kind (png, jpg, gif, webp), or ImageRefused saying why not."""
    origin = _where(url, allowed)
    for _ in range(MAX_REDIRECTS + 1):
        try:
            with http.stream("GET", url, follow_redirects=False) as r:
                if r.is_redirect:
                    nxt = urljoin(url, r.headers.get("location", ""))
                    try:
                        same = _where(nxt, (origin,)) == origin
                    except ImageRefused:
                        same = False
                    if not same:
                        raise ImageRefused("the image redirects to another host")
                    url = nxt
                    continue
                if r.status_code != 200:
                    raise ImageRefused(f"the image answered HTTP {r.status_code}")
                ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype not in CONTENT_TYPES:
                    raise ImageRefused(f"the image's Content-Type is {ctype or 'missing'}, not PNG, JPEG, GIF or WebP")
                length = r.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise ImageRefused(f"the image is {int(length) / 1e6:.1f} MB; at most {max_bytes >> 20} MB")
                buf = bytearray()
                for chunk in r.iter_bytes():
                    buf += chunk
                    if len(buf) > max_bytes:
                        raise ImageRefused(f"the image is over {max_bytes >> 20} MB")
        except httpx.HTTPError as exc:
            raise ImageRefused(f"the image could not be downloaded ({type(exc).__name__})") from None
        kind = image_kind(bytes(buf[:16]))
        if kind is None:
            raise ImageRefused("the image's bytes are not a PNG, JPEG, GIF or WebP file")
        return bytes(buf), kind
    raise ImageRefused(f"the image redirects more than {MAX_REDIRECTS} times")


def store_image(store: ObjectStore, product_id: str, data: bytes, kind: str, old_key: str | None) -> str:
    key = product_image_key(product_id, kind)
    store.put_stream(key, io.BytesIO(data), size=len(data))
    if old_key and old_key != key:
        store.delete(old_key)
    return key
