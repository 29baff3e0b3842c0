"""`anchor products import FILE.csv [--event E] [--currency CODE] [--json]` and
`anchor products list [--event E] [--json]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("products", help="import sponsor products from a Shopify CSV export and list them")
    psub = p.add_subparsers(dest="products_command", metavar="ACTION")
    psub.required = True
    imp = psub.add_parser("import", help="import a Shopify product CSV export; every skipped row is reported")
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument("--event", help="make the imported products this event's sponsors (replaces its selection)")
    imp.add_argument("--currency", default="USD",
                     help="ISO 4217 code of the export's prices (default USD: Shopify's export does not name it)")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_import)
    ls = psub.add_parser("list", help="list the products; with --event, that event's sponsors in ad order")
    ls.add_argument("--event", help="only this event's sponsors, and whether the ads can show each")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)


def _plain(text: str | None) -> str:
    """Catalog text for a terminal: no control characters (no escape sequences)."""
    return "".join(ch if ch.isprintable() else " " for ch in (text or ""))


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    from ..products_csv import import_shopify_csv

    # Importing starts the product list of a new home; with --event the event (so the catalog) must exist.
    cat = ctx.catalog(create=not args.event)
    report = import_shopify_csv(cat, ctx.store(), args.file, event_id=args.event, currency=args.currency)
    if args.json:
        ctx.out(report.as_dict(), True)
    else:
        for s in report.skipped:
            print(f"anchor: skipped {_plain(str(s))}", file=sys.stderr)
        for w in report.warnings:
            print(f"anchor: warning: {_plain(str(w))}", file=sys.stderr)
        n, k = len(report.product_ids), len(report.skipped)
        print(f"imported {n} product{'s' if n != 1 else ''} (prices in {report.currency}); "
              f"skipped {k} row{'s' if k != 1 else ''}")
        if report.event_id:
            print(f"they are now the sponsors of event {report.event_id}, in this order")
        for pid in report.product_ids:
            print(pid)
    if not report.product_ids:
        kept = "; the event's sponsors were left as they were" if args.event else ""
        print(f"anchor: error: no product was imported: every row was skipped (the reasons are above){kept}",
              file=sys.stderr)
        return 1
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    from ..ads import ad_rotation, format_price
    from ..catalog import events as events_repo
    from ..catalog import products as products_repo

    cat = ctx.catalog()
    in_ads: set[str] | None = None
    left_out: list[str] = []
    if args.event:
        events_repo.get_event(cat, args.event)
        products = products_repo.event_products(cat, args.event)
        rotation = ad_rotation(cat, ctx.store(), args.event)
        in_ads, left_out = set(rotation.product_ids), rotation.warnings
    else:
        products = products_repo.list_products(cat)
    rows = []
    for p in products:
        row: dict[str, Any] = {"id": p.id, "handle": p.handle, "title": p.title, "vendor": p.vendor,
                               "price": p.price, "currency": p.currency,
                               "price_text": format_price(p.price, p.currency), "image": bool(p.image_key),
                               "source": p.source}
        if in_ads is not None:
            row["in_ads"] = p.id in in_ads
        rows.append(row)
    if args.json:
        ctx.out(rows, True)
        return 0
    if not rows:
        where = f" for event {args.event}" if args.event else ""
        print(f"no products{where}: import a Shopify export with `anchor products import FILE.csv"
              f"{' --event ' + args.event if args.event else ''}`")
        return 0
    for r in rows:
        image = "image" if r["image"] else "NO IMAGE"
        print(f"{r['id']}  {r['price_text'] or '-':>16}  {image:<8}  {_plain(r['title'])}")
    for message in left_out:
        print(f"anchor: warning: {_plain(message)}", file=sys.stderr)
    return 0
