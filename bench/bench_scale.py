"""Scale benchmark: analysis of 4 angles on 1 vs 2 workers, on threads and on a Dask
LocalCluster, as ratios in one run; then the bytes each cluster stage moves.

Run: python -m bench scale   (ANCHOR_BENCH_SCALE_S sets each angle's length; default 30 s of 1080p30)

Bytes are counted two ways. Task traffic is what the scheduler carries: each task's arguments
and result pickled as Dask sends them (`TaskRecord`). Store traffic is what workers read from
and write to the shared folder: a whole angle per sync or analysis task, and per render chunk
the spans of the angles it shows (a share of the file by duration) plus the chunk it writes.
On one machine the store is a local disk; on N machines each of those bytes crosses the network.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from anchor_core.analysis import analyze_event
from anchor_core.catalog import Catalog
from anchor_core.catalog.events import create_event
from anchor_core.catalog.videos import list_videos
from anchor_core.config import Settings, load_settings
from anchor_core.errors import AnchorError
from anchor_core.executor import TaskRecord, make_executor, task_records
from anchor_core.ingest import ingest_video
from anchor_core.media import OutputFormat, run_ffmpeg
from anchor_core.render.api import master_inputs
from anchor_core.render.master import render_master
from anchor_core.store import LocalStore
from anchor_core.sync import sync_event
from anchor_core.timeline import load_latest_timeline, timeline_event
from bench.bench_analyze import footage

ANGLE_TYPES = ("wide", "closeup", "crowd", "medium")


def _settings(home: Path, executor: str, workers: int) -> Settings:
    return load_settings(home, env={"ANCHOR_EXECUTOR": executor, "ANCHOR_WORKERS": str(workers),
                                    "ANCHOR_DASK_SCHEDULER": "local"})


def _mb(n: float) -> str:
    return f"{n / 1e6:9.2f} MB" if n >= 1e6 else f"{n / 1e3:9.1f} kB"


def _task_bytes(records: Sequence[TaskRecord]) -> tuple[int, int]:
    return sum(r.sent_bytes for r in records), sum(r.received_bytes for r in records)


def _timed_analysis(home: Path, cat: Catalog, store: LocalStore, eid: str, executor: str, workers: int
                    ) -> tuple[float, float, tuple[TaskRecord, ...]]:
    settings = _settings(home, executor, workers)
    t0 = time.perf_counter()
    ex = make_executor(settings, max_workers=workers)
    started = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        analyze_event(cat, store, eid, executor=ex, force=True)
        took = time.perf_counter() - t0
        return started, took, task_records(ex)
    finally:
        ex.shutdown()


def _stage_traffic(home: Path, cat: Catalog, store: LocalStore, eid: str, sizes: dict[str, int]) -> None:
    """Sync decoding and render chunks on the 2-worker cluster: task bytes and store bytes."""
    settings = _settings(home, "dask", 2)
    ex = make_executor(settings, max_workers=2)
    try:
        try:
            sync_event(cat, store, eid, executor=ex)
        except AnchorError as exc:  # a test tone has no unique offset: the bytes moved are what count here
            print(f"  (sync result not usable on test tones: {exc})")
        sync_records = task_records(ex)
        with cat.transaction() as cur:  # put every angle at 0 so a timeline and a render exist
            cur.execute("UPDATE videos SET sync_offset_s=0, sync_drift_ppm=0, sync_confidence=1,"
                        " sync_status='synced', sync_method='bench' WHERE event_id=?", [eid])
        timeline_event(cat, eid)
        tl = load_latest_timeline(cat, eid)
        fmt = OutputFormat()
        inputs = master_inputs(cat, store, settings, eid, tl, fmt, with_ads=False)
        n_before = len(task_records(ex))
        settings.tmp_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=settings.tmp_root) as tmp:
            t0 = time.perf_counter()
            result = render_master(inputs, Path(tmp) / "master.mp4", fmt=fmt, executor=ex, workers=2)
            render_s = time.perf_counter() - t0
            master_bytes = Path(result.path).stat().st_size
        render_records = task_records(ex)[n_before:]
    finally:
        ex.shutdown()
    by_path = {str(store.path_for(v.object_key)): (sizes[v.id], v.duration_s) for v in list_videos(cat, eid)}
    # A chunk reads the spans of the angles it shows; the timeline says which and how long.
    shown_s: dict[str, float] = {}
    for s in tl.segments:
        shown_s[s.video_id] = shown_s.get(s.video_id, 0.0) + (s.end_ms - s.start_ms) / 1000.0
    render_reads = sum(by_path[inputs.paths[v]][0] * min(1.0, t / max(by_path[inputs.paths[v]][1], 0.1))
                       for v, t in shown_s.items())
    media = sum(sizes.values())
    print("\nbytes per stage on the 2-worker cluster (task = scheduler traffic; store = shared-folder traffic)")
    print(f"{'stage':<10} {'tasks':>5} {'task args':>12} {'task results':>12} {'store reads':>12} {'store writes':>12}")
    for stage, recs, reads, writes in (("sync", sync_records, media, 0), ("render", render_records, render_reads,
                                                                            master_bytes)):
        sent, got = _task_bytes(recs)
        print(f"{stage:<10} {len(recs):>5} {_mb(sent)} {_mb(got)}   {_mb(reads)} {_mb(writes)}")
    print(f"render: {result.chunks} chunks in {render_s:.1f} s at {fmt.width}x{fmt.height}; the coordinator then"
          f" reads the chunks back to join them ({_mb(master_bytes).strip()}) and the audio master's sound")


def _angles(src: Path, seconds: float) -> list[Path]:
    """Four different files from one encode (stream copies of 1 s less each): four distinct
    contents to ingest, without encoding 1080p four times."""
    out = []
    for k in range(4):
        dst = src.with_name(f"{src.stem}-angle{k}.mp4")
        if not dst.is_file():
            part = dst.with_suffix(".part.mp4")
            run_ffmpeg(["-i", str(src), "-t", f"{seconds - k:.3f}", "-map", "0", "-c", "copy", str(part)])
            part.rename(dst)
        out.append(dst)
    return out


def main() -> None:
    seconds = float(os.environ.get("ANCHOR_BENCH_SCALE_S", "30"))
    files = _angles(footage(seconds), seconds)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        home = Path(tmp) / "home"
        settings = _settings(home, "thread", 2)
        cat = Catalog(settings.catalog_path)
        store = LocalStore(settings.store_root)
        eid = create_event(cat, "Scale bench", "sports").id
        for f, kind in zip(files, ANGLE_TYPES, strict=True):
            ingest_video(cat, store, eid, f, angle_type=kind)
        sizes = {v.id: store.path_for(v.object_key).stat().st_size for v in list_videos(cat, eid)}
        media_s = sum(v.duration_s for v in list_videos(cat, eid))
        print(f"footage: 4 angles of 1080p30, {media_s:.0f} s in all, {_mb(sum(sizes.values())).strip()}; "
              f"{os.cpu_count()} CPUs")
        took: dict[tuple[str, int], float] = {}
        analysis_records: tuple[TaskRecord, ...] = ()
        print(f"{'executor':<8} {'workers':>7} {'start':>8} {'analysis':>9} {'x realtime':>10}")
        for executor in ("thread", "dask"):
            for workers in (1, 2):
                started, t, recs = _timed_analysis(home, cat, store, eid, executor, workers)
                took[(executor, workers)] = t
                if executor == "dask" and workers == 2:
                    analysis_records = recs
                print(f"{executor:<8} {workers:>7} {started:7.1f}s {t:8.1f}s {media_s / t:9.2f}x")
        print(f"speed-up 1 -> 2 workers: threads {took[('thread', 1)] / took[('thread', 2)]:.2f}x, "
              f"dask {took[('dask', 1)] / took[('dask', 2)]:.2f}x")
        print(f"dask / threads wall time: 1 worker {took[('dask', 1)] / took[('thread', 1)]:.2f}, "
              f"2 workers {took[('dask', 2)] / took[('thread', 2)]:.2f}")
        sent, got = _task_bytes(analysis_records)
        attempts = sum(r.attempts for r in analysis_records)
        print(f"analysis on the 2-worker cluster: {len(analysis_records)} tasks ({attempts} attempts), "
              f"args {_mb(sent).strip()}, results {_mb(got).strip()}, store reads {_mb(sum(sizes.values())).strip()}"
              f" ({got / max(media_s, 1) / 1e3:.2f} kB of results per media-second)")
        _stage_traffic(home, cat, store, eid, sizes)
        cat.close()
