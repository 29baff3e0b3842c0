"""Import sponsor products from a Shopify product CSV export (the offline products backend).

Shopify writes one row per variant/image; the first row of a handle carries the product.
Image paths are taken relative to the CSV and must stay inside its folder; remote image URLs
are recorded as not-yet-fetched (no network by default).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog
from .catalog import products as products_repo
from .errors import ValidationError
from .store import LocalStore, product_image_key, safe_ext

REQUIRED = ("Handle", "Title")
MAX_TITLE = 200


@dataclass(frozen=True)
class ImportReport:
    product_ids: list[str]
    skipped: list[str]  # human-readable reasons


def clean_text(value: str | None, limit: int = MAX_TITLE) -> str:
    """Drop control characters (they have no place in a title) and bound the length."""
    text = "".join(ch for ch in (value or "") if ch == " " or ch.isprintable())
    return text.strip()[:limit]


def import_shopify_csv(cat: Catalog, store: LocalStore, csv_path: str | Path, *, source: str = "csv") -> ImportReport:
    csv_path = Path(csv_path)
    base = csv_path.parent.resolve()
    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationError(
                f"{csv_path.name} is not a Shopify product export: missing column(s) {', '.join(missing)}"
            )
        rows = list(reader)
    ids: list[str] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):
        handle = clean_text(row.get("Handle"), 120)
        title = clean_text(row.get("Title"))
        if not handle or handle in seen or not title:
            continue  # continuation rows (variants, extra images)
        seen.add(handle)
        price_raw = (row.get("Variant Price") or "").strip()
        try:
            price = float(price_raw) if price_raw else None
        except ValueError:
            skipped.append(f"line {n} ({handle}): price {price_raw!r} is not a number; imported without price")
            price = None
        product = products_repo.upsert_product(
            cat, source=source, external_id=handle, handle=handle, title=title,
            description=clean_text(_strip_html(row.get("Body (HTML)") or ""), 2000),
            vendor=clean_text(row.get("Vendor")) or None, price=price, currency="USD",
        )
        image = (row.get("Image Src") or "").strip()
        if image and not image.lower().startswith(("http://", "https://")):
            src = (base / image).resolve()
            if base not in src.parents or not src.is_file():
                skipped.append(f"line {n} ({handle}): image {image!r} is missing or outside the export folder")
            else:
                key = product_image_key(product.id, safe_ext(src.name, "png"))
                store.put_file(key, src)
                products_repo.set_product_image(cat, product.id, key)
        ids.append(product.id)
    return ImportReport(ids, skipped)


def _strip_html(text: str) -> str:
    import re

    return re.sub(r"<[^>]+>", " ", text)
