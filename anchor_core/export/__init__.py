"""Exports: the edit for editors (OTIO, EDL, FCP 7 XML, FCPXML) and chapter lists for platforms.

The public face of the stage."""

from .api import ALL_FORMATS, CHAPTER_FORMATS, export_event
from .chapters import vtt_chapters, youtube_chapters
from .editors import FORMATS, build_otio, export_editor, read_cuts

__all__ = ["ALL_FORMATS", "CHAPTER_FORMATS", "FORMATS", "build_otio", "export_editor", "export_event", "read_cuts",
           "vtt_chapters", "youtube_chapters"]
