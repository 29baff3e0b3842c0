"""Faults: a command killed outright, a full disk, a read-only home. Nothing is half-written
under a real key, no child process outlives its command, work folders are swept at the next
start, and a re-run gives the same bytes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.mediagen import make_clip

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; Linux only")

ROOT = Path(__file__).resolve().parent.parent


def anchor(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "anchor_core.cli", "--home", str(home), "-q", *args],
                          capture_output=True, text=True, cwd=ROOT)
    if check:
        assert proc.returncode == 0, (args, proc.stderr)
    return proc


def start(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "anchor_core.cli", "--home", str(home), "-q", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc: no psutil needed)."""
    parent_of: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent_of[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {c for c, p in parent_of.items() if p in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill_when(proc: subprocess.Popen[str], ready: Callable[[set[int]], bool],
              timeout_s: float = 60.0) -> tuple[set[int], set[int]]:
    """SIGKILL `proc` once `ready(children)` holds; returns its children then, and which were ffmpeg."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        kids = descendants(proc.pid)
        if ready(kids):
            ff = ffmpegs(kids)
            proc.kill()
            proc.wait()
            return kids, ff
        if proc.poll() is not None:
            pytest.fail(f"the command ended before it could be killed: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("the command never reached the point to kill it at")


def ffmpegs(pids: set[int]) -> set[int]:
    out = set()
    for p in pids:
        try:
            if "ffmpeg" in Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace"):
                out.add(p)
        except OSError:
            pass
    return out


def assert_all_gone(pids: set[int], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    assert not [p for p in pids if alive(p)], "orphaned children kept running after their command was killed"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store_files(home: Path) -> dict[str, str]:
    root = home / "store"
    return {p.relative_to(root).as_posix(): digest(p) for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def event(tmp_path_factory) -> Iterator[dict]:
    """A 40 s one-angle event, analysed, with its timeline and a rendered master."""
    base = tmp_path_factory.mktemp("faults")
    clip = make_clip(base / "wide.mp4", seconds=40.0, width=320, height=180, seed=1)
    home = base / "home"
    eid = anchor(home, "event", "create", "Fault night", "--type", "concert").stdout.strip().splitlines()[-1]
    anchor(home, "ingest", eid, str(clip), "--angle", "wide")
    anchor(home, "sync", eid)
    anchor(home, "analyze", eid, "--window-ms", "1000")
    anchor(home, "timeline", eid)
    anchor(home, "render", eid, "--size", "320x180")
    master = home / "store" / "outputs" / eid / "master.mp4"
    yield {"home": home, "eid": eid, "clip": clip, "master": master, "digest": digest(master), "base": base}


def test_render_out_writes_only_there_and_records_a_preview(event, tmp_path):
    home, eid = event["home"], event["eid"]
    before = store_files(home)
    out = tmp_path / "preview.mp4"
    res = json.loads(anchor(home, "render", eid, "--out", str(out), "--size", "160x90", "--no-ads", "--json").stdout)
    assert res["kind"] == "preview" and res["object_key"] is None and res["path"] == str(out.resolve())
    assert store_files(home) == before  # the stored master (and everything else) is untouched
    from anchor_core.media import probe

    assert (probe(out).video.width, probe(out).video.height) == (160, 90)
    shown = json.loads(anchor(home, "event", "show", eid, "--json").stdout)
    assert shown["event"]["id"] == eid
    from anchor_core.catalog import Catalog
    from anchor_core.render import latest_master, list_renders

    with Catalog(home / "catalog.duckdb", create=False) as cat:
        kinds = list_renders(cat, eid)["kind"].to_list()
        assert kinds[0] == "preview" and "master" in kinds
        assert latest_master(cat, eid)["object_key"] == f"outputs/{eid}/master.mp4"


def test_a_render_without_ads_is_a_preview_and_leaves_the_master(event):
    home, eid = event["home"], event["eid"]
    res = json.loads(anchor(home, "render", eid, "--size", "160x90", "--no-ads", "--json").stdout)
    assert res["kind"] == "preview" and res["object_key"] == f"outputs/{eid}/preview.mp4"
    assert digest(event["master"]) == event["digest"]


def test_a_killed_render_leaves_no_orphans_no_partial_master_and_reruns_identically(event):
    home, eid = event["home"], event["eid"]
    event["master"].unlink()  # no master yet: a partial one must not appear under the real key
    proc = start(home, "render", eid, "--size", "320x180")
    kids, ff = kill_when(proc, lambda k: len(ffmpegs(k)) >= 1)
    assert ff
    assert_all_gone(kids)
    assert not event["master"].exists()
    assert not list((home / "store" / "outputs" / eid).glob("*.mp4.*"))
    left = [p for p in (home / "tmp").iterdir()] if (home / "tmp").exists() else []
    assert left, "the killed render's work folder should still be there before the next start"
    anchor(home, "event", "list")  # the next start sweeps what the dead command left
    assert not [p for p in (home / "tmp").iterdir()]
    anchor(home, "render", eid, "--size", "320x180")
    assert digest(event["master"]) == event["digest"]


def test_a_killed_analysis_leaves_no_orphans_and_reruns_identically(event):
    home, eid = event["home"], event["eid"]

    def features() -> list:
        from anchor_core.catalog import Catalog

        with Catalog(home / "catalog.duckdb", create=False) as cat:
            return cat.frame("SELECT * FROM features ORDER BY video_id, t_ms").rows()

    before = features()
    proc = start(home, "analyze", eid, "--force", "--window-ms", "1000")
    kids, ff = kill_when(proc, lambda k: len(ffmpegs(k)) >= 1)
    assert ff
    assert_all_gone(kids)
    assert features() == before  # nothing half-replaced
    anchor(home, "analyze", eid, "--force", "--window-ms", "1000")
    assert features() == before


def test_a_killed_ingest_stores_nothing_and_dead_writers_parts_are_swept(event, tmp_path):
    home, eid = event["home"], event["eid"]
    big = make_clip(tmp_path / "big.mp4", seconds=20.0, width=640, height=360, seed=4)
    before = store_files(home)
    incoming = home / "store" / ".incoming"
    proc = start(home, "ingest", eid, str(big), "--angle", "crowd")
    kids, _ = kill_when(proc, lambda k: bool(ffmpegs(k)) or (incoming.is_dir() and any(incoming.iterdir())))
    assert_all_gone(kids)
    incoming.mkdir(exist_ok=True)
    (incoming / "999999999-1-x.part").write_bytes(b"half a file")  # a writer that died mid-copy
    from anchor_core.store import LocalStore

    LocalStore(home / "store")  # opening the store sweeps dead writers' parts
    assert not list(incoming.iterdir())
    assert store_files(home) == before
    assert len(json.loads(anchor(home, "event", "show", eid, "--json").stdout)["videos"]) == 1
    anchor(home, "ingest", eid, str(big), "--angle", "crowd")
    shown = json.loads(anchor(home, "event", "show", eid, "--json").stdout)
    assert len(shown["videos"]) == 2
    (stored,) = [k for k in store_files(home) if k not in before]
    assert digest(home / "store" / stored) == digest(big)  # the re-run stored the file whole


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)


def _can_mount() -> str | None:
    if os.geteuid() != 0:
        return "needs root to mount a small tmpfs (run as root to simulate a full disk)"
    return None


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    reason = _can_mount()
    if reason:
        pytest.skip(reason)  # printed by the test command (-rs)
    mnt = tmp_path / "disk"
    try:
        _mount_tmpfs(mnt, "6m")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_disk_during_ingest_is_a_clear_error_and_nothing_is_half_written(small_disk, tmp_path):
    home = small_disk / "home"
    eid = anchor(home, "event", "create", "Full", "--type", "concert").stdout.strip().splitlines()[-1]
    big = make_clip(tmp_path / "big.mp4", seconds=20.0, width=640, height=360, seed=2)
    with big.open("r+b") as fh:  # bigger than the disk
        fh.truncate(max(big.stat().st_size, 8 << 20))
    proc = anchor(home, "ingest", eid, str(big), "--angle", "wide", check=False)
    assert proc.returncode == 1 and "disk is full" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert store_files(home) == {}
    assert json.loads(anchor(home, "event", "show", eid, "--json").stdout)["videos"] == []


def test_a_read_only_home_is_a_clear_error(tmp_path):
    home = tmp_path / "home"
    eid = anchor(home, "event", "create", "RO", "--type", "concert").stdout.strip().splitlines()[-1]
    if os.geteuid() == 0:
        mnt = tmp_path / "ro"
        try:
            _mount_tmpfs(mnt, "4m")
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            pytest.skip(f"cannot mount a tmpfs here: {exc}")
        try:
            subprocess.run(["cp", "-a", str(home), str(mnt / "home")], check=True)
            subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
            ro_home = mnt / "home"
            fresh = anchor(mnt / "new-home", "event", "create", "X", "--type", "concert", check=False)
            listed = anchor(ro_home, "event", "create", "Y", "--type", "concert", check=False)
        finally:
            subprocess.run(["umount", "-l", str(mnt)], check=False)
    else:
        home.chmod(0o555)
        try:
            fresh = anchor(home / "new-home", "event", "create", "X", "--type", "concert", check=False)
            listed = anchor(home, "event", "create", "Y", "--type", "concert", check=False)
        finally:
            home.chmod(0o755)
    assert fresh.returncode == 1 and "read-only" in fresh.stderr and "--home" in fresh.stderr, fresh.stderr
    assert listed.returncode == 1 and "read-only" in listed.stderr, listed.stderr
    assert "Traceback" not in fresh.stderr + listed.stderr
    assert eid


def test_a_read_only_command_never_creates_a_catalog(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "anchor_core.cli", "event", "list"], capture_output=True, text=True,
                          cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != "ANCHOR_HOME"})
    assert proc.returncode == 1
    assert "no Anchor catalog at" in proc.stderr and "--home" in proc.stderr
    assert not (tmp_path / "data").exists()
