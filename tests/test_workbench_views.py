"""What the notebooks show: beside a paid button, TwelveLabs' indexed minutes for the angles not
indexed yet (nothing for the local analyzer), whether ads bill, who measured each angle; and each
ad slot with its backend, fallback reason, scene context and prompt."""

from __future__ import annotations

from dataclasses import replace

from anchor_app import paid_work
from anchor_core.catalog import events as events_repo
from anchor_core.catalog import videos as videos_repo


def _event_with_angles(catalog, durations_s):
    eid = events_repo.create_event(catalog, "Paid night", "concert").id
    for i, d in enumerate(durations_s):
        videos_repo.insert_video(catalog, video_id=f"vid_{i}", event_id=eid, angle_type="wide",
                                 object_key=f"events/{eid}/videos/vid_{i}.mp4", original_name=f"cam{i}.mp4",
                                 content_hash=f"h{i}", size_bytes=1000, duration_s=d, probe={})
    return eid


def test_the_local_analyzer_and_ads_cost_nothing(settings, catalog):
    eid = _event_with_angles(catalog, [90.0])
    assert paid_work.analysis_cost(settings, eid) is None
    assert not paid_work.ads_paid(settings)


def test_twelvelabs_shows_whole_indexed_minutes_per_angle_still_to_index(settings, catalog):
    eid = _event_with_angles(catalog, [61.0, 30.0, 125.0])
    paid = replace(settings, analyzer_backend="twelvelabs", ad_backend="veo")
    cost = paid_work.analysis_cost(paid, eid)
    assert cost == {"angles": 3, "to_index": 3, "indexed_minutes": 2 + 1 + 3}
    assert paid_work.analysis_label(cost).startswith("Index 3 of 3 angle(s) on TwelveLabs: about 6.0 indexed")
    assert paid_work.ads_paid(paid)


def test_each_angle_names_the_backend_that_measured_it(settings, catalog):
    eid = _event_with_angles(catalog, [10.0, 10.0])
    with catalog.transaction() as cur:
        cur.execute("INSERT INTO feature_runs (video_id, backend, cache_key, window_ms) VALUES "
                    "('vid_0', 'local', 'k0', 2000), ('vid_1', 'twelvelabs', 'k1', 2000)")
    assert paid_work.analysis_backends(settings, eid) == {"vid_0": "local", "vid_1": "twelvelabs"}


def test_an_ad_card_shows_backend_fallback_context_and_prompt_all_escaped():
    from anchor_app.ads_view import ad_card

    row = {"slot_idx": 2, "title": "<script>alert(1)</script> Cola", "backend": "local", "requested_backend": "veo",
           "fallback_reason": "Veo blocked the clip <b>(RAI)</b>", "prompt": 'Product: "Cola"\nSetting: pitch',
           "negative_prompt": "text, logos",
           "context": '{"scene_type": "wide shot", "setting": "Outdoor grass field, daylight", '
                      '"camera_motion": "pan left", "pan_direction": "left", "pan_speed": 0.12, '
                      '"palette": [["green", "#2e7d32", 0.6], ["x", "red;background:url(evil)", 0.4]]}'}
    html_ = ad_card(row)
    assert "<script>" not in html_ and "&lt;script&gt;" in html_
    assert "made by <b>local</b> (asked for veo)" in html_
    assert "fallback: Veo blocked the clip &lt;b&gt;(RAI)&lt;/b&gt;" in html_
    assert "Outdoor grass field, daylight" in html_ and "left at 0.12 frame widths/s" in html_
    assert "#2e7d32" in html_ and "url(evil)" not in html_  # only strict hex colours reach a style
    assert "Setting: pitch" in html_ and "negative: text, logos" in html_


def test_the_reel_form_asks_for_a_photo_only_where_search_takes_one_and_keeps_it_by_key(settings):
    from types import SimpleNamespace

    import pytest

    from anchor_app.reel_form import face_input, reel_args
    from anchor_core.errors import ValidationError
    from anchor_core.store import open_store

    assert face_input(settings) is None  # the local search takes words, not photos
    assert face_input(replace(settings, search_backend="twelvelabs")) is not None
    plain = reel_args(settings, "evt_1", query="cheer", vibe="calm", duration_s=20, face=None)
    assert plain == {"event": "evt_1", "query": "cheer", "vibe": "calm", "duration_s": 20.0}
    photo = SimpleNamespace(value=[SimpleNamespace(contents=b"\xff\xd8\xff\xe0" + b"\x00" * 300)])
    args = reel_args(settings, "evt_1", query="", vibe="calm", duration_s=20, face=photo)
    assert open_store(settings).path_for(args["face_key"]).read_bytes()[:3] == b"\xff\xd8\xff"
    with pytest.raises(ValidationError, match="not a JPEG"):
        reel_args(settings, "evt_1", query="", vibe="calm", duration_s=20,
                  face=SimpleNamespace(value=[SimpleNamespace(contents=b"GIF89a" + b"0" * 50)]))
