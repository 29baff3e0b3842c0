"""`anchor backends [--json]`: every backend of every concern, which is chosen, what it needs."""

from __future__ import annotations

import argparse
from typing import Any

from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("backends", help="list the backends of each concern and which are configured")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_backends)


def cmd_backends(args: argparse.Namespace, ctx: Context) -> int:
    from ..registry import REGISTRIES

    rows = [r for reg in REGISTRIES for r in reg.describe(ctx.settings)]
    if args.json:
        ctx.out(rows, True)
        return 0
    for r in rows:
        mark = "*" if r["chosen"] else " "
        need = f"  (needs {', '.join(r['missing'])})" if r["missing"] else ""
        print(f"{mark} {r['concern']:13s} {r['backend']:9s} {r['setting']:16s} {r['summary']}{need}")
    return 0
