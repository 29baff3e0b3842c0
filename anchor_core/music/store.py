"""Music analysis in the catalog (the platform's music_metadata).

The `analysis` JSON column holds the meter, grid, duration, and since beat confidence
`confidence` and `tempo_sections`; rows written before then lack those keys and read as
confident (their beats were cut on before)."""

from __future__ import annotations

import json

from ..catalog import Catalog
from ..catalog.events import set_music_metadata
from .analysis import MusicAnalysis, usable_beats


def save_music_analysis(cat: Catalog, event_id: str, music_id: str, a: MusicAnalysis) -> None:
    sections = [[s, b] for s, b in a.tempo_sections]
    with cat.transaction() as cur:
        cur.execute(
            "UPDATE music SET tempo_bpm = ?, beats = ?, downbeats = ?, intensity = ?, analysis = ? WHERE id = ?",
            [a.tempo_bpm, json.dumps(a.beats_s), json.dumps(a.downbeats_s), json.dumps(a.intensity),
             json.dumps({"meter": a.meter, "grid_s": a.grid_s, "duration_s": a.duration_s,
                         "confidence": a.confidence, "tempo_sections": sections}), music_id],
        )
    set_music_metadata(cat, event_id, {"music_id": music_id, "tempo_bpm": a.tempo_bpm, "beats": len(a.beats_s),
                                       "meter": a.meter, "duration_s": a.duration_s, "confidence": a.confidence,
                                       "low_confidence": a.low_confidence, "tempo_sections": sections})


def load_music_analysis(cat: Catalog, event_id: str) -> MusicAnalysis | None:
    """The stored analysis of the event's first analysed track, or None."""
    rows = cat.frame("SELECT tempo_bpm, beats, downbeats, intensity, analysis FROM music WHERE event_id = ?"
                     " AND beats IS NOT NULL ORDER BY created_at", [event_id])
    if not rows.height:
        return None
    meta = json.loads(rows["analysis"][0] or "{}")
    return MusicAnalysis(
        duration_s=float(meta.get("duration_s", 0.0)), tempo_bpm=float(rows["tempo_bpm"][0] or 0.0),
        beats_s=json.loads(rows["beats"][0]), downbeats_s=json.loads(rows["downbeats"][0] or "[]"),
        meter=meta.get("meter"), intensity=json.loads(rows["intensity"][0] or "[]"),
        grid_s=float(meta.get("grid_s", 2.0)), confidence=float(meta.get("confidence", 1.0)),
        tempo_sections=[(float(s), float(b)) for s, b in meta.get("tempo_sections", [])])


def load_beats(cat: Catalog, event_id: str) -> list[float]:
    """The beats to cut on (`usable_beats`): none when the analysis has low confidence."""
    a = load_music_analysis(cat, event_id)
    return usable_beats(a) if a else []
