"""The organizer app drives analysis through a job (issue 13): a real browser (Debian's chromium,
driven by Playwright) against `anchor serve` and the worker it starts, on a small generated event.

The organizer presses Analyse, sees the marimo progress bar move, reloads the page and still
sees the same job (read from the catalog, not from the closed session), then its result.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_browser import ARTIFACTS, CHROMIUM, _browser, _free_port

PASSWORD = "jobs sesame"
SECONDS = 24.0  # long enough that sync + analysis take several seconds; 320x180 keeps it cheap
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: `make test` finds or installs it")


def _event(home: Path) -> str:
    """A new home with one event of two angles sharing one sound (the second starts 1.5 s later)."""
    from anchor_core.catalog import Catalog
    from anchor_core.catalog import events as events_repo
    from anchor_core.config import load_settings
    from anchor_core.ingest import ingest_video
    from anchor_core.store import open_store
    from tests.mediagen import make_clip_with_sound, noise_audio

    settings = load_settings(home, env={})
    sr = 48000
    sound = noise_audio(SECONDS + 2, sr, seed=3)
    media = home.parent / "media"
    media.mkdir(parents=True, exist_ok=True)
    clips = {"wide": make_clip_with_sound(media / "wide.mp4", sound[: int(SECONDS * sr)], sr, seconds=SECONDS,
                                          width=320, height=180),
             "closeup": make_clip_with_sound(media / "closeup.mp4", sound[int(1.5 * sr): int((1.5 + SECONDS) * sr)],
                                             sr, seconds=SECONDS, width=320, height=180)}
    with Catalog(settings.catalog_path) as cat:
        event_id = events_repo.create_event(cat, "Jobs night", "sports").id
        store = open_store(settings)
        for angle, path in clips.items():
            ingest_video(cat, store, event_id, str(path), angle_type=angle, scratch=settings.home / "tmp",
                         ffmpeg=settings.ffmpeg)
    return event_id


def _serve(tmp_path: Path, home: Path, *extra: str) -> tuple[str, subprocess.Popen[bytes]]:
    """`python -m anchor_app.serve` (what `anchor serve` execs) for `home`, in its own process group."""
    (tmp_path / "pw").write_text(PASSWORD)
    port = _free_port()
    with open(tmp_path / "serve.log", "wb") as log:  # the server's and its worker's start-up lines
        proc = subprocess.Popen([sys.executable, "-m", "anchor_app.serve", "--port", str(port), "--password-file",
                                 str(tmp_path / "pw"), *extra], env={**os.environ, "ANCHOR_HOME": str(home)},
                                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/", timeout=1)
            break
        except httpx.HTTPError:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.1)
    return base, proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


@pytest.fixture
def served_event(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    home = tmp_path / "home"
    event_id = _event(home)
    base, proc = _serve(tmp_path, home)
    yield base, event_id, home
    _stop(proc)


@pytest.fixture
def served_without_worker(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server with no worker (`--no-worker`) over an event with no footage: jobs stay queued."""
    from anchor_core.catalog import Catalog
    from anchor_core.catalog import events as events_repo

    home = tmp_path / "home"
    with Catalog(home / "catalog.duckdb") as cat:
        event_id = events_repo.create_event(cat, "Quiet night", "concert").id
    base, proc = _serve(tmp_path, home, "--no-worker")
    yield base, event_id
    _stop(proc)


_BAR = """() => {  // the first job row's progress bar: its job id, status and value (marimo's data attributes)
    const row = document.querySelector('.anchor-job');
    if (!row) return null;
    const bar = row.querySelector('marimo-progress');
    return {id: row.dataset.jobId, status: row.dataset.status,
            progress: bar ? JSON.parse(bar.dataset.progress) : null, total: bar ? JSON.parse(bar.dataset.total) : null};
}"""


def test_organizer_starts_analysis_sees_the_bar_move_and_after_a_reload_the_same_job_and_its_result(served_event):
    from playwright.sync_api import expect, sync_playwright

    base, event_id, home = served_event
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(http_credentials={"username": "anchor", "password": PASSWORD},
                                viewport={"width": 1200, "height": 1000})
        page.goto(f"{base}/organizer/?event={event_id}")
        expect(page.get_by_text("No jobs for this event yet.")).to_be_visible(timeout=60_000)
        page.get_by_role("button", name="Analyse", exact=True).click()
        clicked = time.monotonic()

        # The bar appears, then moves: its value is read from the page on every refresh.
        page.wait_for_function(f"() => {{ const b = ({_BAR})(); return b && b.progress !== null; }}",
                               timeout=30_000)
        first = page.evaluate(_BAR)
        bar_after = time.monotonic() - clicked
        job_id = first["id"]
        assert job_id.startswith("job") and first["total"] == 100 and first["status"] in ("queued", "running")
        seen = [first["progress"]]
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            now = page.evaluate(_BAR)
            if now and now["id"] == job_id and now["progress"] is not None:
                seen.append(now["progress"])
                if now["progress"] > seen[0] and now["status"] == "running" and now["progress"] < 100:
                    break
            page.wait_for_timeout(200)
        assert max(seen) > seen[0], f"the bar never moved: {seen}"
        moved_to = max(seen)
        page.screenshot(path=str(ARTIFACTS / "organizer-job-running.png"), full_page=True)

        # A reload is a new session: the job is read back from the catalog, still the same one.
        page.reload()
        reloaded = time.monotonic()
        row = page.locator(f".anchor-job[data-job-id='{job_id}']")
        try:
            expect(row).to_be_attached(timeout=60_000)
        except AssertionError:
            (ARTIFACTS / "organizer-job-reload.html").write_text(page.content())
            page.screenshot(path=str(ARTIFACTS / "organizer-job-reload.png"), full_page=True)
            raise
        back_after = time.monotonic() - reloaded
        assert page.locator(".anchor-job").count() == 1  # nothing was submitted again
        after = page.evaluate(_BAR)
        assert after["id"] == job_id
        assert after["status"] == "done" or (after["status"] == "running" and after["progress"] >= moved_to), after
        # ... then its result, once the worker has finished it.
        expect(row).to_have_attribute("data-status", "done", timeout=60_000)
        expect(row).to_contain_text("Analyse")
        expect(row).to_contain_text("2 angle(s)")
        page.screenshot(path=str(ARTIFACTS / "organizer-job-done.png"), full_page=True)
        browser.close()

    from anchor_core.catalog import Catalog
    from anchor_core.jobs import get_job

    with Catalog(home / "catalog.duckdb") as cat:
        job = get_job(cat, job_id)
    assert job.kind == "prepare" and job.status == "done" and job.attempts == 1
    assert len(job.result["analyze"]["angles"]) == 2
    ran = (job.extra["finished_at"] - job.extra["started_at"]).total_seconds()
    print(f"click → bar shown {bar_after:.1f} s; bar {seen[0]} → {moved_to}; reload → same job shown "
          f"{back_after:.1f} s; the job ran {ran:.1f} s (queued {(job.extra['started_at'] - job.created_at).total_seconds():.1f} s)")


def test_a_job_nobody_runs_says_no_worker_and_cancel_then_retry_work_from_the_page(served_without_worker):
    from playwright.sync_api import expect, sync_playwright

    base, event_id = served_without_worker
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(http_credentials={"username": "anchor", "password": PASSWORD},
                                viewport={"width": 1200, "height": 1000})
        page.goto(f"{base}/organizer/?event={event_id}")
        expect(page.get_by_text("No jobs for this event yet.")).to_be_visible(timeout=60_000)
        page.get_by_role("button", name="Analyse", exact=True).click()
        row = page.locator(".anchor-job").first
        expect(row).to_have_attribute("data-status", "queued", timeout=30_000)
        job_id = row.get_attribute("data-job-id")
        expect(page.get_by_text("No worker seems to be running")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("worker", exact=False).filter(has_text="anchor --home").first).to_be_visible()

        page.get_by_role("button", name=f"Cancel Analyse ({job_id[-6:]})").click()
        expect(page.locator(f".anchor-job[data-job-id='{job_id}']")).to_have_attribute(
            "data-status", "cancelled", timeout=30_000)
        expect(page.get_by_text("No worker seems to be running")).to_have_count(0)

        page.get_by_role("button", name=f"Retry Analyse ({job_id[-6:]})").click()
        expect(page.locator(f".anchor-job[data-job-id='{job_id}']")).to_have_attribute(
            "data-status", "queued", timeout=30_000)  # the same job, queued again
        expect(page.locator(".anchor-job")).to_have_count(1)
        browser.close()
