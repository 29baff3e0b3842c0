"""`anchor serve` with Shopify (issue 17): the organizer password stays on everything except
exactly /shopify/install, /shopify/callback and /shopify/webhooks[/topic] (Shopify and the brand's
browser have no password; HMAC and the state nonce guard those), with the methods they need."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from anchor_app.serve import build_app
from anchor_core.shopify.crypto import new_key, write_key_file
from tests.shopify_fake import FakeShopify, webhook_hmac

PASSWORD = "shop sesame"
SHOP = "served-brand.myshopify.com"
GUARD_TEXT = "log in (user anchor)"  # what the password guard answers


@pytest.fixture
def served(tmp_path: Path, monkeypatch):
    with FakeShopify() as fake:
        write_key_file(tmp_path / "keys", [new_key()])
        for k, v in {**fake.env("http://127.0.0.1:8000"), "ANCHOR_HOME": str(tmp_path / "home"),
                     "ANCHOR_TOKEN_KEYS_FILE": str(tmp_path / "keys")}.items():
            monkeypatch.setenv(k, v)
        client = TestClient(build_app(PASSWORD), base_url="http://127.0.0.1:8000")
        yield client, fake
        client.close()


def _basic() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"anchor:{PASSWORD}".encode()).decode()}


def test_shopify_reaches_install_callback_and_webhooks_without_the_password(served):
    client, fake = served
    fake.add_shop(SHOP, 2)
    r = client.get("/shopify/install", params={"shop": SHOP}, follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith(fake.base)
    state = parse_qs(urlsplit(r.headers["location"]).query)["state"][0]
    approved = httpx.get(fake.approve_url(r.headers["location"]), follow_redirects=False)
    back = urlsplit(approved.headers["location"])
    assert back.path == "/shopify/callback" and parse_qs(back.query)["state"] == [state]
    r = client.get("/shopify/callback?" + back.query)
    assert r.status_code == 200 and f"{SHOP} is connected" in r.text
    assert "set-cookie" not in r.headers  # no organizer session was handed out
    body = b'{"id": 1}'
    r = client.post("/shopify/webhooks", content=body, headers={
        "X-Shopify-Topic": "customers/data_request", "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Event-Id": "e1",
        "X-Shopify-Hmac-Sha256": webhook_hmac(fake.secret, body)})
    assert r.status_code == 200
    r = client.post("/shopify/webhooks/customers/redact", content=body, headers={
        "X-Shopify-Topic": "customers/redact", "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Event-Id": "e2",
        "X-Shopify-Hmac-Sha256": "forged"})
    assert r.status_code == 401 and GUARD_TEXT not in r.text  # our HMAC check said no, not the password guard
    # a forged callback reaches the checks too, and is refused by them
    r = client.get("/shopify/callback?shop=" + SHOP + "&state=x&timestamp=1&hmac=00")
    assert r.status_code == 401 and "signature" in r.text


@pytest.mark.parametrize("method,path", [
    ("GET", "/shopify/api/stores"), ("GET", "/shopify/api/products"), ("PUT", "/shopify/api/events/e/sponsors"),
    ("POST", "/shopify/api/stores/shp_1/sync"), ("GET", "/organizer/"), ("GET", "/"), ("GET", "/media/x"),
    ("POST", "/api/uploads"), ("GET", "/shopify/callback/"), ("GET", "/shopify/callbackx"),
    ("GET", "/shopify/install/"), ("GET", "/shopify/installx"), ("GET", "/shopify/webhooks"),
    ("POST", "/shopify/install"), ("POST", "/shopify/callback"), ("POST", "/shopify/webhooksx"),
    ("POST", "/shopify/webhooks/../api/stores"), ("POST", "/shopify/webhooks/a/b/c"), ("POST", "/shopify/webhooks/"),
    ("GET", "/shopify/webhooks/app/uninstalled"), ("GET", "/SHOPIFY/install"), ("GET", "/shopify//install"),
    ("GET", "/shopify/api/products/prd_1/image"),
])
def test_everything_else_stays_behind_the_password(served, method, path):
    client, _ = served
    r = client.request(method, path, follow_redirects=False)
    assert r.status_code == 401 and GUARD_TEXT in r.text, (method, path, r.status_code)


def test_the_panel_api_answers_with_the_password(served):
    client, _ = served
    r = client.get("/shopify/api/stores", headers=_basic())
    assert r.status_code == 200 and r.json()["configured"] is True and r.json()["stores"] == []


def test_websockets_under_shopify_paths_stay_guarded(served):
    client, _ = served
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/shopify/webhooks") as ws:
        ws.receive_text()
