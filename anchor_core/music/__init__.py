"""Music: tempo (and tempo sections), beats, downbeats, meter, a confidence and intensity for
beat-synced cuts.

The public face of the stage; `event_music` is its read model (the event's track, if any),
`load_beats` the beats to cut on (none when the analysis is not confident)."""

from __future__ import annotations

from ..catalog import Catalog
from ..catalog.music import MusicTrack, list_music
from .analysis import CONFIDENT, MusicAnalysis, analyze_music, analyze_samples, snap_to_beats, usable_beats
from .store import load_beats, load_music_analysis, save_music_analysis


def event_music(cat: Catalog, event_id: str) -> MusicTrack | None:
    """The event's music track (the first added), or None."""
    tracks = list_music(cat, event_id)
    return tracks[0] if tracks else None


__all__ = ["CONFIDENT", "MusicAnalysis", "MusicTrack", "analyze_music", "analyze_samples", "event_music",
           "load_beats", "load_music_analysis", "save_music_analysis", "snap_to_beats", "usable_beats"]
