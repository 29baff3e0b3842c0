"""A loopback fake of Shopify for the integration tests: real HTTP on 127.0.0.1.

- `GET  /shops/{shop}/admin/oauth/authorize`   the consent page (an "Install app" button)
- `GET  /shops/{shop}/admin/oauth/approve`     302 back to the app's redirect_uri with code, hmac, host, shop,
                                               state and timestamp, signed with the client secret
- `POST /shops/{shop}/admin/oauth/access_token` the code exchange (`expiring: 1` -> 3600 s token + refresh token)
                                               and the refresh (a dead refresh token -> 400 invalid_grant)
- `POST /shops/{shop}/admin/api/{version}/graphql.json` `products` (cursor pages, at most 250), `productsCount`,
                                               `nodes(ids:)`; a cost bucket with `extensions.cost`; injected
                                               throttles (HTTP 200 or 429); 401 for a missing or expired token
- `GET  /cdn/{shop}/{n}.png`                   product images (and a few hostile ones under /cdn/bad/)

Set `SHOPIFY_ADMIN_BASE_URL` to `fake.admin_base` (`http://127.0.0.1:PORT/shops/{shop}`) and
`SHOPIFY_IMAGE_HOSTS` to `fake.netloc`: the shop domains stay real `*.myshopify.com` names.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

API_KEY = "fake-client-id"
API_SECRET = "fake-client-secret-0123456789"


def png(rgb: tuple[int, int, int], size: int = 48) -> bytes:
    """A solid-colour PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * size
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b""))


def sign_params(secret: str, params: dict[str, str]) -> str:
    """Shopify's callback HMAC, written independently of the code under test."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def webhook_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class FakeProduct:
    n: int
    title: str
    handle: str
    price: str = "19.99"
    price_max: str = "24.99"
    currency: str = "EUR"
    status: str = "ACTIVE"
    vendor: str = "Fake Vendor"
    description_html: str = "<p>A <b>fine</b> product.</p><script>alert(1)</script>"
    image_url: str | None = None
    updated_at: datetime = field(default_factory=lambda: datetime(2026, 11, 1, tzinfo=UTC))

    @property
    def gid(self) -> str:
        return f"gid://shopify/Product/{self.n}"

    def node(self) -> dict[str, Any]:
        return {"id": self.gid, "handle": self.handle, "title": self.title, "vendor": self.vendor,
                "descriptionHtml": self.description_html, "status": self.status,
                "updatedAt": self.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "featuredMedia": {"preview": {"image": {"url": self.image_url, "altText": None}}}
                if self.image_url else None,
                "priceRangeV2": {"minVariantPrice": {"amount": self.price, "currencyCode": self.currency},
                                 "maxVariantPrice": {"amount": self.price_max, "currencyCode": self.currency}}}


@dataclass
class FakeShop:
    domain: str
    products: list[FakeProduct] = field(default_factory=list)
    bucket: float = 1000.0
    bucket_at: float = field(default_factory=time.monotonic)


@dataclass
class Token:
    shop: str
    expires_at: float  # time.time()


class FakeShopify:
    MAX_BUCKET = 1000.0
    RESTORE_RATE = 500.0

    def __init__(self, *, secret: str = API_SECRET, api_key: str = API_KEY) -> None:
        self.secret, self.api_key = secret, api_key
        self.shops: dict[str, FakeShop] = {}
        self.codes: dict[str, str] = {}  # code -> shop
        self.access: dict[str, Token] = {}
        self.refresh: dict[str, Token] = {}
        self.expires_in = 3600
        self.refresh_expires_in = 90 * 86400
        self.granted_scope = "read_products"
        self.throttle_calls: dict[int, int] = {}  # products-page call number -> HTTP status of its throttle
        self.products_calls = 0
        self.log: list[dict[str, Any]] = []  # every request: method, path, and the JSON body's keys
        self.bodies: list[bytes] = []  # every request body, raw (to grep for leaks)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.netloc = f"127.0.0.1:{self.port}"
        self.base = f"http://{self.netloc}"
        self.admin_base = self.base + "/shops/{shop}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- life --------------------------------------------------------------------------------
    def __enter__(self) -> FakeShopify:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def env(self, app_url: str = "http://127.0.0.1:9") -> dict[str, str]:
        return {"SHOPIFY_API_KEY": self.api_key, "SHOPIFY_API_SECRET": self.secret, "SHOPIFY_APP_URL": app_url,
                "SHOPIFY_ADMIN_BASE_URL": self.admin_base, "SHOPIFY_IMAGE_HOSTS": self.netloc}

    # -- data --------------------------------------------------------------------------------
    def add_shop(self, domain: str, count: int = 0, *, image: bool = True) -> FakeShop:
        shop = self.shops.setdefault(domain, FakeShop(domain))
        for _ in range(count):
            self.add_product(domain, image=image)
        return shop

    def add_product(self, domain: str, title: str | None = None, *, image: bool = True, **kw: Any) -> FakeProduct:
        shop = self.shops.setdefault(domain, FakeShop(domain))
        n = 1000 + len(shop.products)
        p = FakeProduct(n, title if title is not None else f"Product {n}", f"product-{n}", **kw)
        if image and p.image_url is None:
            p.image_url = f"{self.base}/cdn/{domain}/{n}.png"
        shop.products.append(p)
        return p

    def approve_url(self, authorize_url: str) -> str:
        """What the consent page's button points at, for tests without a browser."""
        parts = urlsplit(authorize_url)
        return f"{self.base}{parts.path.replace('/authorize', '/approve')}?{parts.query}"

    def callback_params(self, shop: str, state: str, *, code: str | None = None, timestamp: int | None = None,
                        extra: dict[str, str] | None = None) -> dict[str, str]:
        """A callback's parameters as Shopify signs them (a fresh code is registered)."""
        code = code or secrets.token_hex(16)
        with self.lock:
            self.codes[code] = shop
        params = {"code": code, "host": base64.b64encode(f"admin.shopify.com/store/{shop}".encode()).decode(),
                  "shop": shop, "state": state, "timestamp": str(int(time.time() if timestamp is None else timestamp)),
                  **(extra or {})}
        params["hmac"] = sign_params(self.secret, params)
        return params

    def expire_access_tokens(self) -> None:
        with self.lock:
            for t in self.access.values():
                t.expires_at = time.time() - 1

    def kill_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh.clear()

    def tokens_issued(self) -> list[str]:
        with self.lock:
            return list(self.access) + list(self.refresh)

    # -- HTTP --------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def setup(self) -> None:
                super().setup()  # headers and body are two writes: without this, Nagle costs 40 ms an answer
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _send(self, status: int, body: bytes, ctype: str = "application/json",
                      headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, data: Any) -> None:
                self._send(status, json.dumps(data).encode())

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                fake.log.append({"method": "GET", "path": parts.path})
                m = re.fullmatch(r"/shops/([^/]+)/admin/oauth/(authorize|approve)", parts.path)
                if m:
                    return self._consent(m.group(1), m.group(2), query)
                m = re.fullmatch(r"/cdn/([^/]+)/([0-9]+)\.png", parts.path)
                if m:
                    n = int(m.group(2))
                    colour = ((n * 67) % 256, (n * 131) % 256, (n * 29) % 256)
                    return self._send(200, png(colour), "image/png")
                if parts.path == "/cdn/bad/html.png":
                    return self._send(200, b"<html>not an image</html>", "image/png")
                if parts.path == "/cdn/bad/texttype.png":
                    return self._send(200, png((1, 2, 3)), "text/html")
                if parts.path == "/cdn/bad/big.png":
                    return self._send(200, png((9, 9, 9)) + b"\0" * (3 << 20), "image/png")
                if parts.path == "/cdn/bad/away.png":
                    return self._send(302, b"", "text/plain",
                                      {"Location": f"http://localhost:{fake.port}/cdn/x/1.png"})
                if parts.path == "/cdn/bad/here.png":
                    return self._send(302, b"", "text/plain", {"Location": "/cdn/x/7.png"})
                self._send(404, b"{}")

            def _consent(self, shop: str, step: str, q: dict[str, str]) -> None:
                if q.get("client_id") != fake.api_key or not q.get("redirect_uri") or not q.get("state"):
                    return self._send(400, b"bad authorize request", "text/plain")
                if step == "authorize":
                    approve = f"/shops/{shop}/admin/oauth/approve?{urlencode(q)}"
                    page = (f"<!doctype html><meta charset=utf-8><title>Install app</title>"
                            f"<h1>Install Anchor on {shop}</h1><p>Anchor wants: {q.get('scope')}</p>"
                            f"<a id=install href=\"{approve.replace('&', '&amp;')}\">Install app</a>").encode()
                    return self._send(200, page, "text/html; charset=utf-8")
                params = fake.callback_params(shop, q["state"])
                self._send(302, b"", "text/plain", {"Location": f"{q['redirect_uri']}?{urlencode(params)}"})

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                fake.bodies.append(raw)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                fake.log.append({"method": "POST", "path": parts.path, "keys": sorted(body)})
                m = re.fullmatch(r"/shops/([^/]+)/admin/oauth/access_token", parts.path)
                if m:
                    return self._token(m.group(1), body)
                m = re.fullmatch(r"/shops/([^/]+)/admin/api/([0-9]{4}-[0-9]{2})/graphql\.json", parts.path)
                if m:
                    return self._graphql(m.group(1), m.group(2), body)
                self._send(404, b"{}")

            def _issue(self, shop: str, expiring: bool) -> dict[str, Any]:
                access = "fake-access-" + secrets.token_hex(16)  # random per issue: no real token
                now = time.time()
                with fake.lock:
                    fake.access[access] = Token(shop, now + (fake.expires_in if expiring else 10**9))
                out: dict[str, Any] = {"access_token": access, "scope": fake.granted_scope}
                if expiring:
                    refresh = "fake-refresh-" + secrets.token_hex(16)
                    with fake.lock:
                        fake.refresh[refresh] = Token(shop, now + fake.refresh_expires_in)
                    out |= {"expires_in": fake.expires_in, "refresh_token": refresh,
                            "refresh_token_expires_in": fake.refresh_expires_in}
                return out

            def _token(self, shop: str, body: dict[str, Any]) -> None:
                if body.get("client_id") != fake.api_key or body.get("client_secret") != fake.secret:
                    return self._json(401, {"error": "invalid_client"})
                if body.get("grant_type") == "refresh_token":
                    with fake.lock:
                        tok = fake.refresh.pop(str(body.get("refresh_token")), None)
                    if tok is None or tok.shop != shop or tok.expires_at < time.time():
                        return self._json(400, {"error": "invalid_grant",
                                                "error_description": "refresh token is invalid or expired"})
                    return self._json(200, self._issue(shop, True))
                with fake.lock:
                    code_shop = fake.codes.pop(str(body.get("code")), None)
                if code_shop != shop:
                    return self._json(400, {"error": "invalid_request"})
                self._json(200, self._issue(shop, body.get("expiring") in (1, "1")))

            def _graphql(self, shop: str, version: str, body: dict[str, Any]) -> None:
                token = self.headers.get("X-Shopify-Access-Token", "")
                with fake.lock:
                    tok = fake.access.get(token)
                if tok is None or tok.shop != shop or tok.expires_at < time.time():
                    return self._json(401, {"errors": "[API] Invalid API key or access token (unrecognized login or"
                                                      " wrong password)"})
                s = fake.shops.setdefault(shop, FakeShop(shop))
                q = str(body.get("query") or "")
                v = body.get("variables") or {}
                if "productsCount" in q:
                    return self._answer(s, 1, {"productsCount": {"count": len(self._filter(s, v.get("query")))}})
                if "nodes(ids" in q:
                    byid = {p.gid: p for p in s.products}
                    nodes = [byid[i].node() if i in byid else None for i in v.get("ids") or []]
                    return self._answer(s, 1 + len(nodes), {"nodes": nodes})
                first = int(v.get("first") or 0)
                if not 0 < first <= 250:
                    return self._json(200, {"errors": [{"message": "first must be between 1 and 250"}]})
                with fake.lock:
                    fake.products_calls += 1
                    call = fake.products_calls
                    throttle = fake.throttle_calls.pop(call, None)
                cost = first + 2
                if throttle:
                    with fake.lock:
                        s.bucket, s.bucket_at = cost - 50.0, time.monotonic()  # 50 points short: 0.1 s to wait
                    return self._throttled(s, cost, throttle)
                items = self._filter(s, v.get("query"))
                start = int(base64.b64decode(v["after"]).decode()) if v.get("after") else 0
                page = items[start:start + first]
                end = start + len(page)
                data = {"products": {"nodes": [p.node() for p in page],
                                     "pageInfo": {"hasNextPage": end < len(items),
                                                  "endCursor": base64.b64encode(str(end).encode()).decode()
                                                  if page else None}}}
                self._answer(s, cost, data)

            def _filter(self, s: FakeShop, query: Any) -> list[FakeProduct]:
                items = sorted(s.products, key=lambda p: p.n)
                m = re.fullmatch(r"updated_at:>'([^']+)'", str(query or ""))
                if m:
                    since = datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
                    items = [p for p in items if p.updated_at > since]
                return items

            def _level(self, s: FakeShop) -> float:
                now = time.monotonic()
                with fake.lock:
                    s.bucket = min(fake.MAX_BUCKET, s.bucket + (now - s.bucket_at) * fake.RESTORE_RATE)
                    s.bucket_at = now
                    return s.bucket

            def _throttled(self, s: FakeShop, cost: int, status: int) -> None:
                level = self._level(s)
                self._json(status, {"errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                    "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": None, "throttleStatus": {
                        "maximumAvailable": fake.MAX_BUCKET, "currentlyAvailable": level,
                        "restoreRate": fake.RESTORE_RATE}}}})

            def _answer(self, s: FakeShop, cost: int, data: dict[str, Any]) -> None:
                level = self._level(s)
                if level < cost:
                    return self._throttled(s, cost, 200)
                with fake.lock:
                    s.bucket -= cost
                    left = s.bucket
                self._json(200, {"data": data, "extensions": {"cost": {
                    "requestedQueryCost": cost, "actualQueryCost": cost, "throttleStatus": {
                        "maximumAvailable": fake.MAX_BUCKET, "currentlyAvailable": left,
                        "restoreRate": fake.RESTORE_RATE}}}})

        return Handler


def later(hours: float) -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=hours)
