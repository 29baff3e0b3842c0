"""Which microphone the edit is heard through: part of the edit, so the render, the exports
and the report agree on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from ..sync import Angle


def choose_audio_master(angles: Sequence[Angle], feats: pl.DataFrame, duration_s: float) -> str:
    """The synced microphone that covers most of the event, then the best sample rate, then the
    clearest voice (mean speech score). Empty when no angle has sound."""
    best, best_key = "", (-1.0, 0, 0.0)
    for a in angles:
        if not a.has_audio or not a.synced:
            continue
        cover = max(0.0, min(a.event_end_s, duration_s) - max(a.offset_s, 0.0)) / max(duration_s, 1e-9)
        speech = 0.0
        if feats.height:
            sub = feats.filter(pl.col("video_id") == a.video_id)
            speech = float(np.mean(sub["speech"].to_numpy())) if sub.height else 0.0
        key = (round(cover, 2), a.audio_rate, speech)
        if key > best_key:
            best, best_key = a.video_id, key
    return best


def audio_master_for(tl_audio_master: str, angles: Sequence[Angle], features: Callable[[], pl.DataFrame],
                     duration_s: float) -> str:
    """The microphone a render of this timeline plays: the timeline's audio master while it is a
    synced angle with sound, else the choice made from the features (read only then, since
    hand-made timelines name none). The render and the editor exports both ask here."""
    if any(a.video_id == tl_audio_master and a.synced and a.has_audio for a in angles):
        return tl_audio_master
    return choose_audio_master(angles, features(), duration_s)
