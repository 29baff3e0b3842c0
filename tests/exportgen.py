"""A hand-made edit for the editor exports, with a known right answer, and readers for what
the OTIO adapters give back (track order, names and markers differ per format).

Three angles: the wide runs from event time 0; the closeup starts 3 s later on a clock 60 ppm
fast (over its 10 minutes the drift is more than a frame) and is the audio master, ending
before the edit does; the crowd camera has no sound. The music is shorter than the edit.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from anchor_core.export.editors import FORMATS, MusicRef
from anchor_core.sync import Angle
from anchor_core.timeline import AdSlot, ChapterMark, Segment, Timeline

RATE = 30.0
FRAME = 1.0 / RATE
TOL = FRAME + 1e-9  # "within one frame"
DURATION_S = 620.0

WIDE = Angle("wide1", "wide", "videos/wide1.mp4", duration_s=620.0, offset_s=0.0)
CLOSE = Angle("close2", "closeup", "videos/close2.mp4", duration_s=610.0, offset_s=3.0, drift_ppm=60.0)
CROWD = Angle("crowd3", "crowd", "videos/crowd3.mp4", duration_s=480.0, offset_s=12.25, has_audio=False)
ANGLES = (WIDE, CLOSE, CROWD)
SOURCES = {a.video_id: f"/media/{a.video_id}.mp4" for a in ANGLES}
MUSIC = MusicRef("/media/music/anthem.mp3", 97.31, "anthem")  # not a whole number of frames


def _seg(t0: float, t1: float, a: Angle) -> Segment:
    return Segment(round(t0 * 1000), round(t1 * 1000), a.video_id, a.angle_type, 1.0)


def three_angle_timeline(audio_master: str = CLOSE.video_id) -> Timeline:
    segments = (_seg(0, 40, WIDE), _seg(40, 130, CLOSE), _seg(130, 250, CROWD), _seg(250, 400, CLOSE),
                _seg(400, 470.5, CROWD), _seg(470.5, 613, CLOSE), _seg(613, DURATION_S, WIDE))
    chapters = (ChapterMark(0, "Kickoff", "start"), ChapterMark(95_500, "First goal", "highlight"),
                ChapterMark(333_333, "Comeback", "highlight"), ChapterMark(501_017, "Final whistle", "highlight"))
    ads = (AdSlot(150_000, 30_000, 0.9), AdSlot(420_017, 20_000, 0.7))
    return Timeline(duration_ms=round(DURATION_S * 1000), segments=segments, zooms=(), ad_slots=ads,
                    chapters=chapters, beat_synced=False, strategy="test", profile_name="test", profile_version=1,
                    inputs_hash="test", audio_master=audio_master)


def url(video_id_or_path: str) -> str:
    return Path(SOURCES.get(video_id_or_path, video_id_or_path)).resolve().as_uri()


def read_back(path: str | Path, fmt: str) -> otio.schema.Timeline:
    got = otio.adapters.read_from_file(str(path), FORMATS[fmt])
    if isinstance(got, otio.schema.SerializableCollection):  # FCPXML inside an event
        got = next(iter(got.find_children(descended_from_type=otio.schema.Timeline, shallow_search=True)))
    assert isinstance(got, otio.schema.Timeline)
    return got


def placed(track: otio.schema.Track) -> list[tuple[float, float, otio.schema.Clip]]:
    """(record start s, record end s, clip) of each clip, in order."""
    out = []
    for i, item in enumerate(track):
        if isinstance(item, otio.schema.Clip):
            r = track.range_of_child_at_index(i)
            out.append((r.start_time.to_seconds(), r.end_time_exclusive().to_seconds(), item))
    return out


def source_at(track: otio.schema.Track, t: float) -> tuple[otio.schema.Clip, float] | None:
    """The clip playing at record time t and the source time it plays there; None in a gap."""
    for s0, s1, clip in placed(track):
        if s0 <= t < s1:
            return clip, clip.source_range.start_time.to_seconds() + (t - s0)
    return None


def target(clip: otio.schema.Clip) -> str:
    ref = clip.media_reference
    return ref.target_url if isinstance(ref, otio.schema.ExternalReference) else ""


def audio_roles(ot: otio.schema.Timeline) -> dict[str, list[otio.schema.Track]]:
    """The audio tracks by what their clips are ("master", "muted", "music"), since the FCP
    readers do not give the track names back."""
    roles: dict[str, list[otio.schema.Track]] = {"master": [], "muted": [], "music": [], "other": []}
    for track in ot.tracks:
        if track.kind != otio.schema.TrackKind.Audio:
            continue
        clips = [c for _, _, c in placed(track)]
        if clips and all(target(c) == url(MUSIC.url) for c in clips):
            roles["music"].append(track)
        elif clips and all(c.name.endswith("(muted)") for c in clips):
            roles["muted"].append(track)
        elif clips and all(target(c) == url(CLOSE.video_id) for c in clips):
            roles["master"].append(track)
        else:
            roles["other"].append(track)
    return roles


def marker_times(ot: otio.schema.Timeline, fmt: str) -> dict[str, float]:
    """Marker name -> record time (s). The FCPXML writer keeps only clip markers (in the clip's
    source time): they are mapped back onto the record."""
    if fmt != "fcpxml":
        return {m.name: m.marked_range.start_time.to_seconds() for m in ot.tracks.markers}
    video = next(t for t in ot.tracks if t.kind == otio.schema.TrackKind.Video)
    out = {}
    for s0, _, clip in placed(video):
        for m in clip.markers:
            out[m.name] = s0 + m.marked_range.start_time.to_seconds() - clip.source_range.start_time.to_seconds()
    return out
