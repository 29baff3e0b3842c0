"""The HTTP side of browser uploads, mounted by `anchor serve` under /api/uploads (behind its
session guard, like everything it serves). The browser uploader widget talks to these routes
directly, same origin, with the session cookie; the notebook's kernel never sees a file byte.

    POST   /api/uploads                     begin, or resume the same file: {event_id, kind: video|music,
                                            angle_type, name, size, last_modified, head_sha256}
    GET    /api/uploads/{id}                status: the parts the store already holds
    POST   /api/uploads/{id}/targets        {numbers} -> a URL to PUT each part to
    POST   /api/uploads/{id}/complete       {sha256?, angle_type?} -> verified, published and ingested
    DELETE /api/uploads/{id}                abort: the parts are dropped
    PUT    /api/uploads/{backend_id}/{n}    a part, into the local store (S3 takes parts itself):
                                            the URL's HMAC signature is checked before a byte is read,
                                            and the body streams to disk in chunks, never whole in memory

A file picked again resumes its open upload when its event, kind, name, size and last-modified
match, confirmed by the sha256 of its first 8 MiB (`head_sha256`, sent at begin).

The signing secret of local part URLs lives in this process only (random at start, or
ANCHOR_UPLOAD_SECRET): a restart makes outstanding URLs fail with 403, and the widget simply asks
for new ones; the parts already stored are kept.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import anyio.from_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from anchor_core.catalog import Catalog, open_catalog
from anchor_core.catalog import events as events_repo
from anchor_core.catalog.ids import new_id
from anchor_core.catalog.status import check_angle_type
from anchor_core.config import Settings
from anchor_core.errors import (
    AnchorError,
    ConfigError,
    IngestError,
    InvalidTransition,
    NotFoundError,
    StoreKeyError,
    ValidationError,
)
from anchor_core.ingest import IngestResult, clean_name
from anchor_core.store import ObjectStore, music_key, open_store, safe_ext, video_key
from anchor_core.uploads import (
    UploadStatus,
    abort_upload,
    begin_upload,
    complete_upload,
    list_uploads,
    open_multipart,
    part_targets,
    upload_status,
)
from anchor_core.uploads.ingest import KINDS, ingest_stored_object
from anchor_core.uploads.local import LocalMultipart
from anchor_core.uploads.model import Upload
from anchor_core.uploads.store import get_upload, set_state

PREFIX = "/api/uploads"
PART_BASE = "/api"  # LocalMultipart signs `{base}/uploads/{backend_id}/{n}`: relative, so any host name works
JSON_LIMIT = 64 << 10
MAX_TARGETS = 100  # part URLs per call
URL_EXPIRES_S = 3600
MIN_SECRET = 16
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MIME = re.compile(r"[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,80}")


class Refused(Exception):
    """A request refused with an HTTP status and a message that says what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


_STATUS: tuple[tuple[type[AnchorError], int], ...] = (
    (NotFoundError, 404), (StoreKeyError, 400), (IngestError, 422), (ValidationError, 400),
    (InvalidTransition, 409), (ConfigError, 400),
)


def upload_secret(env: dict[str, str] | None = None) -> bytes:
    """The key local part URLs are signed with: ANCHOR_UPLOAD_SECRET (several servers sharing
    one store must share it), else random for this process."""
    value = (os.environ if env is None else env).get("ANCHOR_UPLOAD_SECRET", "")
    if not value:
        return secrets.token_bytes(32)
    if len(value) < MIN_SECRET:
        raise ConfigError(f"ANCHOR_UPLOAD_SECRET is {len(value)} characters long; use at least {MIN_SECRET} random "
                          "ones (or unset it for a random secret per server start)")
    return value.encode()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={"Cache-Control": "no-store"})


def _ok(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


Handler = Callable[[Request], Awaitable[Response]]


def _endpoint(fn: Handler) -> Handler:
    """Library errors become JSON answers with the status that fits and the library's message."""

    async def handler(request: Request) -> Response:
        try:
            return await fn(request)
        except Refused as exc:
            return _error(exc.status, str(exc))
        except AnchorError as exc:
            status = next((s for kind, s in _STATUS if isinstance(exc, kind)), 500)
            return _error(status, str(exc))

    return handler


async def _json(request: Request) -> dict[str, Any]:
    """The JSON object in the body. JSON only: a cross-site form cannot send it without CORS."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise Refused(415, "send the request as JSON (Content-Type: application/json)")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > JSON_LIMIT:
            raise Refused(413, f"the request is over {JSON_LIMIT >> 10} kB; upload file bytes as parts")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise Refused(400, "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "the request body must be a JSON object")
    return data


def _field(body: dict[str, Any], name: str, kind: type, *, required: bool = True) -> Any:
    value = body.get(name)
    if value is None and not required:
        return None
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise Refused(400, f"`{name}` must be a whole number")
    if kind is str and (not isinstance(value, str) or not value):
        raise Refused(400, f"`{name}` must be a non-empty string")
    return value


def _sha(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _HEX64.fullmatch(value.lower()):
        raise Refused(400, f"`{name}` must be a sha256 as 64 hex digits")
    return value.lower()


def describe(status: UploadStatus, **extra: object) -> dict[str, Any]:
    """An upload as the widget sees it. A stored part of the wrong size (a cut-off PUT an S3
    stand-in kept) counts as missing, so the resumed client sends it again."""
    up = status.upload
    good = [p for p in status.stored if p.size_bytes == up.part_range(p.number)[1]]
    return {"upload_id": up.upload_id, "state": up.state, "size": up.size_bytes, "part_bytes": up.part_bytes,
            "parts": up.parts, "stored": [p.number for p in good], "stored_bytes": sum(p.size_bytes for p in good),
            "missing": up.parts - len(good), "kind": up.meta.get("kind"), "name": up.meta.get("name"),
            "object_key": up.object_key, **extra}


def ingest_json(result: IngestResult) -> dict[str, Any]:
    return {"kind": result.kind, "id": result.id, "created": result.created, "name": result.name,
            "angle_type": result.angle_type, "object_key": result.object_key, "duration_s": result.duration_s,
            "warnings": list(result.warnings)}


class BodyStream(io.RawIOBase):
    """A request body as a blocking stream for a worker thread: each read takes the next chunk
    the server received (at most a few hundred kB), so a part is never whole in memory."""

    def __init__(self, receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self._receive = receive
        self._more = True
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while self._more:
            message = anyio.from_thread.run(self._receive)
            if message["type"] == "http.disconnect":
                raise ConnectionError("the client went away in the middle of the part")
            self._more = bool(message.get("more_body", False))
            chunk = bytes(message.get("body", b""))
            if chunk:
                self.count += len(chunk)
                return chunk
        return b""


class SharedCatalog:
    """One catalog connection for the upload requests, held while they come and closed after
    `idle_s` of quiet, so other processes (the CLI) can open the file between uploads.

    Why not one per request, as the notebooks do: DuckDB fails ("Unique file handle conflict")
    when two threads of one process create or drop their in-process database at the same moment,
    which a part PUT every few milliseconds next to the kernels' cells made happen. Kept open,
    the database stays cached, and every other connection of this process (the kernels') joins
    it safely; it is opened and closed only here, under one lock."""

    def __init__(self, settings: Settings, *, idle_s: float = 5.0) -> None:
        self.settings = settings
        self.idle_s = idle_s
        self._lock = threading.Lock()
        self._cat: Catalog | None = None
        self._users = 0
        self._last = 0.0
        self._timer: threading.Timer | None = None

    @contextmanager
    def use(self) -> Iterator[Catalog]:
        with self._lock:
            if self._cat is None:
                self._cat = self._open()
            self._users += 1
            cat = self._cat
        try:
            yield cat
        finally:
            with self._lock:
                self._users -= 1
                self._last = time.monotonic()
                if self._timer is None:
                    self._schedule()

    def _open(self) -> Catalog:
        for attempt in range(1, 20):  # a kernel thread may be opening the file at this very moment
            try:
                return open_catalog(self.settings)
            except AnchorError as exc:
                if "file handle conflict" not in str(exc):
                    raise
                time.sleep(0.01 * attempt)
        return open_catalog(self.settings)  # the last try says its own error

    def _schedule(self) -> None:
        self._timer = threading.Timer(self.idle_s, self._close_if_idle)
        self._timer.daemon = True
        self._timer.start()

    def _close_if_idle(self) -> None:
        with self._lock:
            self._timer = None
            if self._cat is None:
                return
            if self._users or time.monotonic() - self._last < self.idle_s:
                self._schedule()
                return
            self._cat.close()
            self._cat = None


class UploadsAPI:
    """The endpoints over one store and catalog (the server's settings, never the client's)."""

    def __init__(self, settings: Settings, *, secret: bytes) -> None:
        self.settings = settings
        self.store: ObjectStore = open_store(settings)
        self.mp = open_multipart(self.store, secret=secret, base_url=PART_BASE)
        self.catalog = SharedCatalog(settings)
        self._by_backend_id: dict[str, str] = {}

    def routes(self) -> list[Route]:
        e = _endpoint
        return [
            Route(PREFIX, e(self.begin), methods=["POST"]),
            Route(PREFIX + "/{backend_id}/{number:int}", e(self.put_part), methods=["PUT"]),
            Route(PREFIX + "/{upload_id}", e(self.status), methods=["GET"]),
            Route(PREFIX + "/{upload_id}", e(self.abort), methods=["DELETE"]),
            Route(PREFIX + "/{upload_id}/targets", e(self.targets), methods=["POST"]),
            Route(PREFIX + "/{upload_id}/complete", e(self.complete), methods=["POST"]),
        ]

    def _catalog(self) -> AbstractContextManager[Catalog]:
        return self.catalog.use()

    # -- begin / resume ----------------------------------------------------------------------
    async def begin(self, request: Request) -> Response:
        body = await _json(request)
        return _ok(await run_in_threadpool(self._begin, body))

    def _begin(self, body: dict[str, Any]) -> dict[str, Any]:
        event_id = _field(body, "event_id", str)
        kind = _field(body, "kind", str)
        if kind not in KINDS:
            raise Refused(400, f"`kind` must be one of {', '.join(KINDS)}, not {kind!r}")
        angle = check_angle_type(_field(body, "angle_type", str)) if kind == "video" else None
        name, _ = clean_name(_field(body, "name", str)[:4096])
        size = _field(body, "size", int)
        last_modified = _field(body, "last_modified", int)
        head = _sha(body, "head_sha256", required=True)
        mime = str(body.get("content_type") or "").lower()
        mime = mime if _MIME.fullmatch(mime) else "application/octet-stream"
        with self._catalog() as cat:
            events_repo.get_event(cat, event_id)
            same = self._find(cat, event_id, kind, name, size, last_modified, head)
            if same is not None:
                return describe(upload_status(cat, self.mp, same.upload_id), resumed=True)
            self._check_space(size)
            oid = new_id("vid" if kind == "video" else "mus")
            key = (video_key(event_id, oid, safe_ext(name, "mp4")) if kind == "video"
                   else music_key(event_id, oid, safe_ext(name, "m4a")))
            meta = {"event_id": event_id, "kind": kind, "angle_type": angle, "name": name,
                    "last_modified": last_modified, "head_sha256": head}
            up = begin_upload(cat, self.mp, key, size, content_type=mime, meta=meta)
            return describe(upload_status(cat, self.mp, up.upload_id), resumed=False)

    @staticmethod
    def _find(cat: Catalog, event_id: str, kind: str, name: str, size: int, last_modified: int,
              head: str | None) -> Upload | None:
        """The open upload of this very file: same event, kind, name, size and last-modified,
        and the same first 8 MiB (a file edited in place keeps its name and often its size)."""
        for up in reversed(list_uploads(cat, state="open")):
            m = up.meta
            if (m.get("event_id"), m.get("kind"), m.get("name"), up.size_bytes, m.get("last_modified")) == \
                    (event_id, kind, name, size, last_modified) and m.get("head_sha256") == head:
                return up
        return None

    def _check_space(self, size: int) -> None:
        """The local store holds the parts and, while joining them, the whole file: twice its size."""
        if not isinstance(self.mp, LocalMultipart):
            return
        self.mp.root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.mp.root).free
        if free < 2 * size:
            raise Refused(507, f"the server has {free / 1e9:.1f} GB free and this upload needs "
                               f"{2 * size / 1e9:.1f} GB while its parts are joined; free some space first")

    # -- status, targets, abort --------------------------------------------------------------
    async def status(self, request: Request) -> Response:
        upload_id = request.path_params["upload_id"]

        def work() -> dict[str, Any]:
            with self._catalog() as cat:
                return describe(upload_status(cat, self.mp, upload_id))

        return _ok(await run_in_threadpool(work))

    async def targets(self, request: Request) -> Response:
        upload_id = request.path_params["upload_id"]
        numbers = (await _json(request)).get("numbers")
        if not isinstance(numbers, list) or not 0 < len(numbers) <= MAX_TARGETS or \
                not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            raise Refused(400, f"`numbers` must list 1 to {MAX_TARGETS} part numbers")

        def work() -> dict[str, Any]:
            with self._catalog() as cat:
                try:
                    found = part_targets(cat, self.mp, upload_id, numbers, expires_s=URL_EXPIRES_S)
                except ValueError as exc:
                    raise Refused(400, str(exc)) from None
            return {"expires_s": URL_EXPIRES_S, "targets": [
                {"number": t.number, "url": t.url, "offset": t.offset, "length": t.length} for t in found]}

        return _ok(await run_in_threadpool(work))

    async def abort(self, request: Request) -> Response:
        upload_id = request.path_params["upload_id"]

        def work() -> dict[str, Any]:
            with self._catalog() as cat:
                up = get_upload(cat, upload_id)
                if up.state == "completed":
                    raise Refused(409, f"upload {upload_id} is already completed; nothing to abort")
                abort_upload(cat, self.mp, upload_id)
            return {"upload_id": upload_id, "state": "aborted" if up.state == "open" else up.state}

        return _ok(await run_in_threadpool(work))

    # -- complete: verify, publish, ingest ---------------------------------------------------
    async def complete(self, request: Request) -> Response:
        upload_id = request.path_params["upload_id"]
        body = await _json(request)
        sha = _sha(body, "sha256", required=False)
        angle = body.get("angle_type")
        return _ok(await run_in_threadpool(self._complete, upload_id, sha, angle))

    def _complete(self, upload_id: str, sha: str | None, angle: object) -> dict[str, Any]:
        with self._catalog() as cat:
            up = get_upload(cat, upload_id)
            if up.state != "open":
                raise Refused(409, f"upload {upload_id} is {up.state}; pick the file again to start a new one")
            meta = up.meta
            kind = str(meta.get("kind"))
            if kind == "video":  # checked before publishing: a typo must not cost the upload
                angle = check_angle_type(str(angle or meta.get("angle_type") or ""))
            missing = describe(upload_status(cat, self.mp, upload_id))
            if missing["missing"]:
                raise Refused(409, f"the upload still lacks {missing['missing']} of {up.parts} parts; send them, "
                                   "then complete")
            local = isinstance(self.mp, LocalMultipart)  # joins with a hash check: no second read
            try:
                complete_upload(cat, self.mp, upload_id, sha256=sha if local else None)
            except ValidationError as exc:
                raise Refused(422, str(exc)) from None
            try:
                result = ingest_stored_object(
                    cat, self.store, str(meta["event_id"]), up.object_key, kind=kind, name=str(meta.get("name")),
                    angle_type=str(angle) if kind == "video" else None, content_hash=sha if local else None,
                    expect_sha256=None if local else sha, ffmpeg=self.settings.ffmpeg)
            except (IngestError, ValidationError) as exc:
                set_state(cat, upload_id, "failed")
                raise Refused(422, str(exc)) from None
        return ingest_json(result)

    # -- a part into the local store ---------------------------------------------------------
    async def put_part(self, request: Request) -> Response:
        if not isinstance(self.mp, LocalMultipart):
            raise Refused(404, "the store is S3: parts go to S3's own part URLs, ask /targets for them")
        backend_id = request.path_params["backend_id"]
        number = int(request.path_params["number"])
        up = await run_in_threadpool(self._local_upload, backend_id)
        try:
            expires = int(request.query_params.get("expires", ""))
            self.mp.check(up, number, expires=expires, sig=request.query_params.get("sig", ""))
            _, length = up.part_range(number)
        except (ValueError, ValidationError) as exc:
            msg = str(exc) if isinstance(exc, ValidationError) else "this part URL is malformed: ask for new part URLs"
            raise Refused(403, msg) from None
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) != length:
            status = 413 if int(declared) > length else 400
            raise Refused(status, f"part {number} must have {length} bytes, this one declares {declared}")
        body = BodyStream(request.receive)
        try:
            part = await run_in_threadpool(self.mp.write_part, up, number, body)
        except ConnectionError as exc:
            raise Refused(400, str(exc)) from None
        except ValidationError as exc:
            raise Refused(413 if body.count > length else 400, str(exc)) from None
        return JSONResponse({"number": part.number, "size": part.size_bytes}, headers={"ETag": part.etag})

    def _local_upload(self, backend_id: str) -> Upload:
        """The upload a part URL names, read fresh (its state may have changed); which upload a
        backend id belongs to never changes, so that is looked up once, not per part."""
        with self._catalog() as cat:
            upload_id = self._by_backend_id.get(backend_id)
            if upload_id is None:
                if len(self._by_backend_id) > 10_000:
                    self._by_backend_id.clear()
                self._by_backend_id.update((u.backend_id, u.upload_id) for u in list_uploads(cat, state="open")
                                           if u.backend == "local")
                upload_id = self._by_backend_id.get(backend_id)
            if upload_id is not None:
                return get_upload(cat, upload_id)
        # 403 like a forged URL: the ids are random, and a guess learns nothing either way
        raise Refused(403, "this part URL names no upload in progress: ask for new part URLs")


def upload_routes(settings: Settings, secret: bytes) -> list[Route]:
    return UploadsAPI(settings, secret=secret).routes()
