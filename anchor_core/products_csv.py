"""Import sponsor products from a Shopify product CSV export (the offline products backend).

**The file** must be UTF-8 text (a byte-order mark is fine) of at most 20 MB whose header
names a handle and a title column. Anything else — missing, a folder, empty, only a header,
UTF-16, Latin-1, binary, too big, not parseable as CSV — raises `ValidationError` saying what
to do, before anything is stored.

**Rows.** Both header dialects Shopify has used are read (legacy `Handle, Body (HTML), Variant
Price, Image Src` and current `URL handle, Description, Price, Product image URL`); column
order does not matter. Rows sharing a handle are one product: its fields come from its first
row with a title, its price is the lowest variant price, its image the lowest image position.
Row numbers are a spreadsheet's: the header is row 1 (a quoted field spanning lines is still
one row); blank rows are ignored. A row without a handle is skipped; a whole product is
skipped (each of its rows reported) when no row has a title, when any row has a bad price (an
ad must not show a wrong one) or when its status is draft or archived.

**Prices** are plain decimals, optionally grouped by commas in threes: `1299`, `1299.5`,
`1,299.00`. At most 10 digits before the point and 4 after; no sign, exponent, currency
symbol, `nan` or `inf`; `1.299,00` is refused rather than guessed. Shopify exports prices in
the store's currency without naming it, so the import takes it (`currency`, ISO 4217, default
USD) and stores it with each product.

**Cleaning** (what is stored): in titles, vendors and handles every run of whitespace (tabs,
newlines) becomes one space, other control and format characters (bidi overrides, zero-width)
are dropped, the ends are trimmed; titles and vendors keep 200 characters (a cut is warned
about), handles 120. Descriptions are HTML reduced to their words, 2000 characters. Nothing else
is changed: formulas (`=cmd|' /C calc'!A0`), SQL and markup are stored literally, as text — SQL
is parameterised, overlays draw from files with expansion off, notebooks escape what they show.
Anchor writes no spreadsheet; a future CSV export must neutralise leading `= + - @`.

**Images** are paths relative to the CSV's folder that stay inside it (symlinks resolved), PNG,
JPEG, GIF or WebP files of at most 20 MB; remote URLs are recorded as a warning, not fetched (no
network). A product without a usable image is imported with a warning: the ads cannot show it.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .catalog import Catalog
from .catalog import events as events_repo
from .catalog import products as products_repo
from .errors import ValidationError
from .store import ObjectStore, product_image_key

MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_TITLE = 200
MAX_HANDLE = 120
MAX_DESCRIPTION = 2000
MAX_PRICE_DIGITS = 10  # before the point
MAX_PRICE_DECIMALS = 4
DEFAULT_CURRENCY = "USD"
SKIPPED_STATUSES = ("archived", "draft")
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
_PRICE = re.compile(r"(\d+|\d{1,3}(?:,\d{3})+)(?:\.(\d+))?")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class SkippedRow:
    """A CSV row that was not imported: its spreadsheet row number, handle and why."""

    row: int
    handle: str
    reason: str

    def __str__(self) -> str:
        return _row_line(self.row, self.handle, self.reason)


@dataclass(frozen=True)
class ProductWarning:
    """An imported product with something to fix (no usable image, a title cut)."""

    row: int
    handle: str
    message: str
    product_id: str = ""

    def __str__(self) -> str:
        return _row_line(self.row, self.handle, self.message)


@dataclass(frozen=True)
class ImportReport:
    """What an import did. `event_id` is the event whose selection it replaced (None if none)."""

    product_ids: list[str]
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[ProductWarning] = field(default_factory=list)
    currency: str = DEFAULT_CURRENCY
    event_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The shape `anchor products import --json` prints."""
        return {"imported": list(self.product_ids), "skipped": [asdict(s) for s in self.skipped],
                "warnings": [asdict(w) for w in self.warnings], "currency": self.currency, "event": self.event_id}


@dataclass(frozen=True)
class ProductDraft:
    """One product as read from the CSV, cleaned, not yet stored."""

    handle: str
    row: int  # the row its fields come from
    title: str
    description: str = ""
    vendor: str = ""
    status: str = ""
    price: float | None = None
    image: str = ""  # the reference of the lowest image position, as written
    image_row: int = 0
    title_length: int = 0  # before the cut to MAX_TITLE


@dataclass
class _Rows:
    """The rows of one handle while reading."""

    handle: str
    rows: list[int] = field(default_factory=list)
    title_row: int = 0
    title: str = ""
    title_length: int = 0
    description: str = ""
    vendor: str = ""
    status: str = ""
    prices: list[float] = field(default_factory=list)
    bad_price: tuple[int, str] | None = None
    images: list[tuple[int, int, str]] = field(default_factory=list)  # position, row, reference


def _row_line(row: int, handle: str, text: str) -> str:
    return f"row {row} (handle {handle}): {text}" if handle else f"row {row}: {text}"


def clean_text(value: str | None, limit: int = MAX_TITLE) -> str:
    """Whitespace runs to one space, other control/format characters dropped, bounded length."""
    text = "".join(" " if ch.isspace() else ch for ch in (value or "") if ch.isspace() or ch.isprintable())
    return " ".join(text.split())[:limit]


def strip_html(text: str) -> str:
    """Product descriptions are HTML: keep the words, drop tags, scripts and entities."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def _shown(text: str, limit: int = 40) -> str:
    """A value from the file, safe and short enough to quote in a message."""
    cut = clean_text(text, 10**6)
    return repr(cut if len(cut) <= limit else cut[: limit - 1] + "\u2026")


def normalise_currency(code: str) -> str:
    """An ISO 4217 code in capitals, or ValidationError."""
    text = (code or "").strip().upper()
    if not _CURRENCY.fullmatch(text):
        raise ValidationError(f"currency {_shown(code or '')} is not a three-letter ISO 4217 code such as USD, EUR"
                              " or GBP: pass one with --currency")
    return text


def parse_price(text: str) -> float:
    """A price as documented above; ValidationError whose message is the reason (for the row)."""
    t = text.strip()
    bare = t.lower().lstrip("+-").strip()
    if bare in ("nan", "snan", "inf", "infinity"):
        raise ValidationError("is not a finite number")
    if re.fullmatch(r"-\s*[\d.,]+", t):
        raise ValidationError("is negative")
    if re.search(r"\d[eE][+-]?\d", t):
        raise ValidationError("has an exponent: write the amount in plain digits, like 1299.00")
    m = _PRICE.fullmatch(t)
    if m is None:
        hint = " (leave out the currency symbol: the import's currency applies)" if re.search(r"[^\d.,\s]", t) else ""
        raise ValidationError(f"is not a price like 1299.00 or 1,299.00{hint}")
    whole, decimals = m.group(1).replace(",", "").lstrip("0"), m.group(2) or ""
    if len(whole) > MAX_PRICE_DIGITS:
        raise ValidationError(f"has more than {MAX_PRICE_DIGITS} digits before the point")
    if len(decimals) > MAX_PRICE_DECIMALS:
        raise ValidationError(f"has more than {MAX_PRICE_DECIMALS} decimals")
    value = float(Decimal(f"{whole or '0'}.{decimals or '0'}"))
    if not math.isfinite(value):  # cannot happen within the digit limits; kept as the contract
        raise ValidationError("is not a finite number")
    return value


def read_csv_text(csv_path: str | Path) -> str:
    """The file's text, or ValidationError: missing, not a file, empty, too big, not UTF-8."""
    path = Path(csv_path)
    name = path.name or str(path)
    try:
        if not path.exists():
            raise ValidationError(f"no file {path}: check the path to the Shopify product export (.csv)")
        if not path.is_file():
            raise ValidationError(f"{path} is not a file: give the product export CSV itself")
        with open(path, "rb") as fh:
            data = fh.read(MAX_CSV_BYTES + 1)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ValidationError(f"cannot read {name}: {reason}; check the path and the file's permissions") from exc
    if len(data) > MAX_CSV_BYTES:
        size = path.stat().st_size / (1024 * 1024)
        raise ValidationError(f"{name} is {size:.1f} MB; a product CSV may be at most {MAX_CSV_BYTES >> 20} MB:"
                              " export fewer products at a time (Shopify exports a selection or a page)")
    if not data.strip():
        raise ValidationError(f"{name} is empty: export the products from Shopify (Products > Export, CSV)"
                              " and import that file")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ValidationError(f"{name} is UTF-16 text; Shopify exports UTF-8: save it as 'CSV UTF-8' and import"
                              " it again")
    if b"\x00" in data:
        raise ValidationError(f"{name} contains NUL bytes, so it is not UTF-8 CSV text (UTF-16, or not text at"
                              " all): save it as 'CSV UTF-8' and import it again")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}; Latin-1 or"
                              " Windows-1252?): save it as 'CSV UTF-8' and import it again") from exc
    if not text.strip():
        raise ValidationError(f"{name} is empty: export the products from Shopify (Products > Export, CSV)"
                              " and import that file")
    return text


def _records(text: str, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        records = list(enumerate(reader, start=2))
    except csv.Error as exc:
        raise ValidationError(f"{name} is not a readable CSV (near line {reader.line_num}: {exc}): export it"
                              " from Shopify again") from exc
    return [h.strip() for h in header], records


def _columns(header: list[str], name: str) -> dict[str, list[int]]:
    where: dict[str, list[int]] = {}
    for key, names in ALIASES.items():
        where[key] = [header.index(n) for n in names if n in header]
    if not where["handle"] or not where["title"]:
        shown = ", ".join(_shown(h, 30) for h in header[:8]) + (", \u2026" if len(header) > 8 else "")
        hint = " (separated by ';'? save it with commas)" if len(header) == 1 and ";" in header[0] else ""
        raise ValidationError(f"{name} is not a Shopify product export: it needs a 'Handle' (or 'URL handle') and"
                              f" a 'Title' column, and its header has {shown or 'nothing'}{hint}")
    return where


def _field(record: list[str], where: dict[str, list[int]], key: str) -> str:
    for i in where[key]:
        if i < len(record) and record[i].strip():
            return record[i].strip()
    return ""


def _position(text: str) -> int:
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else 999_999


def read_shopify_csv(csv_path: str | Path) -> tuple[list[ProductDraft], list[SkippedRow]]:
    """The products of an export and the rows skipped (pure: reads the file, stores nothing)."""
    name = Path(csv_path).name
    header, records = _records(read_csv_text(csv_path), name)
    where = _columns(header, name)
    groups: dict[str, _Rows] = {}
    skipped: list[SkippedRow] = []
    seen = 0
    for n, rec in records:
        if not any(f.strip() for f in rec):
            continue
        seen += 1
        handle = clean_text(_field(rec, where, "handle"), MAX_HANDLE)
        if not handle:
            skipped.append(SkippedRow(n, "", "empty handle: every row needs its product's handle"))
            continue
        _add_row(groups.setdefault(handle, _Rows(handle)), n, rec, where)
    if not seen:
        raise ValidationError(f"{name} has a header but no product rows: export the products themselves")
    drafts = []
    for g in groups.values():
        draft, rows = _finish(g)
        skipped += rows
        if draft is not None:
            drafts.append(draft)
    return drafts, sorted(skipped, key=lambda s: s.row)


def _add_row(g: _Rows, n: int, rec: list[str], where: dict[str, list[int]]) -> None:
    g.rows.append(n)
    title = clean_text(_field(rec, where, "title"), 10**6)
    if not g.title and title:
        g.title_row, g.title, g.title_length = n, title[:MAX_TITLE], len(title)
        g.description = clean_text(strip_html(_field(rec, where, "description")), MAX_DESCRIPTION)
        g.vendor = clean_text(_field(rec, where, "vendor"))
        g.status = clean_text(_field(rec, where, "status"), 40).lower()
    price = _field(rec, where, "price")
    if price:
        try:
            g.prices.append(parse_price(price))
        except ValidationError as exc:
            g.bad_price = g.bad_price or (n, f"price {_shown(price)} {exc}")
    image = _field(rec, where, "image")
    if image:
        g.images.append((_position(_field(rec, where, "image_position")), n, image))


def _finish(g: _Rows) -> tuple[ProductDraft | None, list[SkippedRow]]:
    """The product, or the rows it skips: the row with the cause first, each other row pointing at it."""
    cause: tuple[int, str] | None = None
    if g.bad_price:
        cause = (g.bad_price[0], f"{g.bad_price[1]}; the product is not imported: correct the price and import"
                                 " again")
    elif not g.title:
        cause = (g.rows[0], "empty title")
    elif g.status in SKIPPED_STATUSES:
        cause = (g.title_row, f"status {g.status}: not imported (only active products are)")
    if cause is not None:
        row, reason = cause
        return None, [SkippedRow(row, g.handle, reason)] + [
            SkippedRow(r, g.handle, f"not imported with its product (see row {row})") for r in g.rows if r != row]
    image = min(g.images) if g.images else (0, 0, "")
    return ProductDraft(g.handle, g.title_row, g.title, g.description, g.vendor, g.status,
                        min(g.prices) if g.prices else None, image[2], image[1], g.title_length), []


def image_kind(head: bytes) -> str | None:
    """png, jpg, gif or webp from the file's first bytes; None for anything else."""
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def find_image(base: Path, ref: str) -> tuple[Path, str] | str:
    """The image file a row names (and its kind) inside `base`, or the problem as text."""
    shown = _shown(ref, 80)
    if len(ref) > 1024 or any(not (ch.isprintable() or ch == " ") for ch in ref):
        return f"image {shown} is not a usable file name"
    if ref.lower().startswith(("http://", "https://")):
        return (f"image {shown} is a remote URL and is not fetched (Anchor works offline): save the image next to"
                " the CSV and give its relative path")
    if "://" in ref or ref.lower().startswith(("data:", "file:")):
        return f"image {shown} is not a file path next to the CSV"
    try:
        src = (base / ref).resolve()
        if base not in src.parents:
            return f"image {shown} is outside the export folder; images must be in the CSV's folder or below it"
        if not src.is_file():
            return f"image {shown} is missing from the export folder"
        size = src.stat().st_size
        with open(src, "rb") as fh:
            head = fh.read(16)
    except (OSError, ValueError, RuntimeError) as exc:
        return f"image {shown} cannot be read ({getattr(exc, 'strerror', None) or exc})"
    if size > MAX_IMAGE_BYTES:
        return f"image {shown} is {size / (1024 * 1024):.1f} MB; images may be at most {MAX_IMAGE_BYTES >> 20} MB"
    kind = image_kind(head)
    if kind is None:
        return f"image {shown} is not a PNG, JPEG, GIF or WebP file"
    return src, kind


def import_shopify_csv(
    cat: Catalog, store: ObjectStore, csv_path: str | Path, *, source: str = "csv", event_id: str | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> ImportReport:
    """Read, check, then store: products upserted by (source, handle), images copied into the
    store, and with `event_id` the event's sponsor selection replaced by the imported products
    (in file order; left as it was when nothing was imported). A bad file, currency or event
    raises before anything is stored."""
    code = normalise_currency(currency)
    if event_id is not None:
        events_repo.get_event(cat, event_id)
    path = Path(csv_path)
    drafts, skipped = read_shopify_csv(path)
    base = path.parent.resolve()
    ids: list[str] = []
    warnings: list[ProductWarning] = []
    for d in drafts:
        product = products_repo.upsert_product(
            cat, source=source, external_id=d.handle, handle=d.handle, title=d.title,
            description=d.description or None, vendor=d.vendor or None, price=d.price, currency=code,
        )
        ids.append(product.id)
        warnings += _store_image(cat, store, product, d, base)
        if d.title_length > MAX_TITLE:
            warnings.append(ProductWarning(d.row, d.handle, f"title is {d.title_length} characters; cut to {MAX_TITLE}",
                                           product.id))
    selected = None
    if event_id is not None and ids:
        products_repo.select_for_event(cat, event_id, ids)
        selected = event_id
    return ImportReport(ids, skipped, sorted(warnings, key=lambda w: w.row), code, selected)


def _store_image(cat: Catalog, store: ObjectStore, product: products_repo.Product, d: ProductDraft,
                 base: Path) -> list[ProductWarning]:
    """Copy the product's image into the store; a warning when it has none the ads can use."""
    kept = "; the image from the earlier import is kept" if product.image_key else ""
    unusable = kept or "; imported without an image, so the ads cannot show it"
    if not d.image:
        if product.image_key:
            return []
        return [ProductWarning(d.row, d.handle, "no image: imported, but the ads cannot show it until it has one"
                               " (add an Image Src and import again)", product.id)]
    found = find_image(base, d.image)
    if isinstance(found, str):
        return [ProductWarning(d.image_row, d.handle, found + unusable, product.id)]
    src, kind = found
    key = product_image_key(product.id, kind)
    store.put_file(key, src)
    products_repo.set_product_image(cat, product.id, key)
    if product.image_key and product.image_key != key:
        store.delete(product.image_key)  # the same product's earlier image in another format
    return []
