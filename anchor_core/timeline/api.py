"""Timelines for events: gather sync, features and beats, build, store.

The workbench and the CLI both go through here: `open_session` loads the profile first and
then the inputs at the profile's window, `rebuild` re-scores without I/O, `save` stores the
profile and the timeline with everything a rebuild knows (unsynced angles, audio master)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..analysis import EventFeatures, event_features
from ..catalog import Catalog
from ..catalog.events import get_event
from ..errors import NotFoundError
from ..music import event_music, load_beats
from ..sync import EventAngles, load_angles
from .audio import choose_audio_master
from .build import build_timeline, event_beats
from .grid import Grid, build_grid
from .model import Timeline
from .profile import Profile
from .profiles_store import resolve_profile, save_profile
from .store import save_timeline


@dataclass(frozen=True)
class EventInputs:
    """Everything a rebuild needs, loaded once (the notebook re-scores on this without I/O)."""

    event_id: str
    event_type: str
    grid: Grid
    beats_s: tuple[float, ...]
    angles: EventAngles
    features: EventFeatures

    @property
    def unsynced(self) -> tuple[str, ...]:
        return tuple(a.video_id for a in self.angles.unsynced)


def load_event_inputs(cat: Catalog, event_id: str, window_ms: int) -> EventInputs:
    """Synced angles, their features in event time and the music's beats, on a grid of `window_ms`."""
    ev = get_event(cat, event_id)
    angles = load_angles(cat, event_id)
    feats = event_features(cat, angles.synced)
    if feats.empty:
        raise NotFoundError(f"event {event_id} has no features yet; run `anchor analyze {event_id}` first")
    grid = build_grid(feats.frame, angles.synced, window_ms)
    beats: list[float] = []
    music = event_music(cat, event_id)
    if music:
        beats = event_beats(load_beats(cat, event_id), music.duration_s, grid.duration_ms / 1000.0)
    return EventInputs(event_id, ev.event_type, grid, tuple(beats), angles, feats)


def open_session(cat: Catalog, event_id: str, *, profile: str | Profile | None = None
                 ) -> tuple[EventInputs, str, Profile]:
    """The profile (named, from a file, or the event type's latest), then the inputs at its window."""
    ev = get_event(cat, event_id)
    pid, prof = resolve_profile(cat, profile, ev.event_type)
    return load_event_inputs(cat, event_id, prof.window_ms), pid, prof


def rebuild(inputs: EventInputs, profile: Profile, *, strategy: str | None = None) -> Timeline:
    """Pure: the timeline for these inputs under this profile, with the audio master and the
    angles that were left out recorded on it."""
    tl = build_timeline(inputs.grid, profile, beats_s=inputs.beats_s, strategy=strategy,
                        event_type=inputs.event_type)
    meta = dict(tl.meta, unsynced=list(inputs.unsynced)) if inputs.unsynced else tl.meta
    master = choose_audio_master(inputs.angles.synced, inputs.features.frame, tl.duration_s)
    return replace(tl, meta=meta, audio_master=master)


def save(cat: Catalog, inputs: EventInputs, tl: Timeline, profile: Profile) -> Timeline:
    """Store the profile (as a new version when edited) and the timeline; returns it with its id."""
    pid, _ = save_profile(cat, profile)
    return replace(tl, timeline_id=save_timeline(cat, inputs.event_id, tl, pid))


def timeline_event(cat: Catalog, event_id: str, *, profile: str | Profile | None = None,
                   strategy: str | None = None) -> tuple[str, Timeline]:
    """Build the event's timeline with a profile (name, JSON file, or object) and store it."""
    inputs, pid, prof = open_session(cat, event_id, profile=profile)
    tl = rebuild(inputs, prof, strategy=strategy)
    tid = save_timeline(cat, event_id, tl, pid)
    return tid, replace(tl, timeline_id=tid)
