"""Catalog rows of the Shopify integration: stores (tokens encrypted), OAuth state nonces,
webhook deliveries, and the Shopify side of the `products` table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..catalog import Catalog
from ..catalog.ids import new_id
from ..errors import NotFoundError, ValidationError

SOURCE = "shopify"
ACTIVE, REAUTH, UNINSTALLED = "active", "reauth_required", "uninstalled"


@dataclass(frozen=True)
class ShopifyStore:
    id: str
    shop_domain: str
    state: str
    state_reason: str | None
    scopes: str | None
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None
    currency: str | None
    installed_at: datetime
    last_sync_at: datetime | None
    last_sync_started_at: datetime | None
    last_sync_message: str | None
    sync_job_id: str | None
    access_token_enc: bytes | None = field(default=None, repr=False)
    refresh_token_enc: bytes | None = field(default=None, repr=False)

    @property
    def connected(self) -> bool:
        return self.state == ACTIVE and self.access_token_enc is not None


_STORE_COLS = ("id, shop_domain, coalesce(state, 'active'), state_reason, scopes, access_expires_at, refresh_expires_at,"
               " currency, installed_at, last_sync_at, last_sync_started_at, last_sync_message, sync_job_id,"
               " access_token_enc, refresh_token_enc")


def _store(row: tuple[Any, ...]) -> ShopifyStore:
    s = ShopifyStore(*row[:13])
    return replace(s, access_token_enc=_bytes(row[13]), refresh_token_enc=_bytes(row[14]))


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def list_stores(cat: Catalog) -> list[ShopifyStore]:
    with cat.cursor() as cur:
        rows = cur.execute(f"SELECT {_STORE_COLS} FROM shopify_stores ORDER BY shop_domain").fetchall()
    return [_store(r) for r in rows]


def find_store(cat: Catalog, shop: str) -> ShopifyStore | None:
    with cat.cursor() as cur:
        row = cur.execute(f"SELECT {_STORE_COLS} FROM shopify_stores WHERE shop_domain = ?", [shop]).fetchone()
    return _store(row) if row else None


def get_store(cat: Catalog, store_id: str) -> ShopifyStore:
    with cat.cursor() as cur:
        row = cur.execute(f"SELECT {_STORE_COLS} FROM shopify_stores WHERE id = ?", [store_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no connected Shopify store {store_id!r}: `anchor shopify stores` lists them")
    return _store(row)


def store_id_for(cat: Catalog, shop: str) -> str:
    """The shop's store id: its row's, or a new one (no row is written)."""
    found = find_store(cat, shop)
    return found.id if found else new_id("shp")


def save_install(cat: Catalog, *, store_id: str, shop: str, scopes: str, access_enc: bytes, refresh_enc: bytes | None,
                 access_expires_at: datetime | None, refresh_expires_at: datetime | None, now: datetime) -> None:
    """The store after a completed install, all of it in one transaction (new or reinstalled)."""
    with cat.transaction() as cur:
        row = cur.execute("SELECT id FROM shopify_stores WHERE shop_domain = ?", [shop]).fetchone()
        if row is not None and row[0] != store_id:
            raise ValidationError(f"store {shop} was connected again meanwhile; start the installation again")
        if row is None:
            cur.execute("INSERT INTO shopify_stores (id, shop_domain, installed_at) VALUES (?, ?, ?)",
                        [store_id, shop, now])
        cur.execute(
            "UPDATE shopify_stores SET state = 'active', state_reason = NULL, scopes = ?, access_token_enc = ?,"
            " refresh_token_enc = ?, access_expires_at = ?, refresh_expires_at = ?, installed_at = ?, updated_at = ?"
            " WHERE id = ?",
            [scopes, access_enc, refresh_enc, access_expires_at, refresh_expires_at, now, now, store_id])


def update_tokens(cat: Catalog, store_id: str, *, access_enc: bytes, refresh_enc: bytes | None,
                  access_expires_at: datetime | None, refresh_expires_at: datetime | None, now: datetime) -> None:
    """A refreshed pair, both or neither (Shopify's old refresh token dies once the new one is used)."""
    with cat.transaction() as cur:
        cur.execute(
            "UPDATE shopify_stores SET access_token_enc = ?, refresh_token_enc = ?, access_expires_at = ?,"
            " refresh_expires_at = ?, updated_at = ? WHERE id = ? AND state = 'active'",
            [access_enc, refresh_enc, access_expires_at, refresh_expires_at, now, store_id])


def set_store_state(cat: Catalog, store_id: str, state: str, reason: str | None, now: datetime) -> None:
    with cat.transaction() as cur:
        cur.execute("UPDATE shopify_stores SET state = ?, state_reason = ?, updated_at = ? WHERE id = ?",
                    [state, reason, now, store_id])


def disable_store(cat: Catalog, shop: str, reason: str, now: datetime) -> str | None:
    """Uninstalled: the tokens are deleted at once and syncs stop. The store id, if known."""
    with cat.transaction() as cur:
        row = cur.execute("SELECT id FROM shopify_stores WHERE shop_domain = ?", [shop]).fetchone()
        if row is None:
            return None
        cur.execute("UPDATE shopify_stores SET state = 'uninstalled', state_reason = ?, access_token_enc = NULL,"
                    " refresh_token_enc = NULL, access_expires_at = NULL, refresh_expires_at = NULL, updated_at = ?"
                    " WHERE id = ?", [reason, now, row[0]])
    return str(row[0])


def purge_shop(cat: Catalog, shop: str) -> list[str]:
    """`shop/redact`: every row of the shop goes (store, products and their event picks, nonces,
    webhook deliveries). Returns the product image keys for the caller to delete from the store."""
    with cat.transaction() as cur:
        row = cur.execute("SELECT id FROM shopify_stores WHERE shop_domain = ?", [shop]).fetchone()
        keys: list[str] = []
        if row is not None:
            sid = row[0]
            keys = [r[0] for r in cur.execute(
                "SELECT image_key FROM products WHERE store_id = ? AND source = ? AND image_key IS NOT NULL",
                [sid, SOURCE]).fetchall()]
            cur.execute("DELETE FROM event_products WHERE product_id IN"
                        " (SELECT id FROM products WHERE store_id = ? AND source = ?)", [sid, SOURCE])
            cur.execute("DELETE FROM products WHERE store_id = ? AND source = ?", [sid, SOURCE])
            cur.execute("DELETE FROM shopify_stores WHERE id = ?", [sid])
        cur.execute("DELETE FROM oauth_states WHERE shop_domain = ?", [shop])
        cur.execute("DELETE FROM shopify_webhooks WHERE shop_domain = ?", [shop])
    return keys


def shop_row_counts(cat: Catalog, shop: str, store_id: str) -> dict[str, int]:
    """How many rows each table holds for the shop (what `shop/redact` must bring to zero)."""
    q: dict[str, tuple[str, list[Any]]] = {
        "shopify_stores": ("SELECT count(*) FROM shopify_stores WHERE shop_domain = ? OR id = ?", [shop, store_id]),
        "products": ("SELECT count(*) FROM products WHERE store_id = ? OR external_id LIKE ?",
                     [store_id, f"{store_id}:%"]),
        "event_products": ("SELECT count(*) FROM event_products ep JOIN products p ON p.id = ep.product_id"
                           " WHERE p.store_id = ?", [store_id]),
        "oauth_states": ("SELECT count(*) FROM oauth_states WHERE shop_domain = ?", [shop]),
        "shopify_webhooks": ("SELECT count(*) FROM shopify_webhooks WHERE shop_domain = ?", [shop]),
    }
    out = {}
    with cat.cursor() as cur:
        for name, (sql, params) in q.items():
            row = cur.execute(sql, params).fetchone()
            out[name] = int(row[0]) if row else 0
    return out


# -- OAuth state nonces ------------------------------------------------------------------------

def issue_state(cat: Catalog, digest: str, shop: str, meta: dict[str, Any], now: datetime, ttl_s: int,
                max_outstanding: int) -> None:
    with cat.transaction() as cur:
        cur.execute("DELETE FROM oauth_states WHERE expires_at <= ?", [now])
        row = cur.execute("SELECT count(*) FROM oauth_states").fetchone()
        if row and int(row[0]) >= max_outstanding:
            raise ValidationError(f"{max_outstanding} installations are already waiting for Shopify; try again in"
                                  " a few minutes")
        cur.execute("INSERT INTO oauth_states VALUES (?, ?, ?, ?, ?)",
                    [digest, shop, json.dumps(meta), now, now + timedelta(seconds=ttl_s)])


def consume_state(cat: Catalog, digest: str) -> tuple[str, dict[str, Any], datetime] | None:
    """The nonce's shop, meta and expiry; the row is deleted in the same transaction (single use)."""
    with cat.transaction() as cur:
        row = cur.execute("SELECT shop_domain, meta, expires_at FROM oauth_states WHERE nonce_sha256 = ?",
                          [digest]).fetchone()
        if row is None:
            return None
        cur.execute("DELETE FROM oauth_states WHERE nonce_sha256 = ?", [digest])
    return str(row[0]), json.loads(row[1] or "{}"), row[2]


def count_states(cat: Catalog) -> int:
    with cat.cursor() as cur:
        row = cur.execute("SELECT count(*) FROM oauth_states").fetchone()
    return int(row[0]) if row else 0


# -- webhook deliveries ------------------------------------------------------------------------

def record_delivery(cat: Catalog, *, event_id: str, topic: str, shop: str, webhook_id: str | None,
                    api_version: str | None, triggered_at: str | None, payload: Any) -> bool:
    """True for a new delivery, False for a duplicate of one already recorded (same event id)."""
    with cat.transaction() as cur:
        if cur.execute("SELECT 1 FROM shopify_webhooks WHERE event_id = ?", [event_id]).fetchone():
            return False
        cur.execute("INSERT INTO shopify_webhooks (event_id, topic, shop_domain, webhook_id, api_version, triggered_at,"
                    " payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [event_id, topic, shop, webhook_id, api_version, triggered_at,
                     None if payload is None else json.dumps(payload)])
    return True


def set_delivery(cat: Catalog, event_id: str, status: str, job_id: str | None = None) -> None:
    with cat.transaction() as cur:
        cur.execute("UPDATE shopify_webhooks SET status = ?, job_id = coalesce(?, job_id) WHERE event_id = ?",
                    [status, job_id, event_id])


def get_delivery(cat: Catalog, event_id: str) -> dict[str, Any] | None:
    with cat.cursor() as cur:
        row = cur.execute("SELECT event_id, topic, shop_domain, payload, status, job_id FROM shopify_webhooks"
                          " WHERE event_id = ?", [event_id]).fetchone()
    if row is None:
        return None
    return {"event_id": row[0], "topic": row[1], "shop": row[2], "payload": json.loads(row[3]) if row[3] else None,
            "status": row[4], "job_id": row[5]}


def deliveries(cat: Catalog, shop: str | None = None) -> list[dict[str, Any]]:
    with cat.cursor() as cur:
        rows = cur.execute("SELECT event_id, topic, shop_domain, status, job_id FROM shopify_webhooks"
                           " WHERE ? IS NULL OR shop_domain = ? ORDER BY received_at", [shop, shop]).fetchall()
    return [{"event_id": r[0], "topic": r[1], "shop": r[2], "status": r[3], "job_id": r[4]} for r in rows]


# -- sync bookkeeping --------------------------------------------------------------------------

def mark_sync(cat: Catalog, store_id: str, *, message: str, job_id: str | None = None,
              started_at: datetime | None = None, finished_at: datetime | None = None) -> None:
    """Progress of the store's sync: `started_at` when it begins, `finished_at` (the high-water
    mark the next incremental sync starts from) when it completed."""
    with cat.transaction() as cur:
        cur.execute("UPDATE shopify_stores SET last_sync_message = ?, sync_job_id = coalesce(?, sync_job_id),"
                    " last_sync_started_at = coalesce(?, last_sync_started_at),"
                    " last_sync_at = coalesce(?, last_sync_at) WHERE id = ?",
                    [message, job_id, started_at, finished_at, store_id])


def set_store_currency(cat: Catalog, store_id: str, currency: str) -> None:
    with cat.transaction() as cur:
        cur.execute("UPDATE shopify_stores SET currency = ? WHERE id = ?", [currency, store_id])


# -- products ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShopifyProductRow:
    """A product as the sync stores it (already cleaned)."""

    gid: str
    handle: str
    title: str
    description: str
    vendor: str
    status: str
    price: float | None
    price_max: float | None
    currency: str | None
    image_url: str | None
    updated_at: datetime | None


def external_id(store_id: str, gid: str) -> str:
    return f"{store_id}:{gid}"


_VALUE_COLS = (("handle", "VARCHAR"), ("title", "VARCHAR"), ("description", "VARCHAR"), ("vendor", "VARCHAR"),
               ("price", "DOUBLE"), ("currency", "VARCHAR"), ("store_id", "VARCHAR"), ("status", "VARCHAR"),
               ("price_max", "DOUBLE"), ("remote_updated_at", "TIMESTAMP"))
_ARROW = {"VARCHAR": "string", "DOUBLE": "float64", "TIMESTAMP": "timestamp"}


@contextmanager
def _page(cur: Any, name: str, columns: list[tuple[str, str]], data: list[list[Any]]) -> Iterator[None]:
    """A page of rows as a registered Arrow table: one statement for the page, and no Python
    value conversion per parameter (DuckDB's costs a failed `import pandas` per value)."""
    import pyarrow as pa

    types = {"string": pa.string(), "float64": pa.float64(), "timestamp": pa.timestamp("us")}
    schema = pa.schema([(n, types[_ARROW[t]]) for n, t in columns])
    table = pa.Table.from_pylist([dict(zip([n for n, _ in columns], r, strict=True)) for r in data], schema=schema)
    cur.register(name, table)
    try:
        yield
    finally:
        cur.unregister(name)


def upsert_products(cat: Catalog, store_id: str, rows: list[ShopifyProductRow]) -> dict[str, tuple[str, str | None,
                                                                                                   str | None]]:
    """Insert or update a page of products on (store, gid), in one transaction of a few statements.
    Returns, per gid, (product id, its image key, the image URL its image was downloaded from)."""
    if not rows:
        return {}
    out: dict[str, tuple[str, str | None, str | None]] = {}
    exts = [external_id(store_id, r.gid) for r in rows]
    with cat.transaction() as cur:
        with _page(cur, "page_keys", [("external_id", "VARCHAR")], [[e] for e in exts]):
            found = {ext: (pid, key, url) for ext, pid, key, url in cur.execute(
                "SELECT p.external_id, p.id, p.image_key, p.image_url FROM products p JOIN page_keys k"
                " ON k.external_id = p.external_id WHERE p.source = ?", [SOURCE]).fetchall()}
        new_rows, old_rows = [], []
        for r, ext in zip(rows, exts, strict=True):
            values = [r.handle, r.title, r.description or None, r.vendor or None, r.price, r.currency, store_id,
                      r.status, r.price_max, r.updated_at]
            if ext in found:
                pid, key, url = found[ext]
                old_rows.append([pid, *values])
            else:
                pid, key, url = new_id("prd"), None, None
                new_rows.append([pid, ext, *values])
            out[r.gid] = (pid, key, url)
        names = ", ".join(n for n, _ in _VALUE_COLS)
        if new_rows:
            cols = [("id", "VARCHAR"), ("external_id", "VARCHAR"), *_VALUE_COLS]
            with _page(cur, "page_new", cols, new_rows):
                cur.execute(f"INSERT INTO products (id, source, external_id, {names})"
                            f" SELECT id, ?, external_id, {names} FROM page_new", [SOURCE])
        if old_rows:
            with _page(cur, "page_old", [("id", "VARCHAR"), *_VALUE_COLS], old_rows):
                sets = ", ".join(f"{n} = v.{n}" for n, _ in _VALUE_COLS)
                cur.execute(f"UPDATE products SET {sets} FROM page_old v WHERE products.id = v.id")
        gone = [[out[r.gid][0]] for r in rows if r.status != "active"]
        if gone:  # a draft or archived product leaves the events' sponsor lists
            with _page(cur, "page_gone", [("id", "VARCHAR")], gone):
                cur.execute("DELETE FROM event_products WHERE product_id IN (SELECT id FROM page_gone)")
    return out


def set_product_images(cat: Catalog, images: list[tuple[str, str | None, str | None]]) -> None:
    """(product id, image key, image URL) for each product whose image changed, in one statement."""
    if not images:
        return
    with cat.transaction() as cur, _page(cur, "page_images", [("id", "VARCHAR"), ("image_key", "VARCHAR"),
                                                               ("image_url", "VARCHAR")], [list(i) for i in images]):
        cur.execute("UPDATE products SET image_key = v.image_key, image_url = v.image_url FROM page_images v"
                    " WHERE products.id = v.id")


def delete_products(cat: Catalog, store_id: str, gids: list[str]) -> list[str]:
    """Remove the store's products with these gids (and their event picks); their image keys."""
    keys: list[str] = []
    with cat.transaction() as cur:
        for gid in gids:
            row = cur.execute("SELECT id, image_key FROM products WHERE source = ? AND external_id = ?",
                              [SOURCE, external_id(store_id, gid)]).fetchone()
            if row is None:
                continue
            cur.execute("DELETE FROM event_products WHERE product_id = ?", [row[0]])
            cur.execute("DELETE FROM products WHERE id = ?", [row[0]])
            if row[1]:
                keys.append(row[1])
    return keys


def product_ids_of(cat: Catalog, store_id: str) -> dict[str, str]:
    """gid -> product id, for the store."""
    with cat.cursor() as cur:
        rows = cur.execute("SELECT external_id, id FROM products WHERE source = ? AND store_id = ?",
                           [SOURCE, store_id]).fetchall()
    return {ext.split(":", 1)[1]: pid for ext, pid in rows}


def store_product_count(cat: Catalog, store_id: str) -> int:
    with cat.cursor() as cur:
        row = cur.execute("SELECT count(*) FROM products WHERE source = ? AND store_id = ?",
                          [SOURCE, store_id]).fetchone()
    return int(row[0]) if row else 0


def pickable_products(cat: Catalog, *, search: str = "", limit: int = 60, offset: int = 0) -> tuple[int, list[dict[str,
                                                                                                                   Any]]]:
    """Products an organizer can pick: every CSV product and the active ones of connected
    stores, by title; `search` matches title, vendor or handle (case-insensitive, literal)."""
    like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    where = ("(p.source <> ? OR (coalesce(p.status, 'active') = 'active' AND s.state = 'active'))"
             " AND (p.title ILIKE ? ESCAPE '\\' OR coalesce(p.vendor, '') ILIKE ? ESCAPE '\\'"
             " OR coalesce(p.handle, '') ILIKE ? ESCAPE '\\')")
    params: list[Any] = [SOURCE, like, like, like]
    base = " FROM products p LEFT JOIN shopify_stores s ON s.id = p.store_id AND p.source = 'shopify' WHERE "
    with cat.cursor() as cur:
        total = cur.execute("SELECT count(*)" + base + where, params).fetchone()
        rows = cur.execute(
            "SELECT p.id, p.source, s.shop_domain, p.title, p.vendor, p.price, p.price_max, p.currency, p.image_key,"
            " p.description" + base + where + " ORDER BY p.title, p.id LIMIT ? OFFSET ?",
            [*params, limit, offset]).fetchall()
    names = ("id", "source", "shop", "title", "vendor", "price", "price_max", "currency", "image_key", "description")
    return (int(total[0]) if total else 0), [dict(zip(names, r, strict=True)) for r in rows]


def forget_delivery(cat: Catalog, event_id: str) -> None:
    """Drop a delivery whose work could not be queued, so Shopify's retry is not a duplicate."""
    with cat.transaction() as cur:
        cur.execute("DELETE FROM shopify_webhooks WHERE event_id = ?", [event_id])


def stored_secrets(cat: Catalog) -> list[tuple[str, bytes | None, bytes | None]]:
    """(store id, access ciphertext, refresh ciphertext) of every store."""
    with cat.cursor() as cur:
        rows_ = cur.execute("SELECT id, access_token_enc, refresh_token_enc FROM shopify_stores ORDER BY id").fetchall()
    return [(r[0], _bytes(r[1]), _bytes(r[2])) for r in rows_]


def rewrite_secrets(cat: Catalog, updates: list[tuple[str, bytes | None, bytes | None]],
                    expected: list[tuple[str, bytes | None, bytes | None]]) -> int:
    """Replace every ciphertext at once (key rotation). A row changed meanwhile (a refresh) is
    left out: it was encrypted with the newest key anyway. Returns the secrets rewritten."""
    before = {sid: (a, r) for sid, a, r in expected}
    n = 0
    with cat.transaction() as cur:
        for sid, access, refresh in updates:
            row = cur.execute("SELECT access_token_enc, refresh_token_enc FROM shopify_stores WHERE id = ?",
                              [sid]).fetchone()
            if row is None or (_bytes(row[0]), _bytes(row[1])) != before[sid]:
                continue
            cur.execute("UPDATE shopify_stores SET access_token_enc = ?, refresh_token_enc = ? WHERE id = ?",
                        [access, refresh, sid])
            n += (access is not None) + (refresh is not None)
    return n
