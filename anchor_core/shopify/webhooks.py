"""Webhooks: the HMAC over the raw body first (401 when it is not Shopify's), then dedup by
`X-Shopify-Event-Id`, a fast answer, and the work in a `products-sync` job.

- `app/uninstalled`: the store is disabled and its tokens deleted at once, in the request.
- `products/create`, `products/update`, `products/delete`: the products are fetched again (or
  removed) by the job.
- `customers/data_request`, `customers/redact`: Anchor stores no customer data: verified,
  logged (topic, shop and event id only) and answered 200.
- `shop/redact` (48 h after uninstall): the job deletes every row of the shop and its images.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..catalog import Catalog
from . import store as rows
from .oauth import Refusal, validate_shop
from .tokens import utcnow

log = logging.getLogger("anchor.shopify")
MAX_BODY = 1 << 20
COMPLIANCE = ("customers/data_request", "customers/redact", "shop/redact")
PRODUCT_TOPICS = ("products/create", "products/update", "products/delete")
TOPICS = ("app/uninstalled", *PRODUCT_TOPICS, *COMPLIANCE)
_ID = re.compile(r"[A-Za-z0-9._:/-]{1,200}")


def webhook_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_webhook(secrets: tuple[str, ...], body: bytes, header: str | None) -> bool:
    """base64(HMAC-SHA256(secret, raw body)), compared in constant time against every secret
    (the previous one keeps working for the hour Shopify goes on using it after a rotation)."""
    given = (header or "").strip().encode()
    results = [hmac.compare_digest(given, webhook_signature(s, body).encode()) for s in secrets]
    return bool(given) and any(results)


@dataclass
class Outcome:
    status: int
    message: str
    topic: str = ""
    shop: str = ""
    event_id: str = ""
    duplicate: bool = False
    job_args: dict[str, Any] | None = None  # queue a products-sync job with these
    extra: dict[str, Any] = field(default_factory=dict)


def _gid(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    gid = payload.get("admin_graphql_api_id")
    if isinstance(gid, str) and re.fullmatch(r"gid://shopify/Product/[0-9]{1,20}", gid):
        return gid
    pid = payload.get("id")
    if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0:
        return f"gid://shopify/Product/{pid}"
    return None


def receive(cat: Catalog, secrets: tuple[str, ...], headers: Mapping[str, str], body: bytes,
            now: datetime | None = None) -> Outcome:
    """One delivery. Raises Refusal (401 bad HMAC, 400 malformed); otherwise says what to answer
    and which job to queue. `headers` are lowercase."""
    if not verify_webhook(secrets, body, headers.get("x-shopify-hmac-sha256")):
        raise Refusal("the webhook's X-Shopify-Hmac-Sha256 is not Shopify's signature of its body", 401)
    topic = headers.get("x-shopify-topic", "").strip().lower()
    shop = validate_shop(headers.get("x-shopify-shop-domain", "").strip())
    event_id = headers.get("x-shopify-event-id") or headers.get("x-shopify-webhook-id") or ""
    if not _ID.fullmatch(event_id):
        raise Refusal("the webhook has no X-Shopify-Event-Id")
    if not re.fullmatch(r"[a-z_]{1,40}/[a-z_]{1,40}", topic):
        raise Refusal("the webhook has no valid X-Shopify-Topic")
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError:
        raise Refusal("the webhook's body is not JSON") from None
    kept: Any = None  # what is kept of the payload: never customer data
    if topic in PRODUCT_TOPICS:
        gid = _gid(payload)
        kept = {"ids": [gid] if gid else []}
    new = rows.record_delivery(cat, event_id=event_id, topic=topic, shop=shop,
                               webhook_id=_clip(headers.get("x-shopify-webhook-id")),
                               api_version=_clip(headers.get("x-shopify-api-version")),
                               triggered_at=_clip(headers.get("x-shopify-triggered-at")), payload=kept)
    out = Outcome(200, "ok", topic, shop, event_id)
    if not new:
        out.duplicate, out.message = True, "duplicate delivery: already received"
        return out
    when = now or utcnow()
    if topic == "app/uninstalled":
        sid = rows.disable_store(cat, shop, "the app was uninstalled from the store", when)
        rows.set_delivery(cat, event_id, "done")
        out.message = "store disabled, tokens deleted" if sid else "no such store"
    elif topic in ("customers/data_request", "customers/redact"):
        log.info("shopify compliance webhook %s from %s (event %s): Anchor stores no customer data", topic, shop,
                 event_id)
        rows.set_delivery(cat, event_id, "done")
        out.message = "Anchor stores no customer data"
    elif topic == "shop/redact" or topic in PRODUCT_TOPICS:
        if topic in PRODUCT_TOPICS and rows.find_store(cat, shop) is None:
            rows.set_delivery(cat, event_id, "ignored")
            out.message = "no such store"
        else:
            out.job_args = {"shop": shop, "webhook": event_id}
            out.message = "queued"
    else:
        rows.set_delivery(cat, event_id, "ignored")
        out.message = f"topic {topic} is not used by Anchor"
    return out


def _clip(value: str | None) -> str | None:
    return "".join(ch for ch in value if ch.isprintable())[:100] if value else None
