"""Render planning: pure functions from a timeline to what each ffmpeg call must do.

The master is cut into chunks rendered independently (in parallel) and joined without
re-encoding, so cost grows linearly and memory stays flat however many segments there are.
Chunk boundaries are placed on the output frame grid and away from transitions, so a
crossfade never spans two chunks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..ads import AdBreak
from ..errors import ValidationError
from ..media import OutputFormat
from ..sync import Angle
from ..timeline import Segment, ZoomMoment

ZOOM_ANGLE_TYPES = ("wide", "medium")

CROSSFADE_S = 0.3
AD_TRANSITION_S = 0.5


# A zoom inside a piece: (start s, duration s, factor), in output time.
ZoomSpan = tuple[float, float, float]


@dataclass(frozen=True)
class Piece:
    """A stretch of output [start_s, end_s) filled from one source.

    The source is rendered from `start_s - lead_s` to `end_s + tail_s`: the extra is the
    overlap consumed by the transitions into and out of this piece.
    """

    kind: str  # "angle" | "ad"
    start_s: float
    end_s: float
    source: str  # video id or ad clip path
    src_start_s: float  # source time at start_s
    lead_s: float = 0.0
    tail_s: float = 0.0
    zooms: tuple[ZoomSpan, ...] = ()
    overlay_text: str = ""

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Chunk:
    index: int
    start_s: float
    end_s: float
    frames: int
    pieces: tuple[Piece, ...]
    transitions: tuple[float, ...] = field(default=())  # length of the transition before piece k (k>=1)


def build_pieces(
    segments: Sequence[Segment], angles: Mapping[str, Angle], ads: Sequence[AdBreak], zooms: Sequence[ZoomMoment],
    duration_s: float, *, crossfade_s: float = CROSSFADE_S, ad_transition_s: float = AD_TRANSITION_S,
) -> list[Piece]:
    """Turn segments (event time) into output pieces: ads replace the footage under them,
    zooms attach to the pieces they fall in, transitions are centred on each cut."""
    if not segments:
        raise ValidationError("the timeline has no segments to render")
    for s in segments:
        if s.video_id not in angles:
            raise ValidationError(f"segment {s.start_ms / 1000:.2f}-{s.end_ms / 1000:.2f} s uses angle {s.video_id!r},"
                                  " which is not synced: rebuild the timeline (`anchor timeline EVENT`)")
    spans: list[tuple[float, float, str, str]] = []  # start, end, kind, source
    ads_sorted = sorted(ads, key=lambda a: a.start_s)
    for seg in segments:
        seg_start, seg_end = seg.start_ms / 1000.0, seg.end_ms / 1000.0
        cursor = seg_start
        for ad in ads_sorted:
            a0, a1 = ad.start_s, ad.start_s + ad.duration_s
            if a1 <= cursor or a0 >= seg_end:
                continue
            if a0 > cursor:
                spans.append((cursor, a0, "angle", seg.video_id))
            cursor = max(cursor, a1)
        if cursor < seg_end:
            spans.append((cursor, seg_end, "angle", seg.video_id))
    for ad in ads_sorted:
        spans.append((ad.start_s, min(duration_s, ad.start_s + ad.duration_s), "ad", ad.clip_path))
    spans.sort(key=lambda s: s[0])
    spans = [s for s in spans if s[1] - s[0] > 1e-6]
    ad_text = {a.clip_path: a.overlay_text for a in ads}
    pieces: list[Piece] = []
    for a, b, kind, source in spans:
        if kind == "angle":
            src = angles[source].source_time(a)
            zs = tuple(
                (max(z0, a), min(z1, b) - max(z0, a), z.zoom_factor)
                for z in zooms for z0, z1 in [(z.start_ms / 1000.0, (z.start_ms + z.duration_ms) / 1000.0)]
                if z0 < b and z1 > a and angles[source].angle_type in ZOOM_ANGLE_TYPES
            )
            pieces.append(Piece("angle", a, b, source, src, zooms=zs))
        else:
            ad_start = next(x.start_s for x in ads_sorted if x.clip_path == source)
            pieces.append(Piece("ad", a, b, source, a - ad_start, overlay_text=ad_text.get(source, "")))
    # Transitions centred on each join: the outgoing piece runs on by half, the incoming starts
    # half early. Transitions never exceed a third of either neighbour.
    out: list[Piece] = []
    for k, p in enumerate(pieces):
        lead = tail = 0.0
        if k > 0:
            f = _transition(pieces[k - 1], p, crossfade_s, ad_transition_s)
            lead = f / 2
        if k + 1 < len(pieces):
            f = _transition(p, pieces[k + 1], crossfade_s, ad_transition_s)
            tail = f / 2
        out.append(replace(p, lead_s=lead, tail_s=tail))
    return out


def _transition(a: Piece, b: Piece, crossfade_s: float, ad_s: float) -> float:
    if a.kind == "angle" and b.kind == "angle" and a.source == b.source:
        return 0.0  # same angle continues (e.g. around a chunk edge): no dissolve
    f = ad_s if "ad" in (a.kind, b.kind) else crossfade_s
    return min(f, a.duration_s / 3, b.duration_s / 3)


def split_chunks(
    pieces: list[Piece], fmt: OutputFormat, duration_s: float, target_s: float = 30.0, max_pieces: int = 4,
) -> list[Chunk]:
    """Cut the output into chunks on the frame grid, never inside a transition: a chunk ends
    in the middle of a piece once it is about target_s long or holds max_pieces pieces, so
    each ffmpeg call opens a bounded number of inputs whatever the number of segments."""
    total_frames = fmt.frame(duration_s)
    guard = 2.0 / fmt.fps
    bounds = [0]
    count = 0
    for p in pieces:
        count += 1
        lo = p.start_s + p.lead_s + guard  # safe zone of this piece: clear of both transitions
        hi = p.end_s - p.tail_s - guard
        # Long pieces get boundaries inside them every target_s.
        while p.duration_s > 1.5 * target_s and hi - bounds[-1] / fmt.fps > 1.5 * target_s:
            t = max(lo, bounds[-1] / fmt.fps + target_s)
            f = fmt.frame(t)
            if f <= bounds[-1] or f / fmt.fps >= hi:
                break
            bounds.append(f)
            count = 1
        start = bounds[-1] / fmt.fps
        mid = fmt.snap(p.start_s + p.duration_s / 2)
        due = count >= max_pieces or mid - start >= target_s
        if due and lo <= mid <= hi and bounds[-1] < fmt.frame(mid) < total_frames:
            bounds.append(fmt.frame(mid))
            count = 1
    bounds.append(total_frames)
    chunks = []
    for i in range(len(bounds) - 1):
        c0, c1 = bounds[i] / fmt.fps, bounds[i + 1] / fmt.fps
        sub: list[Piece] = []
        trans: list[float] = []
        for p in pieces:
            if p.end_s <= c0 or p.start_s >= c1:
                continue
            a, b = max(p.start_s, c0), min(p.end_s, c1)
            lead = p.lead_s if a == p.start_s and a > c0 else 0.0
            tail = p.tail_s if b == p.end_s and b < c1 else 0.0
            sub.append(replace(p, start_s=a, end_s=b, src_start_s=p.src_start_s + (a - p.start_s), lead_s=lead,
                               tail_s=tail))
            if len(sub) > 1:
                trans.append(sub[-1].lead_s + sub[-2].tail_s)
        chunks.append(Chunk(i, c0, c1, bounds[i + 1] - bounds[i], tuple(sub), tuple(trans)))
    return chunks


@dataclass(frozen=True)
class AudioPart:
    """A stretch of the continuous event track taken from one angle's microphone."""

    start_s: float
    end_s: float
    video_id: str
    src_start_s: float


def plan_event_audio(
    angles: Mapping[str, Angle], duration_s: float, master_id: str, *, max_part_s: float = 300.0,
) -> list[AudioPart]:
    """The audio master where it has footage; elsewhere the angle that covers the gap longest.
    Parts are at most max_part_s so that clock-drift correction restarts exactly at each."""
    with_audio = {k: a for k, a in angles.items() if a.has_audio}
    if not with_audio:
        return []
    parts: list[AudioPart] = []
    t = 0.0
    while t < duration_s - 1e-6:
        master = with_audio.get(master_id)
        if master and master.offset_s <= t + 1e-6 and master.event_end_s > t + 1e-3:
            src_id, end = master_id, min(master.event_end_s, duration_s)
        else:
            covering = [a for a in with_audio.values() if a.offset_s <= t + 1e-6 and a.event_end_s > t + 1e-3]
            if covering:
                best = max(covering, key=lambda a: a.event_end_s)
                nxt = master.offset_s if master and master.offset_s > t else duration_s
                src_id, end = best.video_id, min(best.event_end_s, nxt, duration_s)
            else:  # nobody recorded this stretch: silence until someone starts
                starts = [a.offset_s for a in with_audio.values() if a.offset_s > t]
                t = min(starts) if starts else duration_s
                continue
        a = with_audio[src_id]
        while t < end - 1e-6:
            e = min(end, t + max_part_s)
            parts.append(AudioPart(t, e, src_id, a.source_time(t)))
            t = e
    return parts
