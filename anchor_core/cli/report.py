"""`anchor report EVENT --out FILE` and `anchor serve`: both run the marimo side (the `anchor_app`
package, which finds the checkout's notebooks/) in its own process, so the library itself never
imports marimo."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import AnchorError
from .context import Context

APP = "anchor_app"


def _app_module(name: str) -> str:
    """`anchor_app.<name>`, after checking the package is installed (found, not imported)."""
    import importlib.util

    if importlib.util.find_spec(APP) is None:
        raise AnchorError(f"the {APP} package (Anchor's marimo side) is not installed; run Anchor from its checkout"
                          " (pip install -e .)")
    return f"{APP}.{name}"


def register(sub: Any) -> None:
    r = sub.add_parser("report", help="export the event's reproducible report to one offline HTML file")
    r.add_argument("event")
    r.add_argument("--out", help="the HTML file to write (default: HOME/reports/EVENT.html)")
    r.set_defaults(func=cmd_report)
    s = sub.add_parser("serve", help="serve the organizer app and the workbench (password protected)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=2718)
    s.add_argument("--password-file", help="file holding the password (one line); else one is generated")
    s.add_argument("--session-hours", default="12", help="how long a login lasts (default 12)")
    s.add_argument("--no-auth", action="store_true", help="no password (only on localhost)")
    s.add_argument("--no-worker", action="store_true",
                   help="start no job worker (the jobs wait for `anchor worker` processes run elsewhere)")
    s.set_defaults(func=cmd_serve)


def cmd_report(args: argparse.Namespace, ctx: Context) -> int:
    from ..catalog import events as events_repo

    events_repo.get_event(ctx.catalog(), args.event)  # clear error for a wrong id
    ctx.close()  # the report opens the catalog itself
    out = args.out or ctx.settings.home / "reports" / f"{args.event}.html"
    print(export_report(ctx.settings.home, args.event, out))
    return 0


def export_report(home: Path, event_id: str, out: str | Path) -> Path:
    """Run the report notebook on the event and write one offline HTML file (catalog closed first)."""
    from ..media.process import run_python_module

    target = Path(out).resolve()  # the exporter writes it whole or not at all
    run_python_module(_app_module("export_report"),
                      ["--event", event_id, "--home", str(Path(home).resolve()), "--out", str(target)],
                      what="the report notebook failed")
    return target


def cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    ctx.close()
    cmd = [sys.executable, "-m", _app_module("serve"), "--host", args.host, "--port", str(args.port),
           "--session-hours", str(args.session_hours)]
    if args.password_file:
        cmd += ["--password-file", args.password_file]
    if args.no_auth:
        cmd.append("--no-auth")
    if args.no_worker:
        cmd.append("--no-worker")
    env = dict(os.environ, ANCHOR_HOME=str(ctx.settings.home.resolve()))
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the server (no child left behind): a stop signal reaches it directly, and its start-up
    # errors (password file, busy port; checked there, before anything is printed) are ours.
    os.execve(sys.executable, cmd, env)
    return 0  # pragma: no cover - execve does not return
