"""One server for the organizer app and the producer's workbench (marimo's ASGI app), behind
a pure-ASGI guard that checks every HTTP request AND every websocket (Starlette's
BaseHTTPMiddleware never sees websockets, so a naive guard leaves the kernel open).

Credentials: HTTP Basic (user `anchor`, the password) or `?token=<password>` once. Either
starts a server-side session: a random HttpOnly cookie that expires (`--session-hours`) and that
`/logout` revokes. Protection is on whenever a password is set, and a password is required to
listen beyond localhost.

The port is bound before anything is printed, so a busy port is one error line, never a
password and URL for a server that does not exist.

Browser uploads have their own HTTP routes under /api/uploads (`anchor_app.uploads_api`), behind
the same guard: the uploader widget sends file parts there (or to S3), not through the kernel.

Jobs: the server starts one `anchor worker` for its home (its own process, stopped with the
server) unless `--no-worker`; the notebooks only submit jobs and follow them.

Usage: python -m anchor_app.serve [--host H] [--port P] [--password-file F] [--session-hours N] [--no-auth]
       [--no-worker]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import errno
import hashlib
import hmac
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from anchor_app import notebooks_dir

COOKIE = "anchor_session"
USER = "anchor"
LOGOUT_PATHS = ("/logout", "/logout/")
DEFAULT_SESSION_HOURS = 12.0
MAX_SESSIONS = 1000  # a client sending Basic auth without keeping cookies must not grow the table forever
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

Send = Callable[[dict[str, Any]], Any]


class StartupError(Exception):
    """A reason the server cannot start, said in one line (main prints it, exit 2)."""


class Sessions:
    """Server-side session table (token digest -> expiry on a monotonic clock).

    Only digests are stored, so a lookup's timing says nothing about a live token. All sessions
    share one lifetime, so insertion order is expiry order and the oldest is the first key."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._expiry: dict[str, float] = {}

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def issue(self) -> str:
        """A new random session token, valid for `seconds` from now."""
        self.prune()
        while len(self._expiry) >= MAX_SESSIONS:
            self._expiry.pop(next(iter(self._expiry)))
        token = secrets.token_urlsafe(32)
        self._expiry[self._key(token)] = self.clock() + self.seconds
        return token

    def valid(self, token: str) -> bool:
        """True for a live session; an expired one is dropped on the spot."""
        key = self._key(token)
        expiry = self._expiry.get(key)
        if expiry is None:
            return False
        if self.clock() >= expiry:
            del self._expiry[key]
            return False
        return True

    def revoke(self, token: str) -> None:
        self._expiry.pop(self._key(token), None)

    def prune(self) -> None:
        """Forget every expired session."""
        now = self.clock()
        for key in [k for k, expiry in self._expiry.items() if now >= expiry]:
            del self._expiry[key]

    def __len__(self) -> int:
        return len(self._expiry)


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    # latin-1 never fails: a stray byte in a header must be a refusal, not a server error.
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(headers: dict[str, str], name: str) -> list[str]:
    values = []
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            values.append(value)
    return values


def _cookie_header(value: str, max_age: int) -> bytes:
    return f"{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}".encode()


class Guard:
    """Pure ASGI middleware: refuses unauthenticated http (401) and websocket (close 1008, which
    the server answers with 403), and serves `/logout`."""

    def __init__(self, app: Any, password: str, session_hours: float = DEFAULT_SESSION_HOURS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.password = password.encode()
        self.sessions = Sessions(session_hours * 3600, clock)

    def _password_ok(self, user: bytes, password: bytes) -> bool:
        # Both compared in full, whatever the first says: the timing tells neither.
        user_ok = hmac.compare_digest(user, USER.encode())
        password_ok = hmac.compare_digest(password, self.password)
        return user_ok and password_ok

    def _basic_ok(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True)
        except ValueError:
            return False
        user, sep, password = decoded.partition(b":")
        return bool(sep) and self._password_ok(user, password)

    def _token_ok(self, scope: dict[str, Any]) -> bool:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = query.get("token", [""])[0]
        return bool(token) and hmac.compare_digest(token.encode(), self.password)

    def _session_ok(self, headers: dict[str, str]) -> bool:
        return any(self.sessions.valid(value) for value in _cookies(headers, COOKIE))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        if scope["type"] == "http" and scope.get("path") in LOGOUT_PATHS:
            return await self._logout(headers, send)
        if self._session_ok(headers):
            return await self.app(scope, receive, send)
        if not (self._basic_ok(headers) or self._token_ok(scope)):
            return await self._refuse(scope, send)
        if scope["type"] == "websocket":  # a websocket cannot carry a cookie back
            return await self.app(scope, receive, send)
        return await self.app(scope, receive, self._with_cookie(send, self.sessions.issue()))

    def _with_cookie(self, send: Send, token: str) -> Send:
        """`send`, adding the new session's cookie to the response start."""
        cookie = _cookie_header(token, max(1, int(self.sessions.seconds)))

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=[*message.get("headers", []), (b"set-cookie", cookie)])
            await send(message)

        return send_with_cookie

    async def _refuse(self, scope: dict[str, Any], send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store"),
                                (b"www-authenticate", b'Basic realm="Anchor"')]})
        await send({"type": "http.response.body",
                    "body": f"Anchor: log in (user {USER}) or add ?token=...".encode()})

    async def _logout(self, headers: dict[str, str], send: Send) -> None:
        """Revoke the session server-side (the old cookie value is useless from now on) and clear it."""
        for value in _cookies(headers, COOKIE):
            self.sessions.revoke(value)
        body = (b"<!doctype html><meta charset=utf-8><title>Anchor: logged out</title>"
                b"<p>You are logged out of Anchor. <a href=\"/\">Log in again</a></p>")
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"),
                                (b"set-cookie", _cookie_header("", 0))]})
        await send({"type": "http.response.body", "body": body})


def build_app(password: str | None, session_hours: float = DEFAULT_SESSION_HOURS, *,
              upload_secret: bytes | None = None) -> Any:
    import marimo
    from starlette.applications import Starlette
    from starlette.responses import RedirectResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from anchor_app.shopify_api import ShopifyAPI, with_public_shopify
    from anchor_app.uploads_api import upload_routes
    from anchor_app.uploads_api import upload_secret as secret_from_env
    from anchor_core.config import load_settings

    notebooks = notebooks_dir()
    builder = marimo.create_asgi_app(include_code=False)
    for name in ("organizer", "workbench", "report"):
        nb = notebooks / f"{name}.py"
        if nb.is_file():
            builder = builder.with_app(path=f"/{name}", root=str(nb))
    marimo_app = builder.build()

    async def home(request: Any) -> RedirectResponse:
        query = request.url.query
        return RedirectResponse("/organizer/" + (f"?{query}" if query else ""))

    settings = load_settings()
    store = settings.store_root
    store.mkdir(parents=True, exist_ok=True)
    # Browser uploads (the uploader widget talks to these, not to the kernel), then rendered
    # videos for the players (range requests let the browser seek); same guard as the rest.
    uploads = upload_routes(settings, secret_from_env() if upload_secret is None else upload_secret)
    # Shopify: the organizer panel's API behind the guard; install, callback and webhooks in
    # front of it (Shopify and the brand's browser have no password: HMAC and state guard them).
    shopify = ShopifyAPI(settings)
    app = Starlette(routes=[Route("/", home), *uploads, *shopify.private_routes(),
                            Mount("/media", StaticFiles(directory=str(store))), Mount("/", marimo_app)])
    return with_public_shopify(Guard(app, password, session_hours) if password else app, shopify)


def read_password_file(path: str) -> str:
    """The password in `path`, or a StartupError saying what is wrong with the file and what to do."""
    fix = "create it (one line, the password) or leave out --password-file to have one generated"
    try:
        password = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise StartupError(f"password file {path} not found: {fix}") from None
    except IsADirectoryError:
        raise StartupError(f"password file {path} is a directory: {fix}") from None
    except UnicodeDecodeError:
        raise StartupError(f"password file {path} is not UTF-8 text: {fix}") from None
    except OSError as exc:
        raise StartupError(f"cannot read password file {path}: {exc.strerror or exc}") from None
    if not password:
        raise StartupError(f"password file {path} is empty: put the password on its first line,"
                           " or leave out --password-file to have one generated")
    return password


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address of host:port (as asyncio would bind them), bound before
    anything is announced; uvicorn then serves on them."""
    where = f"{_host_for_url(host)}:{port}"
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise StartupError(f"cannot listen on {where}: unknown host ({exc}); check --host") from None
    socks: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            socks.append(sock := socket.socket(family, kind, proto))
            # As uvicorn does: a restart can reuse the port at once; a live listener still refuses it.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(2048)
    except OSError as exc:
        for sock in socks:
            sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(f"cannot listen on {where}: address already in use; choose another --port") from None
        raise StartupError(f"cannot listen on {where}: {exc.strerror or exc}; check --host and --port") from None
    return socks


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _announce(host: str, port: int, generated_password: str | None) -> None:
    """Said once the server listens and its app has started: the address, and a generated password."""
    print(f"anchor serve: http://{_host_for_url(host)}:{port}/  (organizer: /organizer/, workbench: /workbench/,"
          " log out: /logout)", file=sys.stderr, flush=True)
    if generated_password:
        print(f"anchor serve: generated password (user '{USER}'): {generated_password}", file=sys.stderr,
              flush=True)


def _serve(app: Any, socks: list[socket.socket], announce: Callable[[], None]) -> None:
    """Run uvicorn on the bound sockets and announce only after its startup (lifespan) succeeded."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                announce()

    config = uvicorn.Config(app, log_level="warning", ws="websockets-sansio" if _has("websockets") else "auto")
    Server(config).run(sockets=socks)


def _port(text: str) -> int:
    """A TCP port; checked here because the socket layer silently wraps 70000 to 4464."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 to 65535, not {port}")
    return port


def _session_hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not hours > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be more than 0 hours, not {text}")
    return hours


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="anchor serve", description="Serve the Anchor organizer app and workbench")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=2718)
    p.add_argument("--password-file", help="file holding the password (else $ANCHOR_SERVE_PASSWORD)")
    p.add_argument("--session-hours", type=_session_hours, default=DEFAULT_SESSION_HOURS,
                   help=f"how long a login lasts (default {DEFAULT_SESSION_HOURS:g})")
    p.add_argument("--no-auth", action="store_true", help="only allowed on localhost")
    p.add_argument("--no-worker", action="store_true",
                   help="start no job worker (for a setup whose `anchor worker` processes run elsewhere)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    try:
        notebooks_dir()  # fail before binding or printing anything for a server that cannot start
        password = read_password_file(a.password_file) if a.password_file else None
        password = password or os.environ.get("ANCHOR_SERVE_PASSWORD") or None
        if a.no_auth and a.host not in LOCAL_HOSTS:
            raise StartupError("--no-auth is only allowed on localhost; set a password (--password-file)")
        generated = None
        if not password and not a.no_auth:
            password = generated = secrets.token_urlsafe(18)
        secret = _upload_secret()
        socks = listen(a.host, a.port)
    except StartupError as exc:
        print(f"anchor: error: {exc}", file=sys.stderr)
        return 2
    port = socks[0].getsockname()[1]  # the real one, also for --port 0
    from anchor_core.errors import AnchorError

    try:
        app = build_app(None if a.no_auth else password, a.session_hours, upload_secret=secret)
    except AnchorError as exc:  # e.g. ANCHOR_STORE=s3 without its bucket
        print(f"anchor: error: {exc}", file=sys.stderr)
        return 2
    with worker_for_home(not a.no_worker) as worker:
        def announce() -> None:
            _announce(a.host, port, generated)
            _announce_worker(worker)

        _serve(app, socks, announce)
    return 0


@contextlib.contextmanager
def worker_for_home(enabled: bool) -> Iterator[subprocess.Popen[bytes] | None]:
    """A worker while the block runs, stopped after it. uvicorn ends on SIGTERM by raising the
    signal again once it has shut down; the default action would kill this process before the
    worker is stopped, so SIGTERM is held here until then and raised again at the end."""
    if not enabled:
        yield None
        return
    worker = start_worker()
    caught: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda sig, _frame: caught.append(sig))
    try:
        yield worker
    finally:
        stop_worker(worker)
        signal.signal(signal.SIGTERM, previous)
        if caught:
            signal.raise_signal(signal.SIGTERM)


def start_worker() -> subprocess.Popen[bytes]:
    """One `anchor worker` for the served home, in its own process group: the jobs the notebooks
    submit run there, not in a kernel thread. It dies with this process (PR_SET_PDEATHSIG), so a
    killed server leaves no worker behind; its output goes to HOME/logs/worker.log."""
    from anchor_core.catalog import Catalog
    from anchor_core.config import load_settings
    from anchor_core.media.lifetime import spawn_python

    settings = load_settings()
    with Catalog(settings.catalog_path):  # the worker opens an existing catalog only: make sure it is there
        pass
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return spawn_python(["-m", "anchor_core.cli", "--home", str(settings.home.resolve()), "worker"],
                        log_path=str(logs / "worker.log"), env=dict(os.environ))


def stop_worker(worker: subprocess.Popen[bytes]) -> int:
    """SIGTERM (the worker stops its running job, which the next worker re-queues), then SIGKILL."""
    from anchor_core.media.lifetime import kill_group

    return kill_group(worker, grace_s=5.0)


def _announce_worker(worker: subprocess.Popen[bytes] | None) -> None:
    if worker is None:
        print("anchor serve: no job worker (--no-worker): jobs wait for an `anchor worker` of this home",
              file=sys.stderr, flush=True)
    else:
        print(f"anchor serve: job worker started (pid {worker.pid}; stopped with the server)", file=sys.stderr,
              flush=True)


def _upload_secret() -> bytes:
    """The signing key of local part URLs for this process (ANCHOR_UPLOAD_SECRET, else random)."""
    from anchor_app.uploads_api import upload_secret
    from anchor_core.errors import ConfigError

    try:
        return upload_secret()
    except ConfigError as exc:
        raise StartupError(str(exc)) from None


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    sys.exit(main())
