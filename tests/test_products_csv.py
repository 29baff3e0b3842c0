from __future__ import annotations

import csv

import pytest

from anchor_core.catalog import products as products_repo
from anchor_core.errors import ValidationError
from anchor_core.products_csv import import_shopify_csv


def _write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_legacy_dialect_one_product_per_handle_lowest_price_and_first_image(catalog, store, tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "img" / "b.png").write_bytes(b"\x89PNG other")
    header = ["Handle", "Title", "Body (HTML)", "Vendor", "Variant Price", "Image Src", "Image Position", "Status"]
    rows = [
        ["boots", "Boots", "<p>Warm <script>alert(1)</script>&amp; dry</p>", "Acme", "80.00", "img/b.png", "2", "active"],
        ["boots", "", "", "", "65.50", "img/a.png", "1", ""],
        ["old", "Old thing", "", "", "5", "", "", "archived"],
        ["evil", "Evil", "", "", "1", "../../etc/passwd", "1", "active"],
    ]
    report = import_shopify_csv(catalog, store, _write(tmp_path / "p.csv", header, rows))
    products = {products_repo.get_product(catalog, i).handle: products_repo.get_product(catalog, i)
                for i in report.product_ids}
    assert set(products) == {"boots", "evil"}
    boots = products["boots"]
    assert boots.price == 65.5 and boots.description == "Warm & dry" and boots.vendor == "Acme"
    with store.open(boots.image_key) as fh:
        assert fh.read() == b"\x89PNG fake"
    assert products["evil"].image_key is None
    assert any("outside the export folder" in s for s in report.skipped)
    assert any("archived" in s for s in report.skipped)


def test_current_dialect_is_read(catalog, store, tmp_path):
    header = ["Title", "URL handle", "Description", "Vendor", "Status", "Price", "Product image URL"]
    rows = [["Scarf", "scarf", "Knitted", "Terrace", "active", "24.50", "https://cdn.example/scarf.png"]]
    report = import_shopify_csv(catalog, store, _write(tmp_path / "p.csv", header, rows))
    p = products_repo.get_product(catalog, report.product_ids[0])
    assert (p.handle, p.title, p.price) == ("scarf", "Scarf", 24.5)
    assert any("remote" in s for s in report.skipped)


def test_a_csv_that_is_not_a_product_export_is_refused(catalog, store, tmp_path):
    with pytest.raises(ValidationError, match="not a Shopify product export"):
        import_shopify_csv(catalog, store, _write(tmp_path / "x.csv", ["name", "email"], [["a", "b"]]))
