"""Sponsor products (from a Shopify CSV export or a connected store) and each event's picks."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .db import Catalog
from .ids import new_id


@dataclass(frozen=True)
class Product:
    id: str
    source: str
    external_id: str
    handle: str | None
    title: str
    description: str | None
    vendor: str | None
    price: float | None
    currency: str | None
    image_key: str | None


_COLS = "id, source, external_id, handle, title, description, vendor, price, currency, image_key"


def upsert_product(
    cat: Catalog, *, source: str, external_id: str, title: str, handle: str | None = None,
    description: str | None = None, vendor: str | None = None, price: float | None = None,
    currency: str | None = None, image_key: str | None = None, store_id: str | None = None,
) -> Product:
    with cat.transaction() as cur:
        row = cur.execute(
            "SELECT id FROM products WHERE source = ? AND external_id = ?", [source, external_id]
        ).fetchone()
        pid = row[0] if row else new_id("prd")
        if row:
            cur.execute(
                "UPDATE products SET handle=?, title=?, description=?, vendor=?, price=?, currency=?,"
                " image_key=coalesce(?, image_key), store_id=? WHERE id=?",
                [handle, title, description, vendor, price, currency, image_key, store_id, pid],
            )
        else:
            cur.execute(
                f"INSERT INTO products ({_COLS}, store_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [pid, source, external_id, handle, title, description, vendor, price, currency, image_key,
                 store_id],
            )
    return get_product(cat, pid)


def get_product(cat: Catalog, product_id: str) -> Product:
    with cat.cursor() as cur:
        row = cur.execute(f"SELECT {_COLS} FROM products WHERE id = ?", [product_id]).fetchone()
    if row is None:
        from ..errors import NotFoundError

        raise NotFoundError(f"no product {product_id!r}")
    return Product(*row)


def set_product_image(cat: Catalog, product_id: str, image_key: str) -> None:
    with cat.transaction() as cur:
        cur.execute("UPDATE products SET image_key = ? WHERE id = ?", [image_key, product_id])


def select_for_event(cat: Catalog, event_id: str, product_ids: list[str]) -> None:
    """Replace the event's sponsor selection; order is the order ads cycle through."""
    with cat.transaction() as cur:
        cur.execute("DELETE FROM event_products WHERE event_id = ?", [event_id])
        for pos, pid in enumerate(product_ids):
            cur.execute("INSERT INTO event_products VALUES (?, ?, ?)", [event_id, pid, pos])


def event_products(cat: Catalog, event_id: str) -> list[Product]:
    with cat.cursor() as cur:
        rows = cur.execute(
            f"SELECT {', '.join('p.' + c.strip() for c in _COLS.split(','))} FROM event_products ep"
            " JOIN products p ON p.id = ep.product_id WHERE ep.event_id = ? ORDER BY ep.position",
            [event_id],
        ).fetchall()
    return [Product(*r) for r in rows]


def list_products(cat: Catalog) -> list[Product]:
    """Every product, by title (then id, so the order is stable)."""
    with cat.cursor() as cur:
        rows = cur.execute(f"SELECT {_COLS} FROM products ORDER BY title, id").fetchall()
    return [Product(*r) for r in rows]


def products_frame(cat: Catalog) -> pl.DataFrame:
    return cat.frame(f"SELECT {_COLS} FROM products ORDER BY title")


