"""The TwelveLabs analyzer, through the real SDK (1.3.6) against the loopback fake server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from anchor_core.analysis import FEATURE_SCHEMA, AnalysisParams, analysis_summary, analyze_event, run_analysis
from anchor_core.catalog import Catalog
from anchor_core.catalog import videos as videos_repo
from anchor_core.catalog.events import create_event, get_event
from anchor_core.config import load_settings
from anchor_core.errors import AnchorError, ConfigError
from anchor_core.ingest import ingest_video
from anchor_core.store import LocalStore
from anchor_core.twelvelabs import SDK_VERSION
from anchor_core.twelvelabs.config import load_config
from anchor_core.twelvelabs.store import load_provenance, remote_frame
from tests.mediagen import make_clip
from tests.twelvelabs_fake import API_KEY, FakeTwelveLabs

CLIP_S = 8.0


def tl_env(fake: FakeTwelveLabs, **extra: str) -> dict[str, str]:
    return {"ANCHOR_WORKERS": "2", "ANCHOR_ANALYZER": "twelvelabs", "ANCHOR_SEARCH": "twelvelabs",
            "TWELVELABS_API_KEY": API_KEY, "TWELVELABS_BASE_URL": fake.base_url, "TWELVELABS_POLL_S": "0.01",
            "TWELVELABS_BACKOFF_S": "0.01", "TWELVELABS_TIMEOUT_S": "5", **extra}


@pytest.fixture(autouse=True)
def _no_sdk_env(monkeypatch):
    # the SDK reads TWELVELABS_BASE_URL itself and lets it win over base_url=
    monkeypatch.delenv("TWELVELABS_BASE_URL", raising=False)
    monkeypatch.delenv("TWELVELABS_API_KEY", raising=False)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("tlclips")
    return [make_clip(d / f"cam{i}.mp4", seconds=CLIP_S, seed=i) for i in range(2)]


@pytest.fixture
def fake():
    with FakeTwelveLabs() as f:
        yield f


_TEMPLATE: dict[str, tuple[Path, str]] = {}  # made once per test session, shared by both test modules


@pytest.fixture(scope="module")
def template(tmp_path_factory, clips) -> tuple[Path, str]:
    """A two-angle event, ingested and analysed locally once (so each test's local pass is a cache hit)."""
    if "home" in _TEMPLATE:
        return _TEMPLATE["home"]
    home = tmp_path_factory.mktemp("tltemplate") / "home"
    with Catalog(home / "catalog.duckdb") as cat:
        store = LocalStore(home / "store")
        e = create_event(cat, "cup final", "sports")
        for i, c in enumerate(clips):
            ingest_video(cat, store, e.id, c, angle_type="wide" if i == 0 else "closeup")
        analyze_event(cat, store, e.id)
    _TEMPLATE["home"] = (home, e.id)
    return home, e.id


@pytest.fixture
def event(tmp_path, template):
    """A fresh copy of the template home; yields (home, catalog, store, event id)."""
    home = tmp_path / "home"
    shutil.copytree(template[0], home)
    cat = Catalog(home / "catalog.duckdb")
    yield home, cat, LocalStore(home / "store"), template[1]
    cat.close()


def _run(home, cat, store, eid, fake, *, progress=None, force=False, **extra):
    settings = load_settings(home, env=tl_env(fake, **extra))
    return run_analysis(cat, store, settings, eid, progress=progress, force=force)


def test_the_sdk_is_the_pinned_version():
    from twelvelabs.version import __version__

    assert __version__ == SDK_VERSION
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert f"twelvelabs=={SDK_VERSION}" in pyproject


def test_index_upload_poll_analyze_fills_every_column_with_provenance(event, fake, clips):
    home, cat, store, eid = event
    messages: list[str] = []
    result = _run(home, cat, store, eid, fake, progress=lambda d, t, m: messages.append(m))
    # one index per event, Marengo 3.0 over visual and audio, its id on the event
    (idx,) = fake.calls("POST", "/indexes")
    assert idx.json["models"] == [{"model_name": "marengo3.0", "model_options": ["visual", "audio"]}]
    index_id = next(iter(fake.indexes))
    assert get_event(cat, eid).meta["twelvelabs_index_id"] == index_id
    # each angle uploaded once, as multipart with its index id and the whole file
    uploads = fake.calls("POST", "/tasks")
    assert len(uploads) == 2
    assert sorted(u.files["video_file"] for u in uploads) == sorted(c.stat().st_size for c in clips)
    assert all(u.form["index_id"] == [index_id] for u in uploads)
    # Pegasus async segmentation on the indexed asset
    analyses = fake.calls("POST", "/analyze/tasks")
    assert len(analyses) == 2
    body = analyses[0].json
    assert body["analysis_mode"] == "time_based_metadata" and body["model_name"] == "pegasus1.5"
    assert body["video"]["type"] == "asset_id" and body["video"]["asset_id"].startswith("as_")
    assert {d["id"] for d in body["response_format"]["segment_definitions"]} == {
        "action", "scene", "key_moment", "audio", "description"}
    # the same feature table as the local analyzer, every column filled
    f = result.features
    assert f.schema == pl.Schema(FEATURE_SCHEMA)
    assert f.height == 2 * int(CLIP_S / 2) and f.null_count().sum_horizontal()[0] == 0
    stored = cat.frame("SELECT * FROM features ORDER BY video_id, t_ms")
    assert stored.height == f.height
    # the fake's 4 s segments: intensity (k*3) % 11 for segment k, so windows 0-1 -> 0, 2-3 -> 3, ...
    one = f.filter(pl.col("video_id") == f["video_id"][0]).sort("t_ms")
    assert one["action_intensity"].to_list() == [0.0, 0.0, 3.0, 3.0]
    assert one["description"].to_list() == ["description 0", "description 0", "description 1", "description 1"]
    assert one["audio_events"].to_list()[0] == ["cheer"]
    # provenance: which backend filled which column of each window
    prov = load_provenance(cat, f["video_id"].unique().to_list())
    assert prov.height == f.height and set(prov["backend"]) == {"twelvelabs"}
    assert set(prov["remote_columns"][0]) == {"action_intensity", "scene_type", "faces", "key_moment",
                                               "audio_events", "description"}
    runs = cat.frame("SELECT DISTINCT backend FROM feature_runs")
    assert runs["backend"].to_list() == ["twelvelabs"]
    # the summary and the progress say which host did it and what it costs
    summary = analysis_summary(result, videos_repo.list_videos(cat, eid))
    host = fake.base_url.split("//")[1].split("/")[0]
    assert set(summary["source"]) == {f"twelvelabs@{host}"}
    assert any("2 angle(s) to index, about 2 indexed minute(s)" in m for m in messages)
    assert any("indexing: indexing (poll 1)" in m for m in messages)
    # every remote id was recorded
    rows = remote_frame(cat, eid)
    assert sorted(rows.filter(pl.col("video_id") != "")["kind"].to_list()) == ["analysis", "analysis", "task", "task",
                                                                                 "video", "video"]


def test_a_second_run_uploads_and_analyses_nothing_again(event, fake):
    home, cat, store, eid = event
    first = _run(home, cat, store, eid, fake)
    n = len(fake.requests)
    again = _run(home, cat, store, eid, fake)
    new = fake.requests[n:]
    assert [r.path for r in new if r.method == "POST"] == []
    assert again.features.equals(first.features)


def test_kill_during_polling_then_restart_resumes_without_a_second_upload(event, fake):
    home, cat, store, eid = event
    fake.polls_to_ready = 4

    class Killed(BaseException):
        pass

    def die(d, t, m):
        if "indexing: indexing (poll 2)" in m:
            raise Killed

    with pytest.raises(Killed):
        _run(home, cat, store, eid, fake, progress=die)
    assert len(fake.calls("POST", "/tasks")) == 1
    task_id = fake.calls("POST", "/tasks")[0]
    cat.close()
    cat2 = Catalog(home / "catalog.duckdb")  # the restarted process
    try:
        result = _run(home, cat2, store, eid, fake)
        assert len(fake.calls("POST", "/tasks")) == 2  # the second angle only
        first_task = next(iter(fake.tasks))
        assert fake.tasks[first_task]["polls"] >= 4  # the same task was polled on to ready
        assert task_id.form["index_id"] == fake.calls("POST", "/tasks")[1].form["index_id"]
        assert len(fake.calls("POST", "/indexes")) == 1
        assert result.failed == {}
    finally:
        cat2.close()


def test_our_deadline_stops_polling_keeps_local_values_and_the_next_run_resumes(event, fake):
    home, cat, store, eid = event
    fake.polls_to_ready = 10**6
    result = _run(home, cat, store, eid, fake, TWELVELABS_DEADLINE_S="0.05")
    assert len(result.failed) == 2 and all("run the same command again" in r for r in result.failed.values())
    prov = cat.frame("SELECT backend, reason FROM feature_provenance")
    assert set(prov["backend"]) == {"local"} and "within 0.05 s" in prov["reason"][0]
    assert result.features.null_count().sum_horizontal()[0] == 0
    fake.polls_to_ready = 1
    again = _run(home, cat, store, eid, fake)
    assert again.failed == {} and len(fake.calls("POST", "/tasks")) == 2


def test_rate_limits_server_errors_and_timeouts_are_retried_with_bodies_intact(event, fake, clips):
    from anchor_core.analysis.backends.twelvelabs import TwelveLabsAnalyzer

    home, cat, store, eid = event
    fake.fail("POST", "/tasks", 429, headers={"Retry-After": "3"})
    fake.fail("GET", r"/tasks/\w+", 500)
    fake.fail("POST", "/analyze/tasks", 429)  # this endpoint maps 429 to a plain ApiError
    fake.fail("GET", r"/indexes/\w+/videos/\w+", 200, delay_s=4.0)  # slower than the client waits
    waits: list[float] = []
    settings = load_settings(home, env=tl_env(fake, TWELVELABS_TIMEOUT_S="2.5"))
    analyzer = TwelveLabsAnalyzer(load_config(settings), tmp_root=settings.tmp_root, sleep=waits.append)
    result = analyzer.analyze_event(cat, store, eid, params=AnalysisParams(), executor=_serial(), progress=None,
                                    force=False)
    assert result.failed == {}
    assert 3.0 in waits  # Retry-After honoured
    uploads = fake.calls("POST", "/tasks")
    assert len(uploads) == 3  # angle 1 twice (429 then ok), angle 2 once
    assert uploads[0].files == uploads[1].files and uploads[1].files["video_file"] > 0  # the retry resent the file
    assert uploads[0].form == uploads[1].form
    assert len(fake.calls("POST", "/analyze/tasks")) == 3
    assert len(fake.calls("GET", r"/indexes/\w+/videos/\w+")) == 3  # the timed-out read was asked again


def test_an_upload_accepted_but_answered_with_an_error_is_found_not_sent_twice(event, fake):
    home, cat, store, eid = event
    fake.fail("POST", "/tasks", 502, after=True)  # the service indexed the file; its answer was lost
    result = _run(home, cat, store, eid, fake)
    assert result.failed == {}
    assert len(fake.calls("POST", "/tasks")) == 2  # angle 1 once (its retry found the task), angle 2 once
    assert len(fake.tasks) == 2 and len(fake.calls("GET", "/tasks")) == 1  # one look at the index's tasks
    names = {t["system_metadata"]["filename"] for t in fake.tasks.values()}
    assert len(names) == 2  # each angle under its own stored name


def test_a_service_that_stays_down_gives_up_with_a_clear_message_and_keeps_local_features(event, fake):
    home, cat, store, eid = event
    fake.fail("POST", "/tasks", 503, times=100)
    with pytest.raises(AnchorError, match=r"could not upload an angle after 5 attempts: server error 503.*run again"):
        _run(home, cat, store, eid, fake)
    assert cat.frame("SELECT count(*) AS n FROM features")["n"][0] == 2 * int(CLIP_S / 2)  # the local pass


def test_missing_and_wrong_keys_quota_and_a_gone_index_each_say_what_to_do(event, fake, monkeypatch):
    home, cat, store, eid = event
    assert API_KEY not in repr(load_config(load_settings(home, env=tl_env(fake))))
    monkeypatch.setenv("TWELVELABS_BASE_URL", "https://api.twelvelabs.io/v1.3")  # the SDK would prefer it
    with pytest.raises(ConfigError, match="overrides the configured"):
        _run(home, cat, store, eid, fake)
    monkeypatch.delenv("TWELVELABS_BASE_URL")
    env = tl_env(fake)
    env.pop("TWELVELABS_API_KEY")
    with pytest.raises(ConfigError, match="needs TWELVELABS_API_KEY"):
        run_analysis(cat, store, load_settings(home, env=env), eid)
    with pytest.raises(AnchorError, match=r"refused the API key.*check TWELVELABS_API_KEY"):
        _run(home, cat, store, eid, fake, TWELVELABS_API_KEY="wrong")
    assert cat.frame("SELECT count(*) AS n FROM features")["n"][0] > 0  # nothing local lost
    with pytest.raises(ConfigError, match="must include the API version"):
        _run(home, cat, store, eid, fake, TWELVELABS_BASE_URL=fake.base_url.removesuffix("/v1.3"))
    fake.quota_exhausted = True
    with pytest.raises(AnchorError, match="usage is exhausted"):
        _run(home, cat, store, eid, fake)
    fake.quota_exhausted = False
    _run(home, cat, store, eid, fake)
    fake.indexes.clear()
    with pytest.raises(AnchorError, match=r"is gone \(404\).*--force"):
        _run(home, cat, store, eid, fake)
    result = _run(home, cat, store, eid, fake, force=True)  # the advice works
    assert result.failed == {} and list(fake.indexes) == [get_event(cat, eid).meta["twelvelabs_index_id"]]


def test_a_truncated_pegasus_answer_falls_back_to_local_values_with_the_reason(event, fake):
    home, cat, store, eid = event
    fake.answer = lambda video, body: ('{"action": [{"start_time": 0, "end_time": 4, "metadata": {"inten', "length")
    local = cat.frame("SELECT * FROM features ORDER BY video_id, t_ms")  # the template's local analysis
    result = _run(home, cat, store, eid, fake)
    assert result.features.sort(["video_id", "t_ms"]).equals(local)
    assert all("truncated (finish_reason=length)" in r for r in result.failed.values())
    prov = cat.frame("SELECT DISTINCT backend, reason FROM feature_provenance")
    assert prov.rows() == [("local", "Pegasus answer truncated (finish_reason=length)")]


def test_a_partial_answer_fills_what_it_covers_and_says_why_the_rest_is_local(event, fake):
    home, cat, store, eid = event
    answer = {"action": [{"start_time": 0.0, "end_time": 4.0, "metadata": {"intensity": 9}},
                         {"start_time": 4.0, "end_time": 6.0, "metadata": {"intensity": "very"}}],
              "key_moment": [{"start_time": 2.5, "end_time": 3.5, "metadata": {"label": "goal"}}]}
    fake.answer = lambda video, body: (json.dumps(answer), "stop")
    result = _run(home, cat, store, eid, fake)
    one = result.features.filter(pl.col("video_id") == result.features["video_id"][0]).sort("t_ms")
    assert one["action_intensity"][:2].to_list() == [9.0, 9.0]
    assert one["key_moment"].to_list() == [False, True, False, False]  # the 1 s moment marks its window
    prov = load_provenance(cat, [one["video_id"][0]])
    assert prov["remote_columns"][0].to_list() == ["action_intensity", "key_moment"]
    assert prov["remote_columns"][2].to_list() == ["key_moment"]  # "very" is no intensity
    assert "no valid Pegasus value for action_intensity, scene_type" in prov["reason"][2]


def test_an_angle_over_the_limits_is_reencoded_and_trimmed_with_its_time_mapping(event, fake, clips):
    home, cat, store, eid = event
    result = _run(home, cat, store, eid, fake, TWELVELABS_MAX_DURATION_S="6", TWELVELABS_MAX_UPLOAD_BYTES="80000")
    assert result.failed == {}
    uploads = fake.calls("POST", "/tasks")
    assert all(u.files["video_file"] != c.stat().st_size for u, c in zip(uploads, clips, strict=True))
    assert {round(v["duration"]) for v in fake.videos.values()} == {6}
    task = remote_frame(cat, eid).filter(pl.col("kind") == "task")
    meta = json.loads(task["meta"][0])
    assert meta["transcoded"] and meta["covered_s"] == 6.0 and meta["offset_s"] == 0.0
    assert "8 s > 6 s" in meta["transcode_reason"]
    prov = load_provenance(cat, [result.features["video_id"][0]])
    assert prov["backend"].to_list() == ["twelvelabs", "twelvelabs", "twelvelabs", "local"]
    assert prov["reason"][3] == "past the uploaded part of the angle"


def _serial():
    from anchor_core.executor import SerialExecutor

    return SerialExecutor()


def test_the_cli_switches_to_twelvelabs_by_configuration_only(event, fake, monkeypatch, capsys):
    from anchor_core.cli import main

    home, cat, store, eid = event
    cat.close()  # the CLI opens the catalog itself
    for k, v in tl_env(fake).items():
        monkeypatch.setenv(k, v)
    # paid: without --yes it says what indexing would cost and uploads nothing
    assert main(["--home", str(home), "-q", "analyze", eid, "--json"]) == 1
    refused = capsys.readouterr().err
    assert "TwelveLabs will index 2 of 2 angle(s)" in refused and "--yes" in refused
    assert not fake.calls("POST", "/tasks")
    assert main(["--home", str(home), "-q", "analyze", eid, "--json", "--yes"]) == 0
    out = json.loads(capsys.readouterr().out)
    host = fake.base_url.split("//")[1].split("/")[0]
    assert {a["source"] for a in out["angles"]} == {f"twelvelabs@{host}"} and out["failed"] == {}
    assert len(fake.calls("POST", "/tasks")) == 2
