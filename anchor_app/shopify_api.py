"""Shopify's HTTP side of `anchor serve`.

Public (Shopify or the brand's browser call them, without the organizer's password; each is
guarded by Shopify's HMAC and, for the callback, the single-use state):

    GET  /shopify/install?shop=X.myshopify.com[&event=E]   a state nonce, then 302 to Shopify's consent page
    GET  /shopify/callback?code&hmac&shop&state&timestamp   the checks in order, the tokens stored, a sync queued
    POST /shopify/webhooks  (and /shopify/webhooks/<topic>) HMAC of the raw body first (401), dedup, 200 fast

Behind the organizer password (the panel in the organizer app talks to these):

    GET  /shopify/api/stores                                connected stores, their state and sync progress
    POST /shopify/api/stores/{id}/sync                      {full?}: queue a products-sync job
    GET  /shopify/api/products?q=&event=&limit=&offset=     the product grid (and the event's picks, in order)
    GET  /shopify/api/products/{id}/image                   a product's stored image
    PUT  /shopify/api/events/{event}/sponsors               {product_ids}: the event's sponsors in display order

`with_public_shopify(guarded_app, api)` puts the public routes in front of the password guard;
only these exact paths (and methods) pass, everything else goes through the guard.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from anchor_core.catalog import Catalog, open_catalog
from anchor_core.catalog import events as events_repo
from anchor_core.catalog import products as products_repo
from anchor_core.config import Settings
from anchor_core.errors import AnchorError, ConfigError, NotFoundError, ValidationError
from anchor_core.shopify import (
    Refusal,
    TokenCipher,
    begin_install,
    complete_install,
    list_stores,
    load_shopify_config,
    missing_settings,
    pickable_products,
    queue_sync,
    queue_webhook_work,
    receive,
)
from anchor_core.shopify import store as shop_rows
from anchor_core.store import ObjectStore, open_store

log = logging.getLogger("anchor.shopify")
PUBLIC_PATHS = {"/shopify/install": ("GET", "HEAD"), "/shopify/callback": ("GET", "HEAD"),
                "/shopify/webhooks": ("POST",)}
PUBLIC_WEBHOOK_TOPIC = re.compile(r"/shopify/webhooks/[a-z_]{1,40}/[a-z_]{1,40}")
API = "/shopify/api"
MAX_WEBHOOK_BODY = 1 << 20
JSON_LIMIT = 64 << 10
MAX_SPONSORS = 50
_EVENT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
NO_STORE = {"Cache-Control": "no-store"}

Enqueue = Callable[[Catalog, str], str]


def is_public(scope: dict[str, Any]) -> bool:
    """Exactly the paths Shopify and the brand's browser must reach without the organizer password."""
    if scope.get("type") != "http":
        return False
    path, method = scope.get("path", ""), scope.get("method", "")
    if path in PUBLIC_PATHS:
        return method in PUBLIC_PATHS[path]
    return method == "POST" and PUBLIC_WEBHOOK_TOPIC.fullmatch(path) is not None


def with_public_shopify(guarded: Any, api: ShopifyAPI) -> Any:
    """An ASGI app: the public Shopify routes bypass the password guard, nothing else does."""
    public = Starlette(routes=api.public_routes())

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if is_public(scope):
            return await public(scope, receive, send)
        return await guarded(scope, receive, send)

    return app


def _text(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status, headers=NO_STORE)


def _page(status: int, title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
                        f"<h1>{html.escape(title)}</h1>{body}", status_code=status, headers=NO_STORE)


Handler = Callable[[Request], Awaitable[Response]]


def _json_endpoint(fn: Handler) -> Handler:
    async def handler(request: Request) -> Response:
        try:
            return await fn(request)
        except Refusal as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=NO_STORE)
        except NotFoundError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404, headers=NO_STORE)
        except (ValidationError, ConfigError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400, headers=NO_STORE)
        except AnchorError as exc:
            return JSONResponse({"error": str(exc)}, status_code=500, headers=NO_STORE)

    return handler


class ShopifyAPI:
    """The routes over the server's settings. `http` (an httpx client) and `clock` are for tests
    only; `enqueue_sync` defaults to a `products-sync` job for `anchor worker`."""

    def __init__(self, settings: Settings, *, http: httpx.Client | None = None,
                 clock: Callable[[], float] | None = None, enqueue_sync: Enqueue | None = None) -> None:
        self.settings = settings
        self.http = http
        self.clock = clock
        self.enqueue_sync = enqueue_sync or (lambda cat, store_id: queue_sync(cat, store_id))
        self._cat: Catalog | None = None
        self._store: ObjectStore | None = None
        self._lock = threading.Lock()

    # -- shared handles ------------------------------------------------------------------------
    def catalog(self) -> Catalog:
        with self._lock:
            if self._cat is None:
                self._cat = open_catalog(self.settings, create=True)
            return self._cat

    def store(self) -> ObjectStore:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.settings)
            return self._store

    def public_routes(self) -> list[Route]:
        return [Route("/shopify/install", self.install, methods=["GET"]),
                Route("/shopify/callback", self.callback, methods=["GET"]),
                Route("/shopify/webhooks", self.webhook, methods=["POST"]),
                Route("/shopify/webhooks/{topic:path}", self.webhook, methods=["POST"])]

    def private_routes(self) -> list[Route]:
        e = _json_endpoint
        return [Route(API + "/stores", e(self.stores), methods=["GET"]),
                Route(API + "/stores/{store_id}/sync", e(self.sync), methods=["POST"]),
                Route(API + "/products", e(self.products), methods=["GET"]),
                Route(API + "/products/{product_id}/image", self.image, methods=["GET"]),
                Route(API + "/events/{event_id}/sponsors", e(self.sponsors), methods=["PUT"])]

    # -- public: install, callback, webhooks ---------------------------------------------------
    async def install(self, request: Request) -> Response:
        return await run_in_threadpool(self._install, request.url.query)

    def _install(self, query: str) -> Response:
        from anchor_core.shopify.oauth import check_timestamp, parse_query, verify_callback_hmac

        try:
            cfg = load_shopify_config(self.settings)
        except ConfigError as exc:
            return _text(503, f"Anchor cannot connect Shopify stores yet: {exc}")
        try:
            params = parse_query(query)
            values = dict(params)
            if "hmac" in values:  # opened from Shopify (the app's URL): signed like the callback
                verify_callback_hmac(cfg.api_secret, params)
                check_timestamp(values, self.clock() if self.clock else time.time())
            event = values.get("event") or None
            if event is not None and not _EVENT.fullmatch(event):
                raise Refusal("the event id is not valid")
            url = begin_install(self.catalog(), cfg, values.get("shop", ""), event_id=event)
        except Refusal as exc:
            return _text(exc.status, str(exc))
        return RedirectResponse(url, status_code=302, headers=NO_STORE)

    async def callback(self, request: Request) -> Response:
        return await run_in_threadpool(self._callback, request.url.query)

    def _callback(self, query: str) -> Response:
        try:
            cfg = load_shopify_config(self.settings)
            cipher = TokenCipher.from_settings(self.settings)
        except ConfigError as exc:
            return _text(503, f"Anchor cannot connect Shopify stores yet: {exc}")
        cat = self.catalog()
        try:
            done = complete_install(cat, cfg, cipher, query, http=self.http,
                                    now=self.clock() if self.clock else None)
        except Refusal as exc:
            log.info("shopify callback refused: %s", exc)
            return _text(exc.status, str(exc))
        shop = done.store.shop_domain
        try:
            self.enqueue_sync(cat, done.store.id)
            syncing = "Anchor is now reading its products; they appear in the organizer app in a minute or two."
        except AnchorError as exc:
            syncing = f"The product sync could not be queued ({html.escape(str(exc))}); start it from the organizer app."
        back = "/organizer/" + (f"?event={done.event_id}" if done.event_id else "")
        return _page(200, f"{shop} is connected", f"<p>{html.escape(syncing)}</p>"
                                                  f"<p><a id=back href=\"{html.escape(back)}\">Back to Anchor</a></p>")

    async def webhook(self, request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_WEBHOOK_BODY:
                return _text(413, "the webhook body is too large")
        headers = {k.lower(): v for k, v in request.headers.items()}
        return await run_in_threadpool(self._webhook, headers, body)

    def _webhook(self, headers: dict[str, str], body: bytes) -> Response:
        try:
            cfg = load_shopify_config(self.settings)
        except ConfigError:
            return _text(503, "Shopify is not configured on this server")
        cat = self.catalog()
        try:
            out = receive(cat, cfg.secrets, headers, body)
        except Refusal as exc:
            log.info("shopify webhook refused (%s): %s", exc.status, exc)
            return _text(exc.status, str(exc))
        if out.job_args is not None:
            try:
                queue_webhook_work(cat, out.shop, out.event_id)
            except AnchorError as exc:
                shop_rows.forget_delivery(cat, out.event_id)  # Shopify retries; the retry must not be a "duplicate"
                log.warning("shopify webhook %s from %s not queued: %s", out.topic, out.shop, exc)
                return _text(503, "could not queue the work; Shopify will retry")
        log.info("shopify webhook %s from %s (event %s): %s", out.topic, out.shop, out.event_id, out.message)
        return JSONResponse({"ok": True, "duplicate": out.duplicate, "message": out.message}, headers=NO_STORE)

    # -- private: the organizer panel ----------------------------------------------------------
    async def stores(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(self._stores), headers=NO_STORE)

    def _stores(self) -> dict[str, Any]:
        from anchor_core.jobs import get_job

        cat = self.catalog()
        out = []
        for s in list_stores(cat):
            job = None
            if s.sync_job_id:
                try:
                    j = get_job(cat, s.sync_job_id)
                    job = {"id": j.id, "status": j.status, "progress": j.progress, "message": j.message,
                           "error": j.error}
                except AnchorError:
                    job = None
            out.append({"id": s.id, "shop": s.shop_domain, "state": s.state, "reason": s.state_reason,
                        "installed_at": _iso(s.installed_at), "last_sync_at": _iso(s.last_sync_at),
                        "message": s.last_sync_message, "products": shop_rows.store_product_count(cat, s.id),
                        "job": job})
        return {"configured": not missing_settings(self.settings), "missing": missing_settings(self.settings),
                "stores": out}

    async def sync(self, request: Request) -> Response:
        body = await _json(request)
        store_id = request.path_params["store_id"]

        def work() -> dict[str, Any]:
            cat = self.catalog()
            s = shop_rows.get_store(cat, store_id)
            if not s.connected:
                raise Refusal(f"{s.shop_domain} is {s.state.replace('_', ' ')}: connect it again first", 409)
            return {"job_id": queue_sync(cat, store_id, full=bool(body.get("full")))}

        return JSONResponse(await run_in_threadpool(work), headers=NO_STORE)

    async def products(self, request: Request) -> Response:
        q = request.query_params
        search = (q.get("q") or "")[:100]
        try:
            limit = max(1, min(200, int(q.get("limit") or 60)))
            offset = max(0, int(q.get("offset") or 0))
        except ValueError:
            raise Refusal("limit and offset must be whole numbers") from None
        event = q.get("event") or None

        def work() -> dict[str, Any]:
            cat = self.catalog()
            total, found = pickable_products(cat, search=search, limit=limit, offset=offset)
            chosen = [p.id for p in products_repo.event_products(cat, event)] if event else []
            for p in found:
                p["image"] = f"{API}/products/{p['id']}/image" if p.pop("image_key") else None
                p["chosen"] = p["id"] in chosen
            return {"total": total, "products": found, "chosen": chosen, "chosen_titles": [
                p.title for p in products_repo.event_products(cat, event)] if event else []}

        return JSONResponse(await run_in_threadpool(work), headers=NO_STORE)

    async def image(self, request: Request) -> Response:
        product_id = request.path_params["product_id"]

        def work() -> Response:
            try:
                p = products_repo.get_product(self.catalog(), product_id)
            except NotFoundError:
                return _text(404, "no such product")
            if not p.image_key or not self.store().exists(p.image_key):
                return _text(404, "the product has no image")
            with self.store().open(p.image_key) as fh:
                data = fh.read()
            kind = p.image_key.rsplit(".", 1)[-1]
            return Response(data, media_type=_IMAGE_TYPES.get(kind, "application/octet-stream"),
                            headers={"Cache-Control": "private, max-age=60", "X-Content-Type-Options": "nosniff"})

        return await run_in_threadpool(work)

    async def sponsors(self, request: Request) -> Response:
        event_id = request.path_params["event_id"]
        ids = (await _json(request)).get("product_ids")
        if not isinstance(ids, list) or len(ids) > MAX_SPONSORS or not all(isinstance(i, str) for i in ids):
            raise Refusal(f"`product_ids` must list at most {MAX_SPONSORS} product ids")
        if len(set(ids)) != len(ids):
            raise Refusal("a product is listed twice")

        def work() -> dict[str, Any]:
            cat = self.catalog()
            events_repo.get_event(cat, event_id)
            titles = [products_repo.get_product(cat, pid).title for pid in ids]
            products_repo.select_for_event(cat, event_id, list(ids))
            return {"event_id": event_id, "product_ids": ids, "titles": titles}

        return JSONResponse(await run_in_threadpool(work), headers=NO_STORE)


async def _json(request: Request) -> dict[str, Any]:
    """A JSON object body; JSON only, so a cross-site form cannot send it."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise Refusal("send the request as JSON (Content-Type: application/json)", 415)
    body = await request.body()
    if len(body) > JSON_LIMIT:
        raise Refusal("the request is too large", 413)
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise Refusal("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refusal("the request body must be a JSON object")
    return data


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
