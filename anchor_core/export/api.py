"""`anchor export`: the event's latest (or a given) timeline in the format an editor or a
video platform wants. Reads only the stages' read models."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..analysis import event_features
from ..catalog import Catalog
from ..catalog.events import get_event
from ..errors import ValidationError
from ..media import ffmetadata_chapters
from ..music import event_music
from ..store import ObjectStore
from ..sync import Angle, load_angles
from ..timeline import Timeline, audio_master_for, load_latest_timeline, load_timeline
from .chapters import vtt_chapters, youtube_chapters
from .editors import AUDIO_FORMATS, FORMATS, MusicRef, export_editor

CHAPTER_FORMATS = {"youtube": youtube_chapters, "vtt": vtt_chapters, "ffmetadata": ffmetadata_chapters}
ALL_FORMATS = (*FORMATS, *CHAPTER_FORMATS)


def export_event(cat: Catalog, store: ObjectStore, event_id: str, fmt: str, out: str | Path, *,
                 timeline_id: str | None = None, rate: float = 30.0) -> Path:
    if fmt not in ALL_FORMATS:
        raise ValidationError(f"unknown export format {fmt!r}; choose one of {', '.join(ALL_FORMATS)}")
    ev = get_event(cat, event_id)
    tl = load_timeline(cat, timeline_id) if timeline_id else load_latest_timeline(cat, event_id)
    if fmt in CHAPTER_FORMATS:
        text = CHAPTER_FORMATS[fmt]([(c.timestamp_ms / 1000.0, c.title) for c in tl.chapters], tl.duration_ms / 1000.0)
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(text)
        tmp.replace(path)
        return path
    angles = load_angles(cat, event_id).synced
    sources = {a.video_id: store.url(a.object_key) for a in angles}
    if fmt not in AUDIO_FORMATS:
        return export_editor(tl, angles, sources, fmt, out, rate=rate, name=ev.name)
    music = event_music(cat, event_id)
    ref = MusicRef(store.url(music.object_key), music.duration_s, Path(music.original_name or "music").stem) \
        if music else None
    return export_editor(tl, angles, sources, fmt, out, rate=rate, name=ev.name,
                         audio_master=render_audio_master(cat, tl, angles) or None, music=ref)


def render_audio_master(cat: Catalog, tl: Timeline, angles: Sequence[Angle]) -> str:
    """The microphone the render plays (its rule in `render.api.master_inputs`): the timeline's
    audio master, or for timelines without one the choice made from the features. "" when nothing
    can be chosen (the editor export then takes the first synced angle with sound)."""
    try:
        return audio_master_for(tl.audio_master, angles, lambda: event_features(cat, angles).frame, tl.duration_s)
    except ValidationError:  # features the grid refuses (mixed windows) still let the file be written
        return ""
