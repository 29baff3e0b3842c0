"""The local analyzer: the feature table from pixels and samples, without any cloud."""

from .api import AnalysisResult, analysis_summary, analyze_event
from .features import FEATURE_SCHEMA, feature_table
from .measure import AngleMeasures, analyze_file
from .params import ANALYZER_VERSION, AnalysisParams, cache_key

__all__ = ["ANALYZER_VERSION", "FEATURE_SCHEMA", "AnalysisParams", "AnalysisResult", "AngleMeasures",
           "analysis_summary", "analyze_event", "analyze_file", "cache_key", "feature_table"]
