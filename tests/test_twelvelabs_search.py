"""Reels on TwelveLabs: Marengo search (pages, rank, a face photo) and the vibe by embeddings."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from anchor_core.analysis import event_features, run_analysis
from anchor_core.catalog import Catalog
from anchor_core.config import load_settings
from anchor_core.errors import NotFoundError, ValidationError
from anchor_core.reels import SearchRequest, open_search, plan_reel
from anchor_core.reels.backends.twelvelabs import VIBE_TEXT, TwelveLabsSearch
from anchor_core.store import LocalStore
from anchor_core.sync import load_angles
from anchor_core.timeline import timeline_event
from anchor_core.twelvelabs.config import load_config
from anchor_core.twelvelabs.store import VIDEO, get_remote
from tests.mediagen import make_still_png
from tests.test_twelvelabs import _no_sdk_env, clips, template, tl_env  # noqa: F401 - shared fixtures
from tests.twelvelabs_fake import FakeTwelveLabs, vector


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, template):  # noqa: F811
    """The event analysed with TwelveLabs once, against one fake for the module: (fake, home, event id)."""
    home = tmp_path_factory.mktemp("tlanalysed") / "home"
    shutil.copytree(template[0], home)
    eid = template[1]
    with FakeTwelveLabs(polls_to_ready=1) as fake:
        settings = load_settings(home, env=tl_env(fake))
        with Catalog(settings.catalog_path) as cat:
            run_analysis(cat, LocalStore(settings.store_root), settings, eid)
            with cat.transaction() as cur:
                cur.execute("UPDATE videos SET sync_offset_s = 0, sync_drift_ppm = 0, sync_confidence = 1, "
                            "sync_status = 'synced', sync_method = 'test' WHERE event_id = ?", [eid])
        yield fake, home, eid


@pytest.fixture
def indexed(tmp_path, analysed):
    """A fresh copy of the analysed home (empty embedding cache), the fake's log cleared and hooks reset:
    (fake, settings, cat, event, our video id -> remote video id)."""
    fake, src, eid = analysed
    home = tmp_path / "home"
    shutil.copytree(src, home)
    fake.requests.clear()
    fake.search_hits = lambda form, files: []
    fake.clip_vectors = lambda vid, s, e: vector(f"{vid}:{s}")
    settings = load_settings(home, env=tl_env(fake))
    cat = Catalog(settings.catalog_path)
    angles = load_angles(cat, eid).synced
    remote = {a.video_id: get_remote(cat, eid, a.video_id, VIDEO).remote_id for a in angles}
    yield fake, settings, cat, eid, remote
    cat.close()


def _request(cat, eid, query="", vibe="high_energy"):
    return SearchRequest(eid, event_features(cat, load_angles(cat, eid).synced), query, vibe, cat)


def test_query_search_walks_every_page_and_ranks_windows_by_rank(indexed):
    fake, settings, cat, eid, remote = indexed
    (a, ra), (b, rb) = sorted(remote.items())
    hits = [{"video_id": ra, "start": 2.0, "end": 4.0, "rank": 1}, {"video_id": rb, "start": 0.0, "end": 2.0, "rank": 2},
            {"video_id": ra, "start": 6.0, "end": 8.0, "rank": 3}, {"video_id": rb, "start": 4.0, "end": 6.0, "rank": 4},
            {"video_id": "not-ours", "start": 0.0, "end": 2.0, "rank": 5}]
    fake.search_hits = lambda form, files: [{**h, "thumbnail_url": "https://x/t.jpg"} for h in hits]
    search = TwelveLabsSearch(load_config(settings), page_limit=2, sleep=lambda s: None)
    req = _request(cat, eid, query="goal celebration")
    scores = search.score_windows(req)
    (post,) = fake.calls("POST", "/search")
    assert post.form["query_text"] == ["goal celebration"]
    assert post.form["search_options"] == ["visual", "audio"] and post.form["group_by"] == ["clip"]
    assert not {"threshold", "adjust_confidence_level", "sort_option"} & set(post.form)
    assert len(fake.calls("GET", r"/search/\w+")) == 2  # 5 hits, 2 per page
    f = req.features.frame
    matched = {(v, t) for v, t, s in zip(f["video_id"], f["t_ms"], scores, strict=True) if np.isfinite(s)}
    assert matched == {(a, 2000), (a, 6000), (b, 0), (b, 4000)}
    by = {(v, t): s for v, t, s in zip(f["video_id"], f["t_ms"], scores, strict=True)}
    assert by[(a, 2000)] > by[(b, 0)] > by[(a, 6000)] > by[(b, 4000)]  # rank 1 first
    moments = plan_reel(req.features, "goal celebration", "high_energy", 4.0, search=search, event_id=eid,
                        catalog=cat)
    assert moments[0].start_s <= 2.0 < moments[0].end_s  # the moment of the rank-1 hit


def test_a_face_photo_is_sent_as_an_image_query(indexed, tmp_path):
    fake, settings, cat, eid, remote = indexed
    photo = make_still_png(tmp_path / "me.png")
    ra = sorted(remote.values())[0]
    fake.search_hits = lambda form, files: ([{"video_id": ra, "start": 0.0, "end": 2.0, "rank": 1}]
                                            if "query_media_file" in files else [])
    scores = TwelveLabsSearch(load_config(settings), face_image=str(photo)).score_windows(_request(cat, eid))
    (post,) = fake.calls("POST", "/search")
    assert post.form["query_media_type"] == ["image"] and "query_text" not in post.form
    assert post.files["query_media_file"] == photo.stat().st_size
    assert np.isfinite(scores).sum() == 1
    chosen = open_search(settings, face=str(photo))  # what `make_reel(face=...)` uses
    assert isinstance(chosen, TwelveLabsSearch) and chosen.face_image == str(photo)
    with pytest.raises(ValidationError, match="cannot look for a face photo"):
        open_search(load_settings(settings.home, env={}), face=str(photo))
    from anchor_core.reels import search_takes_faces  # what decides whether the reel form asks for a photo

    assert search_takes_faces(settings) and not search_takes_faces(load_settings(settings.home, env={}))
    with pytest.raises(ValidationError, match="must be an existing image file"):
        TwelveLabsSearch(load_config(settings), face_image=str(tmp_path / "none.png")).score_windows(
            _request(cat, eid))


def test_the_vibe_ranks_by_embedding_and_a_second_reel_costs_one_text_embedding(indexed):
    fake, settings, cat, eid, remote = indexed
    (a, ra), (b, rb) = sorted(remote.items())
    energy = vector(VIBE_TEXT["high_energy"])
    # angle b's second clip (6-8 s) looks exactly like "high energy action moments"
    fake.clip_vectors = lambda vid, s, e: energy if (vid == rb and s >= 6.0) else vector(f"{vid}:{s}")
    search = open_search(settings)  # ANCHOR_SEARCH=twelvelabs: configuration only
    assert isinstance(search, TwelveLabsSearch)
    req = _request(cat, eid)
    first = search.score_windows(req)
    f = req.features.frame
    best = int(np.argmax(first))
    assert (f["video_id"][best], f["t_ms"][best]) == (b, 6000) and first[best] == pytest.approx(1.0, abs=1e-5)
    embeds = fake.calls("POST", "/embed-v2")
    assert len(embeds) == 1 and embeds[0].json["model_name"] == "marengo3.0"
    reads = fake.calls("GET", r"/indexes/\w+/videos/\w+")
    with_embeddings = [r for r in reads if r.query.get("embedding_option") == ["visual", "audio"]]
    assert len(with_embeddings) == 2
    n = len(fake.requests)
    second = search.score_windows(req)
    assert [(r.method, r.path) for r in fake.requests[n:]] == [("POST", "/embed-v2")]  # the clips came from the cache
    assert np.allclose(first, second)
    stored = cat.frame("SELECT count(*) AS n, min(len(vector)) AS d FROM clip_embeddings")
    assert stored["n"][0] == 2 * 2 * 2 and stored["d"][0] == 512  # 2 angles x 2 clips x visual+audio


def test_the_timeline_builds_on_the_twelvelabs_feature_table(indexed):
    fake, settings, cat, eid, remote = indexed
    tid, tl = timeline_event(cat, eid)
    assert tl.segments and {s.video_id for s in tl.segments} <= set(remote)
    assert tl.segments[-1].end_ms >= 6000


def test_an_event_never_indexed_says_to_analyse_it_with_twelvelabs(indexed):
    fake, settings, cat, eid, remote = indexed
    with cat.transaction() as cur:
        cur.execute("DELETE FROM remote_assets WHERE kind = 'index'")
    with pytest.raises(NotFoundError, match="ANCHOR_ANALYZER=twelvelabs anchor analyze"):
        TwelveLabsSearch(load_config(settings)).score_windows(_request(cat, eid, "goal"))
