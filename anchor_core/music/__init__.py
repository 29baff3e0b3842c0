"""Music: tempo, beats, downbeats and intensity for beat-synced cuts."""

from .analysis import MusicAnalysis, analyze_music, analyze_samples, snap_to_beats

__all__ = ["MusicAnalysis", "analyze_music", "analyze_samples", "snap_to_beats"]
