"""Edit quality against a known answer, scored the way open multicam tools score themselves
(Arrow Switch's accuracy bench): on-shot share ignoring a margin around true changes, wrong
shots, missed hot stretches, median cut error."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .model import Segment


def edit_quality(segments: Sequence[Segment], truth_stretches: Sequence[tuple[int, int, int]],
                 video_ids: Sequence[str], *, fallback: int, margin_ms: int = 600, min_missed_ms: int = 4000,
                 step_ms: int = 20) -> dict[str, float]:
    """truth_stretches: (start_ms, end_ms, angle index or -1 for "the fallback is right")."""
    end = max(s.end_ms for s in segments)
    t = np.arange(0, end, step_ms)
    seg_end = np.array([s.end_ms for s in segments])
    idx = {v: i for i, v in enumerate(video_ids)}
    chosen = np.array([idx[s.video_id] for s in segments])[np.clip(np.searchsorted(seg_end, t, side="right"), 0,
                                                                   len(segments) - 1)]
    starts = np.array([s[0] for s in truth_stretches])
    which = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(truth_stretches) - 1)
    right = np.array([s[2] if s[2] >= 0 else fallback for s in truth_stretches])[which]
    changes = np.array([s[0] for i, s in enumerate(truth_stretches[1:], 1)
                        if (s[2] if s[2] >= 0 else fallback) != (truth_stretches[i - 1][2]
                                                               if truth_stretches[i - 1][2] >= 0 else fallback)])
    keep = np.ones(t.size, dtype=bool)
    for c in changes:
        keep &= np.abs(t - c) > margin_ms
    on = float((chosen == right)[keep].mean()) if keep.any() else 0.0
    wrong = 0
    for s in segments:
        m = (t >= s.start_ms) & (t < s.end_ms)
        if m.any() and (right[m] == idx[s.video_id]).mean() < 0.5:
            wrong += 1
    missed = 0
    hot = [s for s in truth_stretches if s[2] >= 0 and s[1] - s[0] >= min_missed_ms]
    for s0, s1, h in hot:
        m = (t >= s0) & (t < s1)
        if not (chosen[m] == h).any():
            missed += 1
    cuts = np.array([s.start_ms for s in segments[1:]])
    errs = [float(np.min(np.abs(cuts - c))) for c in changes] if cuts.size and changes.size else []
    return {"on_shot": on, "wrong_shots": wrong, "segments": len(segments), "missed_hot": missed,
            "hot_stretches": len(hot), "median_cut_error_ms": float(np.median(errs)) if errs else 0.0}
