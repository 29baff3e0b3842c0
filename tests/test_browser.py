"""A real browser (Debian's chromium, driven by Playwright) against `anchor serve`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("ANCHOR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: `make test` finds or installs it (scripts/ensure-chromium)")


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
    # Its own process group: `anchor serve` becomes `python -m anchor_app.serve`; anything it starts must go too.
    proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(base + "/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield base, rendered_demo
    os.killpg(proc.pid, signal.SIGTERM)
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


def test_workbench_profile_slider_rescores_timeline_live(served_demo):
    """Moving a profile slider in the browser re-builds the timeline: new statistics, new plot."""
    from playwright.sync_api import expect, sync_playwright

    base, demo = served_demo
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(http_credentials={"username": "anchor", "password": "open sesame"},
                                viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/workbench/?event={demo['demo'].event_id}")
        stats = page.locator("#tl-stats")
        expect(stats).to_be_visible(timeout=90_000)  # the kernel runs every cell first
        cell = page.locator(".marimo-cell", has=stats)  # the live_timeline cell's output: plot, stats, tables
        plot = cell.locator("img").first
        expect(plot).to_be_visible(timeout=30_000)
        before_text = stats.inner_text()
        before_srcs = cell.locator("img").evaluate_all("els => els.map(e => e.getAttribute('src'))")
        assert "segments" in before_text and before_srcs[0].startswith("data:image/png")
        # A 15 s minimum shot keeps fewer, longer shots on the demo event.
        slider = page.locator("marimo-slider[data-label*='Min shot']").get_by_role("slider")
        expect(slider).to_be_visible()
        slider.scroll_into_view_if_needed()  # the app scrolls inside its own div: shoot the editor and plot
        page.screenshot(path=str(ARTIFACTS / "workbench-before.png"))

        # Time in the page: from the key reaching the document to the stats text, then the plot, changing
        # (checked every frame; the plot's <img> sits in a shadow root of marimo's mime renderer).
        page.evaluate("""([textBefore, srcBefore]) => {
            const tl = window.__tl = {pressed: null, stats: null, plot: null};
            const plotSrc = () => {
                const stack = [document.querySelector('#tl-stats')?.closest('.marimo-cell')];
                while (stack.length) {
                    const n = stack.pop();
                    if (!n) continue;
                    if (n.tagName === 'IMG') return n.getAttribute('src');
                    if (n.shadowRoot) stack.push(n.shadowRoot);
                    stack.push(...n.children);
                }
                return null;
            };
            document.addEventListener('keydown', () => { if (tl.pressed === null) tl.pressed = performance.now(); },
                                      true);
            const poll = () => {
                if (tl.pressed !== null) {
                    const s = document.querySelector('#tl-stats');
                    if (tl.stats === null && s && s.innerText !== textBefore) tl.stats = performance.now();
                    const src = plotSrc();
                    if (tl.plot === null && src && src !== srcBefore) tl.plot = performance.now();
                }
                if (tl.stats === null || tl.plot === null) requestAnimationFrame(poll);
            };
            requestAnimationFrame(poll);
        }""", [before_text, before_srcs[0]])

        slider.focus()
        slider.press("End")
        expect(slider).to_have_attribute("aria-valuenow", "15")
        expect(stats).not_to_have_text(before_text, timeout=60_000)
        expect(plot).not_to_have_attribute("src", before_srcs[0], timeout=60_000)
        after_text = stats.inner_text()
        after_srcs = cell.locator("img").evaluate_all("els => els.map(e => e.getAttribute('src'))")
        assert after_text != before_text and after_srcs != before_srcs
        assert int(after_text.split()[0]) < int(before_text.split()[0]), (before_text, after_text)
        page.wait_for_function("() => window.__tl.stats !== null && window.__tl.plot !== null", timeout=10_000)
        tl = page.evaluate("() => window.__tl")
        ms = tl["stats"] - tl["pressed"]
        print(f"workbench slider → timeline update: {ms:.0f} ms")
        print(f"  plot image replaced after {tl['plot'] - tl['pressed']:.0f} ms; {before_text} → {after_text}")
        import re

        cell_ms = re.search(r"rebuilt and drawn in (\d+) ms", cell.inner_text())
        print(f"  of which the cell's own work (timeline + plot): {cell_ms.group(1) if cell_ms else '?'} ms")
        page.screenshot(path=str(ARTIFACTS / "workbench-after.png"))
        browser.close()
