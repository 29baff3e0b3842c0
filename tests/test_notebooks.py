"""The marimo notebooks: lint clean, run headless on the demo event, export an offline report,
and the server refuses strangers on HTTP and on the websocket."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from anchor_core.cli import main as anchor

NB = Path(__file__).resolve().parent.parent / "notebooks"


def test_marimo_check_passes_on_every_notebook():
    # notebooks/ holds marimo notebooks only (the server and the exporter live in anchor_app/).
    proc = subprocess.run([sys.executable, "-m", "marimo", "check", "--strict", str(NB)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("notebook", ["report.py", "organizer.py", "workbench.py"])
def test_notebook_runs_headless_on_the_demo_event(rendered_demo, notebook):
    cat = rendered_demo["cat"]
    cat.close()  # the notebook process opens the catalog itself
    try:
        proc = subprocess.run([sys.executable, str(NB / notebook), "--event", rendered_demo["demo"].event_id,
                               "--home", str(rendered_demo["home"])], capture_output=True, text=True, timeout=120)
    finally:
        rendered_demo["cat"] = type(cat)(cat.path)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_report_exports_one_offline_html_with_plots_and_full_tables(rendered_demo, tmp_path, capsys):
    from tests.demo_event import SEGMENTS

    cat = rendered_demo["cat"]
    cat.close()
    try:
        out = tmp_path / "report.html"
        assert anchor(["--home", str(rendered_demo["home"]), "report", rendered_demo["demo"].event_id,
                       "--out", str(out)]) == 0
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
