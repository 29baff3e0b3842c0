"""`anchor uploads list|abort|janitor|cors`: the resumable uploads the catalog knows."""

from __future__ import annotations

import argparse
from typing import Any

from .context import Context


def register(sub: Any) -> None:
    up = sub.add_parser("uploads", help="list, abort or clean up resumable uploads")
    upsub = up.add_subparsers(dest="uploads_command", metavar="ACTION")
    upsub.required = True
    ls = upsub.add_parser("list", help="uploads with their state and how much is stored")
    ls.add_argument("--state", choices=("open", "completed", "aborted", "failed"))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    ab = upsub.add_parser("abort", help="abort an upload: its stored parts are dropped")
    ab.add_argument("upload")
    ab.set_defaults(func=cmd_abort)
    jan = upsub.add_parser("janitor", help="abort uploads left open for more than a day")
    jan.add_argument("--json", action="store_true")
    jan.set_defaults(func=cmd_janitor)
    cors = upsub.add_parser("cors", help="let browsers on these origins PUT parts straight to the S3 bucket")
    cors.add_argument("origins", nargs="+", metavar="ORIGIN", help="e.g. https://anchor.example.com")
    cors.add_argument("--json", action="store_true")
    cors.set_defaults(func=cmd_cors)


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    from ..uploads import list_uploads, open_multipart, upload_status

    cat, mp = ctx.catalog(), open_multipart(ctx.store())
    rows: list[dict[str, Any]] = []
    for u in list_uploads(cat, state=args.state):
        stored = upload_status(cat, mp, u.upload_id).stored_bytes if u.state == "open" else None
        rows.append({"upload": u.upload_id, "key": u.object_key, "state": u.state, "size_bytes": u.size_bytes,
                     "parts": u.parts, "stored_bytes": stored})
    if args.json:
        ctx.out(rows, True)
        return 0
    for r in rows:
        done = "" if r["stored_bytes"] is None else f", {100 * r['stored_bytes'] / r['size_bytes']:.0f}% stored"
        print(f"{r['upload']}  {r['state']:9s} {r['key']}  {r['size_bytes'] / 1e6:.1f} MB in {r['parts']} parts{done}")
    if not rows:
        print("no uploads")
    return 0


def cmd_abort(args: argparse.Namespace, ctx: Context) -> int:
    from ..uploads import abort_upload, open_multipart

    abort_upload(ctx.catalog(), open_multipart(ctx.store()), args.upload)
    print(f"aborted {args.upload}")
    return 0


def cmd_janitor(args: argparse.Namespace, ctx: Context) -> int:
    from ..uploads import abort_stale, open_multipart

    keys = abort_stale(ctx.catalog(), open_multipart(ctx.store()))
    ctx.out({"aborted": keys} if args.json else "\n".join(f"aborted {k}" for k in keys) or "nothing stale", args.json)
    return 0


def cmd_cors(args: argparse.Namespace, ctx: Context) -> int:
    from ..errors import ConfigError
    from ..uploads import open_multipart

    mp = open_multipart(ctx.store())
    ensure = getattr(mp, "ensure_cors", None)
    if ensure is None:
        raise ConfigError("the local store needs no CORS rule: browsers send parts to anchor serve itself, "
                          "on the app's own origin (set ANCHOR_STORE=s3 to configure a bucket)")
    rule = ensure(list(args.origins))
    ctx.out(rule if args.json else f"bucket CORS: {', '.join(rule['AllowedOrigins'])} may PUT parts "
            "and read their ETag", args.json)
    return 0
