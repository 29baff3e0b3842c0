"""Exports editors and platforms open: OTIO round trip, EDL and FCP XML parse, chapter lists;
and the timeline/export commands end to end on the demo event."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import opentimelineio as otio
import pytest

from anchor_core.cli import main
from anchor_core.demo.features import hot_angle_features
from anchor_core.errors import ValidationError
from anchor_core.export.chapters import ffmetadata_chapters, vtt_chapters, youtube_chapters
from anchor_core.export.editors import export_editor, read_cuts
from anchor_core.timeline import AngleInfo, build_grid, build_timeline, builtin_profile
from tests.demo_event import demo_home, insert_features, truth_features, write_truth_sync


@pytest.fixture(scope="module")
def edit(tmp_path_factory):
    f, angles, _ = hot_angle_features(300, seed=5, angle_types=("wide", "closeup", "medium"))
    # give the angles real-looking sync so source ranges differ from record ranges
    angles = [AngleInfo(a.video_id, a.angle_type, off, drift, a.duration_s + 10, f"/media/{a.video_id}.mp4")
              for a, off, drift in zip(angles, (0.0, -3.5, -1.25), (0.0, 80.0, -120.0), strict=True)]
    g = build_grid(f, angles)
    tl = build_timeline(g, builtin_profile("sports"))
    return tl, angles


def test_otio_reads_back_with_the_same_cuts_and_synced_source_ranges(edit, tmp_path):
    tl, angles = edit
    out = export_editor(tl, angles, "otio", tmp_path / "cut.otio")
    cuts = read_cuts(out, "otio")
    assert len(cuts) == len(tl.segments)
    by_id = {a.video_id: a for a in angles}
    for (s0, s1, name, src_in), seg in zip(cuts, tl.segments, strict=True):
        assert abs(s0 - seg.start_ms / 1000) <= 1 / 30 + 1e-9 and abs(s1 - seg.end_ms / 1000) <= 1 / 30 + 1e-9
        assert seg.video_id in name
        assert src_in == pytest.approx(by_id[seg.video_id].own_time(seg.start_ms / 1000), abs=1 / 30)
    back = otio.adapters.read_from_file(str(out))
    names = [m.name for m in back.tracks.markers]
    assert names[: len(tl.chapters)] == [c.title for c in tl.chapters]
    assert sum(n.startswith("AD SLOT") for n in names) == len(tl.ad_slots)
    url = back.find_clips()[0].media_reference.target_url
    assert url.startswith("file:///media/")


def test_edl_is_written_and_parses_back(edit, tmp_path):
    tl, angles = edit
    out = export_editor(tl, angles, "edl", tmp_path / "cut.edl")
    text = out.read_text()
    assert text.startswith("TITLE:") and "* LOC:" in text  # chapters survive as clip markers
    cuts = read_cuts(out, "edl")
    assert len(cuts) == len(tl.segments)
    assert [round(c[0], 2) for c in cuts] == [round(round(s.start_ms / 1000 * 30) / 30, 2) for s in tl.segments]


@pytest.mark.parametrize("fmt", ["fcpxml", "fcp7xml"])
def test_fcp_xml_is_written_and_parses(edit, tmp_path, fmt):
    tl, angles = edit
    out = export_editor(tl, angles, fmt, tmp_path / f"cut.{fmt}")
    root = ET.parse(out).getroot()
    assert root.tag in ("fcpxml", "xmeml")
    cuts = read_cuts(out, fmt)
    assert len(cuts) == len(tl.segments)


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
    segs = summary["segment_list"]
    assert segs[0]["start_ms"] == 0 and segs[-1]["end_ms"] == summary["duration_s"] * 1000
    # the closeup carries the bursts it shows (its footage covers 18–26 and 52–58 s)
    close = demo.videos["closeup"]
    on_close = [s for s in segs if s["video_id"] == close]
    assert any(s["start_ms"] <= 20000 and s["end_ms"] >= 24000 for s in on_close)
    for fmt, name in [("otio", "cut.otio"), ("edl", "cut.edl"), ("fcpxml", "cut.fcpxml"), ("vtt", "ch.vtt"),
                      ("ffmetadata", "ch.txt")]:
        assert main(["--home", home, "export", demo.event_id, "--format", fmt, "--out", str(tmp_path / name)]) == 0
        assert (tmp_path / name).stat().st_size > 0
    cuts = read_cuts(tmp_path / "cut.otio")
    assert len(cuts) == len(segs)
    # a 2-minute event cannot have 3 chapters 60 s apart: a clear refusal, nothing written
    assert main(["--home", home, "export", demo.event_id, "--format", "youtube", "--out", str(tmp_path / "yt.txt")]) == 1
    assert "at least 3" in capsys.readouterr().err and not (tmp_path / "yt.txt").exists()
    # an unknown profile is refused by name
    assert main(["--home", home, "timeline", demo.event_id, "--profile", "ballet"]) == 1
    assert "ballet" in capsys.readouterr().err
