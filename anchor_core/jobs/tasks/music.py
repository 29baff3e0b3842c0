"""Job `music`: beats, downbeats, tempo sections and confidence of an ingested music track."""

from __future__ import annotations

from typing import Any

from ..model import Task, TaskContext


def run(ctx: TaskContext, *, event: str, music_id: str) -> dict[str, Any]:
    from ...catalog import music as music_repo
    from ...errors import NotFoundError
    from ...music import analyze_music, save_music_analysis

    cat, store = ctx.catalog(), ctx.store()
    track = next((m for m in music_repo.list_music(cat, event) if m.id == music_id), None)
    if track is None:
        raise NotFoundError(f"no music track {music_id} in event {event}; `anchor music {event} FILE` adds one")
    analysis = analyze_music(str(store.path_for(track.object_key)), ffmpeg=ctx.settings.ffmpeg,
                             progress=ctx.progress)
    save_music_analysis(cat, event, music_id, analysis)
    return {"event_id": event, "music_id": music_id, "duration_s": analysis.duration_s,
            "tempo_bpm": analysis.tempo_bpm, "meter": analysis.meter, "beats": len(analysis.beats_s),
            "beats_s": [round(b, 3) for b in analysis.beats_s],
            "downbeats_s": [round(b, 3) for b in analysis.downbeats_s],
            "tempo_sections": [[round(s, 3), round(b, 2)] for s, b in analysis.tempo_sections],
            "confidence": round(analysis.confidence, 3), "low_confidence": analysis.low_confidence}


TASK = Task(kind="music", summary="find the music's beats, bars and tempo", run=run)
