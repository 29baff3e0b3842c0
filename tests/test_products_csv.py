from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest

from anchor_core.catalog import Catalog
from anchor_core.catalog import events as events_repo
from anchor_core.catalog import products as products_repo
from anchor_core.errors import NotFoundError, ValidationError
from anchor_core.products_csv import (
    MAX_CSV_BYTES,
    SkippedRow,
    clean_text,
    import_shopify_csv,
    parse_price,
)

LEGACY = ["Handle", "Title", "Body (HTML)", "Vendor", "Variant Price", "Image Src", "Image Position", "Status"]
PNG = b"\x89PNG\r\n\x1a\n fake"


def _write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _nothing_stored(catalog, store):
    assert products_repo.list_products(catalog) == []
    assert list(store.list()) == []


def test_legacy_dialect_one_product_per_handle_lowest_price_and_first_image(catalog, store, tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "img" / "b.png").write_bytes(b"\x89PNG other")
    rows = [
        ["boots", "Boots", "<p>Warm <script>alert(1)</script>&amp; dry</p>", "Acme", "80.00", "img/b.png", "2", "active"],
        ["boots", "", "", "", "65.50", "img/a.png", "1", ""],
        ["old", "Old thing", "", "", "5", "", "", "archived"],
        ["evil", "Evil", "", "", "1", "../../etc/passwd", "1", "active"],
    ]
    report = import_shopify_csv(catalog, store, _write(tmp_path / "p.csv", LEGACY, rows))
    products = {products_repo.get_product(catalog, i).handle: products_repo.get_product(catalog, i)
                for i in report.product_ids}
    assert set(products) == {"boots", "evil"}
    boots = products["boots"]
    assert boots.price == 65.5 and boots.description == "Warm & dry" and boots.vendor == "Acme"
    assert boots.currency == "USD"
    with store.open(boots.image_key) as fh:
        assert fh.read() == b"\x89PNG fake"
    assert products["evil"].image_key is None
    assert [str(s) for s in report.skipped] == ["row 4 (handle old): status archived: not imported (only active"
                                                " products are)"]
    (warning,) = report.warnings
    assert (warning.row, warning.handle, warning.product_id) == (5, "evil", products["evil"].id)
    assert "outside the export folder" in str(warning) and "ads cannot show it" in str(warning)


def test_current_dialect_is_read(catalog, store, tmp_path):
    header = ["Title", "URL handle", "Description", "Vendor", "Status", "Price", "Product image URL"]
    rows = [["Scarf", "scarf", "Knitted", "Terrace", "active", "24.50", "https://cdn.example/scarf.png"]]
    report = import_shopify_csv(catalog, store, _write(tmp_path / "p.csv", header, rows))
    p = products_repo.get_product(catalog, report.product_ids[0])
    assert (p.handle, p.title, p.price) == ("scarf", "Scarf", 24.5)
    assert report.skipped == []
    assert any("remote URL" in str(w) for w in report.warnings)


def test_a_csv_that_is_not_a_product_export_is_refused(catalog, store, tmp_path):
    with pytest.raises(ValidationError, match="not a Shopify product export.*'name', 'email'"):
        import_shopify_csv(catalog, store, _write(tmp_path / "x.csv", ["name", "email"], [["a", "b"]]))
    _nothing_stored(catalog, store)


def test_every_skipped_row_is_reported_with_its_row_number_and_reason(catalog, store, tmp_path):
    rows = [
        ["ok", "Fine", "", "", "10", "", "", ""],          # row 2
        ["", "No handle", "", "", "1", "", "", ""],         # row 3
        ["x", "", "", "", "3", "", "", ""],                 # row 4: no title on any row of x
        ["x", "", "", "", "4", "", "", ""],                 # row 5
        ["", "", "", "", "", "", "", ""],                   # row 6: blank, ignored
        ["draft", "Draft", "", "", "2", "", "", "draft"],   # row 7
        ["spaces", " \t\u200b ", "", "", "2", "", "", ""],  # row 8: a title of nothing printable
    ]
    report = import_shopify_csv(catalog, store, _write(tmp_path / "p.csv", LEGACY, rows))
    assert [str(s) for s in report.skipped] == [
        "row 3: empty handle: every row needs its product's handle",
        "row 4 (handle x): empty title",
        "row 5 (handle x): not imported with its product (see row 4)",
        "row 7 (handle draft): status draft: not imported (only active products are)",
        "row 8 (handle spaces): empty title",
    ]
    assert report.skipped[1] == SkippedRow(4, "x", "empty title")
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.skipped[0].row = 9  # type: ignore[misc]
    assert [products_repo.get_product(catalog, i).handle for i in report.product_ids] == ["ok"]


def test_row_numbers_count_a_multi_line_field_as_one_row(catalog, store, tmp_path):
    rows = [["a", "Line one\nline two", "", "", "1", "", "", ""], ["b", "", "", "", "1", "", "", ""]]
    report = import_shopify_csv(catalog, store, _write(tmp_path / "p.csv", LEGACY, rows))
    assert [str(s) for s in report.skipped] == ["row 3 (handle b): empty title"]
    assert products_repo.get_product(catalog, report.product_ids[0]).title == "Line one line two"


def test_a_product_without_an_image_is_imported_with_a_warning(catalog, store, tmp_path):
    report = import_shopify_csv(catalog, store, _write(tmp_path / "p.csv", LEGACY, [["cap", "Cap", "", "", "5", "", "",
                                                                                  ""]]))
    assert len(report.product_ids) == 1 and report.skipped == []
    assert [str(w) for w in report.warnings] == [
        "row 2 (handle cap): no image: imported, but the ads cannot show it until it has one (add an Image Src and"
        " import again)"]


@pytest.mark.parametrize(("text", "reason"), [
    ("1e308", "has an exponent"),
    ("nan", "is not a finite number"),
    ("NaN", "is not a finite number"),
    ("inf", "is not a finite number"),
    ("-inf", "is not a finite number"),
    ("-5", "is negative"),
    ("99999999999", "more than 10 digits before the point"),
    ("9" * 400, "more than 10 digits before the point"),
    ("1.23456", "more than 4 decimals"),
    ("1.299,00", "is not a price like 1299.00 or 1,299.00"),
    ("12,34", "is not a price like"),
    ("$12.00", "leave out the currency symbol"),
    ("0x10", "is not a price like"),
])
def test_bad_prices_skip_the_product_with_the_reason(catalog, store, tmp_path, text, reason):
    rows = [["p", "Product", "", "", "10.00", "", "", ""], ["p", "", "", "", text, "", "", ""],
            ["q", "Other", "", "", "3", "", "", ""]]
    report = import_shopify_csv(catalog, store, _write(tmp_path / "p.csv", LEGACY, rows))
    assert [products_repo.get_product(catalog, i).handle for i in report.product_ids] == ["q"]
    first, second = report.skipped
    assert (first.row, first.handle) == (2, "p") and first.reason == "not imported with its product (see row 3)"
    assert (second.row, second.handle) == (3, "p") and reason in second.reason
    assert second.reason.startswith("price ") and "correct the price" in second.reason


@pytest.mark.parametrize(("text", "value"), [("1299", 1299.0), ("1299.5", 1299.5), ("1,299.00", 1299.0),
                                             ("1,234,567.25", 1234567.25), (" 0.99 ", 0.99), ("0", 0.0),
                                             ("9999999999.9999", 9999999999.9999), ("007.50", 7.5)])
def test_plain_and_comma_grouped_prices_are_read(text, value):
    assert parse_price(text) == value


def test_the_currency_is_stored_and_checked(catalog, store, tmp_path):
    path = _write(tmp_path / "p.csv", LEGACY, [["p", "P", "", "", "1299", "", "", ""]])
    report = import_shopify_csv(catalog, store, path, currency="eur")
    assert report.currency == "EUR"
    assert products_repo.get_product(catalog, report.product_ids[0]).currency == "EUR"
    with pytest.raises(ValidationError, match="not a three-letter ISO 4217 code"):
        import_shopify_csv(catalog, store, path, currency="€", source="other")
    assert len(products_repo.list_products(catalog)) == 1


def test_prices_are_formatted_in_their_currency():
    from anchor_core.ads import format_price

    assert format_price(1299.0, "USD") == "$1,299.00"
    assert format_price(1299.0, None) == "$1,299.00"
    assert format_price(24.5, "EUR") == "\u20ac24.50"
    assert format_price(1299.0, "CHF") == "1,299.00 CHF"
    assert format_price(1299.0, "JPY") == "\u00a51,299"
    assert format_price(1.5, "KWD") == "1.500 KWD"
    assert format_price(None, "USD") == "" and format_price(float("nan"), "USD") == ""


def test_with_an_event_the_imported_products_become_its_sponsors(catalog, store, tmp_path):
    event = events_repo.create_event(catalog, "Match", "sports")
    rows = [["b", "B", "", "", "2", "", "", ""], ["a", "A", "", "", "1", "", "", ""]]
    path = _write(tmp_path / "p.csv", LEGACY, rows)
    report = import_shopify_csv(catalog, store, path, event_id=event.id)
    assert report.event_id == event.id
    assert [p.id for p in products_repo.event_products(catalog, event.id)] == report.product_ids
    assert [products_repo.get_product(catalog, i).handle for i in report.product_ids] == ["b", "a"]


def test_an_unknown_event_stores_nothing(catalog, store, tmp_path):
    path = _write(tmp_path / "p.csv", LEGACY, [["b", "B", "", "", "2", "", "", ""]])
    with pytest.raises(NotFoundError):
        import_shopify_csv(catalog, store, path, event_id="evt_nope")
    _nothing_stored(catalog, store)


def test_titles_are_stored_literally_after_cleaning(catalog, store, tmp_path):
    titles = ["=cmd|' /C calc'!A0", "'; DROP TABLE products;--", "<b>bold</b> & \"quoted\"",
              "tab\there\r\nnew\u202eline", "x" * 250]
    rows = [[f"h{i}", t, "", "", "1", "", "", ""] for i, t in enumerate(titles)]
    report = import_shopify_csv(catalog, store, _write(tmp_path / "p.csv", LEGACY, rows))
    stored = [products_repo.get_product(catalog, i).title for i in report.product_ids]
    assert stored == ["=cmd|' /C calc'!A0", "'; DROP TABLE products;--", "<b>bold</b> & \"quoted\"",
                      "tab here newline", "x" * 200]
    assert stored == [clean_text(t) for t in titles]
    assert [str(w) for w in report.warnings if "cut" in w.message] == ["row 6 (handle h4): title is 250 characters;"
                                                                        " cut to 200"]


# --- a bad file is refused with what to do, and nothing is stored -------------------------------

def _csv_bytes(rows: int = 2) -> bytes:
    lines = [",".join(LEGACY)] + [f"h{i},Caf\u00e9 {i},,,1.00,,," for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(("name", "make", "fragment"), [
    ("missing.csv", None, "no file"),
    ("folder.csv", "dir", "is not a file"),
    ("empty.csv", b"", "is empty"),
    ("blank.csv", b" \n\r\n", "is empty"),
    ("bom-only.csv", b"\xef\xbb\xbf", "is empty"),
    ("header.csv", (",".join(LEGACY) + "\n").encode(), "has a header but no product rows"),
    ("header-blank-rows.csv", (",".join(LEGACY) + "\n,,,,,,,\n\n").encode(), "has a header but no product rows"),
    ("utf16.csv", _csv_bytes().decode().encode("utf-16"), "is UTF-16 text"),
    ("utf16le-nobom.csv", _csv_bytes().decode().encode("utf-16-le"), "contains NUL bytes"),
    ("latin1.csv", _csv_bytes().decode().encode("latin-1"), "is not UTF-8 text (byte 0xe9 on line 2"),
    ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "contains NUL bytes"),
    ("semicolons.csv", b"Handle;Title;Variant Price\nh;T;1\n", "separated by ';'"),
    ("no-title.csv", b"Handle,Name\nh,T\n", "needs a 'Handle' (or 'URL handle') and a 'Title' column"),
    ("huge-field.csv", b"Handle,Title\nh,\"" + b"x" * 200_000 + b"\"\n", "is not a readable CSV"),
])
def test_a_bad_file_is_refused_and_nothing_is_stored(catalog, store, tmp_path, name, make, fragment):
    path = tmp_path / name
    if make == "dir":
        path.mkdir()
    elif make is not None:
        path.write_bytes(make)
    with pytest.raises(ValidationError) as err:
        import_shopify_csv(catalog, store, path)
    assert fragment in str(err.value)
    assert "save it" in str(err.value) or "export" in str(err.value) or "check" in str(err.value)
    _nothing_stored(catalog, store)


def test_a_50_mb_csv_is_refused_by_its_size_without_reading_it_all(catalog, store, tmp_path):
    path = tmp_path / "big.csv"
    row = b"h,Title,,,1.00,,,\n"
    with open(path, "wb") as fh:
        fh.write((",".join(LEGACY) + "\n").encode())
        fh.write(row * (50 * 1024 * 1024 // len(row) + 1))
    assert path.stat().st_size > 50 * 1024 * 1024 > MAX_CSV_BYTES
    with pytest.raises(ValidationError, match=r"big\.csv is 50\.0 MB; a product CSV may be at most 20 MB"):
        import_shopify_csv(catalog, store, path)
    _nothing_stored(catalog, store)


def test_images_must_be_real_pictures_inside_the_export_folder(catalog, store, tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "ok.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    (export / "notes.png").write_text("not a picture")
    (tmp_path / "secret.png").write_bytes(PNG)
    (export / "link.png").symlink_to(tmp_path / "secret.png")
    rows = [["a", "A", "", "", "1", "ok.jpg", "1", ""], ["b", "B", "", "", "1", "notes.png", "1", ""],
            ["c", "C", "", "", "1", "link.png", "1", ""], ["d", "D", "", "", "1", "/etc/passwd", "1", ""],
            ["e", "E", "", "", "1", "file:///etc/passwd", "1", ""], ["f", "F", "", "", "1", "gone.png", "1", ""]]
    report = import_shopify_csv(catalog, store, _write(export / "p.csv", LEGACY, rows))
    by_handle = {products_repo.get_product(catalog, i).handle: products_repo.get_product(catalog, i)
                 for i in report.product_ids}
    assert by_handle["a"].image_key == f"products/{by_handle['a'].id}/image.jpg"
    assert all(by_handle[h].image_key is None for h in "bcdef")
    messages = {w.handle: w.message for w in report.warnings}
    assert "not a PNG, JPEG, GIF or WebP file" in messages["b"]
    assert "outside the export folder" in messages["c"] and "outside the export folder" in messages["d"]
    assert "not a file path next to the CSV" in messages["e"]
    assert "missing from the export folder" in messages["f"]
    assert sorted(store.list()) == [by_handle["a"].image_key]


# --- the ads: products without an image are said, stale clips do not pile up -------------------

def _timeline(slots: int = 1):
    from anchor_core.timeline.model import AdSlot, Segment, Timeline

    return Timeline(duration_ms=20_000, segments=(Segment(0, 20_000, "vid_x", "wide", 1.0),), zooms=(),
                    ad_slots=tuple(AdSlot(2000 + 5000 * k, 1000, 80.0) for k in range(slots)), chapters=(),
                    beat_synced=False, strategy="hysteresis", profile_name="sports", profile_version=1,
                    inputs_hash="test", timeline_id="tl_test")


def _products_with_images(tmp_path: Path, handles: list[str], no_image: tuple[str, ...] = ()) -> Path:
    import cv2
    import numpy as np

    rows = []
    for i, h in enumerate(handles):
        image = ""
        if h not in no_image:
            cv2.imwrite(str(tmp_path / f"{h}.png"), np.full((60, 60, 3), (40 * i, 90, 200), np.uint8))
            image = f"{h}.png"
        rows.append([h, f"Product {h}", "", "Acme", "1299.00", image, "1", ""])
    return _write(tmp_path / "p.csv", LEGACY, rows)


def test_the_ads_say_which_selected_products_they_leave_out(catalog, store, settings, tmp_path):
    from anchor_core.ads import ad_rotation, make_ad_breaks
    from anchor_core.media import OutputFormat

    event = events_repo.create_event(catalog, "Match", "sports")
    report = import_shopify_csv(catalog, store, _products_with_images(tmp_path, ["cap"], no_image=("cap",)),
                                event_id=event.id)
    rotation = ad_rotation(catalog, store, event.id)
    assert rotation.product_ids == () and [x.product_id for x in rotation.left_out] == report.product_ids
    said: list[str] = []
    breaks = make_ad_breaks(catalog, store, settings, event.id, _timeline(), {}, OutputFormat(width=320, height=180),
                            warn=said.append)
    assert breaks == []
    assert said == [f"sponsor product 'Product cap' ({report.product_ids[0]}) has no image (add one in the CSV's image"
                    " column and import again); it is left out of the ads",
                    "no selected sponsor product has an image: the 1 ad slot(s) stay footage"]


def test_two_renders_with_different_products_leave_only_the_current_clips(catalog, store, settings, tmp_path):
    from anchor_core.ads import list_ads, make_ad_breaks
    from anchor_core.media import OutputFormat, probe

    fmt = OutputFormat(width=320, height=180, fps=25.0, preset="ultrafast")
    event = events_repo.create_event(catalog, "Match", "sports")
    report = import_shopify_csv(catalog, store, _products_with_images(tmp_path, ["a", "b"]))
    a, b = report.product_ids
    prefix = f"outputs/{event.id}/ads/"
    products_repo.select_for_event(catalog, event.id, [a])
    first = make_ad_breaks(catalog, store, settings, event.id, _timeline(2), {}, fmt)
    assert len(first) == 2 and sorted(store.list(prefix)) == sorted(x.object_key for x in first)
    again = make_ad_breaks(catalog, store, settings, event.id, _timeline(2), {}, fmt)
    assert [x.object_key for x in again] == [x.object_key for x in first]  # same inputs, same keys: reused
    products_repo.select_for_event(catalog, event.id, [b])
    second = make_ad_breaks(catalog, store, settings, event.id, _timeline(1), {}, fmt)
    assert len(second) == 1 and second[0].object_key not in {x.object_key for x in first}
    assert sorted(store.list(prefix)) == [second[0].object_key]
    assert list_ads(catalog, event.id)["object_key"].to_list() == [second[0].object_key]
    info = probe(store.path_for(second[0].object_key))
    assert info.video is not None and info.duration_s == pytest.approx(1.0, abs=0.05)
    # Other events' clips and the product images are not touched.
    assert sum(1 for k in store.list("products/")) == 2


# --- the command line ---------------------------------------------------------------------------

def _anchor(home: Path, *argv: str) -> int:
    from anchor_core.cli import main

    return main(["--home", str(home), *argv])


def test_cli_imports_reports_skipped_rows_and_selects_for_the_event(tmp_path, capsys):
    home = tmp_path / "home"
    assert _anchor(home, "event", "create", "Match", "--type", "sports") == 0
    event_id = capsys.readouterr().out.strip().splitlines()[-1]
    rows = [["a", "Alpha", "", "", "1,299.00", "", "", ""], ["b", "", "", "", "5", "", "", ""],
            ["c", "Gamma", "", "", "nan", "", "", ""]]
    path = _write(tmp_path / "p.csv", LEGACY, rows)
    assert _anchor(home, "products", "import", str(path), "--event", event_id, "--currency", "EUR", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"imported", "skipped", "warnings", "currency", "event"}
    assert len(out["imported"]) == 1 and out["currency"] == "EUR" and out["event"] == event_id
    assert out["skipped"] == [{"row": 3, "handle": "b", "reason": "empty title"},
                              {"row": 4, "handle": "c", "reason": "price 'nan' is not a finite number; the product is"
                                                                  " not imported: correct the price and import again"}]
    assert [w["row"] for w in out["warnings"]] == [2]

    assert _anchor(home, "products", "import", str(path)) == 0
    captured = capsys.readouterr()
    assert "anchor: skipped row 3 (handle b): empty title" in captured.err.splitlines()
    assert "imported 1 product (prices in USD); skipped 2 rows" in captured.out
    assert captured.out.strip().splitlines()[-1] == out["imported"][0]

    assert _anchor(home, "products", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(p["id"], p["title"], p["price_text"], p["image"]) for p in listed] == [
        (out["imported"][0], "Alpha", "$1,299.00", False)]  # re-imported in USD
    assert _anchor(home, "products", "list", "--event", event_id) == 0
    captured = capsys.readouterr()
    assert "NO IMAGE" in captured.out and "Alpha" in captured.out
    assert "left out of the ads" in captured.err


def test_cli_import_of_a_bad_file_or_all_skipped_rows_fails(tmp_path, capsys):
    home = tmp_path / "home"
    bad = tmp_path / "bad.csv"
    bad.write_bytes("Handle,Title\nh,Caf\u00e9\n".encode("latin-1"))
    assert _anchor(home, "products", "import", str(bad)) == 1
    assert "anchor: error: bad.csv is not UTF-8 text" in capsys.readouterr().err
    allskipped = _write(tmp_path / "p.csv", LEGACY, [["b", "", "", "", "5", "", "", ""]])
    assert _anchor(home, "products", "import", str(allskipped)) == 1
    assert "no product was imported" in capsys.readouterr().err
    assert _anchor(home, "products", "list") == 0
    assert "no products" in capsys.readouterr().out
    with Catalog(home / "catalog.duckdb") as cat:
        assert products_repo.list_products(cat) == []
