"""Zooms, ad slots and chapters: the platform's rules over the chosen segments and the grid.

Zoom: intensity ≥ threshold on a wide/medium shot, ≥ spacing apart, inside its segment; the
intensity is the angle's relative level over the event (`intensity.zoom_levels`), so the seed's 8
is the angle's top decile whatever the analyser's scale.
Ad slot: action 40 / audio 25 / scene 20 / complexity 15 points, ×0.3 near a key moment, ×0.5
on speech, ×0.4 on high crowd energy; ≥ threshold, spaced, capped per 4 minutes, never near
the edges. Chapters: the start, then the strongest highlights at least the spacing apart.
Both read the action on the zoom's relative scale (`intensity.event_peak`): a wide angle that
peaks near 6 still has its peak read as 8 or more (a chapter, no break), and an analyser whose
numbers stay low does not make its bursts look like calm breaks.
"""

from __future__ import annotations

import bisect

import numpy as np

from .grid import Grid
from .intensity import event_peak, zoom_levels
from .model import AdSlot, ChapterMark, Segment, ZoomMoment
from .profile import Profile

START_TITLES = {"sports": "Kickoff", "concert": "Opening", "wedding": "Ceremony", "conference": "Opening remarks"}
FOUR_MIN_MS = 240_000


def find_zooms(grid: Grid, p: Profile, segments: list[Segment]) -> list[ZoomMoment]:
    w = grid.window_ms
    levels = zoom_levels(grid, p)
    idx = {a.video_id: i for i, a in enumerate(grid.angles)}
    out: list[ZoomMoment] = []
    last = -10**12
    for seg in segments:
        if seg.angle_type not in p.zoom_angle_types:
            continue
        i = idx[seg.video_id]
        # every window the shot overlaps: a cut on a beat may fall inside one
        k0, k1 = int(seg.start_ms // w), int(np.ceil(seg.end_ms / w))
        for k in range(k0, min(k1, grid.n)):
            level = levels[i, k]
            if level < p.zoom_threshold - 1e-9:
                continue
            start = max(k * w, seg.start_ms)
            dur = min(p.zoom_duration_ms, seg.end_ms - start)
            if dur < p.zoom_duration_ms:  # fit inside the shot: start earlier
                start = max(seg.start_ms, seg.end_ms - p.zoom_duration_ms)
                dur = seg.end_ms - start
            if dur < min(1000, p.zoom_duration_ms) or start - last < p.zoom_min_spacing_ms:
                continue
            factor = p.zoom_factor_high if level >= p.zoom_very_intense - 1e-9 else p.zoom_factor
            out.append(ZoomMoment(int(start), int(dur), float(factor), seg.video_id))
            last = start
    return out


def window_angles(grid: Grid, segments: list[Segment]) -> np.ndarray:
    """The selected angle index per window (by the window's centre)."""
    idx = {a.video_id: i for i, a in enumerate(grid.angles)}
    centres = grid.starts_ms + grid.window_ms / 2
    bounds = np.array([s.end_ms for s in segments], dtype=np.float64)
    which = np.clip(np.searchsorted(bounds, centres, side="right"), 0, len(segments) - 1)
    return np.array([idx[segments[j].video_id] for j in which], dtype=np.int64)


def ad_scores(grid: Grid, p: Profile, chosen: np.ndarray) -> np.ndarray:
    """The platform's multi-factor ad score per window (0–100 before penalties)."""
    el = grid.eligible
    act = event_peak(grid, p)
    w = p.ad_weights
    score = np.where(act <= 3, w.get("action", 0.0), np.where(act <= 5, w.get("action", 0.0) / 2, 0.0))

    def any_event(names: tuple[str, ...]) -> np.ndarray:
        m = np.zeros(grid.n, dtype=bool)
        for e in names:
            if e in grid.events:
                m |= (grid.events[e] & el).any(axis=0)
        return m

    audio = np.where(any_event(p.ad_break_events), w.get("audio", 0.0),
                     np.where(any_event(p.ad_applause_events), w.get("audio", 0.0) * 0.6, 0.0))
    score = score + audio
    if "transition" in grid.scene_types:
        code = grid.scene_types.index("transition")
        trans = ((grid.scene_type == code) & el).any(axis=0)
        score = score + np.where(trans, w.get("scene", 0.0), 0.0)
    cols = np.arange(grid.n)
    complexity = grid.complexity[chosen, cols]
    score = score + np.where(complexity < p.ad_low_complexity, w.get("complexity", 0.0), 0.0)
    key = (grid.key_moment & el).any(axis=0)
    r = int(np.ceil(p.ad_key_moment_radius_ms / grid.window_ms))
    c = np.concatenate([[0], np.cumsum(key.astype(np.int64))])
    idx = np.arange(grid.n)
    near_key = (c[np.minimum(idx + r + 1, grid.n)] - c[np.maximum(idx - r, 0)]) > 0
    pen = p.ad_penalties
    score = np.where(near_key, score * pen.get("key_moment", 1.0), score)
    score = np.where(np.where(el, grid.speech, 0).max(axis=0) >= p.ad_speech_level, score * pen.get("speech", 1.0),
                     score)
    score = np.where(np.where(el, grid.crowd, 0).max(axis=0) >= p.ad_crowd_level, score * pen.get("crowd", 1.0),
                     score)
    return np.asarray(score, dtype=np.float64)


def spacing_ok(times: list[int], t: int, p: Profile) -> bool:
    if any(abs(t - x) < p.ad_min_spacing_ms for x in times):
        return False
    allowed = max(0, p.ad_max_per_4min)
    ts = sorted([*times, t])
    return all(ts[i + allowed] - ts[i] >= FOUR_MIN_MS for i in range(len(ts) - allowed))


def slot_scores(window_score: np.ndarray, span: int) -> np.ndarray:
    """A break's score is its worst moment: the lowest window score over the windows it covers
    and the one after it, so an ad neither starts in a lull that turns into talk nor cuts into
    the sentence that follows."""
    n = len(window_score)
    padded = np.concatenate([window_score, np.full(span + 1, np.inf)])
    out = np.min(np.stack([padded[j:j + n] for j in range(span + 1)]), axis=0)
    return np.asarray(np.where(np.isfinite(out), out, window_score), dtype=np.float64)


def find_ad_slots(grid: Grid, p: Profile, chosen: np.ndarray) -> list[AdSlot]:
    """Best windows first (Media2Cloud keeps the best of close candidates), under every rule."""
    if p.ad_max_per_4min <= 0:
        return []
    score = slot_scores(ad_scores(grid, p, chosen), -(-p.ad_duration_ms // grid.window_ms))
    starts = grid.starts_ms
    fits = (starts >= p.ad_edge_ms) & (starts + p.ad_duration_ms <= grid.duration_ms - p.ad_edge_ms)
    cand = np.nonzero(fits & (score >= p.ad_threshold))[0]
    order = cand[np.lexsort((cand, -score[cand]))]
    picked: list[int] = []
    out: list[AdSlot] = []
    for k in order.tolist():
        t = int(starts[k])
        if spacing_ok(picked, t, p):
            picked.append(t)
            out.append(AdSlot(t, p.ad_duration_ms, round(float(score[k]), 2)))
    return sorted(out, key=lambda s: s.timestamp_ms)


def _title(grid: Grid, k: int, chosen: int) -> str:
    desc = str(grid.description[chosen, k] or "")
    if not desc:
        for i in range(len(grid.angles)):
            if grid.eligible[i, k] and grid.description[i, k]:
                desc = str(grid.description[i, k])
                break
    events = {e for e, m in grid.events.items() if m[:, k].any()}
    label = "Big cheer" if "cheer" in events else "Applause" if "applause" in events else "Key moment"
    # whole phrases of the description that say something the label does not, up to 48 characters
    said = {"key moment", "cheering crowd", "big cheer", "applause"}
    for part in (p.strip() for p in desc.split(",")):
        if not part or part.lower() in said:
            continue
        joined = f"{label}{', ' if ': ' in label else ': '}{part}"
        if len(joined) > 48:
            break
        label = joined
    return label


CHAPTERS_PER_SHORT_EVENT = 4  # a short event still gets a usable chapter list (YouTube wants >= 3)
MIN_CHAPTER_MS = 15_000  # above YouTube's 10 s minimum, with room for the build-up shift


def chapter_spacing_ms(p: Profile, duration_ms: int) -> int:
    """The profile's spacing (60 s in the platform), scaled down on events too short to hold
    more than a couple of chapters at that spacing."""
    return int(min(p.chapter_min_spacing_ms, max(MIN_CHAPTER_MS, duration_ms // CHAPTERS_PER_SHORT_EVENT)))


def find_chapters(grid: Grid, p: Profile, chosen: np.ndarray, event_type: str) -> list[ChapterMark]:
    spacing = chapter_spacing_ms(p, grid.duration_ms)
    el = grid.eligible
    act = event_peak(grid, p)
    crowd = np.where(el, grid.crowd, 0).max(axis=0)
    cheer = np.zeros(grid.n, dtype=bool)
    for e in ("cheer", "applause"):
        if e in grid.events:
            cheer |= (grid.events[e] & el).any(axis=0)
    key = (grid.key_moment & el).any(axis=0)
    strong = (act >= p.chapter_action) & (cheer | key)
    starts = grid.starts_ms
    cand = np.nonzero(strong & (starts >= spacing) & (starts <= grid.duration_ms - 10_000))[0]
    value = act + 10 * crowd
    order = cand[np.lexsort((cand, -value[cand]))]
    title0 = p.chapter_start_title or START_TITLES.get(event_type, "Start")
    marks = [ChapterMark(0, title0, "start")]
    # the chapter opens where the build-up starts, not at the peak
    building = (act >= p.chapter_action * 0.6) & (starts >= spacing)
    idx = np.arange(grid.n)
    run_start = np.maximum.accumulate(np.where(~building, idx + 1, 0))
    taken = [0]
    for k in order.tolist():
        t = int(starts[min(int(run_start[k]), k)])
        pos = bisect.bisect_left(taken, t)
        near = taken[max(0, pos - 1): pos + 1]
        if all(abs(t - x) >= spacing for x in near):
            taken.insert(pos, t)
            marks.append(ChapterMark(t, _title(grid, k, int(chosen[k])), "highlight"))
    return sorted(marks, key=lambda m: m.timestamp_ms)
