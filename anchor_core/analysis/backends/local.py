"""The local analyzer: pixels and samples decoded with ffmpeg, no network."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from ...catalog import Catalog
from ...config import Settings
from ...registry import Backend
from ...store import ObjectStore
from ..api import AnalysisResult, Analyzer, Progress, analyze_event
from ..params import AnalysisParams


@dataclass(frozen=True)
class LocalAnalyzer:
    ffmpeg: str | None = None
    name: str = "local"

    def analyze_event(self, cat: Catalog, store: ObjectStore, event_id: str, *, params: AnalysisParams,
                      executor: Executor, progress: Progress | None, force: bool) -> AnalysisResult:
        return analyze_event(cat, store, event_id, params=params, executor=executor, progress=progress,
                             force=force, ffmpeg=self.ffmpeg)


def _open(settings: Settings) -> Analyzer:
    return LocalAnalyzer(settings.ffmpeg)


BACKEND: Backend[Analyzer] = Backend("local", "motion, cuts, faces, speech, crowd and whistles from ffmpeg decodes",
                                     _open)
