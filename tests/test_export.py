"""Exports editors and platforms open: OTIO round trip, EDL and FCP XML parse, chapter lists;
and the timeline/export commands end to end on the demo event."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import opentimelineio as otio
import pytest

import anchor_core
from anchor_core.catalog import Catalog
from anchor_core.cli import main
from anchor_core.demo.features import hot_angle_features
from anchor_core.errors import ValidationError
from anchor_core.export.chapters import vtt_chapters, youtube_chapters
from anchor_core.export.editors import build_otio, export_editor, piece_frames, read_cuts
from anchor_core.media import ffmetadata_chapters
from anchor_core.music import event_music
from anchor_core.sync import load_angles
from anchor_core.timeline import build_grid, build_timeline, builtin_profile, load_latest_timeline
from tests import exportgen as eg
from tests.demo_event import demo_home, insert_features, truth_features, write_truth_sync


@pytest.fixture(scope="module")
def edit(tmp_path_factory):
    f, angles, _ = hot_angle_features(300, seed=5, angle_types=("wide", "closeup", "medium"))
    # give the angles real-looking sync so source ranges differ from record ranges
    angles = [replace(a, offset_s=off, drift_ppm=drift, duration_s=a.duration_s + 10)
              for a, off, drift in zip(angles, (0.0, -3.5, -1.25), (0.0, 80.0, -120.0), strict=True)]
    g = build_grid(f, angles)
    tl = build_timeline(g, builtin_profile("sports"))
    sources = {a.video_id: f"/media/{a.video_id}.mp4" for a in angles}
    return tl, angles, sources


def test_otio_reads_back_with_the_same_cuts_and_synced_source_ranges(edit, tmp_path):
    tl, angles, sources = edit
    out = export_editor(tl, angles, sources, "otio", tmp_path / "cut.otio")
    cuts = read_cuts(out, "otio")
    assert len(cuts) == len(tl.segments)
    by_id = {a.video_id: a for a in angles}
    for (s0, s1, name, src_in), seg in zip(cuts, tl.segments, strict=True):
        assert abs(s0 - seg.start_ms / 1000) <= 1 / 30 + 1e-9 and abs(s1 - seg.end_ms / 1000) <= 1 / 30 + 1e-9
        assert seg.video_id in name
        assert src_in == pytest.approx(max(0.0, by_id[seg.video_id].source_time(seg.start_ms / 1000)), abs=1 / 30)
    back = otio.adapters.read_from_file(str(out))
    names = [m.name for m in back.tracks.markers]
    assert names[: len(tl.chapters)] == [c.title for c in tl.chapters]
    assert sum(n.startswith("AD SLOT") for n in names) == len(tl.ad_slots)
    url = back.find_clips()[0].media_reference.target_url
    assert url.startswith("file:///media/")


def test_edl_is_written_and_parses_back(edit, tmp_path):
    tl, angles, sources = edit
    out = export_editor(tl, angles, sources, "edl", tmp_path / "cut.edl")
    text = out.read_text()
    assert text.startswith("TITLE:") and "* LOC:" in text  # chapters survive as clip markers
    cuts = read_cuts(out, "edl")
    assert len(cuts) == len(tl.segments)
    assert [round(c[0], 2) for c in cuts] == [round(round(s.start_ms / 1000 * 30) / 30, 2) for s in tl.segments]


@pytest.mark.parametrize("fmt", ["fcpxml", "fcp7xml"])
def test_fcp_xml_is_written_and_parses(edit, tmp_path, fmt):
    tl, angles, sources = edit
    out = export_editor(tl, angles, sources, fmt, tmp_path / f"cut.{fmt}")
    root = ET.parse(out).getroot()
    assert root.tag in ("fcpxml", "xmeml")
    cuts = read_cuts(out, fmt)
    assert len(cuts) == len(tl.segments)


AUDIO_FORMATS = ["otio", "fcpxml", "fcp7xml"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The three-angle edit with music, written once per format that carries sound."""
    d = tmp_path_factory.mktemp("editors")
    tl = eg.three_angle_timeline()
    return tl, {fmt: export_editor(tl, eg.ANGLES, eg.SOURCES, fmt, d / f"cut.{fmt}", rate=eg.RATE, music=eg.MUSIC)
                for fmt in AUDIO_FORMATS}


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_editor_files_read_back_with_one_video_and_an_audio_track_per_sound(written, fmt):
    _, paths = written
    ot = eg.read_back(paths[fmt], fmt)
    kinds = [t.kind for t in ot.tracks]
    assert kinds.count(otio.schema.TrackKind.Video) == 1
    # the master, the two angles that have sound (not the crowd camera), the music
    assert kinds.count(otio.schema.TrackKind.Audio) == 4
    roles = eg.audio_roles(ot)
    assert [len(roles[r]) for r in ("master", "muted", "music", "other")] == [1, 2, 1, 0]
    heard = {eg.target(c) for t in ot.tracks if t.kind == otio.schema.TrackKind.Audio for c in t.find_clips()}
    assert eg.url(eg.CROWD.video_id) not in heard
    # the picture is still the cut
    video = next(t for t in ot.tracks if t.kind == otio.schema.TrackKind.Video)
    assert [c.name for _, _, c in eg.placed(video)] == [f"{s.angle_type} {s.video_id}" for s in eg.three_angle_timeline().segments]


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_event_sound_is_the_audio_master_in_sync_under_the_whole_edit(written, fmt):
    _, paths = written
    (track,) = eg.audio_roles(eg.read_back(paths[fmt], fmt))["master"]
    a = eg.CLOSE
    # its drift over the edit is more than a frame, so one unstretched clip could not stay in sync
    assert a.duration_s * a.drift_ppm * 1e-6 > eg.FRAME
    checked = 0
    for k in range(int(eg.DURATION_S / 0.37) + 1):
        t = k * 0.37
        got = eg.source_at(track, t)
        if t < a.event_start_s - 1e-9 or t >= a.event_end_s:
            assert got is None, f"sound at {t:.2f} s, where the master has no footage"
            continue
        if t < a.event_start_s + eg.FRAME or t > a.event_end_s - eg.FRAME:
            continue  # the first and last frames may be a gap
        assert got is not None, f"no master sound at {t:.2f} s"
        clip, src = got
        assert eg.target(clip) == eg.url(a.video_id)
        assert abs(src - a.source_time(t)) <= eg.TOL, f"{src - a.source_time(t):+.4f} s off at {t:.2f} s"
        checked += 1
    assert checked > 1500


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_each_angles_own_sound_is_a_muted_track_at_its_offset(written, fmt):
    _, paths = written
    ot = eg.read_back(paths[fmt], fmt)
    muted = eg.audio_roles(ot)["muted"]
    by_url = {}
    for track in muted:
        ((s0, s1, clip),) = eg.placed(track)
        by_url[eg.target(clip)] = (s0, s1, clip, track)
    assert set(by_url) == {eg.url(eg.WIDE.video_id), eg.url(eg.CLOSE.video_id)}
    for a in (eg.WIDE, eg.CLOSE):
        s0, s1, clip, track = by_url[eg.url(a.video_id)]
        assert abs(s0 - a.offset_s) <= eg.TOL
        assert abs(clip.source_range.start_time.to_seconds() - a.source_time(s0)) <= eg.TOL
        # the whole footage, unstretched (a drifting clip ends early by its drift: the muted tracks are for re-picking)
        assert abs(s1 - min(a.offset_s + a.duration_s, eg.DURATION_S)) <= eg.TOL
        assert abs(clip.source_range.end_time_exclusive().to_seconds() - a.source_time(s0) - (s1 - s0)) <= eg.TOL
        # switched off where the format has a switch that survives, and named so everywhere
        if fmt == "otio":
            assert track.enabled is False
        elif fmt == "fcp7xml":
            assert track.metadata["fcp_xml"]["enabled"] == "FALSE"
    if fmt == "fcpxml":  # the FCPXML reader drops `enabled`: check the file itself
        clips = {c.get("name"): c.get("enabled") for c in ET.parse(paths[fmt]).getroot().iter("clip")}
        assert {n: e for n, e in clips.items() if n.endswith("(muted)")} == {
            "wide wide1 (muted)": "0", "closeup close2 (muted)": "0"}
        assert all(e is None for n, e in clips.items() if not n.endswith("(muted)"))
    else:
        master, music = eg.audio_roles(ot)["master"] + eg.audio_roles(ot)["music"]
        assert master.enabled and music.enabled and "enabled" not in dict(master.metadata.get("fcp_xml", {}))


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_music_is_looped_end_to_end_from_event_time_zero(written, fmt):
    _, paths = written
    (track,) = eg.audio_roles(eg.read_back(paths[fmt], fmt))["music"]
    loops = eg.placed(track)
    assert len(loops) == math.ceil(eg.DURATION_S / eg.MUSIC.duration_s) == 7
    for k, (s0, s1, clip) in enumerate(loops):
        assert abs(s0 - k * eg.MUSIC.duration_s) <= eg.TOL
        assert abs(clip.source_range.start_time.to_seconds()) <= eg.TOL
        want_end = min((k + 1) * eg.MUSIC.duration_s, eg.DURATION_S)
        assert abs(s1 - want_end) <= eg.TOL
        assert clip.source_range.duration.to_seconds() <= eg.MUSIC.duration_s + 1e-9
    assert abs(loops[-1][1] - eg.DURATION_S) <= eg.TOL


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_chapters_and_ad_slots_are_markers_at_their_times(written, fmt):
    tl, paths = written
    got = eg.marker_times(eg.read_back(paths[fmt], fmt), fmt)
    want = {c.title: c.timestamp_ms / 1000 for c in tl.chapters}
    want |= {f"AD SLOT {i + 1}": s.timestamp_ms / 1000 for i, s in enumerate(tl.ad_slots)}
    assert set(got) == set(want)
    for name, t in want.items():
        assert abs(got[name] - t) <= eg.TOL, f"{name} at {got[name]:.3f} s, wanted {t:.3f} s"


def test_a_drifting_master_is_cut_into_pieces_each_within_half_a_frame():
    tl = eg.three_angle_timeline()
    ot = build_otio(tl, eg.ANGLES, eg.SOURCES, rate=eg.RATE)
    a1 = next(t for t in ot.tracks if t.name == "A1 event sound")
    pieces = eg.placed(a1)
    step_s = piece_frames(eg.CLOSE.drift_ppm, eg.RATE) / eg.RATE
    assert step_s == pytest.approx(0.5 * eg.FRAME / 60e-6, rel=1e-3)  # ~278 s at 60 ppm, 30 fps
    assert len(pieces) == math.ceil((pieces[-1][1] - pieces[0][0]) / step_s) == 3
    for s0, s1, clip in pieces:
        assert s1 - s0 <= step_s + 1e-9
        in_s = clip.source_range.start_time.to_seconds()
        assert abs(in_s - eg.CLOSE.source_time(s0)) <= eg.FRAME / 2 + 1e-9  # re-anchored at its own start
        # by its end the unstretched piece runs ahead of the drifting clock by at most half a frame
        assert abs((in_s + (s1 - s0)) - eg.CLOSE.source_time(s1)) - abs(in_s - eg.CLOSE.source_time(s0)) \
            <= eg.FRAME / 2 + 1e-9
        assert clip.metadata["anchor"]["drift_ppm"] == 60.0
    # no drift: one clip
    steady = [eg.WIDE, replace(eg.CLOSE, drift_ppm=0.0), eg.CROWD]
    ot = build_otio(tl, steady, eg.SOURCES, rate=eg.RATE)
    a1 = next(t for t in ot.tracks if t.name == "A1 event sound")
    assert len(eg.placed(a1)) == 1
    assert piece_frames(0.0, eg.RATE) is None


def test_audio_master_falls_back_to_the_first_synced_angle_with_sound_or_the_override():
    def heard(tl, angles=eg.ANGLES, **kw):
        ot = build_otio(tl, angles, eg.SOURCES, rate=eg.RATE, **kw)
        a1 = next(t for t in ot.tracks if t.name == "A1 event sound")
        return {eg.target(c) for c in a1.find_clips()}, [t.name for t in ot.tracks]

    hand_written = eg.three_angle_timeline(audio_master="")
    urls, names = heard(hand_written)
    assert urls == {eg.url("wide1")}
    assert not any("music" in n for n in names) and len(names) == 4  # no music: V1, A1, two muted
    assert heard(hand_written, audio_master="close2")[0] == {eg.url("close2")}
    assert heard(eg.three_angle_timeline(audio_master="crowd3"))[0] == {eg.url("wide1")}  # no sound there
    unsynced_wide = [replace(eg.WIDE, status="unsynced"), eg.CLOSE, eg.CROWD]
    assert heard(hand_written, unsynced_wide)[0] == {eg.url("close2")}
    with pytest.raises(ValidationError, match="crowd3"):
        build_otio(hand_written, eg.ANGLES, eg.SOURCES, audio_master="crowd3")


def test_the_edl_stays_picture_only(tmp_path):
    tl = eg.three_angle_timeline()
    out = export_editor(tl, eg.ANGLES, eg.SOURCES, "edl", tmp_path / "cut.edl", music=eg.MUSIC)
    events = [ln.split() for ln in out.read_text().splitlines() if ln[:3].isdigit()]
    assert len(events) == len(tl.segments) and all(e[2] == "V" for e in events)
    back = otio.adapters.read_from_file(str(out), "cmx_3600", rate=eg.RATE)
    assert [t.kind for t in back.tracks] == [otio.schema.TrackKind.Video]
    assert len(read_cuts(out, "edl")) == len(tl.segments)


def test_youtube_chapters_follow_the_rules_or_say_why_not():
    ok = youtube_chapters([(0, "Kickoff"), (65, "Big cheer: fast action"), (130, "Second half")], 200)
    assert ok.splitlines() == ["0:00 Kickoff", "1:05 Big cheer: fast action", "2:10 Second half"]
    assert youtube_chapters([(0, "A"), (1800, "B"), (3700, "C")], 4000).splitlines()[2] == "1:01:40 C"
    with pytest.raises(ValidationError, match="at least 3"):
        youtube_chapters([(0, "Kickoff"), (62, "Second spell")], 120)
    with pytest.raises(ValidationError, match="10 s"):
        youtube_chapters([(0, "A"), (5, "B"), (30, "C")], 60)


def test_vtt_and_ffmetadata_chapters():
    vtt = vtt_chapters([(0, "Kickoff"), (62.5, "Goal --> replay")], 120)
    assert vtt.startswith("WEBVTT\n") and "00:01:02.500 --> 00:02:00.000" in vtt and "-->" not in vtt.split("\n")[-2]
    meta = ffmetadata_chapters([(0, "Kick=off; #1"), (62, "Second")], 120)
    assert meta.count("TIMEBASE=1/1000") == 2 and "START=62000" in meta and "END=120000" in meta
    assert "title=Kick\\=off\\; \\#1" in meta


def test_timeline_and_export_commands_on_the_demo_event(demo_media, tmp_path, capsys):
    media, truth = demo_media
    settings, cat, store, demo = demo_home(media, tmp_path)
    write_truth_sync(cat, demo.videos, truth)
    insert_features(cat, truth_features(truth, demo.videos))
    cat.close()
    home = str(tmp_path)
    capsys.readouterr()
    assert main(["--home", home, "timeline", demo.event_id, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    segs = summary["segments"]  # the lists themselves, not counts
    assert summary["counts"]["segments"] == len(segs) and len(summary["chapters"]) == summary["counts"]["chapters"]
    assert all({"timestamp_ms", "duration_ms"} <= set(a) for a in summary["ad_slots"])
    assert segs[0]["start_ms"] == 0 and segs[-1]["end_ms"] == summary["duration_s"] * 1000
    # the closeup carries the bursts it shows (its footage covers 18–26 and 52–58 s)
    close = demo.videos["closeup"]
    on_close = [s for s in segs if s["video_id"] == close]
    assert any(s["start_ms"] <= 20000 and s["end_ms"] >= 24000 for s in on_close)
    for fmt, name in [("otio", "cut.otio"), ("edl", "cut.edl"), ("fcpxml", "cut.fcpxml"), ("vtt", "ch.vtt"),
                      ("ffmetadata", "ch.txt"), ("youtube", "yt.txt")]:
        assert main(["--home", home, "export", demo.event_id, "--format", fmt, "--out", str(tmp_path / name)]) == 0
        assert (tmp_path / name).stat().st_size > 0
    cuts = read_cuts(tmp_path / "cut.otio")
    assert len(cuts) == len(segs)
    # a two-minute event still gets a YouTube list YouTube accepts: >= 3 chapters from 0:00
    yt = (tmp_path / "yt.txt").read_text().splitlines()
    assert len(yt) >= 3 and yt[0].startswith("0:00 ")
    # the export carries the sound the render plays: the timeline's microphone and the event's music
    cat = Catalog(settings.catalog_path)
    try:
        master = load_latest_timeline(cat, demo.event_id).audio_master
        music = event_music(cat, demo.event_id)
        heard = [a for a in load_angles(cat, demo.event_id).synced if a.has_audio]
    finally:
        cat.close()
    assert master and music is not None
    back = otio.adapters.read_from_file(str(tmp_path / "cut.otio"))
    tracks = {t.name: t for t in back.tracks}
    a1 = [c.metadata["anchor"]["video_id"] for c in tracks["A1 event sound"].find_clips()]
    assert a1 and set(a1) == {master}
    (music_track,) = [t for n, t in tracks.items() if n.endswith(" music")]
    assert {c.media_reference.target_url for c in music_track.find_clips()} == {store.url(music.object_key)}
    assert sorted(n for n, t in tracks.items() if not t.enabled) == sorted(
        f"A{i + 2} {a.angle_type} {a.video_id} (muted)" for i, a in enumerate(heard))
    # a timeline with too few chapters for YouTube: a clear refusal, nothing written
    sports = json.loads((Path(anchor_core.__file__).parent / "profiles" / "sports.json").read_text())
    (tmp_path / "calm.json").write_text(json.dumps(dict(sports, name="no-highlights", chapter_action=11.0)))
    assert main(["--home", home, "timeline", demo.event_id, "--profile", str(tmp_path / "calm.json")]) == 0
    capsys.readouterr()
    assert main(["--home", home, "export", demo.event_id, "--format", "youtube", "--out", str(tmp_path / "no.txt")]) == 1
    assert "at least 3" in capsys.readouterr().err and not (tmp_path / "no.txt").exists()
    # an unknown profile is refused by name
    assert main(["--home", home, "timeline", demo.event_id, "--profile", "ballet"]) == 1
    assert "ballet" in capsys.readouterr().err
