from __future__ import annotations

import time

import numpy as np
import polars as pl
import pytest

from anchor_core.analysis import EventFeatures, place_features
from anchor_core.errors import NotFoundError, ValidationError
from anchor_core.media import probe
from anchor_core.reels import make_reel, pick_moments, plan_reel, query_mask, reel_length, vibe_scores
from anchor_core.render import OutputFormat
from anchor_core.sync import Angle
from tests.demo_event import demo_home, insert_features, truth_features, write_truth_sync


def _with_event_time(f: pl.DataFrame, truth, videos) -> EventFeatures:
    """The truth features in reference time (offsets as the truth states them, no shift)."""
    angles = [Angle(video_id=vid, angle_type=truth["angles"][n]["angle_type"], object_key="", duration_s=1e4,
                    offset_s=truth["angles"][n]["offset_s"], drift_ppm=0.0) for n, vid in videos.items()]
    return place_features(f, angles)


def test_high_energy_reel_takes_the_bursts_within_budget(demo_media):
    _, truth = demo_media
    videos = {n: n for n in truth["angles"]}
    feats = _with_event_time(truth_features(truth, videos), truth, videos)
    moments = plan_reel(feats, "", "high_energy", 30.0)
    assert 27.0 <= reel_length(moments) <= 30.0 + 1e-9  # the budget, filled to within 10 %
    kind = {m.video_id: truth["angles"][m.video_id]["angle_type"] for m in moments}
    play = [m for m in moments if kind[m.video_id] != "crowd"]
    assert all(m.duration_s >= 4.0 - 1e-9 for m in play) and len(play) > len(moments) / 2
    for m in moments:  # the crowd only as a brief reaction, right after a moment of play
        if kind[m.video_id] == "crowd":
            assert m.duration_s <= 4.0 and any(abs(p.end_s - m.start_s) < 1e-6 for p in play), m
    for m in moments:  # every moment lies in a burst
        assert any(s - 2 <= m.start_s and m.end_s <= e + 2 for s, e in truth["action_bursts"]), m
    assert len({next(i for i, (s, e) in enumerate(truth["action_bursts"]) if s - 2 <= m.start_s <= e)
                for m in moments}) >= 2  # spread over the event, not one burst
    ordered = sorted(moments, key=lambda m: m.start_s)
    for a, b in zip(ordered, ordered[1:], strict=False):
        assert b.start_s >= a.end_s  # no overlapping moments


def test_calm_vibe_prefers_idle_stretches(demo_media):
    _, truth = demo_media
    videos = {n: n for n in truth["angles"]}
    feats = _with_event_time(truth_features(truth, videos), truth, videos)
    moments = plan_reel(feats, "", "calm", 12.0)
    assert moments and all(any(s - 2 <= m.start_s and m.end_s <= e + 2 for s, e in truth["idle"]) for m in moments)


def test_query_restricts_to_matching_windows_and_unmatched_query_is_an_error(demo_media):
    _, truth = demo_media
    videos = {n: n for n in truth["angles"]}
    feats = _with_event_time(truth_features(truth, videos), truth, videos)
    mask = query_mask(feats.frame, "Commentary!")
    assert mask.any() and not mask.all()
    moments = pick_moments(feats.frame, vibe_scores(feats.frame, "emotional"), mask, budget_s=20)
    assert all(any(s - 2 <= m.start_s <= e for s, e in truth["speech"]) for m in moments)
    with pytest.raises(NotFoundError, match="nothing in the event matches"):
        plan_reel(feats, "zebra", "calm", 20)
    with pytest.raises(ValidationError, match="unknown vibe"):
        vibe_scores(feats.frame, "angry")


def test_reel_of_30_s_renders_at_most_30_s_from_the_top_moments(demo_media, tmp_path):
    media, truth = demo_media
    settings, cat, store, demo = demo_home(media, tmp_path / "home")
    write_truth_sync(cat, demo.videos, truth)
    insert_features(cat, truth_features(truth, demo.videos))
    t0 = time.perf_counter()
    r = make_reel(cat, store, settings, demo.event_id, query="", vibe="high_energy", duration_s=30,
                  fmt=OutputFormat(width=640, height=360, preset="ultrafast"))
    wall = time.perf_counter() - t0
    info = probe(r.path)
    assert info.duration_s <= 30.0 + 1 / 30 + 1e-3
    assert info.duration_s == pytest.approx(reel_length(r.moments), abs=0.05)
    assert r.object_key == f"outputs/{r.reel_id}/reel.mp4"
    stored = cat.frame("SELECT vibe, moments FROM reels")
    assert stored["vibe"][0] == "high_energy" and stored.height == 1
    print(f"reel wall time {wall:.1f} s for {info.duration_s:.1f} s")
    cat.close()
    assert np.isfinite(wall)


def test_a_find_me_photo_is_checked_then_kept_once_under_the_event(tmp_path):
    import pytest

    from anchor_core.errors import ValidationError
    from anchor_core.reels import store_face
    from anchor_core.store import LocalStore

    store = LocalStore(tmp_path / "store")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    key = store_face(store, "evt_1", png)
    assert key.startswith("events/evt_1/faces/") and key.endswith(".png")
    assert store.path_for(key).read_bytes() == png
    assert store_face(store, "evt_1", png) == key  # the same photo again: the same object
    for bad, why in ((b"", "empty"), (b"<html>hi</html>" * 3, "not a JPEG"), (b"\xff\xd8\xff" + b"0" * (11 << 20), "MB")):
        with pytest.raises(ValidationError, match=why):
            store_face(store, "evt_1", bad)
    with pytest.raises(Exception, match="segment"):
        store_face(store, "../evt", png)  # an event id cannot leave the store
