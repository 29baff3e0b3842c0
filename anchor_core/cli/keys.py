"""`anchor keys init|status|rotate|prune`: the Fernet keys that encrypt stored Shopify tokens.

Keys live in a file named by ANCHOR_TOKEN_KEYS_FILE (newest first, mode 600) or in
ANCHOR_TOKEN_KEYS ("new,old"); never in the catalog. No command prints a key or a token.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("keys", help="the keys that encrypt stored store tokens: init, status, rotate, prune")
    ksub = p.add_subparsers(dest="keys_command", metavar="ACTION")
    ksub.required = True
    for name, helptext, func in (
        ("init", "make a new key file (mode 600) with one key", cmd_init),
        ("status", "how many keys, and how many secrets the newest one encrypts", cmd_status),
        ("rotate", "add a new key first and re-encrypt every stored secret with it", cmd_rotate),
        ("prune", "drop every key but the newest, once no secret needs them", cmd_prune),
    ):
        k = ksub.add_parser(name, help=helptext)
        k.add_argument("--key-file", type=Path, required=name == "init",
                       help="the key file (default $ANCHOR_TOKEN_KEYS_FILE)")
        k.add_argument("--json", action="store_true")
        k.set_defaults(func=func)


def _show(ctx: Context, report: Any, json_mode: bool, verb: str) -> int:
    if json_mode:
        ctx.out(report, True)
        return 0
    where = f" in {report.file}" if report.file else " in ANCHOR_TOKEN_KEYS"
    print(f"{verb}: {report.keys} key(s){where}; {report.secrets} stored secret(s), {report.under_newest} under the"
          f" newest key" + (f", {report.rewritten} re-encrypted" if report.rewritten else ""))
    if report.advice:
        print(report.advice)
    return 0


def _catalog(ctx: Context) -> Any:
    return ctx.catalog() if ctx.settings.catalog_path.is_file() else None


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    from ..shopify.rotation import init_key_file

    return _show(ctx, init_key_file(args.key_file), args.json, "created")


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    from ..shopify.rotation import status

    return _show(ctx, status(ctx.settings, _catalog(ctx), args.key_file), args.json, "keys")


def cmd_rotate(args: argparse.Namespace, ctx: Context) -> int:
    from ..shopify.rotation import rotate

    return _show(ctx, rotate(ctx.settings, ctx.catalog(create=True), args.key_file), args.json, "rotated")


def cmd_prune(args: argparse.Namespace, ctx: Context) -> int:
    from ..shopify.rotation import prune

    return _show(ctx, prune(ctx.settings, ctx.catalog(create=True), args.key_file), args.json, "pruned")
