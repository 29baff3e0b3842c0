"""Shopify: brands install the app (OAuth code grant, HMAC-checked callback, single-use state),
their expiring offline tokens are kept Fernet-encrypted and refreshed before they expire, a
`products-sync` job pulls the store's products over the Admin GraphQL API, webhooks keep them
current, and organizers pick sponsor products for their event.

Checked facts: `../shared/reference/integrations-security.md` §1-2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ..catalog import Catalog
from ..config import Settings
from ..errors import AnchorError
from ..store import ObjectStore
from . import store as rows
from .config import ShopifyConfig, load_shopify_config, missing_settings
from .crypto import TokenCipher
from .install import Installed, begin_install, complete_install
from .oauth import Refusal, validate_shop
from .store import ACTIVE, REAUTH, UNINSTALLED, ShopifyStore, list_stores, pickable_products
from .sync import SyncReport, purge_shop, remove_products, sync_products, sync_store
from .tokens import ReauthRequired, ShopifyError, get_valid_token
from .webhooks import Outcome, receive, verify_webhook

JOB_KIND = "products-sync"


def queue_sync(cat: Catalog, store_id: str, *, full: bool = False) -> str:
    """Queue a `products-sync` job for the store (an identical queued or running one is reused)."""
    from ..jobs import submit_job

    job, _created = submit_job(cat, JOB_KIND, {"store": store_id, **({"full": True} if full else {})})
    rows.mark_sync(cat, store_id, message="sync queued", job_id=job.id)
    return job.id


def queue_webhook_work(cat: Catalog, shop: str, event_id: str) -> str:
    from ..jobs import submit_job

    job, _created = submit_job(cat, JOB_KIND, {"shop": shop, "webhook": event_id})
    rows.set_delivery(cat, event_id, "queued", job.id)
    return job.id


def run_products_sync(settings: Settings, cat: Catalog, store: ObjectStore, *, store_id: str | None = None,
                      full: bool = False, shop: str | None = None, webhook: str | None = None,
                      progress: Callable[[float, float, str], None] | None = None,
                      http: httpx.Client | None = None) -> dict[str, Any]:
    """What the `products-sync` job does (see `anchor_core.jobs.tasks.products_sync`)."""
    if webhook is not None:
        return _webhook_work(settings, cat, store, validate_shop(shop), webhook, http=http)
    if store_id is None:
        raise AnchorError("a products-sync job needs a store (or a webhook delivery)")
    cfg = load_shopify_config(settings)
    report = sync_store(cat, store, cfg, TokenCipher.from_settings(settings), store_id, full=full, http=http,
                        progress=progress)
    return report.as_dict()


def _webhook_work(settings: Settings, cat: Catalog, store: ObjectStore, shop: str, event_id: str, *,
                  http: httpx.Client | None) -> dict[str, Any]:
    d = rows.get_delivery(cat, event_id)
    if d is None:  # shop/redact already removed it with the rest of the shop
        return {"webhook": event_id, "done": "nothing left to do"}
    topic = d["topic"]
    out: dict[str, Any] = {"webhook": event_id, "topic": topic, "shop": shop}
    if topic == "shop/redact":
        out["images_deleted"] = purge_shop(cat, store, shop)
        out["done"] = "every row of the shop deleted"
        return out  # its delivery row went with the rest
    found = rows.find_store(cat, shop)
    ids = list((d.get("payload") or {}).get("ids") or [])
    if found is None:
        out["done"] = "no such store"
    elif topic == "products/delete":
        out["removed"] = remove_products(cat, store, found.id, ids)
    elif not found.connected:
        out["done"] = f"store is {found.state}"
    else:
        cfg = load_shopify_config(settings)
        report = sync_products(cat, store, cfg, TokenCipher.from_settings(settings), found.id, ids, http=http)
        out.update(stored=report.stored, removed=report.deleted, skipped=report.skipped)
    rows.set_delivery(cat, event_id, "done")
    return out


__all__ = ["ACTIVE", "JOB_KIND", "REAUTH", "UNINSTALLED", "Installed", "Outcome", "ReauthRequired", "Refusal",
           "ShopifyConfig", "ShopifyError", "ShopifyStore", "SyncReport", "TokenCipher", "begin_install",
           "complete_install", "get_valid_token", "list_stores", "load_shopify_config", "missing_settings",
           "pickable_products", "purge_shop", "queue_sync", "queue_webhook_work", "receive", "remove_products",
           "run_products_sync", "sync_products", "sync_store", "validate_shop", "verify_webhook"]
