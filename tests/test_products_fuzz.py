"""Properties of the product CSV import and of drawtext, over generated hostile input.

The importer, whatever the bytes: fails only with ValidationError (storing nothing), writes
nowhere but the object store, copies only the real pictures inside the export folder, and
stores titles literally after its documented cleaning. drawtext: any text is drawn exactly as
the same text through an independently escaped `text=` option (expansion off)."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import shutil
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from anchor_core.catalog import products as products_repo
from anchor_core.errors import ValidationError
from anchor_core.media import run_ffmpeg
from anchor_core.media.filters import default_font, drawtext, escape_value, write_text_file
from anchor_core.products_csv import ALIASES, MAX_HANDLE, clean_text, import_shopify_csv

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
HOSTILE = [
    "=cmd|' /C calc'!A0", "+SUM(1,1)", "@import", "-2+3", "'; DROP TABLE products;--", "\" OR 1=1 --",
    "../../etc/passwd", "../secret.png", "/etc/passwd", "..\\..\\windows\\win.ini", "img/../../secret.png",
    "file:///etc/passwd", "https://cdn.example/x.png", "data:image/png;base64,AAAA", "ok.png", "img/ok.png",
    "link.png", "\x00", "\x1b[31mred\x1b[0m", "\u202eevil\u202c", "\u200b", "\r\n", "\n\n", "\t", '"', '""', "a,b",
    "%{pts} %{localtime}", "<script>alert(1)</script>", "1e308", "1E+308", "nan", "-5", "inf", "-0", "9" * 400,
    "99999999999", "1,299.00", "1.299,00", "\u00b2", "\u0661\u0662", "active", "draft", "archived", "", " ",
    "\ufeff", "\ud7ff", "\U0001f600" * 3, "x" * 300,
]
COLUMNS = sorted({name for names in ALIASES.values() for name in names} | {"Junk", "", "handle"})
SETTINGS = hsettings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

field = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=24),
                  st.from_regex(r"-?[0-9,]{0,14}(\.[0-9]{0,6})?", fullmatch=True))
LEGACY = ["Handle", "Title", "Body (HTML)", "Vendor", "Variant Price", "Image Src", "Image Position", "Status"]
CURRENT = ["Title", "URL handle", "Description", "Vendor", "Status", "Price", "Product image URL", "Image position"]
prices = st.one_of(st.sampled_from(["1.00", "24.50", "1,299.00", "0", "", "1e308", "nan", "-5", "inf", "9" * 400]),
                   st.decimals(min_value=0, max_value=10**12, places=2).map(str), field)
images = st.one_of(st.sampled_from(["ok.png", "img/ok.png", "./ok.png", "img/../ok.png", "../secret.png",
                                    "link.png", "/etc/passwd", "../../etc/passwd", "https://cdn.example/x.png",
                                    "missing.png", "img", ""]), field)
product_row = st.fixed_dictionaries({
    "handle": st.one_of(st.sampled_from(["a", "b", "c", " a ", "", "../../x", "=1+1"]), field),
    "title": st.one_of(st.sampled_from(["Boots", ""]), field), "body": field, "vendor": field, "price": prices,
    "image": images, "position": st.sampled_from(["1", "2", "", "\u00b2", "9" * 400, "-1"]),
    "status": st.sampled_from(["active", "draft", "archived", "", "Active", "unlisted"]),
})


def _legacy(r: dict[str, str]) -> list[str]:
    return [r["handle"], r["title"], r["body"], r["vendor"], r["price"], r["image"], r["position"], r["status"]]


def _current(r: dict[str, str]) -> list[str]:
    return [r["title"], r["handle"], r["body"], r["vendor"], r["status"], r["price"], r["image"], r["position"]]


# A header and rows that fit it (most examples, so imports get far), or anything at all.
table = st.one_of(
    st.tuples(st.just(LEGACY), st.lists(product_row.map(_legacy), max_size=8)),
    st.tuples(st.just(CURRENT), st.lists(product_row.map(_current), max_size=8)),
    st.tuples(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=9), st.lists(st.lists(field, max_size=10),
                                                                                  max_size=8)),
)
_counter = itertools.count()  # a fresh folder per example (tmp_path is per test, not per example)
encoded = st.sampled_from(["utf-8"] * 6 + ["utf-8-sig", "latin-1", "utf-16", "cp1252"])
raw_bytes = st.one_of(st.none(), st.none(), st.none(), st.none(), st.binary(max_size=400))


def _csv_text(head: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(head)
    w.writerows(rows)
    return buf.getvalue()


def _export(base: Path) -> Path:
    """An export folder with two real pictures and a symlink out, and a secret next to it."""
    export = base / "export"
    (export / "img").mkdir(parents=True)
    (export / "ok.png").write_bytes(PNG)
    (export / "img" / "ok.png").write_bytes(PNG)
    (base / "secret.png").write_bytes(b"\x89PNG SECRET")
    (export / "link.png").symlink_to(base / "secret.png")
    return export


def _snapshot(root: Path, skip: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p == skip or skip in p.parents or not p.is_file() or p.is_symlink():
            continue
        out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _store_state(catalog, store) -> tuple[int, list[str]]:
    return len(products_repo.list_products(catalog)), sorted(store.list())


@SETTINGS
@given(csv_table=table, encoding=encoded, raw=raw_bytes)
def test_any_csv_fails_only_cleanly_and_writes_only_into_the_store(catalog, store, settings, tmp_path, csv_table,
                                                                    encoding, raw):
    head, rows = csv_table
    base = Path(tmp_path) / f"ex{next(_counter)}"
    export = _export(base)
    text = _csv_text(head, rows)
    data = raw if raw is not None else text.encode(encoding, errors="replace")
    path = export / "products.csv"
    path.write_bytes(data)
    before_files = _snapshot(Path(tmp_path), settings.home)
    before = _store_state(catalog, store)
    try:
        report = import_shopify_csv(catalog, store, path, source=base.name)
    except ValidationError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        assert _store_state(catalog, store) == before  # a refused file stores nothing
        report = None
        event(f"refused: {str(exc).split(':')[0].replace(path.name, 'FILE')[:40]}")
    assert _snapshot(Path(tmp_path), settings.home) == before_files  # nothing written outside the store
    shutil.rmtree(base)
    for key in store.list():
        assert key.startswith("products/prd_") and key.rsplit("/", 1)[-1] == "image.png", key
        assert store.path_for(key).read_bytes() == PNG  # only the real pictures inside the export folder
        assert settings.store_root in store.path_for(key).parents
    if report is not None:
        event(f"imported {min(len(report.product_ids), 2)}+, skipped {bool(report.skipped)}, "
              f"images {bool(_store_state(catalog, store)[1][len(before[1]):])}")
        assert len(report.product_ids) == len(set(report.product_ids))
        for s in report.skipped + report.warnings:
            assert str(s).startswith(f"row {s.row}") and s.row >= 2
        for pid in report.product_ids:
            p = products_repo.get_product(catalog, pid)
            assert p.title and p.title == clean_text(p.title) and p.currency == "USD"
            assert p.price is None or 0 <= p.price < 1e10


no_nul = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
titles = st.one_of(st.sampled_from([t for t in HOSTILE if "\x00" not in t]), st.text(no_nul, max_size=260))
handles = st.one_of(st.sampled_from(["a", "b", " a ", "a\t", "", " ", "../../x", "=1+1", "\u200b"]),
                    st.text(no_nul, max_size=12))


@SETTINGS
@given(rows=st.lists(st.tuples(handles, titles), min_size=1, max_size=6))
def test_titles_are_stored_literally_after_the_documented_cleaning(catalog, store, tmp_path, rows):
    base = Path(tmp_path) / f"lit{next(_counter)}"
    base.mkdir()
    path = base / "p.csv"
    path.write_bytes(_csv_text(["Handle", "Title", "Variant Price"], [[h, t, "1.00"] for h, t in rows]).encode())
    # The oracle: rows grouped by cleaned handle; the first cleaned non-empty title names the product.
    want: dict[str, str] = {}
    empty: set[str] = set()
    for h, t in rows:
        handle = clean_text(h, MAX_HANDLE)
        if not handle:
            continue
        if clean_text(t) and handle not in want:
            want[handle] = clean_text(t)
        empty.add(handle)
    empty -= set(want)
    report = import_shopify_csv(catalog, store, path, source=base.name)
    got = {products_repo.get_product(catalog, i).handle: products_repo.get_product(catalog, i).title
           for i in report.product_ids}
    assert got == want
    assert {s.handle for s in report.skipped if s.reason == "empty title"} == empty
    assert sum(1 for s in report.skipped if s.reason.startswith("empty handle")) == sum(
        1 for h, _ in rows if not clean_text(h, MAX_HANDLE))


def _reference_text_option(text: str) -> str:
    """An independent escaper (the three documented levels), expansion off."""
    def bs(s: str, chars: str) -> str:
        for ch in chars:
            s = s.replace(ch, "\\" + ch)
        return s
    return bs(bs(text, "\\':"), "\\'[],;") + ":expansion=none"


def _render(vf: str, out: Path) -> np.ndarray:
    import cv2

    run_ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=640x60:d=0.1", "-vf", vf, "-frames:v", "1", str(out)], path=out)
    return cv2.imread(str(out))


drawable = st.one_of(
    st.sampled_from([t for t in HOSTILE if t.strip()]),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30),
)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=drawable)
def test_any_text_is_drawn_literally(tmp_path, text):
    folder = Path(tmp_path) / f"dt{next(_counter)}"
    folder.mkdir()
    f = write_text_file(folder, "t.txt", text)
    shown = f.read_text(encoding="utf-8")
    # The documented cleaning: control characters dropped (newlines kept), at most 200 characters.
    assert shown == "".join(ch for ch in text if ch == "\n" or ch.isprintable())[:200]
    # A filter option strips unescaped spaces at its ends and cannot hold a newline: compare one line.
    line = shown.replace("\n", " ").strip()
    if not line:
        return
    f = write_text_file(folder, "line.txt", line)
    font = default_font()
    ours = _render(drawtext(f, fontfile=font, size=20, x="10", y="20"), folder / "ours.png")
    ref = _render(f"drawtext=fontfile={escape_value(str(font))}:text={_reference_text_option(line)}"
                  ":fontsize=20:fontcolor=white:x=10:y=20", folder / "ref.png")
    assert np.array_equal(ours, ref), repr(line)
    assert sorted(p.name for p in folder.iterdir()) == ["line.txt", "ours.png", "ref.png", "t.txt"]
