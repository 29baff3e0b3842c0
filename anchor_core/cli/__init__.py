"""The `anchor` command. Each command group lives in its own module with `register(subparsers)`.

Handlers are `func(args, ctx) -> int`. Errors raised as AnchorError go to stderr with exit 1;
results go to stdout (as JSON with --json), so the tool is scriptable.

Start-up stays cheap: a command module imports only argparse, typing, `..errors` and `.context`
at its top, and its handlers import the stage they run; a command whose choices live in a heavy
stage adds its arguments on first use (`CommandParser.add_arguments_later`). `python -m bench
startup` measures `anchor --help` and `anchor event list` against `python -c pass`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import AnchorError
from .context import Context
from .parser import CommandParser

COMMAND_MODULES: tuple[str, ...] = (
    "anchor_core.cli.events",
    "anchor_core.cli.ingest",
    "anchor_core.cli.products",
    "anchor_core.cli.demo",
    "anchor_core.cli.sync",
    "anchor_core.cli.analyze",
    "anchor_core.cli.timeline",
    "anchor_core.cli.render",
    "anchor_core.cli.reel",
    "anchor_core.cli.report",
    "anchor_core.cli.backends",
    "anchor_core.cli.uploads",
    "anchor_core.cli.ads",
    "anchor_core.cli.jobs",
    "anchor_core.cli.shopify",
    "anchor_core.cli.keys",
)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="anchor",
        description="Sync, analyse and auto-edit multi-angle footage of one live event.",
    )
    parser.add_argument("--home", metavar="DIR", help="catalog and object store folder (default $ANCHOR_HOME or ./data)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = Context.from_args(args)
    try:
        return int(args.func(args, ctx) or 0)
    except AnchorError as exc:
        print(f"anchor: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the machine said no (disk full, read-only, gone): one line, no traceback
        from ..workdir import os_advice

        print(f"anchor: error: {os_advice(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("anchor: interrupted", file=sys.stderr)
        return 130
    finally:
        ctx.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
