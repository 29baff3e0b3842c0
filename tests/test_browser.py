"""A real browser (Debian's chromium, driven by Playwright) against `anchor serve`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (.ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served_demo(rendered_demo, tmp_path):
    cat = rendered_demo["cat"]
    cat.close()  # the server process owns the catalog while it runs
    pw = tmp_path / "pw"
    pw.write_text("open sesame")
    port = _free_port()
    cmd = [sys.executable, "-m", "anchor_core.cli", "--home", str(rendered_demo["home"]), "serve",
           "--port", str(port), "--password-file", str(pw)]
    proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(base + "/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield base, rendered_demo
    proc.terminate()
    proc.wait(timeout=15)
    rendered_demo["cat"] = type(cat)(cat.path)


def _browser(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"])


def test_organizer_app_logs_in_and_shows_the_event_and_master(served_demo):
    from playwright.sync_api import expect, sync_playwright

    base, demo = served_demo
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(http_credentials={"username": "anchor", "password": "open sesame"})
        page.goto(f"{base}/organizer/?event={demo['demo'].event_id}")
        expect(page.get_by_text("Demo match").first).to_be_visible(timeout=60_000)
        expect(page.locator("video").first).to_be_attached(timeout=30_000)
        src = page.locator("video").first.get_attribute("src")
        assert src and src.endswith(f"outputs/{demo['demo'].event_id}/master.mp4")
        # The player's file comes through the same guard, with range requests for seeking.
        r = page.request.get(base + src, headers={"Range": "bytes=0-99"})
        assert r.status == 206 and len(r.body()) == 100
        page.screenshot(path=str(ARTIFACTS / "organizer.png"), full_page=True)
        browser.close()


def test_wrong_password_is_refused_in_the_browser(served_demo):
    from playwright.sync_api import sync_playwright

    base, _ = served_demo
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(http_credentials={"username": "anchor", "password": "guess"})
        response = page.goto(f"{base}/organizer/")
        assert response is not None and response.status == 401
        ws_state = page.evaluate("""url => new Promise(resolve => {
            const ws = new WebSocket(url);
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('refused');
            ws.onclose = () => resolve('refused');
        })""", base.replace("http", "ws") + "/organizer/ws?session_id=x")
        assert ws_state == "refused"
        browser.close()
