"""Music analysis in the catalog (the platform's music_metadata)."""

from __future__ import annotations

import json

from ..catalog import Catalog
from ..catalog.events import set_music_metadata
from .analysis import MusicAnalysis


def save_music_analysis(cat: Catalog, event_id: str, music_id: str, a: MusicAnalysis) -> None:
    with cat.transaction() as cur:
        cur.execute(
            "UPDATE music SET tempo_bpm = ?, beats = ?, downbeats = ?, intensity = ?, analysis = ? WHERE id = ?",
            [a.tempo_bpm, json.dumps(a.beats_s), json.dumps(a.downbeats_s), json.dumps(a.intensity),
             json.dumps({"meter": a.meter, "grid_s": a.grid_s, "duration_s": a.duration_s}), music_id],
        )
    set_music_metadata(cat, event_id, {"music_id": music_id, "tempo_bpm": a.tempo_bpm, "beats": len(a.beats_s),
                                       "meter": a.meter, "duration_s": a.duration_s})


def load_beats(cat: Catalog, event_id: str) -> list[float]:
    rows = cat.frame("SELECT beats FROM music WHERE event_id = ? AND beats IS NOT NULL ORDER BY created_at", [event_id])
    return json.loads(rows["beats"][0]) if rows.height else []
