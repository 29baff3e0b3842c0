"""`anchor sync EVENT` and `anchor sync FILE FILE... [--json]` (first file is the reference)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from .context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("sync", help="sync angles by their sound: offsets, clock drift, confidence")
    p.add_argument("targets", nargs="+", metavar="EVENT|FILE",
                   help="an event id, or two or more files (the first is the reference)")
    p.add_argument("--reference", help="with an event: the video id to use as the reference")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sync)


def cmd_sync(args: argparse.Namespace, ctx: Context) -> int:
    from ..executor import make_executor
    from ..sync import sync_event, sync_files

    executor = make_executor(ctx.settings, max_workers=2)
    try:
        if all(Path(t).is_file() for t in args.targets) and len(args.targets) >= 2:
            results = sync_files(args.targets, 0, executor=executor, progress=ctx.progress("sync"),
                                 ffmpeg=ctx.settings.ffmpeg)
            rows = [r.public() for r in results]
        elif len(args.targets) == 1:
            pairs = sync_event(ctx.catalog(), ctx.store(), args.targets[0], reference_video_id=args.reference,
                               executor=executor, progress=ctx.progress("sync"), ffmpeg=ctx.settings.ffmpeg)
            rows = [dict(r.public(), video_id=vid) for vid, r in pairs]
        else:
            missing = [t for t in args.targets if not Path(t).is_file()]
            raise ValidationError(f"not files: {', '.join(missing)}; give one event id or two or more files")
    finally:
        executor.shutdown()
    if args.json:
        ctx.out(rows, True)
    else:
        for r in rows:
            line = f"{Path(r['file']).name:32s} {r['status']:9s} offset {r['offset_s']:+.4f} s, drift " \
                   f"{r['drift_ppm']:+.1f} ppm, confidence {r['confidence']:.2f}"
            print(line + (f"  ({r['reason']})" if r.get("reason") else ""))
    return 0
