"""A Shopify product CSV that arrives as bytes (an upload in the organizer app or the workbench):
checked, written to a private temporary folder under `Settings.tmp_root`, imported with
`products_csv.import_shopify_csv`, and the folder removed whatever happens."""

from __future__ import annotations

import html
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .catalog import Catalog
from .config import Settings
from .errors import ValidationError
from .products_csv import ImportReport, import_shopify_csv
from .store import ObjectStore

MAX_UPLOAD_BYTES = 5_000_000  # a product export is text: thousands of products fit in far less
_LIST = " style='list-style: disc; padding-left: 1.5em; margin: 0.2em 0'"  # marimo's CSS drops bullets


def import_products_upload(cat: Catalog, store: ObjectStore, settings: Settings, *, filename: str, contents: bytes,
                           event_id: str | None, max_bytes: int = MAX_UPLOAD_BYTES) -> ImportReport:
    """Import an uploaded Shopify CSV; with `event_id` the imported products become that event's
    sponsor selection (see `import_shopify_csv`). The file is written under a fresh folder in
    `settings.tmp_root` by a name of our own (the upload's name is only checked and shown), and
    that folder is gone when this returns or raises. Image paths in an upload have no folder to
    point into, so local images are reported as missing; remote ones are recorded, not fetched."""
    shown = Path(filename or "upload").name or "upload"
    if not shown.lower().endswith(".csv"):
        raise ValidationError(f"{shown!r} is not a .csv file: export the products from Shopify as CSV")
    if len(contents) > max_bytes:
        raise ValidationError(f"{shown} is {len(contents) / 1e6:.1f} MB; the limit for an upload is "
                              f"{max_bytes / 1e6:.1f} MB (import larger exports on the server)")
    if not contents.strip():
        raise ValidationError(f"{shown} is empty")
    settings.tmp_root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="products-upload-", dir=settings.tmp_root))
    try:
        path = folder / "products.csv"
        path.write_bytes(contents)
        return import_shopify_csv(cat, store, path, event_id=event_id)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def import_summary_html(report: ImportReport, *, filename: str = "") -> str:
    """The result as static HTML for a notebook: the count imported, then every skipped row with
    its reason and every warning. Row text comes from the file, so all of it is escaped (HTML,
    not Markdown: a handle like `[x](javascript:...)` stays text)."""
    n = len(report.product_ids)
    skipped: list[Any] = list(report.skipped)
    warnings: list[Any] = list(getattr(report, "warnings", None) or [])
    source = f" from <code>{html.escape(filename)}</code>" if filename else ""
    selected = getattr(report, "event_id", None)
    chosen = " They are now this event's sponsor products, in file order." if selected and n else ""
    parts = [f"<p class='anchor-import'>Imported <b>{n}</b> product{'s' if n != 1 else ''}{source}; skipped "
             f"<b>{len(skipped)}</b> row{'s' if len(skipped) != 1 else ''}.{chosen}</p>"]
    if skipped:
        parts.append(f"<p>Skipped:</p><ul{_LIST}>" + "".join(f"<li>{html.escape(str(i))}</li>" for i in skipped)
                     + "</ul>")
    if warnings:
        parts.append(f"<p>Warnings:</p><ul{_LIST}>" + "".join(f"<li>{html.escape(str(w))}</li>" for w in warnings)
                     + "</ul>")
    return "".join(parts)
