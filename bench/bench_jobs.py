"""Job overhead: what a job costs before and around its work.

1. Catalog cost per job: submit, claim, ten progress writes and finish, each its own short
   transaction that opens and closes the file (so other processes can use it between them).
   Baseline: one bare DuckDB open + insert + close on the same kind of file, same run.
2. Submit → start and submit → end latency with an idle `anchor worker` polling the queue, for
   a job that fails at once (a timeline of an event without angles): the cost is the claim, the
   child process start (interpreter + imports) and the bookkeeping.
   Baseline: `python -c pass` and `python -c "import anchor_core.jobs.runner"`, same run.

Run: python -m bench jobs   (ANCHOR_BENCH_JOBS sets the jobs timed per part; default 20 / 5)
Target: catalog cost per job ≤ 30 bare transactions; submit → start ≤ 1 s with the default
0.5 s poll.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _median_s(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def catalog_cost(home: Path, runs: int) -> None:
    import duckdb

    from anchor_core.catalog import Catalog
    from anchor_core.catalog import events as events_repo
    from anchor_core.jobs import store

    home.mkdir(parents=True, exist_ok=True)
    raw = home / "raw.duckdb"
    con = duckdb.connect(str(raw))
    con.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
    con.close()

    def bare() -> None:
        c = duckdb.connect(str(raw))
        c.execute("INSERT INTO t VALUES (1, 'x')")
        c.close()

    base = _median_s(bare, runs * 3)
    cat = Catalog(home / "catalog.duckdb")
    eid = events_repo.create_event(cat, "Bench", "concert").id
    counter = iter(range(10**9))

    def one_job() -> None:
        job, _ = store.submit(cat, "timeline", {"event": eid, "n": next(counter)}, event_id=eid)
        store.claim(cat, "bench", job_id=job.id)
        for i in range(10):
            store.set_progress(cat, job.id, i / 10, "step")
        store.finish(cat, job.id, result={"ok": True})

    per_job = _median_s(one_job, runs)
    print(f"bare DuckDB transaction (open + insert + close): {base * 1000:.1f} ms")
    print(f"one job's catalog cost (submit, claim, 10 progress, finish = 13 transactions): "
          f"{per_job * 1000:.1f} ms = {per_job / base:.1f} bare transactions")


def latency(home: Path, runs: int) -> None:
    from anchor_core.catalog import Catalog
    from anchor_core.catalog import events as events_repo
    from anchor_core.jobs import get_job, submit_job

    def python(*args: str) -> float:
        return _median_s(lambda: subprocess.run([sys.executable, *args], cwd=ROOT, check=True), 3)

    bare = python("-c", "pass")
    imports = python("-c", "import anchor_core.jobs.runner, anchor_core.catalog")
    cat = Catalog(home / "catalog.duckdb")
    eid = events_repo.create_event(cat, "Latency", "concert").id
    worker = subprocess.Popen([sys.executable, "-m", "anchor_core.cli", "--home", str(home), "-q", "worker"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    starts, ends = [], []
    try:
        time.sleep(2.0)  # the worker is up and polling
        for i in range(runs):
            t0 = time.perf_counter()
            job, _ = submit_job(cat, "timeline", {"event": eid, "profile": None, "strategy": None, "n": i})
            started = ended = None
            while ended is None and time.perf_counter() - t0 < 60:
                j = get_job(cat, job.id)
                if started is None and j.status != "queued":
                    started = time.perf_counter() - t0
                if not j.active:
                    ended = time.perf_counter() - t0
                time.sleep(0.01)
            if started is None or ended is None:
                raise RuntimeError(f"job {job.id} did not finish: {get_job(cat, job.id)}")
            starts.append(started)
            ends.append(ended)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(f"python -c pass: {bare:.3f} s; python importing the job runner + catalog: {imports:.3f} s")
    print(f"submit → running: median {statistics.median(starts):.3f} s (poll every 0.5 s)")
    print(f"submit → finished (a job that fails at once): median {statistics.median(ends):.3f} s "
          f"= {statistics.median(ends) / bare:.1f} × python start-up, "
          f"{statistics.median(ends) / imports:.1f} × the runner's import time")


def main() -> None:
    runs = int(os.environ.get("ANCHOR_BENCH_JOBS", "20"))
    with tempfile.TemporaryDirectory(prefix="anchor-bench-jobs-") as tmp:
        catalog_cost(Path(tmp) / "a", runs)
    with tempfile.TemporaryDirectory(prefix="anchor-bench-jobs-") as tmp:
        latency(Path(tmp) / "b", max(3, runs // 4))


if __name__ == "__main__":
    main()
