"""Exports: editor projects (OTIO, EDL, FCP XML, FCPXML) and chapter lists (YouTube, WebVTT, ffmetadata)."""
