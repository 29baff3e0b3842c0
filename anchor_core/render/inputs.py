"""What a render needs, from the stages' read models only: the timeline, the synced angles,
their features in event time, the music and its gain curve. No SQL here."""

from __future__ import annotations

import numpy as np
import polars as pl

from ..analysis import EventFeatures

ENVELOPE_RATE = 100  # Hz: gain curves for music ducking and ad muting


def music_gain_curve(feats: EventFeatures, audio_master: str, duration_s: float, *, base: float = 0.5,
                     ducked: float = 0.2, lifted: float = 1.2) -> np.ndarray:
    """The platform's music levels: 0.5 under the event, 0.2 while someone speaks, 1.2 when the
    action is intense (>= 8), smoothed so changes glide over about half a second. Decided per
    analysis window."""
    n = int(np.ceil(duration_s * ENVELOPE_RATE)) + 1
    g = np.full(n, base)
    f, window_s = feats.frame, feats.window_s
    if f.height:
        t = np.arange(n) / ENVELOPE_RATE
        inten = f.group_by((pl.col("t_event_s") / window_s).floor().alias("w")).agg(pl.col("action_intensity").max())
        hi = {int(w) for w, v in inten.iter_rows() if v is not None and v >= 8}
        sp = f.filter(pl.col("video_id") == audio_master)
        speaking = {int(np.floor(r[0] / window_s)) for r in sp.select("t_event_s", "speech").iter_rows() if r[1] >= 0.5}
        w = np.floor(t / window_s).astype(int)
        g = np.where(np.isin(w, list(hi)), lifted, g)
        g = np.where(np.isin(w, list(speaking)), ducked, g)
        k = max(1, int(0.5 * ENVELOPE_RATE))
        g = np.convolve(np.pad(g, (k, k), mode="edge"), np.ones(k) / k, mode="same")[k:-k]
    return g
