"""Job `products-sync`: a connected Shopify store's products into the catalog, or the work a
webhook delivery left (`products/*` fetched again or removed, `shop/redact` purging the shop).

Args: `store` (its id) and optionally `full`; or `shop` and `webhook` (the delivery's event id).
"""

from __future__ import annotations

from typing import Any

from ..model import Task, TaskContext


def run(ctx: TaskContext, *, store: str | None = None, full: bool = False, shop: str | None = None,
        webhook: str | None = None) -> dict[str, Any]:
    from ...shopify import run_products_sync

    return run_products_sync(ctx.settings, ctx.catalog(), ctx.store(), store_id=store, full=full, shop=shop,
                             webhook=webhook, progress=ctx.progress)


TASK = Task(kind="products-sync", summary="sync a connected Shopify store's products", run=run, event_arg=None)
