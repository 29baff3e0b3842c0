"""Products of a connected store into the catalog, over the Admin GraphQL API.

`sync_store` pages through `products` (250 a page, by cursor), cleans every product exactly as
the CSV import does (titles, vendors and handles: whitespace runs to one space, control and
format characters dropped, bounded; descriptions: HTML reduced to words, 2000 characters;
prices: the same decimal rule, in the store's currency), upserts it on (store, product gid)
and downloads its featured image into the object store. A full sync also removes the store's
products Shopify no longer has; an incremental one asks only for `updated_at:>` the start of the
last completed sync (with a minute of overlap).

A product that cannot be shown truthfully (no title, a bad price or currency) is skipped with
its reason, like a CSV row; one whose image cannot be fetched is kept without it, with a warning.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from ..catalog import Catalog
from ..errors import ValidationError
from ..products_csv import (
    MAX_DESCRIPTION,
    MAX_HANDLE,
    MAX_TITLE,
    clean_text,
    normalise_currency,
    parse_price,
    strip_html,
)
from ..store import ObjectStore
from . import store as rows
from .client import COUNT_QUERY, NODES_QUERY, PRODUCTS_QUERY, AdminClient
from .config import ShopifyConfig
from .crypto import TokenCipher
from .images import TIMEOUT as IMAGE_TIMEOUT
from .images import ImageRefused, fetch_image, store_image
from .tokens import ReauthRequired, get_valid_token, utcnow

PAGE_SIZE = 250
OVERLAP = timedelta(seconds=60)
GID = re.compile(r"gid://shopify/Product/[0-9]{1,20}")
STATUSES = ("active", "draft", "archived", "unlisted")
Progress = Callable[[float, float, str], None]


@dataclass
class SyncReport:
    store_id: str
    shop: str
    mode: str  # full | incremental | products
    started_at: datetime
    finished_at: datetime | None = None
    total: int | None = None
    pages: int = 0
    fetched: int = 0
    stored: int = 0
    images: int = 0
    deleted: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    waits: list[tuple[float, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["started_at"] = self.started_at.isoformat()
        d["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return d

    def summary(self) -> str:
        throttled = sum(1 for _, why in self.waits if why == "throttled")
        return (f"{self.stored} product(s) synced from {self.shop} ({self.mode}, {self.pages} page(s)"
                f"{f', {throttled} throttle wait(s)' if throttled else ''}); {len(self.skipped)} skipped,"
                f" {self.images} image(s) downloaded, {self.deleted} removed")


def clean_product(node: Any) -> tuple[rows.ShopifyProductRow | None, str]:
    """The product as stored, or (None, the reason it is skipped). Hostile text is treated as the
    CSV import treats it: cleaned and stored literally (SQL is parameterised, notebooks escape,
    overlays draw from files with expansion off)."""
    if not isinstance(node, dict) or not isinstance(node.get("id"), str) or not GID.fullmatch(node["id"]):
        return None, "not a product (no product id)"
    raw_title = clean_text(str(node.get("title") or ""), 10**6)
    title = raw_title[:MAX_TITLE]
    if not title:
        return None, "empty title"
    price_range = node.get("priceRangeV2") or {}
    low, high = price_range.get("minVariantPrice") or {}, price_range.get("maxVariantPrice") or {}
    price = price_max = None
    currency = None
    try:
        if low.get("amount") not in (None, ""):
            price = parse_price(str(low["amount"]))
            currency = normalise_currency(str(low.get("currencyCode") or ""))
        if high.get("amount") not in (None, ""):
            price_max = parse_price(str(high["amount"]))
    except ValidationError as exc:
        return None, f"price {exc}; the product is not synced (an ad must not show a wrong price)"
    image = ((node.get("featuredMedia") or {}).get("preview") or {}).get("image") or {}
    url = image.get("url") if isinstance(image.get("url"), str) else None
    status = str(node.get("status") or "").lower()
    updated = None
    if isinstance(node.get("updatedAt"), str):
        try:
            updated = datetime.fromisoformat(node["updatedAt"].replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            updated = None
    row = rows.ShopifyProductRow(
        gid=node["id"], handle=clean_text(str(node.get("handle") or ""), MAX_HANDLE), title=title,
        description=clean_text(strip_html(str(node.get("descriptionHtml") or "")), MAX_DESCRIPTION),
        vendor=clean_text(str(node.get("vendor") or "")), status=status if status in STATUSES else "unknown",
        price=price, price_max=price_max if price_max is not None else price, currency=currency,
        image_url=url, updated_at=updated)
    return row, (f"title is {len(raw_title)} characters; cut to {MAX_TITLE}" if len(raw_title) > MAX_TITLE else "")


def _no_progress(done: float, total: float, message: str = "") -> None:
    return None


class _Sync:
    def __init__(self, cat: Catalog, store: ObjectStore, cfg: ShopifyConfig, cipher: TokenCipher, store_id: str, *,
                 http: httpx.Client | None, image_http: httpx.Client | None, sleep: Callable[[float], None],
                 progress: Progress | None, mode: str) -> None:
        self.cat, self.store, self.cfg, self.store_id = cat, store, cfg, store_id
        s = rows.get_store(cat, store_id)
        if not s.connected:
            raise ReauthRequired(f"store {s.shop_domain} is {s.state.replace('_', ' ')}: connect it again from the"
                                 " organizer app")
        self.shop = s.shop_domain
        self._own: list[httpx.Client] = []
        self.http = http or self._client()
        self.image_http = image_http or self._client()
        def token(force: bool) -> str:
            return get_valid_token(cat, cfg, cipher, store_id, http=self.http, force=force)

        self.client = AdminClient(cfg, self.shop, token, http=self.http, sleep=sleep)
        self.progress: Progress = progress or _no_progress
        self.report = SyncReport(store_id, self.shop, mode, utcnow())

    def _client(self) -> httpx.Client:
        self._own.append(client := httpx.Client(timeout=IMAGE_TIMEOUT, follow_redirects=False))
        return client

    def close(self) -> None:
        for c in self._own:
            c.close()

    def store_page(self, nodes: list[Any]) -> list[str]:
        """Clean, upsert (one transaction), fetch the new images (no catalog held meanwhile), then
        record them (one transaction)."""
        cleaned: list[rows.ShopifyProductRow] = []
        for node in nodes:
            row, note = clean_product(node)
            ident = node.get("id", "?") if isinstance(node, dict) else "?"
            if row is None:
                self.report.skipped.append((str(ident)[:80], note))
                continue
            if note:
                self.report.warnings.append((row.gid, note))
            cleaned.append(row)
        self.report.fetched += len(nodes)
        saved = rows.upsert_products(self.cat, self.store_id, cleaned)
        images: list[tuple[str, str | None, str | None]] = []
        for row in cleaned:
            pid, key, url = saved[row.gid]
            change = self._image(pid, row, key, url)
            if change is not None:
                images.append((pid, *change))
        rows.set_product_images(self.cat, images)
        self.report.stored += len(cleaned)
        if cleaned and cleaned[0].currency:
            rows.set_store_currency(self.cat, self.store_id, cleaned[0].currency)
        return [r.gid for r in cleaned]

    def _image(self, pid: str, row: rows.ShopifyProductRow, key: str | None,
               url: str | None) -> tuple[str | None, str | None] | None:
        """The product's new (image key, image URL), or None when it stays as it is."""
        if not row.image_url:
            self.report.warnings.append((row.gid, "no featured image: synced, but the ads cannot show it"))
            if key:
                self.store.delete(key)
                return None, None
            return None
        if key and url == row.image_url and self.store.exists(key):
            return None  # the same image as last time
        try:
            data, kind = fetch_image(self.image_http, row.image_url, self.cfg.image_hosts)
        except ImageRefused as exc:
            self.report.warnings.append((row.gid, f"{exc}; synced without it" + ("" if not key else
                                                                               " (the earlier image is kept)")))
            return None
        self.report.images += 1
        return store_image(self.store, pid, data, kind, key), row.image_url

    def finish(self, message: str | None = None, *, completed: bool = True) -> SyncReport:
        self.report.finished_at = utcnow()
        self.report.waits = [(w.seconds, w.reason) for w in self.client.waits]
        rows.mark_sync(self.cat, self.store_id, message=message or self.report.summary(),
                       finished_at=self.report.started_at if completed else None)
        return self.report


def sync_store(cat: Catalog, store: ObjectStore, cfg: ShopifyConfig, cipher: TokenCipher, store_id: str, *,
               full: bool = False, http: httpx.Client | None = None, image_http: httpx.Client | None = None,
               sleep: Callable[[float], None] = time.sleep, progress: Progress | None = None,
               page_size: int = PAGE_SIZE, job_id: str | None = None) -> SyncReport:
    """Sync the store's products (incremental when it has synced before, unless `full`)."""
    last = rows.get_store(cat, store_id).last_sync_at
    mode = "incremental" if last is not None and not full else "full"
    run = _Sync(cat, store, cfg, cipher, store_id, http=http, image_http=image_http, sleep=sleep, progress=progress,
                mode=mode)
    try:
        rows.mark_sync(cat, store_id, message="syncing…", job_id=job_id, started_at=run.report.started_at)
        query = None
        if mode == "incremental" and last is not None:
            query = f"updated_at:>'{(last - OVERLAP).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        try:
            count = (run.client.query(COUNT_QUERY, {"query": query}).get("productsCount") or {}).get("count")
            run.report.total = count if isinstance(count, int) and not isinstance(count, bool) else None
        except ReauthRequired:
            raise
        except Exception:  # the count only feeds the progress bar
            run.report.total = None
        seen: set[str] = set()
        after = None
        while True:
            data = run.client.query(PRODUCTS_QUERY, {"first": page_size, "after": after, "query": query})
            page = data.get("products") or {}
            nodes = page.get("nodes") or []
            run.report.pages += 1
            seen.update(run.store_page(nodes if isinstance(nodes, list) else []))
            total = run.report.total or run.report.fetched
            run.progress(run.report.fetched, max(total, run.report.fetched),
                         f"{run.report.fetched} of {total} products from {run.shop}")
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                break
            after = info["endCursor"]
        if mode == "full":
            gone = [gid for gid in rows.product_ids_of(cat, store_id) if gid not in seen]
            skipped = {gid for gid, _ in run.report.skipped}
            gone = [g for g in gone if g not in skipped]
            for key in rows.delete_products(cat, store_id, gone):
                store.delete(key)
            run.report.deleted = len(gone)
        return run.finish()
    except ReauthRequired as exc:
        run.finish(f"needs reconnecting: {exc}", completed=False)
        raise
    except Exception as exc:
        run.finish(f"sync failed: {exc}", completed=False)
        raise
    finally:
        run.close()


def sync_products(cat: Catalog, store: ObjectStore, cfg: ShopifyConfig, cipher: TokenCipher, store_id: str,
                  gids: list[str], *, http: httpx.Client | None = None, image_http: httpx.Client | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> SyncReport:
    """These products again (a `products/update` webhook): fetched by id, stored like a page;
    ids Shopify no longer knows are removed."""
    ids = [g for g in gids if GID.fullmatch(g)]
    run = _Sync(cat, store, cfg, cipher, store_id, http=http, image_http=image_http, sleep=sleep, progress=None,
                mode="products")
    try:
        for i in range(0, len(ids), PAGE_SIZE):
            data = run.client.query(NODES_QUERY, {"ids": ids[i:i + PAGE_SIZE]})
            nodes = [n for n in (data.get("nodes") or []) if n]
            run.report.pages += 1
            kept = set(run.store_page(nodes))
            missing = [g for g in ids[i:i + PAGE_SIZE] if g not in kept and g not in {n.get("id") for n in nodes}]
            for key in rows.delete_products(cat, store_id, missing):
                store.delete(key)
            run.report.deleted += len(missing)
        run.report.finished_at = utcnow()
        run.report.waits = [(w.seconds, w.reason) for w in run.client.waits]
        return run.report
    finally:
        run.close()


def remove_products(cat: Catalog, store: ObjectStore, store_id: str, gids: list[str]) -> int:
    keys = rows.delete_products(cat, store_id, [g for g in gids if GID.fullmatch(g)])
    for key in keys:
        store.delete(key)
    return len(keys)


def purge_shop(cat: Catalog, store: ObjectStore, shop: str) -> int:
    """Everything of the shop, catalog rows and stored images (`shop/redact`)."""
    keys = rows.purge_shop(cat, shop)
    for key in keys:
        store.delete(key)
    return len(keys)
