"""The marimo notebooks: lint clean, run headless on the demo event, export an offline report,
and the server refuses strangers on HTTP and on the websocket. Also the plain helpers they show
through (viz, the products upload) and one browser check of the organizer's sponsor controls."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
import polars as pl
import pytest

from anchor_core import fmt
from anchor_core.cli import main as anchor

NB = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = ["report.py", "organizer.py", "workbench.py"]

# Run a notebook the way `anchor report` does (script mode, its own process) and keep every
# cell's output as HTML: what a browser would be sent, tables with their formatted data.
_DUMP = """
import json, sys
from pathlib import Path
import marimo as mo
from anchor_app.export_report import load_app
notebook, out = sys.argv[1], sys.argv[2]
sys.argv = [sys.argv[0], *sys.argv[3:]]
outputs, _ = load_app(Path(notebook)).run()
Path(out).write_text(json.dumps([mo.as_html(o).text for o in outputs if o is not None]))
"""


class _Elements(HTMLParser):
    """Every marimo element's attributes (unescaped), in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag.startswith("marimo-"):
            self.found.append((tag, {k: v or "" for k, v in attrs}))


def _elements(page: str, tag: str) -> list[dict[str, str]]:
    parser = _Elements()
    parser.feed(page)
    return [a for t, a in parser.found if t == tag]


def _table(page: str, label: str) -> list[dict]:
    """The rows of the marimo table labelled `label`, as its formatted data (what is shown)."""
    for attrs in _elements(page, "marimo-table"):
        if label in (json.loads(attrs.get("data-label") or "null") or ""):
            return json.loads(json.loads(attrs["data-data"]))
    raise AssertionError(f"no table labelled {label!r}")


@pytest.fixture(scope="module")
def notebook_page(rendered_demo):
    """notebook name -> all of its outputs as one HTML string, run once per module."""
    pages: dict[str, str] = {}

    def run(notebook: str) -> str:
        if notebook not in pages:
            cat = rendered_demo["cat"]
            cat.close()  # the notebook process opens the catalog itself
            out = Path(rendered_demo["home"]) / f"{notebook}.outputs.json"
            try:
                proc = subprocess.run([sys.executable, "-c", _DUMP, str(NB / notebook), str(out), "--event",
                                       rendered_demo["demo"].event_id, "--home", str(rendered_demo["home"])],
                                      capture_output=True, text=True, timeout=180)
            finally:
                rendered_demo["cat"] = type(cat)(cat.path)
            assert proc.returncode == 0, proc.stderr[-3000:]
            pages[notebook] = "\n".join(json.loads(out.read_text()))
        return pages[notebook]

    return run


def test_marimo_check_passes_on_every_notebook():
    # notebooks/ holds marimo notebooks only (the server and the exporter live in anchor_app/).
    proc = subprocess.run([sys.executable, "-m", "marimo", "check", "--strict", str(NB)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_headless_on_the_demo_event(notebook_page, notebook):
    assert notebook_page(notebook)  # every cell ran in script mode (the run fails on any exception)


def test_report_exports_one_offline_html_with_plots_and_full_tables(rendered_demo, tmp_path, capsys):
    from tests.demo_event import SEGMENTS

    cat = rendered_demo["cat"]
    cat.close()
    try:
        # without --out: HOME/reports/EVENT.html (it used to be a usage error)
        assert anchor(["--home", str(rendered_demo["home"]), "report", rendered_demo["demo"].event_id]) == 0
        out = rendered_demo["home"] / "reports" / f"{rendered_demo['demo'].event_id}.html"
        assert capsys.readouterr().out.strip().splitlines()[-1] == str(out.resolve())
    finally:
        rendered_demo["cat"] = type(cat)(cat.path)
    page = out.read_text()
    assert "<script" not in page and not re.search(r"(src|href)=[\"']https?://", page)
    assert page.count("data:image/png;base64") >= 1 and "alt=\"timeline\"" in page  # plots inline
    assert "Angle usage" in page and "Ad slots" in page and "Chapters" in page
    segment_table = page.split(">Segments</h3>")[1].split("</table>")[0]
    # every row (the hand edit plus the crowd's lead-in before the reference), not a truncated preview
    assert segment_table.count("<tr>") == len(SEGMENTS) + 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("correct horse")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "anchor_app.serve", "--port", str(port), "--password-file", str(pw)],
                            env={**__import__("os").environ, "ANCHOR_HOME": str(tmp_path / "home")},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(base + "/organizer/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_server_refuses_wrong_passwords_over_http(server):
    assert httpx.get(server + "/organizer/").status_code == 401
    assert httpx.get(server + "/organizer/", auth=("anchor", "wrong")).status_code == 401
    assert httpx.get(server + "/organizer/", auth=("anchor", "correct horse")).status_code == 200
    ok = httpx.get(server + "/organizer/?token=correct%20horse")
    assert ok.status_code == 200 and "anchor_session" in ok.headers.get("set-cookie", "")
    assert httpx.get(server + "/media/anything.mp4").status_code == 401


def test_server_refuses_websockets_without_credentials(server):
    import websockets

    url = server.replace("http://", "ws://") + "/organizer/ws?session_id=s1"

    async def attempt(headers):
        try:
            async with websockets.connect(url, additional_headers=headers, open_timeout=5) as ws:
                await ws.recv()
                return "open"
        except websockets.exceptions.InvalidStatus as exc:
            return exc.response.status_code
        except websockets.exceptions.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else "closed"

    assert asyncio.run(attempt({})) == 403
    import base64

    wrong = {"Authorization": "Basic " + base64.b64encode(b"anchor:nope").decode()}
    assert asyncio.run(attempt(wrong)) == 403


# --- the notebooks' cells: no action can re-run itself through the refresh it triggers --------------


def _cells(notebook: str) -> dict[str, dict]:
    """name -> refs (the cell's arguments), defs (its returns), run buttons it makes, from the source."""
    tree = ast.parse((NB / notebook).read_text())
    cells = {}
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef) or not any(
                isinstance(d, ast.Attribute) and d.attr == "cell" for d in fn.decorator_list):
            continue
        defs: set[str] = set()
        buttons: set[str] = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Return) and node.value is not None:
                elts = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                defs |= {e.id for e in elts if isinstance(e, ast.Name)}
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    ast.unparse(node.value.func) == "mo.ui.run_button":
                buttons |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        cells[fn.name] = {"refs": {a.arg for a in fn.args.args}, "defs": defs, "buttons": buttons}
    return cells


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_action_cell_reruns_itself_through_the_state_it_sets(notebook):
    """A cell that presses `set_x` after its run button re-runs whenever a cell reading `get_x`
    redefines something it uses; unless its button is re-created by that too (and so reads False
    again), marimo runs it again with the button still pressed: an endless loop (the workbench's
    ingest and sync cells did this through `event_id`)."""
    cells = _cells(notebook)
    definer = {name: cell for cell, c in cells.items() for name in c["defs"]}

    def downstream(start: set[str]) -> set[str]:
        seen, todo = set(start), list(start)
        while todo:
            defs = cells[todo.pop()]["defs"]
            for other, c in cells.items():
                if other not in seen and c["refs"] & defs:
                    seen.add(other)
                    todo.append(other)
        return seen

    problems = []
    for name, c in cells.items():
        for setter in sorted(r for r in c["refs"] if r.startswith("set_")):
            getter = "get_" + setter[4:]
            # marimo never re-runs a cell through a state it set itself (no self loops): the job
            # panel reads and sets its own memory; only a path through another cell counts.
            refreshed = downstream({n for n, o in cells.items() if getter in o["refs"] and n != name})
            if name not in refreshed:
                continue
            buttons = {r for r in c["refs"] if r in definer and r in cells[definer[r]]["buttons"]}
            stale = sorted(b for b in buttons if definer[b] not in refreshed)
            if not buttons or stale:
                problems.append(f"{name} calls {setter} but re-runs after {getter} changes, with "
                                f"{stale or 'no button'} still pressed")
    assert not problems, problems


# --- what the notebooks show on the demo event -------------------------------------------------------


def test_workbench_sync_table_carries_units(notebook_page, rendered_demo):
    truth = rendered_demo["truth"]
    rows = {r["angle_type"]: r for r in _table(notebook_page("workbench.py"), "Sync per angle")}
    closeup = rows["closeup"]
    assert closeup["sync_offset_s"] == fmt.seconds(truth["angles"]["closeup"]["offset_s"], signed=True) == "+7.250 s"
    assert closeup["sync_drift_ppm"] == "+60 ppm" and closeup["sync_confidence"] == "1.00"
    assert rows["crowd"]["sync_offset_s"] == "-2.350 s"
    assert rows["wide"]["sync_offset_s"] == "+0.000 s"  # the reference: never 0.0000000000000000


def test_workbench_feature_and_timeline_tables_carry_units(notebook_page):
    page = notebook_page("workbench.py")
    per_angle = _table(page, "Per angle")
    assert all(re.fullmatch(r"\d+\.\d", r["mean_action"]) and r["speech_share"].endswith("%") for r in per_angle)
    windows = _table(page, "Windows")
    assert re.fullmatch(r"\d+:\d\d\.\d", windows[0]["t_event_s"])
    usage = _table(page, "Angle usage")
    assert all(r["share_pct"].endswith("%") and r["mean_shot_s"].endswith(" s") for r in usage)
    chapters = _table(page, "Chapters")
    assert chapters[0]["timestamp_ms"] == "0:00.0"
    angles = _table(page, "Angles")
    assert all(re.fullmatch(r"\d+:\d\d\.\d", r["duration_s"]) for r in angles)


@pytest.mark.parametrize("notebook, label", [("organizer.py", "Sponsor products shown in the ad breaks"),
                                             ("workbench.py", "Products in the ad breaks")])
def test_sponsor_picker_puts_its_label_above_and_prices_in_the_options(notebook_page, notebook, label):
    """Beside the control, the chosen products squeezed the label to a word per line: full width
    puts marimo's label above it (the browser test below measures the rendered lines)."""
    page = notebook_page(notebook)
    picker = [a for a in _elements(page, "marimo-multiselect") if label in a["data-label"]]
    assert len(picker) == 1 and json.loads(picker[0]["data-full-width"]) is True
    assert any(o.endswith(" USD") for o in json.loads(picker[0]["data-options"]))


@pytest.mark.parametrize("notebook", ["organizer.py", "workbench.py"])
def test_products_import_control_is_offered(notebook_page, notebook):
    page = notebook_page(notebook)
    uploads = [a for a in _elements(page, "marimo-file") if "Shopify product CSV" in a.get("data-label", "")]
    assert len(uploads) == 1 and json.loads(uploads[0]["data-filetypes"]) == [".csv"]
    assert any("Import products" in a.get("data-label", "") for a in _elements(page, "marimo-button"))


# --- the report on variations of the demo event (a copy of its catalog: the report needs no media) ---


@pytest.fixture
def report_home(rendered_demo, tmp_path):
    cat = rendered_demo["cat"]
    cat.close()
    try:
        home = tmp_path / "home"
        home.mkdir()
        shutil.copy2(cat.path, home / "catalog.duckdb")
    finally:
        rendered_demo["cat"] = type(cat)(cat.path)
    return home, rendered_demo["demo"]


def _report(home: Path, event_id: str, out: Path) -> str:
    assert anchor(["--home", str(home), "report", event_id, "--out", str(out)]) == 0
    return out.read_text()


def _section(page: str, heading: str) -> str:
    return page.split(f">{heading}</h2>")[1].split("</table>")[0]


def test_report_tables_carry_units_and_list_the_reel(report_home, tmp_path, capsys):
    from anchor_core.catalog import Catalog
    from anchor_core.reels.store import record_reel

    home, demo = report_home
    with Catalog(home / "catalog.duckdb") as cat:
        record_reel(cat, reel_id="reel_test00000001", event_id=demo.event_id, query="goal celebration",
                    vibe="emotional", duration_s=20.0, object_key="outputs/reel_test00000001/reel.mp4", moments=[])
    page = _report(home, demo.event_id, tmp_path / "report.html")
    sync = _section(page, "Sync quality")
    assert "+7.250 s" in sync and "+60 ppm" in sync and "-2.350 s" in sync and "1.00" in sync
    assert "0.000000" not in sync
    outputs = _section(page, "Outputs")
    reel_row = next(r for r in outputs.split("<tr>") if "reel_test00000001" in r)
    for cell in ("reel", "0:20.0", "goal celebration", "emotional", "outputs/reel_test00000001/reel.mp4"):
        assert f"<td>{cell}</td>" in reel_row, (cell, reel_row)
    assert "<td>master</td>" in outputs
    assert re.search(r"<td>\d+\.\d\d USD</td>", _section(page, "Sponsor products"))
    assert "<td>0:00.0</td>" in page.split(">Segments</h3>")[1].split("</table>")[0]


def _save_sync(home: Path, demo, *, synced: dict[str, dict]) -> None:
    """Sync rows as `anchor sync` writes them: the wide angle is the reference; `synced` maps the
    other angles that were placed to their stored detail; the rest could not be synced."""
    from anchor_core.catalog import Catalog
    from anchor_core.sync.model import SyncResult
    from anchor_core.sync.store import save_sync

    names = list(demo.videos)
    results = []
    for name in names:
        if name == "wide":
            results.append(SyncResult(name, 0.0, 0.0, 1.0, "synced", method="reference", reference=True))
        elif name in synced:
            results.append(SyncResult(name, 7.25, 60.0, 0.9, "synced", method="gcc-phat", detail=synced[name]))
        else:
            results.append(SyncResult(name, 0.0, 0.0, 0.0, "unsynced", "it overlaps no other recording"))
    with Catalog(home / "catalog.duckdb") as cat:
        save_sync(cat, demo.event_id, [demo.videos[n] for n in names], results)


@pytest.mark.parametrize("synced, note", [
    ({}, "Only the reference angle"),  # one synced angle: the clock alone
    ({"closeup": {}, "crowd": {}}, "No correlation lags are stored"),  # synced by hand or through another
])
def test_report_says_why_there_is_no_sync_plot(report_home, tmp_path, capsys, synced, note):
    home, demo = report_home
    _save_sync(home, demo, synced=synced)
    sync = _report(home, demo.event_id, tmp_path / "report.html").split(">Sync quality</h2>")[1].split("<h2")[0]
    assert 'alt="sync"' not in sync  # no empty chart
    assert note in sync


def test_report_plots_the_angles_that_have_correlation_data(report_home, tmp_path, capsys):
    home, demo = report_home
    curve = {"lags_s": [7.2, 7.25, 7.3], "corr": [0.0, 1.0, 0.0], "peak_s": 7.25}
    _save_sync(home, demo, synced={"closeup": curve})
    sync = _report(home, demo.event_id, tmp_path / "report.html").split(">Sync quality</h2>")[1].split("<h2")[0]
    assert 'alt="sync"' in sync and "No correlation" not in sync


# --- viz: the plots behind those sections --------------------------------------------------------------


def test_timeline_figure_keeps_its_title_when_chapters_are_labelled():
    from anchor_core import viz

    segments = pl.DataFrame({"start_ms": [0, 5000], "end_ms": [5000, 9000], "video_id": ["a", "b"]})
    angles = pl.DataFrame({"video_id": ["a", "b"], "angle_type": ["wide", "closeup"]})
    chapters = pl.DataFrame({"timestamp_ms": [0, 5000], "title": ["Kickoff", "Big cheer"], "kind": ["start", "x"]})
    fig = viz.timeline_figure(segments, angles, chapters=chapters, title="Demo match · timeline")
    assert fig.axes[0].get_title() == "Demo match · timeline"  # not the last chapter's title
    assert viz.timeline_figure(segments, angles, chapters=chapters).axes[0].get_title() == "timeline"


def test_sync_plot_rows_skip_the_reference_and_angles_without_data():
    from anchor_core import viz

    ref = {"label": "wide", "reference": True, "offset_s": 0.0, "status": "synced"}
    curve = {"label": "closeup", "lags_s": [0.1, 0.2], "corr": [0.2, 0.9], "peak_s": 0.2, "status": "synced"}
    windows = {"label": "crowd", "window_t_s": [1.0, 50.0], "window_offset_s": [-2.35, -2.352], "status": "synced"}
    bare = {"label": "goal", "status": "synced"}
    assert viz.sync_plot_rows([ref, curve, windows, bare]) == [curve, windows]
    assert viz.sync_plot_note([ref, curve]) is None
    fig = viz.sync_figure([ref, curve, windows, bare])
    assert len(fig.axes) == 4  # two rows of two panels: the reference and the bare angle are left out
    assert "Only the reference" in viz.sync_plot_note([ref])
    assert "No correlation lags" in viz.sync_plot_note([ref, bare])
    assert "Add and sync another angle" in viz.sync_plot_note([ref])
    assert "says why the other angles" in viz.sync_plot_note([ref, dict(bare, status="unsynced")])
    assert "anchor sync" in viz.sync_plot_note([])


# --- the products upload behind the import controls --------------------------------------------------


CSV_HEADER = "Handle,Title,Body (HTML),Vendor,Variant Price,Status\n"


def test_products_upload_imports_for_the_event_and_removes_its_temp_file(settings, catalog, store):
    from anchor_core.catalog import events as events_repo
    from anchor_core.products_upload import import_products_upload, import_summary_html

    event = events_repo.create_event(catalog, "Cup final", "sports")
    csv = (CSV_HEADER + "scarf,Team Scarf,<p>warm</p>,Terrace Co,24.50,active\n"
           "old-cap,Old Cap,,Terrace Co,9.00,draft\n").encode()
    report = import_products_upload(catalog, store, settings, filename="products_export.csv", contents=csv,
                                    event_id=event.id)
    assert len(report.product_ids) == 1
    assert len(report.skipped) == 1 and "old-cap" in str(report.skipped[0])
    assert list(settings.tmp_root.iterdir()) == []  # the upload's folder is gone
    summary = import_summary_html(report, filename="products_export.csv")
    assert "Imported <b>1</b> product " in summary and "old-cap" in summary


def test_products_upload_refuses_big_empty_and_non_csv_files_before_writing(settings, catalog, store):
    from anchor_core.errors import ValidationError
    from anchor_core.products_upload import import_products_upload

    for name, contents, why in [("p.csv", b"x" * 101, "limit"), ("p.csv", b"  \n", "empty"),
                                ("p.xlsx", b"Handle,Title\n", "not a .csv")]:
        with pytest.raises(ValidationError, match=why):
            import_products_upload(catalog, store, settings, filename=name, contents=contents, event_id=None,
                                   max_bytes=100)
    assert not settings.tmp_root.exists() or list(settings.tmp_root.iterdir()) == []


def test_products_upload_cleans_up_when_the_import_fails(settings, catalog, store, monkeypatch):
    import anchor_core.products_upload as upload

    seen = []

    def failing(cat, st, path, **kwargs):
        seen.append((Path(path), Path(path).read_bytes(), kwargs))
        raise RuntimeError("boom")

    monkeypatch.setattr(upload, "import_shopify_csv", failing)
    with pytest.raises(RuntimeError):
        upload.import_products_upload(catalog, store, settings, filename="../../evil.csv", contents=b"Handle\n",
                                      event_id="evt_1")
    path, contents, kwargs = seen[0]
    assert path.name == "products.csv" and settings.tmp_root.resolve() in path.resolve().parents
    assert contents == b"Handle\n" and kwargs == {"event_id": "evt_1"}
    assert not path.parent.exists()


def test_import_summary_escapes_the_files_text_and_lists_warnings():
    from types import SimpleNamespace

    from anchor_core.products_upload import import_summary_html

    report = SimpleNamespace(product_ids=["prd_1", "prd_2"], skipped=["row 3 (<script>x</script>): status draft"],
                             warnings=["2 rows [x](javascript:alert(1)) had no price"])
    page = import_summary_html(report, filename="<b>p</b>.csv")  # type: ignore[arg-type]
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;p&lt;/b&gt;.csv" in page
    assert "Imported <b>2</b> products" in page and "<li>2 rows [x](javascript:alert(1)) had no price</li>" in page


# --- a browser: the organizer's sponsor label stays on one line, and an upload imports ----------------


@pytest.fixture
def served_fresh_home(tmp_path):
    """`anchor serve` over a new home with one event whose four long-named sponsors are chosen."""
    from anchor_core.catalog import Catalog
    from anchor_core.catalog import events as events_repo
    from anchor_core.catalog import products as products_repo
    from anchor_core.config import load_settings
    from anchor_core.store import LocalStore

    settings = load_settings(tmp_path / "home", env={})
    with Catalog(settings.catalog_path) as cat:
        event = events_repo.create_event(cat, "Cup final", "sports")
        ids = [products_repo.upsert_product(cat, source="csv", external_id=f"p{i}", title=f"Sponsor product {i}"
                                            f" with a rather long name", vendor=f"Vendor {i}", price=10.0 + i,
                                            currency="USD").id for i in range(4)]
        products_repo.select_for_event(cat, event.id, ids)
    LocalStore(settings.store_root)
    pw = tmp_path / "pw"
    pw.write_text("open sesame")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "anchor_core.cli", "--home", str(settings.home), "serve",
                             "--port", str(port), "--password-file", str(pw)], env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(base + "/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield base, event.id, tmp_path
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=15)


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="Debian chromium is not installed (.ci/run installs it)")
def test_organizer_sponsor_label_is_one_line_and_a_csv_upload_imports(served_fresh_home):
    from playwright.sync_api import expect, sync_playwright

    from tests.test_browser import _browser

    base, event_id, tmp = served_fresh_home
    csv = tmp / "products_export.csv"
    csv.write_text(CSV_HEADER + "scarf,Team Scarf,<p>warm</p>,Terrace Co,24.50,active\n"
                                "old-cap,Old Cap,,Terrace Co,9.00,draft\n")
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(http_credentials={"username": "anchor", "password": "open sesame"},
                                viewport={"width": 1200, "height": 900})
        page.goto(f"{base}/organizer/?event={event_id}")
        label = page.get_by_text("Sponsor products shown in the ad breaks", exact=True)
        expect(label).to_be_visible(timeout=60_000)
        lines = label.evaluate("""el => {  // the text's line boxes (the label itself is a block: one rect)
            const range = document.createRange();
            range.selectNodeContents(el);
            return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
        }""")
        assert lines == 1, f"the sponsor label wraps over {lines} lines"

        page.locator("marimo-file input[type='file']").set_input_files(str(csv))
        page.get_by_role("button", name="Import products").click()
        summary = page.locator("p.anchor-import")
        expect(summary).to_contain_text("Imported 1 product", timeout=30_000)
        expect(page.get_by_text("old-cap", exact=False).first).to_be_visible()
        page.wait_for_timeout(2000)  # the refresh it triggers must not run the import again (or clear it)
        expect(summary).to_have_count(1)
        expect(summary).to_contain_text("Imported 1 product")
        # the sponsor list re-read the catalog: the new product is offered
        expect(page.locator("marimo-multiselect").first).to_have_attribute("data-options", re.compile("Team Scarf"))
        browser.close()


# --- the job panel both notebooks show (anchor_app.jobs_panel), on a real catalog's jobs ------------


def _jobs_event(catalog) -> str:
    from anchor_core.catalog import events as events_repo

    return events_repo.create_event(catalog, "Panel night", "sports").id


def _job_rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r"class='anchor-job' data-job-id='([^']+)' data-status='([^']+)'", page)


def test_job_panel_shows_a_progress_bar_per_active_job_and_the_outcome_of_finished_ones(settings, catalog):
    import marimo as mo

    from anchor_app import jobs_panel
    from anchor_core.jobs import store as job_store
    from anchor_core.jobs import submit_job

    event = _jobs_event(catalog)
    running, _ = submit_job(catalog, "prepare", {"event": event})
    job_store.claim(catalog, "worker:test:1:", job_id=running.id)
    job_store.set_progress(catalog, running.id, 0.37, "analyze: wide.mp4")
    done, _ = submit_job(catalog, "sync", {"event": event})
    job_store.claim(catalog, "worker:test:1:", job_id=done.id)
    job_store.finish(catalog, done.id, result={"event_id": event, "angles": [{"video_id": "a"}, {"video_id": "b"}]})
    failed, _ = submit_job(catalog, "render", {"event": event})
    job_store.claim(catalog, "worker:test:1:", job_id=failed.id)
    job_store.finish(catalog, failed.id, error="no timeline <yet>; run `anchor timeline build` first")
    catalog.close()  # the panel opens the catalog itself, for a moment per read

    snap = jobs_panel.read(settings, event)
    page = mo.as_html(jobs_panel.panel(snap)).text
    assert _job_rows(page) == [(failed.id, "failed"), (done.id, "done"), (running.id, "running")]
    bars = _elements(page, "marimo-progress")
    assert len(bars) == 1 and bars[0]["data-progress"] == "37" and bars[0]["data-total"] == "100"
    assert json.loads(bars[0]["data-subtitle"]) == "analyze: wide.mp4"
    assert "2 angle(s)" in page
    (callout,) = _elements(page, "marimo-callout-output")  # the failed job's error, escaped, in red
    assert json.loads(callout["data-kind"]) == "danger"
    assert "no timeline &lt;yet&gt;" in json.loads(callout["data-html"]) and failed.id in callout["data-html"]
    assert "No worker seems to be running" not in page  # something runs
    assert jobs_panel.actionable_jobs(snap) == ((failed.id, "render", "failed"), (running.id, "prepare", "running"))
    buttons = _elements(mo.as_html(jobs_panel.actions(settings, jobs_panel.actionable_jobs(snap)).hstack()).text,
                        "marimo-button")  # (that a click cancels or retries: tests/test_browser_jobs.py)
    labels = [re.sub(r"<[^>]+>", "", json.loads(b["data-label"])) for b in buttons]
    assert labels == [f"Retry Render ({failed.id[-6:]})", f"Cancel Analyse ({running.id[-6:]})"]


def test_job_panel_says_no_worker_runs_only_when_a_job_waits_unrun_for_seconds(settings, catalog):
    import dataclasses

    import marimo as mo

    from anchor_app import jobs_panel
    from anchor_core.jobs import submit_job

    event = _jobs_event(catalog)
    queued, _ = submit_job(catalog, "prepare", {"event": event})
    catalog.close()
    snap = jobs_panel.read(settings, event)
    assert "No worker seems to be running" not in mo.as_html(jobs_panel.panel(snap)).text  # just queued
    later = dataclasses.replace(snap, now=queued.updated_at + __import__("datetime").timedelta(seconds=6))
    page = mo.as_html(jobs_panel.panel(later)).text
    assert "No worker seems to be running" in page and f"anchor --home {settings.home} worker" in page
    busy = dataclasses.replace(later, anything_running=True)  # the worker is busy with another event's job
    assert "No worker seems to be running" not in mo.as_html(jobs_panel.panel(busy)).text


def test_job_watch_reports_a_newly_finished_job_once_and_button_changes(settings, catalog):
    from anchor_app import jobs_panel
    from anchor_core.jobs import request_cancel, retry_job, submit_job
    from anchor_core.jobs import store as job_store

    event = _jobs_event(catalog)
    old, _ = submit_job(catalog, "sync", {"event": event})
    job_store.claim(catalog, "w:h:1:", job_id=old.id)
    job_store.finish(catalog, old.id, result={})
    watch = jobs_panel.Watch()

    def tick():
        snap, newly, changed = watch.tick(settings, event)
        assert watch.last is snap
        return newly, changed

    assert tick() == (frozenset(), False)  # the first look only records what had finished before
    job, _ = submit_job(catalog, "reel", {"event": event})
    assert tick() == (frozenset(), True)  # a Cancel button appears
    assert tick() == (frozenset(), False)
    job_store.claim(catalog, "w:h:1:", job_id=job.id)
    assert tick() == (frozenset(), True)  # queued -> running
    job_store.finish(catalog, job.id, error="boom")
    assert tick() == (frozenset({"reel"}), True)  # the reel view re-reads once; Cancel becomes Retry
    assert tick() == (frozenset(), False)
    retry_job(catalog, job.id)
    assert tick() == (frozenset(), True)
    request_cancel(catalog, job.id)  # a queued job is cancelled at once
    assert tick() == (frozenset({"reel"}), True)
