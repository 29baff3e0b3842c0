"""The timeline as an editor's project: OpenTimelineIO, CMX 3600 EDL, FCP 7 XML and FCPXML.

Each clip references its source file with the source range sync puts under the cut (own time
= (event time − offset) / (1 + drift)), so an editor opens the cut in Premiere, Resolve or
Final Cut and finishes it. Chapters and ad slots become markers: on the timeline for OTIO and
FCP XML, and on the clips too, because the EDL and FCPXML writers drop timeline markers.

Editors hear the edit (OTIO, FCPXML, FCP 7 XML; the EDL stays video-only, see `export_editor`):

- "A1 event sound": the audio master's microphone, continuous and synced, a gap where it has no
  footage. These formats cannot stretch a clip, so a drifting clock is handled by cutting the
  track into pieces of at most `piece_frames` frames, each re-anchored at its own source time,
  so the sound never drifts more than half a frame off the picture (the drift is in the clips'
  metadata).
- "A2 <angle_type> <video_id> (muted)", …: every synced angle with sound, its whole footage at
  its event offset, switched off so an editor can re-pick a microphone. OTIO keeps the track's
  `enabled=False`; FCP 7 XML gets `<enabled>FALSE</enabled>` on the track; FCPXML (no tracks,
  only lanes) gets `enabled="0"` on each clip. The "(muted)" in the names survives everywhere.
- "A<n> music": the event's music looped end to end from event time 0, as the render lays it
  (`-stream_loop`); the render's fades and ducking are not carried.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import opentimelineio as otio

from ..errors import ValidationError
from ..sync import Angle
from ..timeline import Timeline

FORMATS = {"otio": "otio_json", "edl": "cmx_3600", "fcpxml": "fcpx_xml", "fcp7xml": "fcp_xml"}
AUDIO_FORMATS = ("otio", "fcpxml", "fcp7xml")  # the EDL writer writes the first (video) track only
RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
MUTED = "(muted)"


@dataclass(frozen=True)
class MusicRef:
    """The event's music as an editor opens it: the file's URL and its length."""

    url: str
    duration_s: float
    name: str = "music"


def _frames(seconds: float, rate: float) -> otio.opentime.RationalTime:
    return RT(round(seconds * rate), rate)


def _reel(name: str) -> str:
    """EDL reel names: short, plain ASCII."""
    keep = "".join(ch for ch in Path(name).stem.upper() if ch.isalnum() or ch == "_")
    return (keep or "REEL")[:8]


def _as_url(src: str) -> str:
    return src if src.startswith(("file:", "http://", "https://", "s3://")) else Path(src).resolve().as_uri()


def _clip(name: str, url: str, length_f: int, in_f: int, dur_f: int, rate: float,
          meta: dict[str, Any]) -> otio.schema.Clip:
    ref = otio.schema.ExternalReference(target_url=url, available_range=TR(RT(0, rate), RT(length_f, rate)))
    clip = otio.schema.Clip(name=name, media_reference=ref, source_range=TR(RT(in_f, rate), RT(max(1, dur_f), rate)))
    clip.metadata["anchor"] = meta
    return clip


def _place(track: otio.schema.Track, item: otio.schema.Clip, at_f: int, rate: float) -> None:
    """Append `item` at record frame `at_f`, after a gap if the track ends earlier."""
    end_f = round(track.duration().rescaled_to(rate).value)
    if at_f > end_f:
        track.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(at_f - end_f, rate))))
    elif at_f < end_f:
        raise ValueError(f"{item.name} at frame {at_f} overlaps the track, which ends at {end_f}")
    track.append(item)


def piece_frames(drift_ppm: float, rate: float) -> int | None:
    """The longest clip (frames) a drifting clock can play unstretched before its sound is half a
    frame off: a clip anchored at record time R plays source s(R) + (T − R) at T, the truth is
    s(T) = s(R) + (T − R) / (1 + d), so the error after L seconds is L·d/(1 + d). None: no drift."""
    d = drift_ppm * 1e-6
    if d == 0:
        return None
    return max(1, math.floor(0.5 * abs(1 + d) / abs(d)))


def choose_master(tl: Timeline, angles: Sequence[Angle], override: str | None = None) -> Angle | None:
    """The angle heard on A1: `override` (what the render picks, see `export_event`), else the
    timeline's audio master, else the first synced angle with sound; None when nothing has sound."""
    heard = {a.video_id: a for a in angles if a.synced and a.has_audio}
    if override:
        if override not in heard:
            raise ValidationError(f"audio master {override} is not a synced angle with sound "
                                  f"(choose one of {', '.join(heard) or 'none'})")
        return heard[override]
    if tl.audio_master in heard:
        return heard[tl.audio_master]
    return next(iter(heard.values()), None)


def _span_frames(a: Angle, end_f: int, rate: float) -> tuple[int, int]:
    """Record frames [first, last) where the angle has footage, inside the edit: the first whole
    frame at or after its first sample, the last frame before its last sample."""
    r0 = max(0, math.ceil(a.event_start_s * rate - 1e-6))
    r1 = min(end_f, math.floor(a.event_end_s * rate + 1e-6))
    return r0, r1


def _source_in(a: Angle, at_f: int, rate: float) -> int:
    return max(0, round(a.source_time(at_f / rate) * rate))


def _angle_meta(a: Angle, role: str, at_f: int, rate: float, dur_f: int) -> dict[str, Any]:
    ahead_s = dur_f / rate * (1 - 1 / a.rate)  # how far the unstretched clip runs ahead by its end
    return {"video_id": a.video_id, "angle_type": a.angle_type, "role": role, "offset_s": a.offset_s,
            "drift_ppm": a.drift_ppm, "source_in_exact_s": a.source_time(at_f / rate),
            "drift_over_clip_ms": round(ahead_s * 1000, 3)}


def _event_sound(a: Angle, url: str, end_f: int, rate: float) -> otio.schema.Track:
    track = otio.schema.Track(name="A1 event sound", kind=otio.schema.TrackKind.Audio)
    track.metadata["anchor"] = {"role": "event_sound", "video_id": a.video_id, "drift_ppm": a.drift_ppm}
    r0, r1 = _span_frames(a, end_f, rate)
    if r1 <= r0:
        return track
    length_f = round(a.duration_s * rate)
    step = piece_frames(a.drift_ppm, rate) or (r1 - r0)
    k = math.ceil((r1 - r0) / step)
    bounds = [r0 + (r1 - r0) * i // k for i in range(k + 1)]
    for i, (b0, b1) in enumerate(zip(bounds, bounds[1:], strict=False)):
        in_f = _source_in(a, b0, rate)
        dur_f = min(b1 - b0, length_f - in_f)
        if dur_f <= 0:
            continue
        name = f"{a.angle_type} {a.video_id}" + (f" part {i + 1}" if k > 1 else "")
        meta = _angle_meta(a, "event_sound", b0, rate, dur_f) | {"piece": i + 1, "pieces": k}
        _place(track, _clip(name, url, length_f, in_f, dur_f, rate, meta), b0, rate)
    return track


def _angle_sound(n: int, a: Angle, url: str, end_f: int, rate: float) -> otio.schema.Track:
    track = otio.schema.Track(name=f"A{n} {a.angle_type} {a.video_id} {MUTED}", kind=otio.schema.TrackKind.Audio)
    track.enabled = False
    track.metadata["anchor"] = {"role": "angle_sound", "video_id": a.video_id, "muted": True,
                                "drift_ppm": a.drift_ppm}
    r0, r1 = _span_frames(a, end_f, rate)
    length_f = round(a.duration_s * rate)
    in_f = _source_in(a, r0, rate)
    dur_f = min(r1 - r0, length_f - in_f)
    if dur_f > 0:
        clip = _clip(f"{a.angle_type} {a.video_id} {MUTED}", url, length_f, in_f, dur_f, rate,
                     _angle_meta(a, "angle_sound", r0, rate, dur_f) | {"muted": True})
        _place(track, clip, r0, rate)
    return track


def _music(n: int, music: MusicRef, end_f: int, rate: float) -> otio.schema.Track:
    """Loop k starts at the frame nearest k × the music's length, so loops never drift; a loop
    that would need one frame more than the file has ends a frame early (a one-frame gap)."""
    track = otio.schema.Track(name=f"A{n} music", kind=otio.schema.TrackKind.Audio)
    track.metadata["anchor"] = {"role": "music", "duration_s": music.duration_s, "looped": True}
    length_f = round(music.duration_s * rate)
    if music.duration_s <= 0 or length_f <= 0:
        return track
    url = _as_url(music.url)
    k = 0
    while (start_f := round(k * music.duration_s * rate)) < end_f:
        next_f = min(end_f, round((k + 1) * music.duration_s * rate))
        dur_f = min(next_f - start_f, length_f)
        meta = {"role": "music", "loop": k + 1, "loop_start_s": k * music.duration_s}
        _place(track, _clip(music.name if k == 0 else f"{music.name} loop {k + 1}", url, length_f, 0, dur_f,
                            rate, meta), start_f, rate)
        k += 1
    return track


def build_otio(tl: Timeline, angles: Sequence[Angle], sources: Mapping[str, str], *, name: str = "Anchor master",
               rate: float = 30.0, clip_markers: bool = False, audio: bool = True, audio_master: str | None = None,
               music: MusicRef | None = None) -> otio.schema.Timeline:
    """`sources` maps each video id to the URL or path an editor opens (the store's URL).
    `audio=False`: the picture only (what the EDL takes)."""
    by_id = {a.video_id: a for a in angles}

    def url_of(video_id: str) -> str:
        return _as_url(sources.get(video_id) or f"{video_id}.mp4")

    out = otio.schema.Timeline(name=name, global_start_time=RT(0, rate))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    out.tracks.append(track)
    end_f = round(tl.duration_ms / 1000.0 * rate)
    spans: list[tuple[float, float, otio.schema.Clip]] = []
    for seg in tl.segments:
        a = by_id.get(seg.video_id)
        if a is None:
            raise ValidationError(f"segment on {seg.video_id}, which is not among the event's synced angles")
        src = sources.get(seg.video_id) or f"{seg.video_id}.mp4"
        start_own = max(0.0, a.source_time(seg.start_ms / 1000.0))
        at_f = round(seg.start_ms / 1000.0 * rate)
        dur_f = round(seg.end_ms / 1000.0 * rate) - at_f
        if dur_f <= 0:  # shorter than a frame at this rate: nothing to show
            continue
        meta: dict[str, Any] = {"video_id": seg.video_id, "angle_type": seg.angle_type, "score": seg.score,
                                "reel": _reel(Path(src).name)}
        zooms = [{"start_ms": z.start_ms, "duration_ms": z.duration_ms, "factor": z.zoom_factor}
                 for z in tl.zooms if seg.start_ms <= z.start_ms < seg.end_ms]
        if zooms:
            meta["zooms"] = zooms
        clip = _clip(f"{a.angle_type} {seg.video_id}", url_of(seg.video_id), round(a.duration_s * rate),
                     round(start_own * rate), dur_f, rate, meta)
        _place(track, clip, at_f, rate)
        spans.append((seg.start_ms / 1000.0, seg.end_ms / 1000.0, clip))
    if audio:
        video_end = round(track.duration().rescaled_to(rate).value)
        if video_end < end_f:  # connected audio (FCPXML) needs a storyline under it up to the end
            track.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(end_f - video_end, rate))))
        master = choose_master(tl, angles, audio_master)
        if master is not None:
            out.tracks.append(_event_sound(master, url_of(master.video_id), end_f, rate))
        n = 2
        for a in angles:
            if a.synced and a.has_audio:
                out.tracks.append(_angle_sound(n, a, url_of(a.video_id), end_f, rate))
                n += 1
        if music is not None:
            out.tracks.append(_music(n, music, end_f, rate))
        out.metadata["anchor"] = {"audio_master": master.video_id if master else "",
                                  "music": music.url if music else ""}
    marks: list[tuple[float, str, str, dict[str, Any]]] = [
        (c.timestamp_ms / 1000.0, c.title, otio.schema.MarkerColor.BLUE, {"kind": c.kind}) for c in tl.chapters]
    marks += [(s.timestamp_ms / 1000.0, f"AD SLOT {i + 1}", otio.schema.MarkerColor.RED,
               {"kind": "ad_slot", "duration_ms": s.duration_ms, "score": s.score})
              for i, s in enumerate(tl.ad_slots)]
    for t, title, color, mmeta in marks:
        m = otio.schema.Marker(name=title, marked_range=TR(_frames(t, rate), RT(0, rate)), color=color)
        m.metadata["anchor"] = mmeta
        out.tracks.markers.append(m)
        if clip_markers:
            for s0, s1, clip in spans:
                if s0 <= t < s1 or (t >= s1 and clip is spans[-1][2]):
                    at = clip.source_range.start_time + _frames(t - s0, rate)
                    cm = otio.schema.Marker(name=title, marked_range=TR(at, RT(0, rate)), color=color)
                    cm.metadata["anchor"] = mmeta
                    clip.markers.append(cm)
                    break
    return out


def _fcp7_switches(ot: otio.schema.Timeline) -> None:
    """The FCP 7 XML writer ignores `enabled` but writes an item's `fcp_xml` metadata as XML, and
    its reader keeps it: muted tracks get <enabled>FALSE</enabled>, audio clips their source
    track (<sourcetrack>, as Premiere and FCP 7 write it)."""
    for track in ot.tracks:
        if track.kind != otio.schema.TrackKind.Audio:
            continue
        if not track.enabled:
            track.metadata["fcp_xml"] = {"enabled": "FALSE"}
        for clip in track.find_clips():
            clip.metadata["fcp_xml"] = {"sourcetrack": {"mediatype": "audio", "trackindex": "1"}}


_FCPX_MUTED = re.compile(r'(<clip name="[^"]*' + re.escape(MUTED) + r'")')


def _fcpx_switches(text: str) -> str:
    """FCPXML has no tracks and its writer ignores `enabled`: switch the muted clips off."""
    return _FCPX_MUTED.sub(r'\1 enabled="0"', text)


def export_editor(tl: Timeline, angles: Sequence[Angle], sources: Mapping[str, str], fmt: str, out_path: str | Path,
                  *, rate: float = 30.0, name: str = "Anchor master", audio_master: str | None = None,
                  music: MusicRef | None = None) -> Path:
    """Write the edit as `fmt`. OTIO, FCPXML and FCP 7 XML carry the sound (see the module);
    the EDL is the picture only: the CMX 3600 writer (otio-cmx3600-adapter) writes the first
    track alone and refuses more than two audio tracks, so sound there would be lost anyway."""
    if fmt not in FORMATS:
        raise ValidationError(f"unknown editor format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "edl" and not float(rate).is_integer():
        rate = math.ceil(rate)
    ot = build_otio(tl, angles, sources, name=name, rate=rate, clip_markers=fmt != "otio",
                    audio=fmt in AUDIO_FORMATS, audio_master=audio_master, music=music)
    kwargs: dict[str, Any] = {}
    if fmt == "edl":
        kwargs["style"] = "avid"
        for clip in ot.find_clips():  # EDL reels: the file names, short
            clip.name = clip.metadata["anchor"]["reel"]
    if fmt == "fcp7xml":
        _fcp7_switches(ot)
    text = otio.adapters.write_to_string(ot, FORMATS[fmt], **kwargs)
    if fmt == "fcpxml":
        text = _fcpx_switches(text)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text)
    tmp.replace(out)
    return out


def read_cuts(path: str | Path, fmt: str = "otio", *, rate: float = 30.0) -> list[tuple[float, float, str, float]]:
    """(start s, end s, clip name, source in s) for each clip of the first video track: for checks.
    `rate`: the frame rate an EDL was written at (its timecodes do not say)."""
    kwargs: dict[str, Any] = {"rate": rate} if FORMATS.get(fmt, fmt) == "cmx_3600" else {}
    ot = otio.adapters.read_from_file(str(path), FORMATS.get(fmt, fmt), **kwargs)
    track = next(t for t in ot.tracks if t.kind == otio.schema.TrackKind.Video)
    out = []
    for i, item in enumerate(track):
        if not isinstance(item, otio.schema.Clip):
            continue
        r = track.range_of_child_at_index(i)
        out.append((r.start_time.to_seconds(), r.end_time_exclusive().to_seconds(), item.name,
                    item.source_range.start_time.to_seconds()))
    return out
