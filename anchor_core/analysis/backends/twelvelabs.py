"""The TwelveLabs analyzer: Pegasus segments for what it sees and hears, local signals for the rest.

Same feature table as the local analyzer (angle's own time, same grid): the local signal pass
runs first (cached when unchanged) and fills every column; Pegasus' `time_based_metadata` then
overwrites action intensity, scene type, faces (when given), key moments, audio events and the
description window by window. `feature_provenance` says which backend filled what, and why a
window kept local values. Auth, quota and a gone index stop the run; a failed or unfinished
angle keeps its local values and its saved ids (the next run resumes it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import polars as pl

from ...catalog import Catalog
from ...catalog import videos as videos_repo
from ...catalog.events import get_event
from ...config import Settings
from ...errors import NotFoundError
from ...registry import Backend
from ...store import ObjectStore
from ...twelvelabs.client import AngleNotDone, open_client
from ...twelvelabs.config import TLConfig, load_config
from ...twelvelabs.pegasus import analyze_angle
from ...twelvelabs.segments import Answer, merge
from ...twelvelabs.store import save_provenance
from ...twelvelabs.upload import cost_estimate, ensure_index, prepare, reset_event, upload_angle
from ...workdir import job_dir
from ..api import AnalysisResult, Analyzer, Progress, analyze_event
from ..params import AnalysisParams, cache_key
from ..store import cached_measures, save_features

LOCAL_SHARE = 0.3  # of the progress bar: the local signal pass
STEPS = (("uploading", 0.05), ("resuming", 0.3), ("indexing", 0.4), ("Pegasus", 0.7), ("done", 1.0))


@dataclass(frozen=True)
class TwelveLabsAnalyzer:
    cfg: TLConfig
    ffmpeg: str | None = None
    tmp_root: Path = Path("tmp")
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    name: str = "twelvelabs"

    def analyze_event(self, cat: Catalog, store: ObjectStore, event_id: str, *, params: AnalysisParams,
                      executor: Executor, progress: Progress | None, force: bool) -> AnalysisResult:
        report = progress or (lambda d, t, m: None)
        with cat.session():  # one open of the file for these many small reads (none waits on the network)
            event = get_event(cat, event_id)
            videos = videos_repo.list_videos(cat, event_id)
            if not videos:
                raise NotFoundError(f"event {event_id} has no angles to analyse; ingest footage first")
            if force:
                reset_event(cat, event_id)
            cost = cost_estimate(cat, event_id)
            report(0, 1, f"TwelveLabs at {self.cfg.host}: {cost['to_index']} angle(s) to index, "
                         f"about {cost['indexed_minutes']:g} indexed minute(s)")
            local = analyze_event(cat, store, event_id, params=params, executor=executor, force=force,
                                  ffmpeg=self.ffmpeg, progress=lambda d, t, m: report(LOCAL_SHARE * d / max(t, 1e-9),
                                                                                       1, f"local: {m}"))
        client = open_client(self.cfg)
        index_id = ensure_index(cat, client, self.cfg, event_id, event.name, sleep=self.sleep)
        analysed = [v for v in videos if v.id not in local.failed]
        parts, provs, runs = [], [], {}
        failed = dict(local.failed)
        sources: dict[str, str] = {}
        share = (1 - LOCAL_SHARE) / max(len(analysed), 1)
        with job_dir(Path(self.tmp_root), "twelvelabs") as work:
            for k, v in enumerate(analysed):
                name = v.original_name or v.id

                def status(msg: str, k: int = k, name: str = name) -> None:
                    step = next((f for word, f in STEPS if msg.startswith(word)), 0.0)
                    report(LOCAL_SHARE + (k + step) * share, 1, f"{name}: {msg}")

                rows = local.features.filter(pl.col("video_id") == v.id)
                src = Path(store.path_for(v.object_key))
                try:
                    idx = upload_angle(cat, client, self.cfg, event_id, index_id, v.id,
                                       partial(prepare, src, v.duration_s, self.cfg, work, ffmpeg=self.ffmpeg),
                                       status=status, sleep=self.sleep)
                    answer, _ = analyze_angle(cat, client, self.cfg, event_id, idx, status=status, sleep=self.sleep)
                    feats, prov = merge(rows, answer, params.window_ms, offset_s=idx.offset_s,
                                        covered_s=idx.covered_s + idx.offset_s)
                    if answer.problem:
                        failed[v.id] = f"{name}: {answer.problem}; those windows keep local values"
                    sources[v.id] = f"twelvelabs@{self.cfg.host}"
                except AngleNotDone as exc:
                    failed[v.id] = f"{name}: {exc}; it keeps its local analysis"
                    feats, prov = merge(rows, Answer({}, str(exc)), params.window_ms)
                    sources[v.id] = "local (twelvelabs unfinished)"
                parts.append(feats)
                provs.append(prov)
                m = cached_measures(cat, v.id, cache_key(v.content_hash, params))
                if m is not None:
                    runs[v.id] = (cache_key(v.content_hash, params), m)
                status("done")
        others = local.features.filter(~pl.col("video_id").is_in([v.id for v in analysed]))
        merged = pl.concat([others, *parts]).sort(["video_id", "t_ms"]) if parts else local.features
        with cat.session():
            save_features(cat, merged, runs, backend=self.name)
            if provs:
                save_provenance(cat, pl.concat(provs))
        report(1, 1, f"{len(analysed)} angle(s) analysed with TwelveLabs at {self.cfg.host}")
        return AnalysisResult(merged, local.computed, local.cached, failed, sources)


def _open(settings: Settings) -> Analyzer:
    return TwelveLabsAnalyzer(load_config(settings), settings.ffmpeg, settings.tmp_root)


BACKEND: Backend[Analyzer] = Backend(
    "twelvelabs", "Pegasus segments (action, scenes, key moments, sounds, text) + local signals; needs a key",
    _open, requires=("TWELVELABS_API_KEY",))
