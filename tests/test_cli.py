from __future__ import annotations

import json
import subprocess
import sys

from anchor_core.cli import main
from tests.mediagen import make_clip


def run(home, *args):
    return subprocess.run([sys.executable, "-m", "anchor_core.cli", "--home", str(home), *args],
                          capture_output=True, text=True)


def test_event_create_prints_the_id_last_and_list_shows_it(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "event", "create", "Derby", "--type", "sports"]) == 0
    event_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert event_id.startswith("evt_")
    assert main(["--home", str(tmp_path), "event", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in listed] == [event_id]


def test_errors_go_to_stderr_with_nonzero_exit(tmp_path):
    assert run(tmp_path, "event", "create", "Gig", "--type", "concert").returncode == 0
    proc = run(tmp_path, "event", "show", "evt_missing")
    assert proc.returncode == 1
    assert "no event 'evt_missing'" in proc.stderr and proc.stdout == ""


def test_a_read_only_command_on_a_missing_home_says_where_it_looked_and_creates_nothing(tmp_path):
    proc = run(tmp_path / "nowhere", "event", "show", "evt_missing")
    assert proc.returncode == 1 and proc.stdout == ""
    assert f"no Anchor catalog at {tmp_path / 'nowhere' / 'catalog.duckdb'}" in proc.stderr and "--home" in proc.stderr
    assert not (tmp_path / "nowhere").exists()


def test_ingest_through_the_cli_reports_each_file(tmp_path, capsys):
    main(["--home", str(tmp_path / "h"), "event", "create", "Gig", "--type", "concert"])
    event_id = capsys.readouterr().out.strip().splitlines()[-1]
    good = make_clip(tmp_path / "good.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_text("nope")
    code = main(["--home", str(tmp_path / "h"), "-q", "ingest", event_id, str(good), str(bad), "--angle", "stage",
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1  # one file failed: non-zero, but the good one is in
    assert len(out["ingested"]) == 1 and out["ingested"][0]["created"]
    assert "bad.mp4" in out["errors"][0]
    assert main(["--home", str(tmp_path / "h"), "event", "show", event_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["videos"][0]["angle_type"] == "stage"


def test_starting_the_cli_imports_no_stage():
    """`anchor --help` stays fast: the parser is built without any stage or heavy library
    (`python -m bench startup` measures it); choices that live in a stage load with their command."""
    code = ("import sys; from anchor_core.cli import build_parser; p = build_parser(); "
            "print(' '.join(sorted(sys.modules))); a = p.parse_args(['timeline', 'E', '--strategy', 'optimal']); "
            "print(a.strategy, 'anchor_core.timeline.profile' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, second = proc.stdout.strip().splitlines()
    loaded = set(first.split())
    assert not loaded & {"numpy", "polars", "duckdb", "pyarrow", "scipy", "marimo", "opentimelineio", "numba"}
    stages = ("ads", "analysis", "catalog", "demo", "executor", "export", "ingest", "media", "music", "reels",
              "render", "store", "sync", "timeline")
    assert not [m for m in loaded if m.split(".")[:2] in [["anchor_core", s] for s in stages]]
    assert second == "optimal True"
