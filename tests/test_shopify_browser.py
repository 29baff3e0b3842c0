"""A real browser (Debian's chromium, driven by Playwright) against `anchor serve` and the loopback
fake Shopify: an organizer connects a store through the fake consent page, the server's worker
syncs its products, the organizer sees them with their images, picks two, and the ads made next
use those two in that order."""

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

from anchor_core.catalog import Catalog
from anchor_core.catalog import events as events_repo
from anchor_core.catalog import products as products_repo
from anchor_core.shopify.crypto import new_key, write_key_file
from tests.shopify_fake import FakeShopify

CHROMIUM = os.environ.get("ANCHOR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "brand sesame"
SHOP = "browser-brand.myshopify.com"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: `make test` finds or installs it (scripts/ensure-chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timeline(slots: int):
    from anchor_core.timeline.model import AdSlot, Segment, Timeline

    return Timeline(duration_ms=20_000, segments=(Segment(0, 20_000, "vid_x", "wide", 1.0),), zooms=(),
                    ad_slots=tuple(AdSlot(2000 + 5000 * k, 1000, 80.0) for k in range(slots)), chapters=(),
                    beat_synced=False, strategy="hysteresis", profile_name="sports", profile_version=1,
                    inputs_hash="test", timeline_id="tl_test")


def test_an_organizer_connects_a_store_picks_two_products_and_the_ads_use_them(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    home = tmp_path / "home"
    with Catalog(home / "catalog.duckdb") as cat:
        event = events_repo.create_event(cat, "Brand night", "concert")
    (tmp_path / "pw").write_text(PASSWORD)
    write_key_file(tmp_path / "keys", [new_key()])
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with FakeShopify() as fake:
        fake.add_shop(SHOP)
        for title in ("Trail Shoe", "Rain Jacket", "Water Bottle", "Wool Socks", "Head Torch", "Camp Mug"):
            fake.add_product(SHOP, title)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "ANCHOR_TOKEN"))},
               **fake.env(base), "ANCHOR_TOKEN_KEYS_FILE": str(tmp_path / "keys")}
        proc = subprocess.Popen([sys.executable, "-m", "anchor_core.cli", "--home", str(home), "serve", "--port",
                                 str(port), "--password-file", str(tmp_path / "pw")], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            for _ in range(150):
                try:
                    httpx.get(base + "/", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            ARTIFACTS.mkdir(exist_ok=True)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-quic"])
                page = browser.new_page(http_credentials={"username": "anchor", "password": PASSWORD},
                                        viewport={"width": 1300, "height": 1000})
                page.goto(f"{base}/organizer/?event={event.id}")
                shop_field = page.get_by_test_id("shopify-shop")
                expect(shop_field).to_be_visible(timeout=90_000)
                shop_field.fill(SHOP)
                page.get_by_test_id("shopify-connect").click()
                # Shopify's consent page (the fake's), then back through the callback
                install = page.get_by_text("Install app")
                expect(install).to_be_visible(timeout=30_000)
                assert page.url.startswith(fake.base + f"/shops/{SHOP}/admin/oauth/authorize")
                install.click()
                expect(page.get_by_text(f"{SHOP} is connected")).to_be_visible(timeout=30_000)
                page.locator("#back").click()
                store_row = page.get_by_test_id("shopify-store")
                try:
                    expect(store_row).to_be_visible(timeout=90_000)
                except AssertionError:
                    page.screenshot(path=str(ARTIFACTS / "shopify-panel-failed.png"), full_page=True)
                    raise
                expect(store_row).to_have_attribute("data-state", "active")
                cards = page.get_by_test_id("shopify-product")
                expect(cards).to_have_count(6, timeout=90_000)  # the worker's sync finished: the grid filled
                expect(store_row).to_contain_text("6 products", timeout=30_000)
                imgs = cards.locator("img")  # (the widget lives in a shadow root: locators pierce it)
                expect(imgs).to_have_count(6)
                deadline = time.monotonic() + 30
                while not imgs.evaluate_all("els => els.every(i => i.complete && i.naturalWidth > 0)"):
                    assert time.monotonic() < deadline, "the product images did not load"
                    time.sleep(0.2)
                assert all(src.startswith("/shopify/api/products/") for src in
                           imgs.evaluate_all("els => els.map(i => i.getAttribute('src'))"))
                page.get_by_test_id("shopify-search").fill("SOCK")  # the search narrows the grid
                expect(cards).to_have_count(1, timeout=10_000)
                expect(cards).to_contain_text("Wool Socks")
                page.get_by_test_id("shopify-search").fill("")
                expect(cards).to_have_count(6, timeout=10_000)
                cards.filter(has_text="Wool Socks").click()
                cards.filter(has_text="Rain Jacket").click()
                expect(page.get_by_test_id("shopify-chosen").locator("li")).to_have_text(["Wool SocksRemove",
                                                                                           "Rain JacketRemove"])
                page.get_by_test_id("shopify-save").click()
                expect(page.get_by_test_id("shopify-note")).to_contain_text("Saved 2 sponsor product(s)")
                page.get_by_test_id("shopify-grid").scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACTS / "shopify-panel.png"), full_page=True)
                browser.close()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        served_log = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        issued = fake.tokens_issued()
    # The next render's ads: the ad generator cycles through the two, in the order picked.
    from anchor_core.ads import list_ads, make_ad_breaks
    from anchor_core.config import load_settings
    from anchor_core.media import OutputFormat
    from anchor_core.store import LocalStore

    settings = load_settings(home, env={})
    with Catalog(home / "catalog.duckdb") as cat:
        chosen = products_repo.event_products(cat, event.id)
        assert [p.title for p in chosen] == ["Wool Socks", "Rain Jacket"]
        store = LocalStore(settings.store_root)
        breaks = make_ad_breaks(cat, store, settings, event.id, _timeline(3), {},
                                OutputFormat(width=320, height=180, fps=25.0, preset="ultrafast"))
        assert len(breaks) == 3
        ads = list_ads(cat, event.id).sort("slot_idx")
        assert ads["title"].to_list() == ["Wool Socks", "Rain Jacket", "Wool Socks"]
    for token in issued:  # nothing the fake issued shows in what the server printed or logged
        assert token not in served_log
        for f in home.rglob("*"):
            if f.is_file() and f.suffix in (".log", ".duckdb", ".wal", ".txt", ".json"):
                assert token.encode() not in f.read_bytes(), f
