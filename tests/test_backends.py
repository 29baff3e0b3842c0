"""Backends are chosen by settings: unknown or unconfigured ones say what is available and what
is missing, and the ffmpeg binary is the one the settings name, in every stage."""

from __future__ import annotations

import stat

import pytest

from anchor_core.cli import main
from anchor_core.config import load_settings
from anchor_core.errors import ConfigError
from anchor_core.registry import REGISTRIES, STORES, Backend, Registry
from tests.mediagen import make_clip


@pytest.mark.parametrize("reg", REGISTRIES, ids=lambda r: r.concern)
def test_an_unknown_backend_names_the_setting_and_lists_the_available_ones(reg, tmp_path):
    settings = load_settings(tmp_path, env={reg.setting: "nope"})
    with pytest.raises(ConfigError) as err:
        reg.open(settings)
    msg = str(err.value)
    assert f"{reg.setting}='nope'" in msg and all(n in msg for n in reg.names())


def test_a_backend_missing_its_settings_says_which_and_opens_once_they_are_set(tmp_path, monkeypatch):
    fake = Backend("s3x", "test double", lambda s: ("opened", s.option("ANCHOR_S3_BUCKET")),
                   requires=("ANCHOR_S3_BUCKET",))
    monkeypatch.setattr(Registry, "names", lambda self: ("local", "s3x"))
    monkeypatch.setattr(Registry, "get", lambda self, name: fake)
    with pytest.raises(ConfigError, match=r"'s3x' needs ANCHOR_S3_BUCKET to be set.*ANCHOR_STORE.*local, s3x"):
        STORES.open(load_settings(tmp_path, env={"ANCHOR_STORE": "s3x"}))
    ok = load_settings(tmp_path, env={"ANCHOR_STORE": "s3x", "ANCHOR_S3_BUCKET": "media"})
    assert STORES.open(ok) == ("opened", "media")
    assert "ANCHOR_S3_BUCKET" not in repr(ok)  # backend options (keys) stay out of logs


def test_every_stage_runs_the_ffmpeg_the_settings_name(tmp_path, monkeypatch, capsys):
    from anchor_core.media import ffmpeg_exe

    log = tmp_path / "calls.log"
    wrapper = tmp_path / "my-ffmpeg"
    wrapper.write_text(f"#!/bin/sh\necho \"$*\" >> {log}\nexec {ffmpeg_exe()} \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    a = make_clip(tmp_path / "a.mp4", seconds=6.0, seed=1)
    monkeypatch.setenv("ANCHOR_FFMPEG", str(wrapper))
    home = ["--home", str(tmp_path / "home"), "-q"]
    assert main([*home, "event", "create", "Cam test", "--type", "concert"]) == 0
    eid = capsys.readouterr().out.strip().splitlines()[-1]

    def calls() -> int:
        return len(log.read_text().splitlines()) if log.exists() else 0

    counts = []
    for cmd in (["ingest", eid, str(a), "--angle", "wide"], ["sync", eid], ["analyze", eid, "--window-ms", "1000"],
                ["timeline", eid], ["render", eid, "--size", "160x90", "--no-ads"]):
        before = calls()
        assert main([*home, *cmd]) == 0, cmd
        counts.append(calls() - before)
    assert all(c > 0 for c in counts[:3]) and counts[4] > 0, counts  # timeline alone runs no ffmpeg
    assert counts[3] == 0
    monkeypatch.setenv("ANCHOR_FFMPEG", str(tmp_path / "missing-ffmpeg"))
    assert main([*home, "analyze", eid, "--force"]) == 1
    assert "ANCHOR_FFMPEG points to" in capsys.readouterr().err
