"""The fan-out on a real Dask LocalCluster (2 worker processes) against the thread pool.

One short generated event (three angles, one shared soundscape heard from different start
times) goes through sync, analysis, timeline and render twice: on threads and on the cluster.
The cluster's answers must be the thread pool's, down to the master's frame hashes. A worker
killed mid-analysis must cost a re-run, not the job; identical render chunks must both run.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

pytest.importorskip("distributed")

import psutil  # noqa: E402 - a dependency of distributed

from anchor_core.analysis import AnalysisParams, analyze_event, run_analysis  # noqa: E402
from anchor_core.catalog import Catalog  # noqa: E402
from anchor_core.catalog.events import create_event  # noqa: E402
from anchor_core.catalog.videos import list_videos  # noqa: E402
from anchor_core.config import Settings, load_settings  # noqa: E402
from anchor_core.errors import ConfigError  # noqa: E402
from anchor_core.executor import TaskRecord, TaskTimeout, make_executor, task_records  # noqa: E402
from anchor_core.executor.backends.dask import DaskExecutor  # noqa: E402
from anchor_core.ingest import ingest_video  # noqa: E402
from anchor_core.media import OutputFormat, run_ffmpeg  # noqa: E402
from anchor_core.media.commands import VideoInput  # noqa: E402
from anchor_core.media.encode import RawVideoWriter, write_wav  # noqa: E402
from anchor_core.media.filters import default_font  # noqa: E402
from anchor_core.render import render_event  # noqa: E402
from anchor_core.render.master import ChunkJob, render_chunk  # noqa: E402
from anchor_core.store import LocalStore  # noqa: E402
from anchor_core.sync import sync_event  # noqa: E402
from anchor_core.timeline import timeline_event  # noqa: E402

SR = 48000
FPS = 25.0
LENGTH_S = 12.0  # the event runs 15 s
# (name, angle type, event time of the first frame, bar colour): the wide angle is the clock.
ANGLES = (("wide", "wide", 0.0, (40, 160, 60)), ("closeup", "closeup", 1.5, (160, 60, 40)),
          ("crowd", "crowd", 3.0, (60, 40, 160)))
BURSTS = ((4.0, 6.0), (9.0, 11.0))  # event time: loud and busy
FMT = OutputFormat(width=320, height=180, fps=FPS, preset="ultrafast")


def _soundscape(seconds: float) -> np.ndarray:
    """Noise with loud bursts and sharp claps: something every angle hears and sync can lock on."""
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * SR)) / SR
    level = np.full(t.shape, 0.03)
    for a, b in BURSTS:
        level[(t >= a) & (t < b)] = 0.3
    sound = level * rng.standard_normal(t.size)
    for clap in np.arange(0.7, seconds, 1.3):
        i = int(clap * SR)
        sound[i:i + 480] += 0.8 * rng.standard_normal(480) * np.exp(-np.arange(480) / 100)
    return np.clip(sound, -1, 1).astype(np.float32)


def _make_angle(path: Path, scene: np.ndarray, start_s: float, colour: tuple[int, int, int], seed: int) -> Path:
    rng = np.random.default_rng(seed)
    own = scene[int(start_s * SR):int((start_s + LENGTH_S) * SR)] + 0.005 * rng.standard_normal(int(LENGTH_S * SR))
    wav = write_wav(path.with_suffix(".wav"), own.astype(np.float32), SR)
    w_, h_ = 320, 180
    x = 0.0
    with RawVideoWriter(path, width=w_, height=h_, fps=FPS, audio_wav=wav) as w:
        for i in range(int(LENGTH_S * FPS)):
            t = start_s + i / FPS
            busy = any(a <= t < b for a, b in BURSTS)
            x = (x + (37.0 if busy else 3.0) * (1 + seed)) % w_
            f = np.full((h_, w_, 3), 20 + 10 * seed, np.uint8)
            f[:, int(x):int(x) + 40] = colour
            if busy:
                f[::8, :] = 255 - f[::8, :]
            w.write(f)
    wav.unlink()
    return path


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dask-footage")
    scene = _soundscape(LENGTH_S + 4.0)
    return {name: _make_angle(out / f"{name}.mp4", scene, start, colour, k)
            for k, (name, _, start, colour) in enumerate(ANGLES)}


def _home(root: Path, footage: dict[str, Path], env: dict[str, str]) -> tuple[Settings, Catalog, LocalStore, str]:
    settings = load_settings(root, env={"ANCHOR_WORKERS": "2", **env})
    cat = Catalog(settings.catalog_path)
    store = LocalStore(settings.store_root)
    eid = create_event(cat, "Dask check", "sports").id
    for name, angle_type, _, _ in ANGLES:
        ingest_video(cat, store, eid, footage[name], angle_type=angle_type)
    return settings, cat, store, eid


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One LocalCluster of 2 worker processes for the module, opened the way a user would."""
    settings = load_settings(tmp_path_factory.mktemp("dask-coordinator"),
                             env={"ANCHOR_EXECUTOR": "dask", "ANCHOR_DASK_SCHEDULER": "local", "ANCHOR_WORKERS": "2"})
    ex = make_executor(settings)
    assert isinstance(ex, DaskExecutor)
    assert len(ex.client.scheduler_info()["workers"]) == 2
    yield ex
    ex.shutdown()


def _pipeline(settings: Settings, cat: Catalog, store: LocalStore, eid: str, out: Path) -> dict:
    """sync, analysis, timeline and render, each through the executor the settings name."""
    ex = make_executor(settings, max_workers=2)
    try:
        synced = sync_event(cat, store, eid, reference_video_id="wide.mp4", executor=ex)
        sync_records = task_records(ex)
    finally:
        ex.shutdown()
    analysis = run_analysis(cat, store, settings, eid)
    _, tl = timeline_event(cat, eid)
    render = render_event(cat, store, settings, eid, fmt=FMT, out=out, with_ads=False)
    names = {vid: Path(r.file).stem for vid, r in synced}
    feats = analysis.features.with_columns(pl.col("video_id").replace_strict(names)).sort("video_id", "t_ms")
    return {"sync": {names[vid]: (r.status, round(r.offset_s, 4)) for vid, r in synced}, "features": feats,
            "segments": [(s.start_ms, s.end_ms, names[s.video_id]) for s in tl.segments],
            "chapters": [(c.timestamp_ms, c.title) for c in tl.chapters], "master": render.path,
            "chunks": render.result.chunks, "sync_records": sync_records}


def _frame_hashes(path: str | Path) -> list[str]:
    """One md5 per decoded picture and audio packet (framemd5 without its header comments)."""
    proc = run_ffmpeg(["-i", str(path), "-map", "0", "-f", "framemd5", "-"], path=path, what="hashing frames")
    return [ln for ln in proc.stdout.decode().splitlines() if ln and not ln.startswith("#")]


@pytest.fixture(scope="module")
def both_runs(footage, cluster, tmp_path_factory):
    root = tmp_path_factory.mktemp("dask-runs")
    thread_home = _home(root / "thread", footage, {"ANCHOR_EXECUTOR": "thread"})
    # The second home reaches the module's cluster as a remote user would: by its address.
    dask_home = _home(root / "dask", footage, {"ANCHOR_EXECUTOR": "dask",
                                                "ANCHOR_DASK_SCHEDULER": cluster.client.scheduler.address})
    before = _executed(cluster)
    runs = {"thread": _pipeline(*thread_home, root / "thread.mp4"), "dask": _pipeline(*dask_home, root / "dask.mp4")}
    runs["dask_executed"] = _executed(cluster) - before
    runs["thread_home"] = thread_home
    yield runs
    thread_home[1].close()
    dask_home[1].close()


def _executed(ex: DaskExecutor) -> int:
    """Tasks the workers ran, by their own count (a deduplicated task is not run twice)."""
    counts = ex.client.run(lambda dask_worker: dask_worker.state.executed_count)
    return int(sum(counts.values()))


def test_cluster_gives_the_thread_pools_sync_features_and_timeline(both_runs):
    t, d = both_runs["thread"], both_runs["dask"]
    assert all(status == "synced" for status, _ in t["sync"].values()), t["sync"]
    assert t["sync"] == d["sync"]
    assert abs(t["sync"]["closeup"][1] - 1.5) < 0.05 and abs(t["sync"]["crowd"][1] - 3.0) < 0.05
    assert t["features"].height == 3 * 6  # 2 s windows
    assert t["features"].equals(d["features"])
    assert len(t["segments"]) >= 2 and t["segments"] == d["segments"]
    assert t["chapters"] == d["chapters"]


def test_cluster_master_has_the_thread_masters_frame_hashes(both_runs):
    t, d = both_runs["thread"], both_runs["dask"]
    assert t["chunks"] == d["chunks"] == 1
    hashes = _frame_hashes(t["master"])
    assert len(hashes) > FPS * 10
    assert hashes == _frame_hashes(d["master"])


def test_the_cluster_did_the_work_and_recorded_every_task(both_runs):
    d = both_runs["dask"]
    # 3 sync decodes + 3 analyses + the render chunks, each run once on a worker
    assert both_runs["dask_executed"] == 3 + 3 + d["chunks"]
    records = d["sync_records"]
    assert [r.function for r in records] == ["_prepare_task"] * 3
    assert all(r.attempts == 1 and r.received_bytes > 1000 for r in records)


def test_a_worker_killed_mid_analysis_is_replaced_and_the_analysis_finishes(cluster, both_runs):
    _, cat, store, eid = both_runs["thread_home"]  # analysed on threads already: done again here
    pids = cluster.client.run(os.getpid)
    killed: list[int] = []

    def kill_the_first_worker_that_decodes() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not killed:
            for pid in pids.values():
                try:
                    busy = any("ffmpeg" in c.name() for c in psutil.Process(pid).children())
                except psutil.Error:
                    continue
                if busy:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_the_first_worker_that_decodes)
    before = len(task_records(cluster))
    killer.start()
    try:
        result = analyze_event(cat, store, eid, params=AnalysisParams(), executor=cluster, force=True)
        names = {v.id: Path(v.original_name or "").stem for v in list_videos(cat, eid)}
    finally:
        killer.join()
    assert killed, "no worker was seen decoding"
    assert not result.failed and len(result.computed) == 3
    feats = result.features.with_columns(pl.col("video_id").replace_strict(names)).sort("video_id", "t_ms")
    assert feats.equals(both_runs["thread"]["features"])
    records: list[TaskRecord] = list(task_records(cluster)[before:])
    assert [r.function for r in records] == ["_task"] * 3
    assert max(r.attempts for r in records) >= 2, records
    assert result.task_retries >= 1  # what the analyze job records in its result
    # the nanny starts a fresh worker in place of the killed one
    deadline = time.monotonic() + 20
    while len(cluster.client.scheduler_info()["workers"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(cluster.client.scheduler_info()["workers"]) == 2


def test_identical_render_chunks_both_run_on_the_cluster(footage, cluster, tmp_path):
    work = tmp_path / "chunks"
    vin = VideoInput(str(footage["wide"]), 1.0, 0.0, 1.0, source_aspect=16 / 9)
    job = ChunkJob((vin,), (), str(work / "chunk_00000.mp4"), int(FPS), FMT, str(default_font()),
                   str(work / "text"), 1)
    # Plain Dask would fold these into one task: same function, same arguments, same key.
    plain = [cluster.client.submit(render_chunk, job) for _ in range(2)]
    assert plain[0].key == plain[1].key
    cluster.client.gather(plain)
    del plain
    before = _executed(cluster)
    futures = [cluster.submit(render_chunk, job) for _ in range(2)]
    assert [f.result() for f in futures] == [job.out] * 2
    assert _executed(cluster) - before == 2
    assert Path(job.out).stat().st_size > 0


def test_a_result_past_the_timeout_raises_a_clear_error_and_the_task_is_cancelled(cluster, tmp_path):
    settings = load_settings(tmp_path, env={"ANCHOR_EXECUTOR": "dask", "ANCHOR_DASK_TIMEOUT": "0.5",
                                            "ANCHOR_DASK_SCHEDULER": cluster.client.scheduler.address})
    ex = make_executor(settings)
    try:
        fut = ex.submit(time.sleep, 3.0)
        t0 = time.monotonic()
        with pytest.raises(TaskTimeout, match="ANCHOR_DASK_TIMEOUT"):
            fut.result()
        assert time.monotonic() - t0 < 2.5  # bounded by the setting, not by the task
        assert ex.submit(abs, -3).result() == 3  # the executor goes on working
    finally:
        ex.shutdown()


@pytest.mark.parametrize(("env", "says"), [
    ({"ANCHOR_DASK_SCHEDULER": "scheduler-host:8786"}, "tcp://host:port"),
    ({"ANCHOR_DASK_TIMEOUT": "soon"}, "ANCHOR_DASK_TIMEOUT='soon' is not a number"),
    ({"ANCHOR_DASK_RETRIES": "-1"}, "ANCHOR_DASK_RETRIES must be at least 0"),
    ({"ANCHOR_DASK_SCHEDULER": "tcp://127.0.0.1:1", "ANCHOR_STORE": "s3"}, "ANCHOR_DASK_SCHEDULER=local"),
])
def test_bad_dask_settings_are_refused_with_what_to_set(tmp_path, env, says):
    settings = load_settings(tmp_path, env={"ANCHOR_EXECUTOR": "dask", **env})
    with pytest.raises(ConfigError, match=re.escape(says)):
        make_executor(settings)


def test_a_remote_scheduler_needs_an_absolute_home(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings("home", env={"ANCHOR_EXECUTOR": "dask", "ANCHOR_DASK_SCHEDULER": "tcp://127.0.0.1:1"})
    with pytest.raises(ConfigError, match="relative"):
        make_executor(settings)
