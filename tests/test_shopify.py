"""Shopify (issue 17): install, callback checks, expiring tokens, product sync, against the
loopback fake in `tests/shopify_fake.py` over real HTTP (httpx), the routes through Starlette's
TestClient. Shop domains are real `*.myshopify.com` names: only SHOPIFY_ADMIN_BASE_URL points
at the fake."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from anchor_app.shopify_api import ShopifyAPI, with_public_shopify
from anchor_core.catalog import Catalog
from anchor_core.catalog import events as events_repo
from anchor_core.catalog import products as products_repo
from anchor_core.config import load_settings
from anchor_core.jobs import get_job
from anchor_core.jobs.runner import JobRun, execute
from anchor_core.jobs.store import claim
from anchor_core.products_csv import clean_text
from anchor_core.shopify import (
    ReauthRequired,
    TokenCipher,
    get_valid_token,
    list_stores,
    load_shopify_config,
    validate_shop,
)
from anchor_core.shopify import store as rows
from anchor_core.shopify.config import DEFAULT_API_VERSION
from anchor_core.shopify.crypto import new_key, write_key_file
from anchor_core.shopify.images import ImageRefused, fetch_image
from anchor_core.shopify.oauth import Refusal, callback_hmac, parse_query
from anchor_core.store import LocalStore
from tests.shopify_fake import FakeShopify

SHOP = "anchor-test.myshopify.com"
OTHER = "other-brand.myshopify.com"
APP = "http://127.0.0.1:8000"


@pytest.fixture
def fake():
    with FakeShopify() as f:
        yield f


@pytest.fixture
def env(tmp_path: Path, fake: FakeShopify) -> dict[str, str]:
    keys = tmp_path / "token-keys"
    write_key_file(keys, [new_key()])
    return {"ANCHOR_WORKERS": "2", **fake.env(APP), "ANCHOR_TOKEN_KEYS_FILE": str(keys)}


@pytest.fixture
def sh(tmp_path: Path, env: dict[str, str]):
    """settings, catalog, store, the API and a TestClient over the public and private routes."""
    settings = load_settings(tmp_path / "home", env=env)
    api = ShopifyAPI(settings)
    app = with_public_shopify(Starlette(routes=api.private_routes()), api)
    client = TestClient(app, base_url=APP)
    yield _Ctx(settings, api.catalog(), api.store(), api, client)
    client.close()


class _Ctx:
    def __init__(self, settings: Any, cat: Catalog, store: LocalStore, api: ShopifyAPI, client: TestClient) -> None:
        self.settings, self.cat, self.store, self.api, self.client = settings, cat, store, api, client

    def cipher(self) -> TokenCipher:
        return TokenCipher.from_settings(self.settings)

    def cfg(self):
        return load_shopify_config(self.settings)

    def install(self, fake: FakeShopify, shop: str = SHOP, **query: str) -> httpx.Response:
        """The whole browser dance: install -> the fake's consent page -> approve -> our callback."""
        r = self.client.get("/shopify/install", params={"shop": shop, **query}, follow_redirects=False)
        assert r.status_code == 302, r.text
        consent = httpx.get(r.headers["location"])
        assert consent.status_code == 200 and "Install app" in consent.text
        approved = httpx.get(fake.approve_url(r.headers["location"]), follow_redirects=False)
        assert approved.status_code == 302
        back = urlsplit(approved.headers["location"])
        assert f"{back.scheme}://{back.netloc}{back.path}" == APP + "/shopify/callback"
        return self.client.get("/shopify/callback?" + back.query)

    def state_for(self, shop: str = SHOP) -> str:
        r = self.client.get("/shopify/install", params={"shop": shop}, follow_redirects=False)
        assert r.status_code == 302, r.text
        return parse_qs(urlsplit(r.headers["location"]).query)["state"][0]

    def run_jobs(self) -> list[Any]:
        """Run every queued job here, through the jobs runner (as `anchor worker`'s child does)."""
        done = []
        while (job := claim(self.cat, "test-worker")) is not None:
            done.append(execute(JobRun(self.settings, job.id, self.cat), job))
        return done


def _token_requests(fake: FakeShopify) -> list[dict[str, Any]]:
    return [e for e in fake.log if e["path"].endswith("/admin/oauth/access_token")]


# -- the pure checks ---------------------------------------------------------------------------

def test_callback_hmac_matches_shopifys_published_vectors():
    """Shopify's own examples (secret `hush`), with and without a state; one character off fails."""
    base = "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&timestamp=1337178173"
    assert callback_hmac("hush", parse_query(base + "&hmac=x")) == \
        "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"
    with_state = ("code=0907a61c0c8d55e99db179b68161bc00&hmac=x&shop=some-shop.myshopify.com"
                  "&state=0.6784241404160823&timestamp=1337178173")
    assert callback_hmac("hush", parse_query(with_state)) == \
        "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
    from anchor_core.shopify.oauth import verify_callback_hmac

    verify_callback_hmac("hush", parse_query(base + "&hmac=4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"))
    for bad in ("4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d21", "", "4712bf92"):
        with pytest.raises(Refusal):
            verify_callback_hmac("hush", parse_query(base + f"&hmac={bad}"))
    with pytest.raises(Refusal):  # the right digest over a tampered parameter
        verify_callback_hmac("hush", parse_query(base.replace("1337178173", "1337178174")
                                                 + "&hmac=4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"))


@pytest.mark.parametrize("shop", ["evil.com", "x.myshopify.com.evil.com", "x.myshopify.com\n", "-x.myshopify.com",
                                  "x.myshopify.com/", "x.myshopify.com:443", "x_y.myshopify.com", ".myshopify.com",
                                  "x.MYSHOPIFY.com.evil", "https://x.myshopify.com", "x.myshopify.com ", "",
                                  "x\u0131.myshopify.com", "x.myshopify.co"])
def test_only_myshopify_domains_pass(shop):
    with pytest.raises(Refusal):
        validate_shop(shop)


def test_a_shop_is_lowercased():
    assert validate_shop("Brand-1.MyShopify.com") == "brand-1.myshopify.com"


def test_api_version_defaults_to_2026_10(sh):
    assert DEFAULT_API_VERSION == "2026-10" and sh.cfg().api_version == "2026-10"


# -- install and callback ----------------------------------------------------------------------

def test_install_redirects_to_the_consent_page_with_a_single_use_state(sh, fake):
    r = sh.client.get("/shopify/install", params={"shop": "Anchor-Test.myshopify.com"}, follow_redirects=False)
    assert r.status_code == 302
    loc = urlsplit(r.headers["location"])
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == f"{fake.base}/shops/{SHOP}/admin/oauth/authorize"
    q = parse_qs(loc.query)
    assert q["client_id"] == [fake.api_key] and q["scope"] == ["read_products"]
    assert q["redirect_uri"] == [APP + "/shopify/callback"] and "grant_options[]" not in q
    state = q["state"][0]
    assert len(state) >= 43  # 32 random bytes, url-safe base64
    with sh.cat.cursor() as cur:
        kept = cur.execute("SELECT nonce_sha256, shop_domain, expires_at - created_at FROM oauth_states").fetchall()
    assert kept == [(hashlib.sha256(state.encode()).hexdigest(), SHOP, timedelta(minutes=10))]  # only its digest


@pytest.mark.parametrize("shop", ["evil.com", "x.myshopify.com.evil.com", "anchor-test.myshopify.com\n", ""])
def test_install_refuses_a_shop_that_is_not_a_myshopify_domain(sh, shop):
    r = sh.client.get("/shopify/install", params={"shop": shop}, follow_redirects=False)
    assert r.status_code == 400 and "myshopify.com" in r.text
    assert rows.count_states(sh.cat) == 0


def test_install_callback_and_sync_600_products_over_3_pages_with_one_throttle(sh, fake):
    fake.add_shop(SHOP, 600)
    fake.throttle_calls = {2: 429}  # the second products page is throttled (HTTP 429)
    r = sh.install(fake, event="ev_1")
    assert r.status_code == 200 and f"{SHOP} is connected" in r.text and "/organizer/?event=ev_1" in r.text, r.text
    [store] = list_stores(sh.cat)
    assert (store.shop_domain, store.state, store.scopes) == (SHOP, "active", "read_products")
    assert store.access_expires_at is not None and store.refresh_expires_at is not None
    assert store.access_token_enc and store.refresh_token_enc
    assert [e["keys"] for e in _token_requests(fake)] == [["client_id", "client_secret", "code", "expiring"]]
    assert rows.count_states(sh.cat) == 0  # the state is gone
    [job] = sh.run_jobs()
    assert job.kind == "products-sync" and job.status == "done", job.error
    assert job.progress == 1.0 and job.result["pages"] == 3 and job.result["stored"] == 600
    throttled = [w for w, why in job.result["waits"] if why == "throttled"]
    assert len(throttled) == 1  # (the bucket is then nearly empty: a "slow down" wait may follow, as it should)
    wait = throttled[0]
    assert 0.05 <= wait <= 0.2  # (requested - available) / restoreRate = 50 / 500
    assert fake.products_calls == 4  # three pages and the throttled try
    ours = [p for p in products_repo.list_products(sh.cat) if p.source == "shopify"]
    assert len(ours) == 600 and all(p.image_key and sh.store.exists(p.image_key) for p in ours)
    p = next(p for p in ours if p.title == "Product 1000")
    assert (p.price, p.currency, p.vendor) == (19.99, "EUR", "Fake Vendor")
    assert p.description == "A fine product."  # HTML stripped, the script gone
    with sh.store.open(p.image_key) as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    s = rows.get_store(sh.cat, store.id)
    assert s.last_sync_at is not None and "600 product(s)" in (s.last_sync_message or "")
    # Progress was visible while it ran: the job's message names the count.
    assert "600 of 600" in get_job(sh.cat, job.id).message or job.message


def _signed_callback(fake: FakeShopify, shop: str, state: str, **kw: Any) -> str:
    return urlencode(fake.callback_params(shop, state, **kw))


def _nothing_stored(sh: Any, fake: FakeShopify) -> None:
    assert list_stores(sh.cat) == []
    with sh.cat.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM shopify_stores").fetchone() == (0,)
    assert _token_requests(fake) == []


def test_forged_callbacks_are_refused_with_nothing_stored(sh, fake):
    cases: list[tuple[str, str, int]] = []
    # a bad HMAC: one character of the digest changed
    q = fake.callback_params(SHOP, sh.state_for())
    q["hmac"] = ("0" if q["hmac"][0] != "0" else "1") + q["hmac"][1:]
    cases.append(("bad hmac", urlencode(q), 401))
    # a parameter changed after signing
    q = fake.callback_params(SHOP, sh.state_for())
    q["shop"] = OTHER
    cases.append(("tampered shop", urlencode(q), 401))
    # no hmac at all
    q = fake.callback_params(SHOP, sh.state_for())
    del q["hmac"]
    cases.append(("no hmac", urlencode(q), 401))
    # stale and future timestamps, correctly signed
    cases.append(("stale timestamp", _signed_callback(fake, SHOP, sh.state_for(), timestamp=int(time.time()) - 301), 400))
    cases.append(("future timestamp", _signed_callback(fake, SHOP, sh.state_for(), timestamp=int(time.time()) + 400), 400))
    # a state never issued, and none
    cases.append(("unknown state", _signed_callback(fake, SHOP, "not-a-state-we-issued"), 400))
    cases.append(("empty state", _signed_callback(fake, SHOP, ""), 400))
    # another shop's state
    cases.append(("other shop's state", _signed_callback(fake, SHOP, sh.state_for(OTHER)), 400))
    # hostile shops, signed with the right secret and carrying a state issued for the real shop
    for name, shop in (("evil.com", "evil.com"), ("suffix", "x.myshopify.com.evil.com"),
                       ("newline", SHOP + "\n")):
        cases.append((name, _signed_callback(fake, shop, sh.state_for()), 400))
    for name, query, status in cases:
        r = sh.client.get("/shopify/callback?" + query)
        assert r.status_code == status, (name, r.status_code, r.text)
        assert r.headers["content-type"].startswith("text/plain") and "Traceback" not in r.text, name
    _nothing_stored(sh, fake)


def test_a_state_is_single_use_and_consumed_even_when_a_later_check_fails(sh, fake):
    fake.add_shop(SHOP, 1)
    state = sh.state_for()
    # the state is presented for the wrong shop: refused, and the state is gone with it
    assert sh.client.get("/shopify/callback?" + _signed_callback(fake, OTHER, state)).status_code == 400
    assert sh.client.get("/shopify/callback?" + _signed_callback(fake, SHOP, state)).status_code == 400
    _nothing_stored(sh, fake)
    # a good callback replayed: the first works, the replay is refused
    state = sh.state_for()
    query = _signed_callback(fake, SHOP, state)
    assert sh.client.get("/shopify/callback?" + query).status_code == 200
    r = sh.client.get("/shopify/callback?" + query)
    assert r.status_code == 400 and "already used" in r.text
    assert len(list_stores(sh.cat)) == 1 and len(_token_requests(fake)) == 1


def test_a_state_older_than_ten_minutes_is_refused(sh, fake):
    state = sh.state_for()
    later = time.time() + 601
    sh.api.clock = lambda: later
    r = sh.client.get("/shopify/callback?" + _signed_callback(fake, SHOP, state, timestamp=int(later)))
    assert r.status_code == 400 and "10 minutes" in r.text
    _nothing_stored(sh, fake)


def test_a_grant_without_read_products_is_refused_and_stores_nothing(sh, fake):
    fake.granted_scope = "read_orders"
    r = sh.install(fake)
    assert r.status_code == 403 and "read_products" in r.text
    assert list_stores(sh.cat) == []


def test_unconfigured_install_says_what_to_set(tmp_path):
    settings = load_settings(tmp_path / "home", env={})
    api = ShopifyAPI(settings)
    client = TestClient(with_public_shopify(Starlette(routes=api.private_routes()), api))
    r = client.get("/shopify/install", params={"shop": SHOP}, follow_redirects=False)
    assert r.status_code == 503
    for name in ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "SHOPIFY_APP_URL"):
        assert name in r.text
    stores = client.get("/shopify/api/stores").json()
    assert not stores["configured"] and any("ANCHOR_TOKEN_KEYS" in m for m in stores["missing"])


def test_secrets_can_come_from_files(tmp_path, fake):
    (tmp_path / "key").write_text(fake.api_key + "\n")
    (tmp_path / "secret").write_text(fake.secret + "\n")
    env = {k: v for k, v in fake.env(APP).items() if k not in ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET")}
    env |= {"SHOPIFY_API_KEY_FILE": str(tmp_path / "key"), "SHOPIFY_API_SECRET_FILE": str(tmp_path / "secret")}
    cfg = load_shopify_config(load_settings(tmp_path / "home", env=env))
    assert (cfg.api_key, cfg.api_secret) == (fake.api_key, fake.secret)
    assert fake.secret not in repr(cfg)


# -- tokens ------------------------------------------------------------------------------------

def _installed(sh: Any, fake: FakeShopify, products: int = 3) -> rows.ShopifyStore:
    fake.add_shop(SHOP, products)
    assert sh.install(fake).status_code == 200
    return list_stores(sh.cat)[0]


def test_a_token_is_refreshed_a_few_minutes_before_expiry_once_and_persisted(sh, fake):
    fake.expires_in = 120  # inside the 5-minute margin: the first use refreshes
    store = _installed(sh, fake)
    before = sh.cipher().decrypt(store.id, "access_token", store.access_token_enc)
    old_refresh = sh.cipher().decrypt(store.id, "refresh_token", store.refresh_token_enc)
    fake.expires_in = 3600
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(get_valid_token(sh.cat, sh.cfg(), sh.cipher(), store.id)))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refreshes = [e for e in _token_requests(fake) if "grant_type" in e["keys"]]
    assert len(refreshes) == 1  # serialised: one refresh for six callers
    assert len(set(got)) == 1 and got[0] != before
    after = rows.get_store(sh.cat, store.id)
    assert sh.cipher().decrypt(store.id, "access_token", after.access_token_enc) == got[0]
    new_refresh = sh.cipher().decrypt(store.id, "refresh_token", after.refresh_token_enc)
    assert new_refresh != old_refresh and new_refresh in fake.refresh  # the new pair, both persisted
    assert after.access_expires_at > store.access_expires_at
    # fresh now: no further refresh
    assert get_valid_token(sh.cat, sh.cfg(), sh.cipher(), store.id) == got[0]
    assert len([e for e in _token_requests(fake) if "grant_type" in e["keys"]]) == 1


def test_a_dead_refresh_token_marks_the_store_reauth_required(sh, fake):
    fake.expires_in = 120
    store = _installed(sh, fake)
    fake.kill_refresh_tokens()
    with pytest.raises(ReauthRequired, match="connect the store again"):
        get_valid_token(sh.cat, sh.cfg(), sh.cipher(), store.id)
    s = rows.get_store(sh.cat, store.id)
    assert s.state == "reauth_required" and "invalid_grant" in (s.state_reason or "")
    listed = sh.client.get("/shopify/api/stores").json()["stores"]
    assert [(x["shop"], x["state"]) for x in listed] == [(SHOP, "reauth_required")]
    # the queued sync fails with the advice, and so does asking for a sync
    [job] = sh.run_jobs()
    assert job.status == "failed" and "connect it again" in job.error
    r = sh.client.post(f"/shopify/api/stores/{store.id}/sync", json={})
    assert r.status_code == 409 and "connect it again" in r.json()["error"]


def test_a_401_from_the_admin_api_forces_one_refresh(sh, fake):
    store = _installed(sh, fake, 5)
    fake.expire_access_tokens()  # Shopify revoked it early; our expiry still says it is fresh
    [job] = sh.run_jobs()
    assert job.status == "done" and job.result["stored"] == 5
    assert len([e for e in _token_requests(fake) if "grant_type" in e["keys"]]) == 1
    assert rows.get_store(sh.cat, store.id).state == "active"


# -- sync details ------------------------------------------------------------------------------

def test_incremental_sync_asks_only_for_products_updated_since_the_last_one(sh, fake):
    store = _installed(sh, fake, 4)
    sh.run_jobs()
    changed = fake.shops[SHOP].products[2]
    changed.title, changed.updated_at = "Renamed", changed.updated_at.replace(year=2030)
    fake.add_product(SHOP, "Brand new").updated_at = changed.updated_at
    assert sh.client.post(f"/shopify/api/stores/{store.id}/sync", json={}).status_code == 200
    [job] = sh.run_jobs()
    assert job.status == "done" and job.result["mode"] == "incremental"
    assert job.result["fetched"] == 2 and job.result["images"] == 1  # the renamed one keeps its image
    titles = sorted(p.title for p in products_repo.list_products(sh.cat))
    assert "Renamed" in titles and "Brand new" in titles and len(titles) == 5
    # a full sync removes what Shopify no longer has
    del fake.shops[SHOP].products[0]
    sh.client.post(f"/shopify/api/stores/{store.id}/sync", json={"full": True})
    [job] = sh.run_jobs()
    assert job.result["mode"] == "full" and job.result["deleted"] == 1
    assert len(products_repo.list_products(sh.cat)) == 4


HOSTILE = [
    "Cool Shoes',drawtext=fontfile=F:textfile=/etc/passwd:x='",
    "=cmd|' /C calc'!A0",
    "50% off %{pts} \\ back\\slash",
    "'; DROP TABLE products; --",
    "<img src=x onerror=alert(1)>",
    "bidi \u202eevil\u202c zero\u200bwidth\tTab\nNewline\x1b[31mred",
    "x" * 300,
]


def test_hostile_titles_are_cleaned_as_the_csv_import_cleans_them(sh, fake):
    fake.add_shop(SHOP)
    for t in HOSTILE:
        fake.add_product(SHOP, t)
    fake.add_product(SHOP, "   \t ")  # nothing left: skipped
    fake.add_product(SHOP, "Negative", price="-1.00")
    fake.add_product(SHOP, "Exponent", price="1e5")
    fake.add_product(SHOP, "Bad currency", currency="E$R")
    assert sh.install(fake).status_code == 200
    [job] = sh.run_jobs()
    assert job.status == "done"
    stored = {p.title for p in products_repo.list_products(sh.cat)}
    assert stored == {clean_text(t) for t in HOSTILE}
    assert any(t.startswith("Cool Shoes',drawtext=") for t in stored)  # literally, as text
    reasons = [why for _, why in job.result["skipped"]]
    assert len(reasons) == 4 and "empty title" in reasons
    assert any("negative" in r for r in reasons) and any("exponent" in r for r in reasons)
    assert any("cut to 200" in why for _, why in job.result["warnings"])
    with sh.cat.cursor() as cur:  # the SQL-looking title did nothing
        assert cur.execute("SELECT count(*) FROM products").fetchone()[0] == len(HOSTILE)


def test_image_downloads_are_checked(fake, tmp_path):
    allowed = (fake.netloc,)
    with httpx.Client() as http:
        data, kind = fetch_image(http, f"{fake.base}/cdn/{SHOP}/1000.png", allowed)
        assert kind == "png" and data.startswith(b"\x89PNG")
        data, kind = fetch_image(http, f"{fake.base}/cdn/bad/here.png", allowed)  # a redirect on the same host
        assert kind == "png"
        for path, why in (("away.png", "another host"), ("html.png", "not a PNG"), ("texttype.png", "Content-Type"),
                          ("big.png", "(at most|over) 1 MB")):
            with pytest.raises(ImageRefused, match=why):
                fetch_image(http, f"{fake.base}/cdn/bad/{path}", allowed, max_bytes=1 << 20)
        n = len(fake.log)
        for url, why in (("https://evil.example/x.png", "not on Shopify's CDN"),
                         ("http://cdn.shopify.com/x.png", "not on https"),
                         ("file:///etc/passwd", "not on https"),
                         (f"http://localhost:{fake.port}/cdn/x/1.png", "not on Shopify's CDN")):
            with pytest.raises(ImageRefused, match=why):
                fetch_image(http, url, allowed)
        assert len(fake.log) == n  # refused before any request


def test_a_product_whose_image_is_refused_is_kept_without_it(sh, fake):
    fake.add_shop(SHOP)
    fake.add_product(SHOP, "Elsewhere", image_url="https://evil.example/a.png")
    fake.add_product(SHOP, "Not an image", image_url=f"{fake.base}/cdn/bad/html.png")
    fake.add_product(SHOP, "No image", image=False)
    sh.install(fake)
    [job] = sh.run_jobs()
    assert job.result["stored"] == 3 and job.result["images"] == 0
    assert all(p.image_key is None for p in products_repo.list_products(sh.cat))
    assert len(job.result["warnings"]) == 3


def test_the_picker_lists_active_products_and_saves_the_events_sponsors_in_order(sh, fake):
    ev = events_repo.create_event(sh.cat, "Final", "sports")
    fake.add_shop(SHOP, 3)
    fake.add_product(SHOP, "A draft", status="DRAFT")
    fake.add_product(SHOP, "Zebra <b>stripes</b>")
    sh.install(fake)
    sh.run_jobs()
    r = sh.client.get("/shopify/api/products", params={"event": ev.id})
    listed = r.json()
    assert listed["total"] == 4 and "A draft" not in [p["title"] for p in listed["products"]]
    assert all(p["image"] and p["shop"] == SHOP for p in listed["products"])
    img = sh.client.get(listed["products"][0]["image"])
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    found = sh.client.get("/shopify/api/products", params={"q": "zebra"}).json()["products"]
    assert [p["title"] for p in found] == ["Zebra <b>stripes</b>"]
    assert sh.client.get("/shopify/api/products", params={"q": "%"}).json()["total"] == 0  # literal, not a wildcard
    pick = [listed["products"][2]["id"], listed["products"][0]["id"]]
    r = sh.client.put(f"/shopify/api/events/{ev.id}/sponsors", json={"product_ids": pick})
    assert r.status_code == 200
    assert [p.id for p in products_repo.event_products(sh.cat, ev.id)] == pick  # the organizer's order
    from anchor_core.ads import ad_rotation

    assert list(ad_rotation(sh.cat, sh.store, ev.id).product_ids) == pick  # what the next render's ads use
    assert sh.client.put(f"/shopify/api/events/{ev.id}/sponsors", content=b"{}").status_code == 415  # JSON only
    assert sh.client.put(f"/shopify/api/events/{ev.id}/sponsors", json={"product_ids": ["prd_nope"]}).status_code == 404


# -- no secret anywhere ------------------------------------------------------------------------

def test_no_token_or_secret_appears_in_logs_catalog_errors_or_reports(sh, fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.expires_in = 120
    store = _installed(sh, fake, 30)
    [job] = sh.run_jobs()  # refreshes first (inside the margin), then syncs
    fake.kill_refresh_tokens()
    fake.expire_access_tokens()
    sh.client.post(f"/shopify/api/stores/{store.id}/sync", json={"full": True})
    [failed] = sh.run_jobs()
    assert failed.status == "failed"
    texts = [caplog.text, str(job.result), str(failed.error), failed.message or "",
             sh.client.get("/shopify/api/stores").text, repr(list_stores(sh.cat))]
    with sh.cat.cursor() as cur:
        for table in ("shopify_stores", "jobs", "products", "oauth_states", "shopify_webhooks"):
            texts.append(repr(cur.execute(f"SELECT * FROM {table}").fetchall()))
    secrets = fake.tokens_issued() + [fake.secret]
    assert len(secrets) >= 4
    for text in texts:
        for s in secrets:
            assert s not in text
    for f in Path(sh.settings.home).rglob("*"):  # the catalog file itself, the WAL, logs, the store
        if f.is_file():
            data = f.read_bytes()
            for s in secrets:
                assert s.encode() not in data, f


def test_a_ciphertext_moved_to_another_store_row_does_not_decrypt(sh):
    c = sh.cipher()
    token = c.encrypt("shp_a", "access_token", "fake-access-token")
    assert c.decrypt("shp_a", "access_token", token) == "fake-access-token"
    from anchor_core.shopify.crypto import SecretUnreadable

    for sid, kind in (("shp_b", "access_token"), ("shp_a", "refresh_token")):
        with pytest.raises(SecretUnreadable):
            c.decrypt(sid, kind, token)
    assert hmac.compare_digest(c.decrypt("shp_a", "access_token", c.rotate(token)), "fake-access-token")


def test_a_store_that_needs_reconnecting_is_connected_again_by_installing_again(sh, fake):
    fake.expires_in = 120
    store = _installed(sh, fake)
    fake.kill_refresh_tokens()
    with pytest.raises(ReauthRequired):
        get_valid_token(sh.cat, sh.cfg(), sh.cipher(), store.id)
    sh.run_jobs()
    fake.expires_in = 3600
    assert sh.install(fake).status_code == 200
    [again] = list_stores(sh.cat)
    assert again.id == store.id and again.state == "active" and again.state_reason is None
    [job] = sh.run_jobs()
    assert job.status == "done" and job.result["stored"] == 3


def test_the_cli_shows_the_stores_and_syncs_one_in_the_foreground(sh, fake, env):
    import json
    import os
    import subprocess
    import sys

    store = _installed(sh, fake, 4)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "ANCHOR_"))}

    def anchor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "anchor_core.cli", "--home", str(sh.settings.home), *args],
                              env={**base, **env}, capture_output=True, text=True, timeout=180)

    r = anchor("shopify", "sync", SHOP, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["stored"] == 4
    r = anchor("shopify", "status", "--json")
    assert r.returncode == 0, r.stderr
    [listed] = json.loads(r.stdout)["stores"]
    assert (listed["id"], listed["state"], listed["products"]) == (store.id, "active", 4)
    r = anchor("shopify", "sync", "nope.myshopify.com")
    assert r.returncode == 1 and "anchor shopify status" in r.stderr
    for token in fake.tokens_issued():
        assert token not in r.stdout + r.stderr
