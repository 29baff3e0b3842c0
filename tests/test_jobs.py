"""Background jobs: one row per long step, deduplicated, run by `anchor worker` in child process
groups; a killed worker's job is re-queued and finishes, a cancel kills the job's ffmpeg within
2 s, and the catalog stays readable by other commands while a job runs."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mediagen import make_clip
from tests.test_faults import ROOT, alive, descendants, digest, ffmpegs

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; Linux only")


def cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`anchor ARGS` in this process (no interpreter start-up): stdout, stderr and the exit code."""
    import contextlib
    import io

    from anchor_core.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--home", str(home), "-q", *args])
    proc = subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())
    if check:
        assert code == 0, (args, proc.stderr)
    return proc


def worker(home: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "anchor_core.cli", "--home", str(home), "worker", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def show(home: Path, job_id: str) -> dict:
    return json.loads(cli(home, "jobs", "show", job_id, "--json").stdout)


def wait_for(predicate, timeout_s: float = 120.0, every_s: float = 0.05):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    pytest.fail("timed out waiting")


@pytest.fixture(scope="module")
def event(tmp_path_factory) -> Iterator[dict]:
    """A 20 s one-angle event, synced, analysed and with a timeline (all run as foreground jobs)."""
    base = tmp_path_factory.mktemp("jobs")
    clip = make_clip(base / "wide.mp4", seconds=20.0, width=320, height=180, seed=3)
    home = base / "home"
    eid = cli(home, "event", "create", "Job night", "--type", "concert").stdout.strip().splitlines()[-1]
    cli(home, "ingest", eid, str(clip), "--angle", "wide")
    cli(home, "sync", eid)
    cli(home, "analyze", eid, "--window-ms", "1000")
    cli(home, "timeline", eid)
    yield {"home": home, "eid": eid, "master": home / "store" / "outputs" / eid / "master.mp4"}


def test_foreground_commands_record_their_jobs(event):
    listed = json.loads(cli(event["home"], "jobs", "list", "--event", event["eid"], "--json").stdout)
    kinds = {j["kind"]: j for j in listed["jobs"]}
    assert {"sync", "analyze", "timeline"} <= set(kinds)
    assert all(j["status"] == "done" and j["progress"] == 1.0 for j in kinds.values())
    assert kinds["analyze"]["result"]["angles"][0]["windows"] == 20
    assert kinds["analyze"]["worker"].startswith("cli:")


def test_submitting_the_same_job_twice_gives_one_job(event):
    home, eid = event["home"], event["eid"]
    first = cli(home, "render", eid, "--size", "320x180", "--background").stdout.strip().splitlines()[-1]
    second = cli(home, "render", eid, "--size", "320x180", "--background")
    assert second.stdout.strip().splitlines()[-1] == first
    assert "already queued" in second.stderr
    other = cli(home, "render", eid, "--size", "256x144", "--background").stdout.strip().splitlines()[-1]
    assert other != first  # other arguments: another job
    cli(home, "jobs", "cancel", other)
    queued = json.loads(cli(home, "jobs", "list", "--status", "queued", "--json").stdout)
    assert [j["id"] for j in queued["jobs"]] == [first]
    assert show(home, other)["status"] == "cancelled"
    cli(home, "jobs", "cancel", first)


def test_a_killed_worker_s_render_is_requeued_and_finishes_without_a_partial_master(event):
    home, eid, master = event["home"], event["eid"], event["master"]
    master.unlink(missing_ok=True)
    job_id = cli(home, "render", eid, "--size", "320x180", "--fps", "25",
                    "--background").stdout.strip().splitlines()[-1]
    seen_partial: list[str] = []
    stop = threading.Event()

    def watch() -> None:  # the output key holds nothing or the finished file, at every moment
        while not stop.is_set():
            if master.exists():
                probe = subprocess.run([sys.executable, "-c", "import sys; from anchor_core.media import probe;"
                                        "probe(sys.argv[1])", str(master)], capture_output=True, cwd=ROOT)
                if probe.returncode != 0 and master.exists():
                    seen_partial.append(probe.stderr.decode()[-200:])
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        w = worker(home)
        kids = wait_for(lambda: (k := descendants(w.pid)) and ffmpegs(k) and k, timeout_s=60)
        w.kill()
        w.wait()
        wait_for(lambda: not [p for p in kids if alive(p)], timeout_s=5)
        assert show(home, job_id)["status"] == "running"  # nobody has noticed yet
        assert not master.exists()
        w2 = worker(home, "--until-idle")
        assert w2.wait(timeout=180) == 0, w2.stderr.read() if w2.stderr else ""
    finally:
        stop.set()
        watcher.join()
    job = show(home, job_id)
    assert job["status"] == "done", (job["error"], job["history"])
    assert job["attempts"] == 2
    assert any("gone" in h.get("why", "") for h in job["history"])
    assert master.is_file() and job["result"]["object_key"] == f"outputs/{eid}/master.mp4"
    assert not seen_partial
    assert not [p for p in (home / "tmp").iterdir()]  # the killed attempt's work folder was swept


def test_cancelling_a_running_render_kills_its_ffmpeg_within_two_seconds(event):
    home, eid = event["home"], event["eid"]
    job_id = cli(home, "render", eid, "--size", "960x540", "--fps", "24",
                 "--background").stdout.strip().splitlines()[-1]
    w = worker(home, "--until-idle")
    try:
        ff = wait_for(lambda: ffmpegs(descendants(w.pid)), timeout_s=60)
        from anchor_core.catalog import Catalog
        from anchor_core.jobs import request_cancel

        t0 = time.monotonic()
        with Catalog(home / "catalog.duckdb", create=False) as cat:
            request_cancel(cat, job_id)
        wait_for(lambda: not [p for p in ff if alive(p)], timeout_s=5, every_s=0.02)
        gone_s = time.monotonic() - t0
        assert w.wait(timeout=30) == 0
    finally:
        if w.poll() is None:
            w.kill()
    assert gone_s < 2.0
    job = show(home, job_id)
    assert job["status"] == "cancelled"
    assert not ffmpegs(descendants(w.pid))
    event_status = json.loads(cli(home, "event", "show", eid, "--json").stdout)["event"]["status"]
    assert event_status != "generating"  # a cancelled render does not block the next step
    assert not [p for p in (home / "tmp").iterdir()]


def test_other_commands_read_and_submit_while_a_job_runs(event):
    home, eid = event["home"], event["eid"]
    job_id = cli(home, "analyze", eid, "--force", "--window-ms", "1000",
                    "--background").stdout.strip().splitlines()[-1]
    w = worker(home, "--until-idle")
    try:
        wait_for(lambda: show(home, job_id)["status"] == "running", timeout_s=60)
        listed = cli(home, "event", "list")
        assert eid in listed.stdout
        progress = show(home, job_id)
        assert progress["status"] == "running"
        again = cli(home, "analyze", eid, "--force", "--window-ms", "1000", "--background")
        assert again.stdout.strip().splitlines()[-1] == job_id
        assert w.wait(timeout=120) == 0
    finally:
        if w.poll() is None:
            w.kill()
    job = show(home, job_id)
    assert job["status"] == "done", (job["error"], job["history"])


def test_a_failed_job_says_why_and_can_be_retried(tmp_path):
    home = tmp_path / "home"
    eid = cli(home, "event", "create", "Empty", "--type", "concert").stdout.strip().splitlines()[-1]
    job_id = cli(home, "timeline", eid, "--background").stdout.strip().splitlines()[-1]
    cli(home, "worker", "--until-idle")
    job = show(home, job_id)
    assert job["status"] == "failed"
    assert "anchor ingest" in job["error"] or "no angles" in job["error"].lower() or "analy" in job["error"]
    foreground = cli(home, "timeline", eid, check=False)
    assert foreground.returncode == 1 and foreground.stderr.startswith("anchor: error: ")
    retried = cli(home, "jobs", "retry", job_id)
    assert "queued" in retried.stdout
    assert show(home, job_id)["status"] == "queued"


def test_a_locked_catalog_is_waited_for_then_named(tmp_path):
    from anchor_core.catalog import Catalog, CatalogBusy

    path = tmp_path / "c.duckdb"
    Catalog(path).close()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from anchor_core.catalog import Catalog\n"
        "c = Catalog(sys.argv[1])\n"
        "with c.transaction() as cur:\n"
        "    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"), str(path), "1.5"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout and holder.stdout.readline().strip() == "held"
    t0 = time.monotonic()
    cat = Catalog(path, lock_wait_s=10)  # waits for the holder's transaction, then opens
    assert time.monotonic() - t0 > 0.3
    assert cat.schema_version() >= 3
    holder.wait()
    holder2 = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from anchor_core.catalog import Catalog\n"
        "c = Catalog(sys.argv[1])\n"
        "with c.transaction() as cur:\n"
        "    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"), str(path), "5"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder2.stdout and holder2.stdout.readline().strip() == "held"
        with pytest.raises(CatalogBusy, match=rf"process {holder2.pid}\b.*python"):
            Catalog(path, lock_wait_s=0.3).schema_version()
    finally:
        holder2.kill()
        holder2.wait()


def test_a_foreground_rerun_after_a_kill_does_not_wait_for_the_dead_run(event):
    home, eid = event["home"], event["eid"]
    proc = subprocess.Popen([sys.executable, "-m", "anchor_core.cli", "--home", str(home), "-q", "render", eid,
                             "--size", "288x160"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)
    wait_for(lambda: ffmpegs(descendants(proc.pid)), timeout_s=60)
    proc.kill()
    proc.wait()
    t0 = time.monotonic()
    cli(home, "render", eid, "--size", "288x160")
    assert time.monotonic() - t0 < 60
    jobs = json.loads(cli(home, "jobs", "list", "--event", eid, "--json").stdout)["jobs"]
    mine = [j for j in jobs if j["kind"] == "render" and j["args"].get("width") == 288]
    assert len(mine) == 1 and mine[0]["status"] == "done" and mine[0]["attempts"] == 2
    assert digest(event["master"])
