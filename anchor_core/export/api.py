"""`anchor export`: the event's latest (or a given) timeline in the format an editor or a
video platform wants."""

from __future__ import annotations

from pathlib import Path

from ..catalog import Catalog
from ..catalog.events import get_event
from ..errors import ValidationError
from ..store import LocalStore
from ..timeline.api import event_angles
from ..timeline.store import latest_timeline_id, load_timeline
from .chapters import ffmetadata_chapters, vtt_chapters, youtube_chapters
from .editors import FORMATS, export_editor

CHAPTER_FORMATS = {"youtube": youtube_chapters, "vtt": vtt_chapters, "ffmetadata": ffmetadata_chapters}
ALL_FORMATS = (*FORMATS, *CHAPTER_FORMATS)


def export_event(cat: Catalog, store: LocalStore, event_id: str, fmt: str, out: str | Path, *,
                 timeline_id: str | None = None, rate: float = 30.0) -> Path:
    if fmt not in ALL_FORMATS:
        raise ValidationError(f"unknown export format {fmt!r}; choose one of {', '.join(ALL_FORMATS)}")
    ev = get_event(cat, event_id)
    tl = load_timeline(cat, timeline_id or latest_timeline_id(cat, event_id))
    if fmt in CHAPTER_FORMATS:
        text = CHAPTER_FORMATS[fmt]([(c.timestamp_ms / 1000.0, c.title) for c in tl.chapters], tl.duration_ms / 1000.0)
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(text)
        tmp.replace(path)
        return path
    angles, _ = event_angles(cat, store, event_id)
    return export_editor(tl, angles, fmt, out, rate=rate, name=ev.name)
