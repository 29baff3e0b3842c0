"""`anchor jobs list|show|cancel|retry` and `anchor worker [--until-idle]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .context import Context


def register(sub: Any) -> None:
    j = sub.add_parser("jobs", help="background jobs: list, show, cancel, retry")
    jsub = j.add_subparsers(dest="jobs_command", metavar="ACTION")
    jsub.required = True
    ls = jsub.add_parser("list", help="recent jobs, newest first")
    ls.add_argument("--event", help="only this event's jobs")
    ls.add_argument("--status", help="queued, running, done, failed or cancelled")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    show = jsub.add_parser("show", help="one job: status, progress, result or error")
    show.add_argument("job", help="a job id (an unambiguous prefix will do)")
    show.add_argument("--json", action="store_true")
    show.add_argument("--wait", action="store_true", help="follow it until it ends")
    show.set_defaults(func=cmd_show)
    cancel = jsub.add_parser("cancel", help="stop a queued or running job")
    cancel.add_argument("job")
    cancel.add_argument("--wait", type=float, default=10.0, metavar="S",
                        help="seconds to wait for a running job to stop (default 10)")
    cancel.set_defaults(func=cmd_cancel)
    retry = jsub.add_parser("retry", help="queue a failed or cancelled job again")
    retry.add_argument("job")
    retry.set_defaults(func=cmd_retry)
    w = sub.add_parser("worker", help="run queued jobs (anchor serve starts one of these)")
    w.add_argument("--until-idle", action="store_true", help="exit when no job is left")
    w.add_argument("--concurrency", type=int, default=1, help="jobs at a time (default 1)")
    w.set_defaults(func=cmd_worker)


def _line(job: Any) -> str:
    pct = f"{100 * job.progress:3.0f}%"
    tail = job.error if job.status == "failed" else job.message
    return f"{job.id}  {job.kind:9s} {job.status:9s} {pct}  {job.event_id or '-':14s} {tail or ''}"[:200]


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    from ..jobs import job_summary, list_jobs

    jobs = list_jobs(ctx.catalog(), event_id=args.event, status=args.status)
    if args.json:
        ctx.out({"jobs": [job_summary(j) for j in jobs], "count": len(jobs)}, True)
        return 0
    if not jobs:
        print("no jobs" + (f" for event {args.event}" if args.event else ""))
    for job in jobs:
        print(_line(job))
    return 0


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    from ..jobs import follow, get_job, job_summary

    job = get_job(ctx.catalog(), args.job)
    if args.wait and job.active:
        job = follow(ctx.catalog(), job.id, echo=ctx.progress(job.kind))
    if args.json:
        ctx.out(job_summary(job), True)
        return 0
    print(_line(job))
    print(f"attempts {job.attempts}/{job.max_attempts}, worker {job.worker or '-'}, created {job.created_at:%Y-%m-%d %H:%M:%S}")
    if job.error:
        print(f"error: {job.error}")
    if job.result:
        for k, v in job.result.items():
            if not isinstance(v, list | dict):
                print(f"{k}: {v}")
    return 0


def cmd_cancel(args: argparse.Namespace, ctx: Context) -> int:
    from ..jobs import follow, request_cancel

    job = request_cancel(ctx.catalog(), args.job)
    if job.active and args.wait > 0:
        job = follow(ctx.catalog(), job.id, timeout_s=args.wait, poll_s=0.2)
    if job.active:
        print(f"{job.id}: cancel requested; its worker stops it at its next check")
    else:
        print(f"{job.id}: {job.status}")
    return 0


def cmd_retry(args: argparse.Namespace, ctx: Context) -> int:
    from ..jobs import retry_job

    job = retry_job(ctx.catalog(), args.job)
    print(f"{job.id}: {job.status}; `anchor worker` runs it")
    return 0


def cmd_worker(args: argparse.Namespace, ctx: Context) -> int:
    import signal
    import threading

    from ..jobs import run_worker

    ctx.catalog()  # a clear error (and the stale-folder sweep) before the loop starts
    stop = threading.Event()

    def on_term(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)

    def on_job(job: Any) -> None:
        if not ctx.quiet:
            print(_line(job), file=sys.stderr)

    n = run_worker(ctx.settings, until_idle=args.until_idle, concurrency=max(1, args.concurrency), stop=stop,
                   on_job=on_job)
    if not ctx.quiet:
        print(f"worker: {n} job(s) run", file=sys.stderr)
    return 0
