"""The timeline as an editor's project: OpenTimelineIO, CMX 3600 EDL, FCP 7 XML and FCPXML.

Each clip references its source file with the source range sync puts under the cut (own time
= (event time − offset) / (1 + drift)), so an editor opens the cut in Premiere, Resolve or
Final Cut and finishes it. Chapters and ad slots become markers: on the timeline for OTIO and
FCP XML, and on the clips too, because the EDL and FCPXML writers drop timeline markers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import opentimelineio as otio

from ..errors import ValidationError
from ..timeline.grid import AngleInfo
from ..timeline.model import Timeline

FORMATS = {"otio": "otio_json", "edl": "cmx_3600", "fcpxml": "fcpx_xml", "fcp7xml": "fcp_xml"}
RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def _frames(seconds: float, rate: float) -> otio.opentime.RationalTime:
    return RT(round(seconds * rate), rate)


def _reel(name: str) -> str:
    """EDL reel names: short, plain ASCII."""
    keep = "".join(ch for ch in Path(name).stem.upper() if ch.isalnum() or ch == "_")
    return (keep or "REEL")[:8]


def build_otio(tl: Timeline, angles: Sequence[AngleInfo], *, name: str = "Anchor master", rate: float = 30.0,
               clip_markers: bool = False) -> otio.schema.Timeline:
    by_id = {a.video_id: a for a in angles}
    out = otio.schema.Timeline(name=name, global_start_time=RT(0, rate))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    out.tracks.append(track)
    spans: list[tuple[float, float, otio.schema.Clip]] = []
    for seg in tl.segments:
        a = by_id.get(seg.video_id)
        if a is None:
            raise ValidationError(f"segment on {seg.video_id}, which is not among the event's synced angles")
        src = a.source or f"{seg.video_id}.mp4"
        url = Path(src).resolve().as_uri() if not src.startswith(("http://", "https://", "s3://")) else src
        ref = otio.schema.ExternalReference(target_url=url,
                                            available_range=TR(RT(0, rate), _frames(a.duration_s, rate)))
        start_own = max(0.0, a.own_time(seg.start_ms / 1000.0))
        in_f = round(start_own * rate)
        dur_f = round(seg.end_ms / 1000.0 * rate) - round(seg.start_ms / 1000.0 * rate)
        clip = otio.schema.Clip(name=f"{a.angle_type} {seg.video_id}", media_reference=ref,
                                source_range=TR(RT(in_f, rate), RT(max(1, dur_f), rate)))
        clip.metadata["anchor"] = {"video_id": seg.video_id, "angle_type": seg.angle_type, "score": seg.score,
                                   "reel": _reel(Path(src).name)}
        zooms = [{"start_ms": z.start_ms, "duration_ms": z.duration_ms, "factor": z.zoom_factor}
                 for z in tl.zooms if seg.start_ms <= z.start_ms < seg.end_ms]
        if zooms:
            clip.metadata["anchor"]["zooms"] = zooms
        track.append(clip)
        spans.append((seg.start_ms / 1000.0, seg.end_ms / 1000.0, clip))
    marks: list[tuple[float, str, str, dict[str, Any]]] = [
        (c.timestamp_ms / 1000.0, c.title, otio.schema.MarkerColor.BLUE, {"kind": c.kind}) for c in tl.chapters]
    marks += [(s.timestamp_ms / 1000.0, f"AD SLOT {i + 1}", otio.schema.MarkerColor.RED,
               {"kind": "ad_slot", "duration_ms": s.duration_ms, "score": s.score})
              for i, s in enumerate(tl.ad_slots)]
    for t, title, color, meta in marks:
        m = otio.schema.Marker(name=title, marked_range=TR(_frames(t, rate), RT(0, rate)), color=color)
        m.metadata["anchor"] = meta
        out.tracks.markers.append(m)
        if clip_markers:
            for s0, s1, clip in spans:
                if s0 <= t < s1 or (t >= s1 and clip is spans[-1][2]):
                    at = clip.source_range.start_time + _frames(t - s0, rate)
                    cm = otio.schema.Marker(name=title, marked_range=TR(at, RT(0, rate)), color=color)
                    cm.metadata["anchor"] = meta
                    clip.markers.append(cm)
                    break
    return out


def export_editor(tl: Timeline, angles: Sequence[AngleInfo], fmt: str, out_path: str | Path, *,
                  rate: float = 30.0, name: str = "Anchor master") -> Path:
    if fmt not in FORMATS:
        raise ValidationError(f"unknown editor format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "edl" and not float(rate).is_integer():
        rate = math.ceil(rate)
    ot = build_otio(tl, angles, name=name, rate=rate, clip_markers=fmt != "otio")
    kwargs: dict[str, Any] = {}
    if fmt == "edl":
        kwargs["style"] = "avid"
        for clip in ot.find_clips():  # EDL reels: the file names, short
            clip.name = clip.metadata["anchor"]["reel"]
    text = otio.adapters.write_to_string(ot, FORMATS[fmt], **kwargs)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text)
    tmp.replace(out)
    return out


def read_cuts(path: str | Path, fmt: str = "otio") -> list[tuple[float, float, str, float]]:
    """(start s, end s, clip name, source in s) for each clip of the first video track: for checks."""
    ot = otio.adapters.read_from_file(str(path), FORMATS.get(fmt, fmt))
    track = next(t for t in ot.tracks if t.kind == otio.schema.TrackKind.Video)
    out = []
    for i, item in enumerate(track):
        if not isinstance(item, otio.schema.Clip):
            continue
        r = track.range_of_child_at_index(i)
        out.append((r.start_time.to_seconds(), r.end_time_exclusive().to_seconds(), item.name,
                    item.source_range.start_time.to_seconds()))
    return out
