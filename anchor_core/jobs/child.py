"""`python -m anchor_core.jobs.child --home HOME JOB`: one claimed job, run by a worker's child.

The worker has already marked the job running; this process runs the task and closes the row.
SIGTERM (a cancel) ends it at once; the worker then records the cancel and sweeps its files.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="anchor-job")
    parser.add_argument("--home", required=True)
    parser.add_argument("job")
    args = parser.parse_args(argv)
    from ..catalog import open_catalog
    from ..config import load_settings
    from . import store
    from .runner import JobRun, execute

    settings = load_settings(args.home)
    cat = open_catalog(settings, create=False)
    job = store.get(cat, args.job)
    if job.status != "running":
        print(f"job {job.id} is {job.status}, not running: nothing to do", file=sys.stderr)
        return 0
    done = execute(JobRun(settings, job.id, cat), job)
    print(f"job {done.id}: {done.status}" + (f": {done.error}" if done.error else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
