"""Import sponsor products from a Shopify product CSV export (the offline products backend).

Both header dialects Shopify has used are read (legacy `Handle, Body (HTML), Variant Price,
Image Src` and current `URL handle, Description, Price, Product image URL`). Rows sharing a
handle are one product: its fields come from the first row, the price is the lowest variant
price and the image the lowest image position. Image paths are taken relative to the CSV and
must stay inside its folder; remote image URLs are recorded but not fetched (no network).
"""

from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Catalog
from .catalog import products as products_repo
from .errors import ValidationError
from .store import ObjectStore, product_image_key, safe_ext

MAX_TITLE = 200
ALIASES = {
    "handle": ("Handle", "URL handle"),
    "title": ("Title",),
    "description": ("Body (HTML)", "Description"),
    "vendor": ("Vendor",),
    "price": ("Variant Price", "Price"),
    "image": ("Image Src", "Product image URL"),
    "image_position": ("Image Position", "Image position"),
    "status": ("Status",),
}


@dataclass(frozen=True)
class ImportReport:
    product_ids: list[str]
    skipped: list[str] = field(default_factory=list)  # human-readable reasons


@dataclass
class _Draft:
    handle: str
    title: str = ""
    description: str = ""
    vendor: str = ""
    status: str = ""
    prices: list[float] = field(default_factory=list)
    images: list[tuple[int, str]] = field(default_factory=list)


def clean_text(value: str | None, limit: int = MAX_TITLE) -> str:
    """Drop control characters (they have no place in a title) and bound the length."""
    text = "".join(ch for ch in (value or "") if ch == " " or ch.isprintable())
    return " ".join(text.split())[:limit]


def strip_html(text: str) -> str:
    """Product descriptions are HTML: keep the words, drop tags, scripts and entities."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def _get(row: dict[str, str], key: str) -> str:
    for name in ALIASES[key]:
        if row.get(name):
            return row[name].strip()
    return ""


def read_shopify_csv(csv_path: str | Path) -> tuple[list[_Draft], list[str]]:
    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        names = set(reader.fieldnames or [])
        if not (names & set(ALIASES["handle"])) or "Title" not in names:
            raise ValidationError(
                f"{Path(csv_path).name} is not a Shopify product export: it needs a 'Handle' (or 'URL handle')"
                " and a 'Title' column"
            )
        drafts: dict[str, _Draft] = {}
        problems: list[str] = []
        for n, row in enumerate(reader, start=2):
            handle = clean_text(_get(row, "handle"), 120)
            if not handle:
                continue
            d = drafts.setdefault(handle, _Draft(handle))
            if not d.title and _get(row, "title"):
                d.title = clean_text(_get(row, "title"))
                d.description = clean_text(strip_html(_get(row, "description")), 2000)
                d.vendor = clean_text(_get(row, "vendor"))
                d.status = _get(row, "status").lower()
            price = _get(row, "price")
            if price:
                try:
                    d.prices.append(float(price.replace(",", "")))
                except ValueError:
                    problems.append(f"line {n} ({handle}): price {price!r} is not a number")
            image = _get(row, "image")
            if image:
                pos = _get(row, "image_position")
                d.images.append((int(pos) if pos.isdigit() else 999, image))
    return [d for d in drafts.values() if d.title], problems


def import_shopify_csv(cat: Catalog, store: ObjectStore, csv_path: str | Path, *, source: str = "csv") -> ImportReport:
    csv_path = Path(csv_path)
    base = csv_path.parent.resolve()
    drafts, skipped = read_shopify_csv(csv_path)
    ids: list[str] = []
    for d in drafts:
        if d.status in ("archived", "draft"):
            skipped.append(f"{d.handle}: status {d.status}, not imported")
            continue
        product = products_repo.upsert_product(
            cat, source=source, external_id=d.handle, handle=d.handle, title=d.title,
            description=d.description or None, vendor=d.vendor or None,
            price=min(d.prices) if d.prices else None, currency="USD",
        )
        if d.images:
            image = min(d.images)[1]
            if image.lower().startswith(("http://", "https://")):
                skipped.append(f"{d.handle}: image {image!r} is remote; not fetched offline")
            else:
                src = (base / image).resolve()
                if base not in src.parents or not src.is_file():
                    skipped.append(f"{d.handle}: image {image!r} is missing or outside the export folder")
                else:
                    key = product_image_key(product.id, safe_ext(src.name, "png"))
                    store.put_file(key, src)
                    products_repo.set_product_image(cat, product.id, key)
        ids.append(product.id)
    return ImportReport(ids, skipped)
