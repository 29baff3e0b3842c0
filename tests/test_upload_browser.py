"""Browser uploads through `anchor serve` (issue 14, items 2 and 3): the HTTP endpoints the
uploader widget talks to, their refusals, and a real browser (Debian's chromium, driven by
Playwright) uploading a 300 MB angle that is cut off halfway and resumed, once into the local
store and once into S3 (moto's server on loopback).

The 300 MB file is real media: a 2 s clip with its index first and a 300 MB `free` box after it
(MP4 readers skip those), so the resumed upload is also probed and ingested as an angle.

The server process owns the catalog while it runs, so these tests look at it only through
HTTP and the page, and open it themselves only before the server starts or after it stops.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from anchor_core.catalog import Catalog
from anchor_core.catalog import events as events_repo
from anchor_core.catalog import videos as videos_repo

CHROMIUM = os.environ.get("ANCHOR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "upload sesame"
MB = 1 << 20
PART = 8 * MB
API = "/api/uploads"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def padded_clip(path: Path, size: int, *, seed: int = 0) -> Path:
    """A real, playable MP4 of exactly `size` bytes: a short clip, then a `free` box of noise."""
    from tests.mediagen import make_clip, remux

    small = remux(make_clip(path.with_suffix(".src.mp4"), seconds=2.0, seed=seed), path.with_suffix(".fast.mp4"),
                  faststart=True)
    head = small.read_bytes()
    small.unlink()
    path.with_suffix(".src.mp4").unlink()
    pad = size - len(head)
    block = bytearray(os.urandom(MB))
    with open(path, "wb") as out:
        out.write(head + struct.pack(">I", pad) + b"free")
        left, i = pad - 8, 0
        while left > 0:
            block[:8] = i.to_bytes(8, "little")  # every MiB differs: no two parts alike
            out.write(block[: min(MB, left)])
            left -= MB
            i += 1
    return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Server:
    """`anchor serve` on a home made beforehand (one event), in its own process group."""

    base: str
    home: Path
    event_id: str
    proc: subprocess.Popen[bytes]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, auth=("anchor", PASSWORD), timeout=120)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)


def start_server(home: Path, env: dict[str, str] | None = None) -> Server:
    env = {**os.environ, **(env or {})}
    with Catalog(home / "catalog.duckdb") as cat:
        event_id = events_repo.create_event(cat, "Upload night", "concert").id
    (home / "pw").write_text(PASSWORD)
    port = _free_port()
    cmd = [sys.executable, "-m", "anchor_core.cli", "--home", str(home), "serve", "--port", str(port),
           "--password-file", str(home / "pw")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(base + "/", timeout=1)
            return Server(base, home, event_id, proc)
        except httpx.HTTPError:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "anchor serve exited"
            time.sleep(0.1)
    raise AssertionError("anchor serve did not answer")


@pytest.fixture(scope="module")
def local_server(tmp_path_factory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("uploads-local"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory, s3_env) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("uploads-s3"), s3_env)
    yield server
    server.stop()


def begin(c: httpx.Client, server: Server, data: bytes, *, name: str = "phone.mp4", kind: str = "video",
          angle: str | None = "wide", last_modified: int = 1_700_000_000_000) -> httpx.Response:
    return c.post(API, json={"event_id": server.event_id, "kind": kind, "angle_type": angle, "name": name,
                             "size": len(data), "last_modified": last_modified,
                             "head_sha256": _sha(data[:PART]), "content_type": "video/mp4"})


def targets(c: httpx.Client, upload_id: str, numbers: list[int]) -> list[dict]:
    r = c.post(f"{API}/{upload_id}/targets", json={"numbers": numbers})
    assert r.status_code == 200, r.text
    return list(r.json()["targets"])


def put(c: httpx.Client, t: dict, data: bytes) -> httpx.Response:
    return c.put(t["url"], content=data[t["offset"]:t["offset"] + t["length"]])


def send_all(c: httpx.Client, server: Server, data: bytes, **kw: object) -> dict:
    r = begin(c, server, data, **kw)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    up = r.json()
    for t in targets(c, up["upload_id"], list(range(1, up["parts"] + 1))):
        assert put(c, t, data).status_code == 200
    return dict(up)


def parts_dir(server: Server, url: str) -> Path:
    return server.home / "store" / ".incoming" / "uploads" / url.split("/")[3]


# --- the HTTP layer ----------------------------------------------------------------------------------


def test_every_upload_endpoint_needs_the_session(local_server):
    base = local_server.base
    calls = [("POST", API), ("GET", f"{API}/upl_x"), ("DELETE", f"{API}/upl_x"), ("POST", f"{API}/upl_x/targets"),
             ("POST", f"{API}/upl_x/complete"), ("PUT", f"{API}/abc/1?expires=9999999999&sig=00")]
    for method, path in calls:
        r = httpx.request(method, base + path, json={})
        assert r.status_code == 401, (method, path, r.status_code)
    # Logged in, the same routes answer (here: no such upload); the session cookie alone is
    # enough, as the widget's same-origin fetches carry it.
    login = httpx.get(base + "/organizer/", auth=("anchor", PASSWORD))
    jar = {"anchor_session": login.cookies["anchor_session"]}
    r = httpx.get(base + f"{API}/upl_x", cookies=jar)
    assert r.status_code == 404 and "upl_x" in r.json()["error"]


def test_a_part_put_with_a_wrong_signature_expired_or_for_another_upload_is_403_and_writes_nothing(local_server):
    data = os.urandom(2 * PART)
    with local_server.client() as c:
        a = begin(c, local_server, data, name="a.mp4").json()
        b = begin(c, local_server, data, name="b.mp4").json()
        (ta,) = targets(c, a["upload_id"], [1])
        (tb,) = targets(c, b["upload_id"], [1])
        chunk = data[:PART]
        path, query = ta["url"].split("?")
        forged = ta["url"].rsplit("sig=", 1)[0] + "sig=" + "0" * 64
        expired = f"{path}?expires={int(time.time()) - 5}&sig={query.split('sig=')[1]}"
        other = tb["url"].split("?")[0] + "?" + query  # b's part with a's signature
        tampered_part = path[:-1] + "2?" + query  # a's part 2 with part 1's signature
        for url in (forged, expired, other, tampered_part, path):
            r = c.put(url, content=chunk)
            assert r.status_code == 403, (url, r.status_code, r.text)
            assert "part URL" in r.json()["error"]
        for up in (a, b):
            assert c.get(f"{API}/{up['upload_id']}").json()["stored"] == []
        assert not [p for p in parts_dir(local_server, ta["url"]).iterdir()]
        assert not [p for p in parts_dir(local_server, tb["url"]).iterdir()]
        assert c.put(ta["url"], content=chunk).status_code == 200  # the genuine URL still works


def test_after_a_server_restart_old_part_urls_are_403_and_fresh_ones_finish_the_same_upload(tmp_path):
    """A restart draws a new signing secret: the widget's cached URLs fail with 403, it asks
    for new ones, and the upload goes on from the parts the catalog and the store kept."""
    data = padded_clip(tmp_path / "phone.mp4", 3 * PART, seed=4).read_bytes()
    first = start_server(tmp_path / "home")
    try:
        with first.client() as c:
            up = begin(c, first, data).json()
            t1, t2, t3 = targets(c, up["upload_id"], [1, 2, 3])
            assert put(c, t1, data).status_code == 200
    finally:
        first.stop()
    second = start_server(tmp_path / "home")  # same home, new process, new random secret
    try:
        with second.client() as c:
            stale = put(c, t2, data)
            assert stale.status_code == 403 and "new part URLs" in stale.json()["error"]
            status = c.get(f"{API}/{up['upload_id']}").json()
            assert status["stored"] == [1] and status["missing"] == 2
            for t in targets(c, up["upload_id"], [2, 3]):
                assert put(c, t, data).status_code == 200
            done = c.post(f"{API}/{up['upload_id']}/complete", json={"sha256": _sha(data)})
            assert done.status_code == 200, done.text
        key = done.json()["object_key"]
        assert _sha((tmp_path / "home" / "store" / key).read_bytes()) == _sha(data)
    finally:
        second.stop()


def test_a_part_over_its_declared_size_is_refused_before_or_while_reading_and_nothing_is_kept(local_server):
    data = os.urandom(PART + 1000)
    with local_server.client() as c:
        up = begin(c, local_server, data, name="big.mp4").json()
        t1, t2 = targets(c, up["upload_id"], [1, 2])
        r = c.put(t2["url"], content=data[PART:] + b"extra")  # Content-Length says too much: refused unread
        assert r.status_code == 413 and "1000 bytes" in r.json()["error"]

        def stream():  # no Content-Length: the excess is noticed while streaming to disk
            yield data[:PART]
            yield b"more than declared"

        r = c.put(t1["url"], content=stream())
        assert r.status_code == 413 and "larger than the declared size" in r.json()["error"]
        assert c.get(f"{API}/{up['upload_id']}").json()["stored"] == []
        assert not list(parts_dir(local_server, t1["url"]).iterdir())
        too_big = c.post(API, json={"event_id": local_server.event_id, "kind": "video", "angle_type": "wide",
                                    "name": "huge.mp4", "size": 300 << 30, "last_modified": 1,
                                    "head_sha256": "0" * 64})
        assert too_big.status_code in (400, 507) and too_big.json()["error"]


def test_a_completed_upload_whose_hash_differs_is_refused_and_removed(local_server):
    from tests.mediagen import make_clip

    clip = make_clip(local_server.home / "hash.mp4", seed=3).read_bytes()
    with local_server.client() as c:
        up = send_all(c, local_server, clip, name="hash.mp4")
        r = c.post(f"{API}/{up['upload_id']}/complete", json={"sha256": "0" * 64})
        assert r.status_code == 422 and "damaged on the way" in r.json()["error"]
        after = c.get(f"{API}/{up['upload_id']}").json()
        assert after["state"] == "failed"
        again = c.post(f"{API}/{up['upload_id']}/complete", json={})
        assert again.status_code == 409 and "failed" in again.json()["error"]
    assert not (local_server.home / "store" / up["object_key"]).exists()


def test_bad_media_is_refused_with_the_ingest_reason_and_deleted(local_server):
    junk = os.urandom(PART + 5)
    with local_server.client() as c:
        up = send_all(c, local_server, junk, name="junk.mp4")
        r = c.post(f"{API}/{up['upload_id']}/complete", json={"sha256": _sha(junk)})
        assert r.status_code == 422, r.text
        assert "junk.mp4" in r.json()["error"] and "Nothing was stored" in r.json()["error"]
        assert c.get(f"{API}/{up['upload_id']}").json()["state"] == "failed"
    assert not (local_server.home / "store" / up["object_key"]).exists()


def test_completed_uploads_are_ingested_as_angles_or_music_and_a_second_copy_is_not_kept(local_server):
    from tests.mediagen import make_audio_only, make_clip

    clip = make_clip(local_server.home / "dup.mp4", seed=5).read_bytes()
    song = make_audio_only(local_server.home / "song.m4a").read_bytes()
    with local_server.client() as c:
        first = send_all(c, local_server, clip, name="dup.mp4", angle="goal")
        r = c.post(f"{API}/{first['upload_id']}/complete", json={"sha256": _sha(clip), "angle_type": "crowd"})
        assert r.status_code == 200, r.text
        added = r.json()
        assert added["created"] and added["kind"] == "video" and added["angle_type"] == "crowd"  # the latest choice
        assert added["object_key"].endswith(f"/videos/{added['id']}.mp4")
        again = send_all(c, local_server, clip, name="dup-again.mp4")
        r = c.post(f"{API}/{again['upload_id']}/complete", json={})
        assert r.status_code == 200 and r.json()["created"] is False and r.json()["id"] == added["id"]
        assert "not kept" in r.json()["warnings"][0]
        music = send_all(c, local_server, song, name="song.m4a", kind="music", angle=None)
        r = c.post(f"{API}/{music['upload_id']}/complete", json={})
        assert r.status_code == 200 and r.json()["kind"] == "music" and r.json()["id"].startswith("mus_")
    store = local_server.home / "store"
    assert (store / added["object_key"]).is_file() and not (store / again["object_key"]).exists()


def test_the_same_file_resumes_and_a_different_first_part_starts_afresh(local_server):
    data = os.urandom(3 * PART)
    with local_server.client() as c:
        first = begin(c, local_server, data, name="resume.mp4").json()
        (t1,) = targets(c, first["upload_id"], [1])
        assert put(c, t1, data).status_code == 200
        again = begin(c, local_server, data, name="resume.mp4").json()
        assert again["resumed"] and again["upload_id"] == first["upload_id"]
        assert again["stored"] == [1] and again["stored_bytes"] == PART and again["missing"] == 2
        edited = os.urandom(PART) + data[PART:]  # same name, size and date, other content
        other = begin(c, local_server, edited, name="resume.mp4").json()
        assert not other["resumed"] and other["upload_id"] != first["upload_id"] and other["stored"] == []
        assert begin(c, local_server, data, name="resume.mp4", last_modified=5).json()["resumed"] is False
        assert c.delete(f"{API}/{first['upload_id']}").json()["state"] == "aborted"
        assert not parts_dir(local_server, t1["url"]).exists()
        assert c.post(f"{API}/{first['upload_id']}/targets", json={"numbers": [2]}).status_code == 400


def test_requests_that_are_not_json_or_name_no_event_are_refused_clearly(local_server):
    with local_server.client() as c:
        r = c.post(API, content=b"event_id=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 415 and "JSON" in r.json()["error"]
        r = begin(c, Server(local_server.base, local_server.home, "evt_nope", local_server.proc), b"x" * 10)
        assert r.status_code == 404 and "evt_nope" in r.json()["error"]
        r = begin(c, local_server, b"x" * 10, angle="drone")
        assert r.status_code == 400 and "angle type" in r.json()["error"]


def test_the_signing_secret_is_random_per_server_unless_set_and_then_long_enough():
    from anchor_app.uploads_api import upload_secret
    from anchor_core.errors import ConfigError

    assert upload_secret({}) != upload_secret({}) and len(upload_secret({})) == 32
    assert upload_secret({"ANCHOR_UPLOAD_SECRET": "s" * 40}) == b"s" * 40
    with pytest.raises(ConfigError, match="at least 16"):
        upload_secret({"ANCHOR_UPLOAD_SECRET": "short"})


def test_s3_parts_go_to_presigned_urls_and_a_wrong_hash_deletes_the_object(s3_server, s3_env):
    from anchor_core.store.s3 import s3_client
    from tests.s3server import BUCKET

    data = os.urandom(PART + 77)
    with s3_server.client() as c:
        up = begin(c, s3_server, data, name="s3.mp4").json()
        t1, t2 = targets(c, up["upload_id"], [1, 2])
        assert t1["url"].startswith(s3_env["ANCHOR_S3_ENDPOINT_URL"])  # straight to S3, not through us
        assert c.put(f"{API}/abc/1?expires=1&sig=0", content=b"x").status_code == 404  # no local parts here
        for t in (t1, t2):
            assert httpx.put(t["url"], content=data[t["offset"]:t["offset"] + t["length"]]).status_code == 200
        assert c.get(f"{API}/{up['upload_id']}").json()["stored"] == [1, 2]
        r = c.post(f"{API}/{up['upload_id']}/complete", json={"sha256": "1" * 64})
        assert r.status_code == 422 and "damaged on the way" in r.json()["error"]
    client = s3_client(region="us-east-1", endpoint_url=s3_env["ANCHOR_S3_ENDPOINT_URL"])
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert f"{s3_env['ANCHOR_S3_PREFIX']}/{up['object_key']}" not in keys
    assert up["upload_id"] and not [u for u in client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
                                    if u["Key"].endswith(up["object_key"])]


# --- a real browser --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_clip(tmp_path_factory) -> Path:
    return padded_clip(tmp_path_factory.mktemp("big") / "phone-300mb.mp4", 300 * MB)


def _browser(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"])


def _throttle(page, upload_mb_s: float | None) -> None:
    """Slow the page's uploads down (Chromium's network emulation), so a test can cut one off."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": (upload_mb_s or -1) * MB})


def _open_uploader(context, server: Server, *, upload_mb_s: float | None = None):
    """The organizer page with its uploader."""
    page = context.new_page()
    if upload_mb_s:
        _throttle(page, upload_mb_s)
    page.goto(f"{server.base}/organizer/?event={server.event_id}")
    page.locator(".anchor-uploader input[type=file]").wait_for(state="attached", timeout=90_000)
    return page


def _pick(page, clip: Path, choice: str) -> None:
    page.locator(".anchor-uploader select").select_option(choice)
    page.locator(".anchor-uploader input[type=file]").set_input_files(str(clip))


def _row(page, name: str):
    return page.locator(f'.au-row[data-name="{name}"]').first


def _wait_stored(row, at_least: float, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while int(row.get_attribute("data-stored-bytes") or 0) < at_least:
        assert time.monotonic() < deadline, row.inner_text()
        time.sleep(0.05)


def _numbers(row) -> dict[str, str]:
    return {k: row.get_attribute(f"data-{k}") or "" for k in ("state", "sent-bytes", "skipped-bytes",
                                                               "stored-bytes", "upload-id")}


def _finished(row) -> str:
    from playwright.sync_api import expect

    expect(row).to_have_attribute("data-state", re.compile("done|error|cancelled|stopped"), timeout=120_000)
    return row.get_attribute("data-state") or ""


def _upload_resumes_after_the_page_is_closed(server: Server, clip: Path, tmp: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    size = clip.stat().st_size
    with sync_playwright() as p:
        browser = _browser(p)
        context = browser.new_context(http_credentials={"username": "anchor", "password": PASSWORD})
        page = _open_uploader(context, server, upload_mb_s=60)
        _pick(page, clip, "closeup")
        row = _row(page, clip.name)
        info = row.locator(".au-info")
        expect(info).to_contain_text("MB/s", timeout=30_000)  # progress, speed and time left
        expect(info).to_contain_text("left")
        _wait_stored(row, 0.3 * size)
        first = _numbers(row)
        assert first["state"] == "uploading", first
        page.close()  # cut off halfway: the tab is gone, with parts in flight

        page = _open_uploader(context, server)
        _pick(page, clip, "closeup")
        row = _row(page, clip.name)
        assert _finished(row) == "done", row.inner_text()
        second = _numbers(row)
        assert second["upload-id"] == first["upload-id"]
        skipped, sent = int(second["skipped-bytes"]), int(second["sent-bytes"])
        # resumed, not restarted: the parts stored before the cut were not sent again
        assert skipped >= int(first["stored-bytes"]) >= 0.3 * size
        assert sent <= size - skipped + 4 * PART and sent < 0.75 * size, second
        expect(row.locator(".au-info")).to_contain_text("added as the closeup angle")
        angles = page.locator('[data-cell-name="upload_results"]')  # the organizer's list of the event's angles
        expect(angles).to_contain_text(clip.name, timeout=30_000)
        expect(angles).to_contain_text("uploaded")

        # A failed part is retried (with backoff) and the file still arrives: the store answers
        # its first PUT of part 2 with a 503.
        flaky = padded_clip(tmp / "flaky.mp4", 3 * PART, seed=9)
        hits: list[str] = []

        def fail_once(route) -> None:
            hits.append(route.request.url)
            if len(hits) == 1:
                route.fulfill(status=503, body="busy")
            else:
                route.continue_()

        page.route(re.compile(r"(/api/uploads/[0-9a-f]+/2\?|[?&]partNumber=2&)"), fail_once)
        _pick(page, flaky, "wide")
        row3 = _row(page, flaky.name)
        assert _finished(row3) == "done", row3.inner_text()
        assert len(hits) == 2 and hits[0] == hits[1]  # the same part, sent again
        page.unroute_all()

        # Cancel aborts: another file, stopped by its Cancel button part way through.
        other = tmp / "second-phone.mp4"
        with open(clip, "rb") as src, open(other, "wb") as out:
            out.write(src.read(8 * PART))
        _throttle(page, 20)
        _pick(page, other, "crowd")
        row2 = _row(page, other.name)
        _wait_stored(row2, 2 * PART)
        row2.get_by_role("button", name="Cancel").click()
        assert _finished(row2) == "cancelled", row2.inner_text()
        cancelled = _numbers(row2)["upload-id"]
        browser.close()
    with server.client() as c:
        assert c.get(f"{API}/{first['upload-id']}").json()["state"] == "completed"
        assert c.get(f"{API}/{cancelled}").json()["state"] == "aborted"


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: `make test` finds or installs it (scripts/ensure-chromium)")
@pytest.mark.parametrize("backend", ["local", "s3"])
def test_an_organizer_upload_cut_off_halfway_resumes_in_the_browser(backend, request, big_clip, tmp_path):
    server: Server = request.getfixturevalue(f"{backend}_server")
    _upload_resumes_after_the_page_is_closed(server, big_clip, tmp_path)
    server.stop()  # the catalog is the server's while it runs
    with Catalog(server.home / "catalog.duckdb") as cat:
        (video,) = [v for v in videos_repo.list_videos(cat, server.event_id) if v.original_name == big_clip.name]
        assert video.angle_type == "closeup" and video.status == "uploaded" and video.size_bytes == 300 * MB
        assert video.content_hash == hashlib.sha256(big_clip.read_bytes()).hexdigest()
        assert events_repo.get_event(cat, server.event_id).status == "uploaded"
