"""Analyse every angle of an event: decode each once (in parallel), cache, normalise, store."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from ..catalog import Catalog
from ..catalog import videos as videos_repo
from ..catalog.events import advance_event_status, get_event
from ..config import Settings
from ..errors import MediaError, NotFoundError
from ..executor import SerialExecutor, shares_memory, task_records
from ..store import ObjectStore
from .features import feature_table
from .measure import AngleMeasures, analyze_file
from .params import AnalysisParams, cache_key
from .store import cached_measures, save_features

Progress = Callable[[float, float, str], None]


@dataclass(frozen=True)
class AnalysisResult:
    features: pl.DataFrame
    computed: list[str]  # video ids decoded this time
    cached: list[str]  # video ids whose measures came from the cache
    failed: dict[str, str] = field(default_factory=dict)  # video id -> what was wrong
    sources: dict[str, str] = field(default_factory=dict)  # video id -> who filled it (a remote backend, its host)
    task_retries: int = 0  # tasks a cluster started again (a worker died under them)


def _task(job: tuple[str, dict[str, Any], Progress | None, str | None]) -> dict[str, Any]:
    """Picklable unit of work: a path and parameters in, plain measures (or an error text) out."""
    path, params, progress, ffmpeg = job
    try:
        return {"ok": analyze_file(path, AnalysisParams(**params), progress=progress, ffmpeg=ffmpeg).to_json()}
    except MediaError as exc:
        return {"error": str(exc)}


def analyze_event(cat: Catalog, store: ObjectStore, event_id: str, *, params: AnalysisParams | None = None,
                  executor: Executor | None = None, progress: Progress | None = None,
                  force: bool = False, ffmpeg: str | None = None) -> AnalysisResult:
    """Fill the event's feature table with the local analyzer. Unchanged angles come from the cache."""
    params = params or AnalysisParams()
    get_event(cat, event_id)
    videos = videos_repo.list_videos(cat, event_id)
    if not videos:
        raise NotFoundError(f"event {event_id} has no angles to analyse; ingest footage first")
    report = progress or (lambda d, t, m: None)
    measures: dict[str, AngleMeasures] = {}
    keys = {v.id: cache_key(v.content_hash, params) for v in videos}
    todo = []
    for v in videos:
        hit = None if force else cached_measures(cat, v.id, keys[v.id])
        if hit is not None:
            measures[v.id] = hit
        else:
            todo.append(v)
    cached = list(measures)
    advance_event_status(cat, event_id, "analyzing")
    for v in todo:
        videos_repo.set_video_status(cat, v.id, "analyzing")
    total = sum(max(v.duration_s, 0.1) for v in todo) or 1.0
    done: dict[str, float] = {}
    lock = threading.Lock()
    in_process = shares_memory(executor)  # a pool of processes or a cluster gets no callback

    def angle_progress(vid: str, name: str) -> Progress:
        def cb(d: float, t: float, msg: str) -> None:
            with lock:
                done[vid] = d
                report(sum(done.values()), total, f"{name}: {d:.0f}/{t:.0f} s")
        return cb

    executor = executor or SerialExecutor()
    records_before = len(task_records(executor))
    pdict = params.__dict__.copy()
    futures = [(v, executor.submit(_task, (str(store.path_for(v.object_key)), pdict,
                                           angle_progress(v.id, v.original_name or v.id) if in_process else None,
                                           ffmpeg)))
               for v in todo]
    failed: dict[str, str] = {}
    new_runs: dict[str, tuple[str, AngleMeasures]] = {}
    for v, fut in futures:
        out = fut.result()
        name = v.original_name or v.id
        if "error" in out:
            failed[v.id] = f"{name}: {out['error']}"
            videos_repo.set_video_status(cat, v.id, "failed")
            report(sum(done.values()), total, f"{name}: failed")
            continue
        m = AngleMeasures.from_json(out["ok"])
        measures[v.id] = m
        new_runs[v.id] = (keys[v.id], m)
        done[v.id] = max(v.duration_s, 0.1)
        report(sum(done.values()), total, f"{name}: analysed")
    if not measures:
        advance_event_status(cat, event_id, "failed")
        raise MediaError("no angle could be analysed: " + "; ".join(failed.values()))
    feats = feature_table(measures, params)
    save_features(cat, feats, new_runs)
    for vid in new_runs:
        videos_repo.set_video_status(cat, vid, "analyzed")
    advance_event_status(cat, event_id, "analyzed")
    report(total, total, f"{len(measures)} angle(s) analysed" + (f", {len(failed)} failed" if failed else ""))
    retries = sum(r.attempts - 1 for r in task_records(executor)[records_before:])
    return AnalysisResult(feats, list(new_runs), cached, failed, task_retries=retries)


def analysis_summary(result: AnalysisResult, videos: list[Any]) -> pl.DataFrame:
    """One row per angle: windows, mean/max action, speech and crowd share, cuts, how it was obtained."""
    names = {v.id: (v.original_name or v.id, v.angle_type) for v in videos}
    f = result.features
    if f.height == 0:
        return pl.DataFrame()
    s = f.group_by("video_id").agg(
        pl.len().alias("windows"), pl.col("action_intensity").mean().round(2).alias("action_mean"),
        pl.col("action_intensity").max().round(2).alias("action_max"),
        (pl.col("speech") >= 0.3).mean().round(2).alias("speech_share"),
        pl.col("crowd_energy").mean().round(2).alias("crowd_mean"), pl.col("scene_cut").sum().alias("cuts"),
        pl.col("key_moment").sum().alias("key_moments"), pl.col("faces").max().alias("faces_max"))
    return s.with_columns(
        pl.col("video_id").map_elements(lambda v: names.get(v, (v, ""))[0], return_dtype=pl.Utf8).alias("file"),
        pl.col("video_id").map_elements(lambda v: names.get(v, (v, ""))[1], return_dtype=pl.Utf8).alias("angle"),
        pl.col("video_id").map_elements(lambda v: result.sources.get(v) or ("cache" if v in result.cached
                                                                            else "decoded"),
                                        return_dtype=pl.Utf8).alias("source"),
    ).sort("file")






class Analyzer(Protocol):
    """An analysis backend: fills the event's feature table (own time, the contract's columns)."""

    @property
    def name(self) -> str: ...

    def analyze_event(self, cat: Catalog, store: ObjectStore, event_id: str, *, params: AnalysisParams,
                      executor: Executor, progress: Progress | None, force: bool) -> AnalysisResult: ...


def run_analysis(cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, *,
                 params: AnalysisParams | None = None, progress: Progress | None = None, force: bool = False,
                 backend: str | None = None) -> AnalysisResult:
    """Analyse the event with the configured analyzer (`ANCHOR_ANALYZER`, or `backend`)."""
    from ..executor import make_executor
    from ..registry import ANALYZERS

    analyzer = ANALYZERS.open(settings, backend)
    # Locally two angles at a time (each ffmpeg decode already uses several cores); a cluster
    # gets one angle per worker (ANCHOR_WORKERS of them).
    executor = make_executor(settings, max_workers=None if settings.executor == "dask" else 2)
    try:
        return analyzer.analyze_event(cat, store, event_id, params=params or AnalysisParams(), executor=executor,
                                      progress=progress, force=force)
    finally:
        executor.shutdown()
