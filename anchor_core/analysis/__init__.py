"""Analysis: the feature table of every angle (local analyzer by default, others by configuration).

The public face of the stage: `EventFeatures` (the feature table in event time, with its window)
is its read model; `run_analysis` fills it with the configured backend."""

from .api import AnalysisResult, Analyzer, analysis_summary, analyze_event, run_analysis
from .events import DEFAULT_WINDOW_MS, EventFeatures, event_features, place_features
from .features import FEATURE_SCHEMA, feature_table
from .measure import AngleMeasures, analyze_file
from .params import ANALYZER_VERSION, AnalysisParams, cache_key
from .store import FEATURE_COLUMNS, feature_backends

__all__ = ["ANALYZER_VERSION", "DEFAULT_WINDOW_MS", "FEATURE_COLUMNS", "FEATURE_SCHEMA", "AnalysisParams",
           "AnalysisResult", "Analyzer", "AngleMeasures", "EventFeatures", "analysis_summary", "analyze_event",
           "analyze_file", "cache_key", "event_features", "feature_backends", "feature_table", "place_features",
           "run_analysis"]
