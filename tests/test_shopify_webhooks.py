"""Shopify webhooks (issue 17): the HMAC of the raw body before anything else (401), dedup by
X-Shopify-Event-Id, uninstall at once, product updates and shop/redact in a job, the customer
compliance topics answered without storing anything."""

from __future__ import annotations

import json
import logging
from typing import Any

from anchor_core.catalog import products as products_repo
from anchor_core.jobs import list_jobs
from anchor_core.shopify import ReauthRequired, get_valid_token, list_stores
from anchor_core.shopify import store as rows
from tests import test_shopify as base
from tests.shopify_fake import FakeShopify, webhook_hmac
from tests.test_shopify import OTHER, SHOP

fake, env, sh = base.fake, base.env, base.sh  # the fixtures
_counter = [0]


def post(sh: Any, fake: FakeShopify, topic: str, payload: Any, *, shop: str = SHOP, event_id: str | None = None,
         secret: str | None = None, signature: str | None = None, path: str = "/shopify/webhooks"):
    body = json.dumps(payload).encode()
    _counter[0] += 1
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop,
               "X-Shopify-Event-Id": event_id or f"evt-{_counter[0]}", "X-Shopify-Webhook-Id": f"wh-{_counter[0]}",
               "X-Shopify-API-Version": "2026-10", "X-Shopify-Triggered-At": "2026-12-01T10:00:00Z",
               "X-Shopify-Hmac-Sha256": signature or webhook_hmac(secret or fake.secret, body)}
    return sh.client.post(path, content=body, headers=headers)


def _connected(sh: Any, fake: FakeShopify, shop: str = SHOP, n: int = 3) -> rows.ShopifyStore:
    fake.add_shop(shop, n)
    assert sh.install(fake, shop).status_code == 200
    sh.run_jobs()
    return rows.find_store(sh.cat, shop)


def test_a_bad_hmac_gets_401_before_the_body_is_read_as_json(sh, fake):
    store = _connected(sh, fake)
    body = {"id": 1000, "title": "x"}
    for sig in ("", "AAAA", webhook_hmac("wrong secret", json.dumps(body).encode()),
                webhook_hmac(fake.secret, json.dumps(body, indent=1).encode())):  # re-serialised JSON
        r = post(sh, fake, "products/update", body, signature=sig or " ")
        assert r.status_code == 401, sig
    r = sh.client.post("/shopify/webhooks", content=b"not json at all",
                       headers={"X-Shopify-Topic": "products/update", "X-Shopify-Shop-Domain": SHOP,
                                "X-Shopify-Hmac-Sha256": webhook_hmac("nope", b"not json at all")})
    assert r.status_code == 401  # not 400: the signature is checked before parsing
    assert rows.deliveries(sh.cat) == [] and rows.get_store(sh.cat, store.id).state == "active"


def test_a_good_product_update_is_queued_and_the_job_refreshes_the_product(sh, fake):
    _connected(sh, fake)
    fake.shops[SHOP].products[1].title = "Updated in Shopify"
    r = post(sh, fake, "products/update", {"id": 1001, "admin_graphql_api_id": "gid://shopify/Product/1001",
                                           "title": "payload title is not trusted"})
    assert r.status_code == 200 and r.json()["message"] == "queued"
    [job] = sh.run_jobs()
    assert job.status == "done" and job.result["stored"] == 1
    assert "Updated in Shopify" in {p.title for p in products_repo.list_products(sh.cat)}
    assert [d["status"] for d in rows.deliveries(sh.cat)] == ["done"]


def test_a_duplicate_event_id_is_answered_200_and_not_done_twice(sh, fake):
    _connected(sh, fake)
    first = post(sh, fake, "products/update", {"id": 1000}, event_id="evt-same")
    again = post(sh, fake, "products/update", {"id": 1000}, event_id="evt-same")
    assert first.status_code == again.status_code == 200
    assert again.json()["duplicate"] is True and first.json()["duplicate"] is False
    assert len([j for j in list_jobs(sh.cat) if j.args.get("webhook") == "evt-same"]) == 1


def test_product_delete_removes_the_product_and_its_pick(sh, fake):
    from anchor_core.catalog import events as events_repo

    _connected(sh, fake)
    ev = events_repo.create_event(sh.cat, "Final", "sports")
    gone = next(p for p in products_repo.list_products(sh.cat) if p.title == "Product 1002")
    products_repo.select_for_event(sh.cat, ev.id, [gone.id])
    assert post(sh, fake, "products/delete", {"id": 1002}).status_code == 200
    [job] = sh.run_jobs()
    assert job.status == "done" and job.result["removed"] == 1
    assert "Product 1002" not in {p.title for p in products_repo.list_products(sh.cat)}
    assert products_repo.event_products(sh.cat, ev.id) == [] and not sh.store.exists(gone.image_key)


def test_uninstall_disables_the_store_and_deletes_its_tokens_at_once(sh, fake):
    store = _connected(sh, fake)
    r = post(sh, fake, "app/uninstalled", {"id": 1, "domain": SHOP}, path="/shopify/webhooks/app/uninstalled")
    assert r.status_code == 200 and "tokens deleted" in r.json()["message"]
    s = rows.get_store(sh.cat, store.id)
    assert s.state == "uninstalled" and s.access_token_enc is None and s.refresh_token_enc is None
    try:
        get_valid_token(sh.cat, sh.cfg(), sh.cipher(), store.id)
        raise AssertionError("an uninstalled store gave a token")
    except ReauthRequired:
        pass
    assert sh.client.get("/shopify/api/products").json()["total"] == 0  # its products leave the picker
    assert [x["state"] for x in sh.client.get("/shopify/api/stores").json()["stores"]] == ["uninstalled"]
    assert sh.run_jobs() == []  # nothing queued


def test_shop_redact_removes_every_row_of_that_shop_and_nothing_else(sh, fake):
    from anchor_core.catalog import events as events_repo

    store = _connected(sh, fake, SHOP, 4)
    other = _connected(sh, fake, OTHER, 2)
    ev = events_repo.create_event(sh.cat, "Final", "sports")
    mine = [p.id for p in products_repo.list_products(sh.cat)]
    products_repo.select_for_event(sh.cat, ev.id, mine)
    sh.state_for(SHOP)  # an install in progress leaves a state row too
    post(sh, fake, "products/update", {"id": 1000})
    sh.run_jobs()
    images = [p.image_key for p in products_repo.list_products(sh.cat) if p.external_id.startswith(store.id + ":")]
    assert rows.shop_row_counts(sh.cat, SHOP, store.id)["products"] == 4
    post(sh, fake, "app/uninstalled", {"id": 1})
    r = post(sh, fake, "shop/redact", {"shop_id": 1, "shop_domain": SHOP})
    assert r.status_code == 200
    [job] = sh.run_jobs()
    assert job.status == "done" and job.result["images_deleted"] == 4
    assert set(rows.shop_row_counts(sh.cat, SHOP, store.id).values()) == {0}
    assert not any(sh.store.exists(k) for k in images)
    left = rows.shop_row_counts(sh.cat, OTHER, other.id)
    assert left["shopify_stores"] == 1 and left["products"] == 2 and left["event_products"] == 2
    assert [s.shop_domain for s in list_stores(sh.cat)] == [OTHER]


def test_customer_compliance_topics_are_verified_logged_and_answered_without_storing_data(sh, fake, caplog):
    caplog.set_level(logging.INFO, logger="anchor.shopify")
    _connected(sh, fake)
    customer = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": 7, "email": "fan@example.com",
                                                                "phone": "555-0100"}, "orders_requested": [1]}
    for topic in ("customers/data_request", "customers/redact"):
        r = post(sh, fake, topic, customer)
        assert r.status_code == 200 and "no customer data" in r.json()["message"]
        assert post(sh, fake, topic, customer, signature="bad").status_code == 401
    with sh.cat.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM shopify_webhooks WHERE payload IS NOT NULL AND topic LIKE"
                           " 'customers/%'").fetchone() == (0,)
    assert "customers/redact" in caplog.text and "fan@example.com" not in caplog.text


def test_the_previous_secret_still_verifies_after_a_rotation(tmp_path, fake):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from anchor_app.shopify_api import ShopifyAPI, with_public_shopify
    from anchor_core.config import load_settings
    from anchor_core.shopify.crypto import new_key, write_key_file

    write_key_file(tmp_path / "k", [new_key()])
    env = {**fake.env("http://127.0.0.1:8000"), "SHOPIFY_API_SECRET": "the-new-secret",
           "SHOPIFY_API_SECRET_PREVIOUS": fake.secret, "ANCHOR_TOKEN_KEYS_FILE": str(tmp_path / "k")}
    api = ShopifyAPI(load_settings(tmp_path / "home", env=env))
    client = TestClient(with_public_shopify(Starlette(routes=api.private_routes()), api))
    body = b'{"id": 1}'
    for secret, status in ((fake.secret, 200), ("the-new-secret", 200), ("older-still", 401)):
        r = client.post("/shopify/webhooks", content=body, headers={
            "X-Shopify-Topic": "customers/redact", "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Event-Id": secret,
            "X-Shopify-Hmac-Sha256": webhook_hmac(secret, body)})
        assert r.status_code == status, secret


def test_malformed_deliveries_with_a_good_signature_are_400_and_a_huge_body_413(sh, fake):
    assert post(sh, fake, "products/update", {"id": 1}, shop="evil.com").status_code == 400
    assert post(sh, fake, "products/update", {"id": 1}, shop=SHOP + ".evil.com").status_code == 400
    big = b"{" + b" " * (1 << 20) + b"}"
    r = sh.client.post("/shopify/webhooks", content=big, headers={
        "X-Shopify-Topic": "products/update", "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Event-Id": "e",
        "X-Shopify-Hmac-Sha256": webhook_hmac(fake.secret, big)})
    assert r.status_code == 413
    assert rows.deliveries(sh.cat) == []
