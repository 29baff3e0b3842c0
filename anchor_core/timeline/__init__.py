"""The timeline engine: profiles, the event-time grid, scoring, switching, moments, storage."""

from .build import build_timeline, event_beats
from .grid import AngleInfo, Grid, build_grid
from .model import AdSlot, ChapterMark, Segment, Timeline, ZoomMoment
from .profile import Profile, builtin_profile, profile_from_file, validate_profile
from .score import score_grid

__all__ = [
    "AdSlot", "AngleInfo", "ChapterMark", "Grid", "Profile", "Segment", "Timeline", "ZoomMoment", "build_grid",
    "build_timeline", "builtin_profile", "event_beats", "profile_from_file", "score_grid", "validate_profile",
]
