"""One server for the organizer app and the producer's workbench (marimo's ASGI app), behind
a pure-ASGI guard that checks every HTTP request AND every websocket (Starlette's
BaseHTTPMiddleware never sees websockets, so a naive guard leaves the kernel open).

Credentials: HTTP Basic (user `anchor`, the password) or `?token=<password>` once, which sets
an HttpOnly session cookie. Protection is on whenever a password is set, and a password is
required to listen beyond localhost.

Usage: python -m anchor_app.serve [--host H] [--port P] [--password-file F] [--no-auth]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from anchor_app import notebooks_dir

COOKIE = "anchor_session"


class Guard:
    """Pure ASGI middleware: refuses unauthenticated http (401) and websocket (close 1008)."""

    def __init__(self, app: Any, password: str) -> None:
        self.app = app
        self.password = password.encode()
        self.session = hmac.new(self.password, b"anchor-session", hashlib.sha256).hexdigest()

    def _ok(self, scope: dict[str, Any]) -> tuple[bool, bool]:
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        auth = headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False, False
            if hmac.compare_digest(pw.encode(), self.password):
                return True, False
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and hmac.compare_digest(value, self.session):
                return True, False
        token = parse_qs(scope.get("query_string", b"").decode()).get("token", [""])[0]
        if token and hmac.compare_digest(token.encode(), self.password):
            return True, True
        return False, False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        ok, set_cookie = self._ok(scope)
        if not ok:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return None
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"text/plain"),
                                    (b"www-authenticate", b'Basic realm="Anchor"')]})
            await send({"type": "http.response.body", "body": b"Anchor: log in (user anchor) or add ?token=..."})
            return None
        if not set_cookie:
            return await self.app(scope, receive, send)

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                cookie = f"{COOKIE}={self.session}; HttpOnly; SameSite=Strict; Path=/".encode()
                message = dict(message, headers=[*message.get("headers", []), (b"set-cookie", cookie)])
            await send(message)

        return await self.app(scope, receive, send_with_cookie)


def build_app(password: str | None) -> Any:
    import marimo
    from starlette.applications import Starlette
    from starlette.responses import RedirectResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

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

    store = load_settings().store_root
    store.mkdir(parents=True, exist_ok=True)
    # Rendered videos for the players (range requests let the browser seek); same guard as the rest.
    app = Starlette(routes=[Route("/", home), Mount("/media", StaticFiles(directory=str(store))),
                            Mount("/", marimo_app)])
    return Guard(app, password) if password else app


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Serve the Anchor organizer app and workbench")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2718)
    p.add_argument("--password-file", help="file holding the password (else $ANCHOR_SERVE_PASSWORD)")
    p.add_argument("--no-auth", action="store_true", help="only allowed on localhost")
    a = p.parse_args(argv)
    notebooks_dir()  # fail before printing a password for a server that cannot start
    password = None
    if a.password_file:
        password = Path(a.password_file).read_text().strip()
    password = password or os.environ.get("ANCHOR_SERVE_PASSWORD") or None
    local = a.host in ("127.0.0.1", "localhost", "::1")
    if a.no_auth and not local:
        print("anchor serve: --no-auth is only allowed on localhost", file=sys.stderr)
        return 2
    if not password and not a.no_auth:
        password = secrets.token_urlsafe(18)
        print(f"anchor serve: generated password (user 'anchor'): {password}", file=sys.stderr)
    import uvicorn

    print(f"anchor serve: http://{a.host}:{a.port}/  (organizer: /organizer/, workbench: /workbench/)",
          file=sys.stderr)
    uvicorn.run(build_app(None if a.no_auth else password), host=a.host, port=a.port, log_level="warning",
                ws="websockets-sansio" if _has("websockets") else "auto")
    return 0


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    sys.exit(main())
