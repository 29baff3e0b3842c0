"""`anchor shopify status [--json]` and `anchor shopify sync STORE [--full] [--background] [--json]`.

Stores are connected from the organizer app (`anchor serve`): the brand installs the app from
its Shopify store and the callback stores the tokens (encrypted) and queues the first sync.
"""

from __future__ import annotations

import argparse
from typing import Any

from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("shopify", help="connected Shopify stores: their state, and product syncs")
    psub = p.add_subparsers(dest="shopify_command", metavar="ACTION")
    psub.required = True
    st = psub.add_parser("status", help="whether Shopify is configured, and each connected store")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)
    sy = psub.add_parser("sync", help="sync a connected store's products into the catalog")
    sy.add_argument("store", help="the store's id or its domain (shop.myshopify.com)")
    sy.add_argument("--full", action="store_true", help="every product, not only those changed since the last sync")
    sy.add_argument("--background", action="store_true", help="queue it for `anchor worker` and print the job id")
    sy.add_argument("--json", action="store_true")
    sy.set_defaults(func=cmd_sync)


def _plain(text: object) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in str(text or ""))


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    from ..shopify import list_stores, missing_settings
    from ..shopify import store as rows

    missing = missing_settings(ctx.settings)
    cat = ctx.catalog() if ctx.settings.catalog_path.is_file() else None
    stores = list_stores(cat) if cat is not None else []
    listed: list[dict[str, Any]] = [
        {"id": s.id, "shop": s.shop_domain, "state": s.state, "reason": s.state_reason,
         "last_sync_at": s.last_sync_at, "message": s.last_sync_message,
         "products": rows.store_product_count(cat, s.id) if cat is not None else 0,
         "access_expires_at": s.access_expires_at} for s in stores]
    out = {"configured": not missing, "missing": missing, "stores": listed}
    if args.json:
        ctx.out(out, True)
        return 0
    if missing:
        print("Shopify is not configured; set:")
        for m in missing:
            print(f"  - {m}")
    else:
        print("Shopify is configured")
    for s in listed:
        when = f"last sync {s['last_sync_at']:%Y-%m-%d %H:%M} UTC" if s["last_sync_at"] else "never synced"
        print(f"{s['id']}  {s['shop']}  {s['state']}  {s['products']} products, {when}"
              + (f"  ({_plain(s['reason'])})" if s["reason"] else ""))
    if not stores:
        print("no store connected: brands connect theirs from the organizer app (anchor serve)")
    return 0


def cmd_sync(args: argparse.Namespace, ctx: Context) -> int:
    from ..errors import NotFoundError
    from ..shopify import JOB_KIND, list_stores

    cat = ctx.catalog()
    wanted = args.store.strip().lower()
    found = [s for s in list_stores(cat) if wanted in (s.id.lower(), s.shop_domain)]
    if not found:
        raise NotFoundError(f"no connected store {args.store!r}: `anchor shopify status` lists them")
    store = found[0]
    result = ctx.run_job(JOB_KIND, {"store": store.id, **({"full": True} if args.full else {})},
                         background=args.background, label=f"sync {store.shop_domain}")
    if result is None:
        return 0
    if args.json:
        ctx.out(result, True)
        return 0
    for gid, why in result.get("skipped", []):
        print(f"anchor: skipped {_plain(gid)}: {_plain(why)}")
    print(f"{result['stored']} products synced from {store.shop_domain} ({result['mode']}, {result['pages']} pages);"
          f" {len(result.get('skipped', []))} skipped, {result['images']} images, {result['deleted']} removed")
    return 0
