"""The timeline engine: profiles, the event-time grid, scoring, switching, moments, storage.

The public face of the stage: `Timeline` (segments, zooms, ad slots, chapters, the audio
master, in event milliseconds) is its read model; `load_latest_timeline` its only reader."""

from .api import EventInputs, load_event_inputs, open_session, rebuild, save, timeline_event
from .audio import audio_master_for, choose_audio_master
from .build import build_timeline, event_beats
from .grammar import REACTION_TYPES
from .grid import Grid, build_grid
from .model import AdSlot, ChapterMark, Segment, Timeline, ZoomMoment
from .profile import (
    BUILTIN,
    STRATEGIES,
    Profile,
    builtin_profile,
    fit_max_segment,
    profile_from_file,
    validate_profile,
)
from .profiles_store import latest_profile, save_profile, timeline_profile
from .score import score_grid
from .stats import angle_usage, timeline_summary
from .store import latest_timeline_id, load_latest_timeline, load_timeline, save_timeline

__all__ = [
    "BUILTIN", "REACTION_TYPES", "STRATEGIES", "AdSlot", "audio_master_for", "ChapterMark", "EventInputs", "Grid", "Profile", "Segment", "Timeline",
    "ZoomMoment", "angle_usage", "build_grid", "build_timeline", "builtin_profile", "choose_audio_master",
    "event_beats", "fit_max_segment", "latest_profile", "latest_timeline_id", "load_event_inputs",
    "load_latest_timeline", "load_timeline", "open_session", "profile_from_file", "rebuild", "save",
    "save_profile", "save_timeline", "score_grid", "timeline_event", "timeline_profile", "timeline_summary", "validate_profile",
]
