"""Resumable multipart uploads: to S3 through presigned part URLs (moto's server, real HTTP PUTs),
and to the local store through HMAC-signed part URLs. Resume, abort, the janitor, and the
refusals that keep a forged or oversized part out."""

from __future__ import annotations

import hashlib
import io
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from anchor_core.catalog import Catalog
from anchor_core.config import load_settings
from anchor_core.errors import StoreKeyError, ValidationError
from anchor_core.registry import STORES
from anchor_core.store import LocalStore
from anchor_core.uploads import (
    abort_stale,
    abort_upload,
    accept_local_part,
    begin_upload,
    complete_upload,
    list_uploads,
    open_multipart,
    part_size,
    part_targets,
    upload_status,
)
from tests.s3server import BUCKET

MB = 1 << 20


def test_part_size_is_at_least_8_mib_and_keeps_under_10000_parts():
    assert part_size(1) == 8 * MB and part_size(300 * MB) == 8 * MB
    big = 200 * (1 << 30)
    assert part_size(big) % MB == 0 and -(-big // part_size(big)) <= 9000


def _random_file(path: Path, size: int) -> str:
    """A file of `size` random-looking bytes (fast: one random block repeated with a counter)."""
    block = os.urandom(MB)
    digest = hashlib.sha256()
    with open(path, "wb") as fh:
        for i in range(-(-size // MB)):
            chunk = (i.to_bytes(8, "little") + block[8:])[: min(MB, size - i * MB)]
            fh.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def _put(target, path: Path) -> int:
    with open(path, "rb") as fh:
        fh.seek(target.offset)
        data = fh.read(target.length)
    return httpx.put(target.url, content=data, timeout=60).status_code


@pytest.fixture
def s3_parts(s3_env, tmp_path):
    settings = load_settings(tmp_path / "home", env=s3_env)
    store = STORES.open(settings)
    cat = Catalog(settings.catalog_path)
    yield cat, store, open_multipart(store)
    cat.close()


def test_a_300_mb_file_uploads_through_presigned_parts_resumes_and_is_identical(s3_parts, tmp_path):
    cat, store, mp = s3_parts
    src = tmp_path / "phone.mp4"
    sha = _random_file(src, 300 * MB)
    key = "events/e1/videos/v1.mp4"
    up = begin_upload(cat, mp, key, src.stat().st_size, content_type="video/mp4")
    assert up.parts == 38
    first = part_targets(cat, mp, up.upload_id, list(range(1, 11)))
    with ThreadPoolExecutor(4) as ex:  # 4 at a time, as the browser does
        assert set(ex.map(lambda t: _put(t, src), first)) == {200}
    # the client is cut off here: it lost everything but the upload id; S3 says what is stored
    status = upload_status(cat, mp, up.upload_id)
    assert [p.number for p in status.stored] == list(range(1, 11)) and status.missing == list(range(11, 39))
    with pytest.raises(ValidationError, match="lacks 28 of 38 parts"):
        complete_upload(cat, mp, up.upload_id)
    rest = part_targets(cat, mp, up.upload_id, status.missing)
    with ThreadPoolExecutor(4) as ex:
        assert set(ex.map(lambda t: _put(t, src), rest)) == {200}
    done = complete_upload(cat, mp, up.upload_id, sha256=sha)
    assert done.state == "completed"
    assert hashlib.sha256(store.path_for(key).read_bytes()).hexdigest() == sha
    assert mp.pending() == []


def test_abort_leaves_no_multipart_upload_listed(s3_parts):
    cat, store, mp = s3_parts
    up = begin_upload(cat, mp, "events/e1/videos/v2.mp4", 20 * MB)
    (t,) = part_targets(cat, mp, up.upload_id, [1])
    assert httpx.put(t.url, content=b"\0" * t.length).status_code == 200
    abort_upload(cat, mp, up.upload_id)
    assert mp.pending() == [] and list_uploads(cat, state="open") == []
    assert not store.exists("events/e1/videos/v2.mp4")
    with pytest.raises(ValidationError, match="aborted"):
        part_targets(cat, mp, up.upload_id, [2])


def test_the_janitor_aborts_stale_uploads_and_ones_the_catalog_forgot(s3_parts):
    cat, store, mp = s3_parts
    stale = begin_upload(cat, mp, "events/e1/videos/old.mp4", 9 * MB)
    fresh = begin_upload(cat, mp, "events/e1/videos/new.mp4", 9 * MB)
    store.client.create_multipart_upload(Bucket=BUCKET, Key=store._k("events/e1/videos/orphan.mp4"))
    with cat.transaction() as cur:  # started two days ago
        cur.execute("UPDATE uploads SET created_at = created_at - INTERVAL 2 DAY WHERE id = ?", [stale.upload_id])
    aborted = abort_stale(cat, mp, now=datetime.now())
    # the catalog's stale one, and the orphan S3 holds (moto dates every upload 2010: old)
    assert sorted(aborted) == ["events/e1/videos/old.mp4", "events/e1/videos/orphan.mp4"]
    assert {u.upload_id for u in list_uploads(cat, state="open")} == {fresh.upload_id}
    assert [k for k, _, _ in mp.pending()] == ["events/e1/videos/new.mp4"]  # the fresh one is kept
    assert abort_stale(cat, mp, now=datetime.now() + timedelta(days=2)) == ["events/e1/videos/new.mp4"]
    assert mp.pending() == []
    # and S3 itself drops what any crash leaves: a lifecycle rule on our prefix, other rules kept
    rules = store.client.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    (ours,) = [r for r in rules if r["ID"].startswith("anchor-abort-incomplete")]
    assert ours["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    assert ours["Filter"]["Prefix"] == "tenant-a/"


@pytest.fixture
def local_parts(tmp_path):
    settings = load_settings(tmp_path / "home", env={})
    store = LocalStore(settings.store_root)
    cat = Catalog(settings.catalog_path)
    yield cat, store, open_multipart(store, secret=b"s" * 32, base_url="http://127.0.0.1:2718")
    cat.close()


def _signed(url: str) -> tuple[str, int, int, str]:
    u = urlparse(url)
    _, _, backend_id, number = u.path.split("/")
    q = parse_qs(u.query)
    return backend_id, int(number), int(q["expires"][0]), q["sig"][0]


def _send(cat, mp, url: str, data: bytes, **override):
    backend_id, number, expires, sig = _signed(url)
    args = {"backend_id": backend_id, "number": number, "expires": expires, "sig": sig} | override
    return accept_local_part(cat, mp, args["backend_id"], args["number"], expires=args["expires"], sig=args["sig"],
                             body=io.BytesIO(data))


def test_local_signed_parts_resume_and_complete_into_the_store(local_parts, tmp_path):
    cat, store, mp = local_parts
    data = os.urandom(20 * MB + 12345)
    up = begin_upload(cat, mp, "events/e1/videos/v1.mp4", len(data))
    targets = part_targets(cat, mp, up.upload_id, [1, 2, 3])
    _send(cat, mp, targets[0].url, data[:targets[0].length])
    assert upload_status(cat, mp, up.upload_id).missing == [2, 3]  # resume from what the server holds
    for t in targets[1:]:
        _send(cat, mp, t.url, data[t.offset:t.offset + t.length])
    complete_upload(cat, mp, up.upload_id, sha256=hashlib.sha256(data).hexdigest())
    assert store.path_for("events/e1/videos/v1.mp4").read_bytes() == data
    assert not list((store.root / ".incoming" / "uploads").iterdir())  # the parts are gone


def test_local_part_urls_refuse_forgery_expiry_another_upload_and_oversize(local_parts):
    cat, store, mp = local_parts
    a = begin_upload(cat, mp, "events/e1/videos/a.mp4", 9 * MB)
    b = begin_upload(cat, mp, "events/e1/videos/b.mp4", 9 * MB)
    (ta,) = part_targets(cat, mp, a.upload_id, [1])
    _, _, expires, sig = _signed(ta.url)
    with pytest.raises(ValidationError, match="signature does not match"):
        _send(cat, mp, ta.url, b"x" * ta.length, sig="0" * 64)
    with pytest.raises(ValidationError, match="signature does not match"):  # a's URL used for b
        _send(cat, mp, ta.url, b"x" * ta.length, backend_id=b.backend_id)
    with pytest.raises(ValidationError, match="signature does not match"):  # another part number
        _send(cat, mp, ta.url, b"x" * ta.length, number=2)
    old = int(time.time()) - 10
    with pytest.raises(ValidationError, match="expired"):
        _send(cat, mp, ta.url, b"x" * ta.length, expires=old, sig=mp.signature(a.backend_id, a.object_key, 1, old))
    with pytest.raises(ValidationError, match="larger than the declared size"):
        _send(cat, mp, ta.url, b"x" * (ta.length + 1))
    assert upload_status(cat, mp, a.upload_id).stored == () and upload_status(cat, mp, b.upload_id).stored == ()
    with pytest.raises(StoreKeyError):
        begin_upload(cat, mp, "events/../../etc/passwd", 10)
    with pytest.raises(ValidationError, match="declare a size"):
        begin_upload(cat, mp, "events/e1/videos/c.mp4", 0)


def test_a_completed_upload_whose_hash_differs_is_refused_and_removed(local_parts):
    cat, store, mp = local_parts
    data = b"y" * (9 * MB)
    up = begin_upload(cat, mp, "events/e1/videos/v9.mp4", len(data))
    t1, t2 = part_targets(cat, mp, up.upload_id, [1, 2])
    _send(cat, mp, t1.url, data[:t1.length])
    _send(cat, mp, t2.url, data[t2.offset:])
    with pytest.raises(ValidationError, match="damaged on the way"):
        complete_upload(cat, mp, up.upload_id, sha256="0" * 64)
    assert not store.exists("events/e1/videos/v9.mp4")
    assert [u.state for u in list_uploads(cat) if u.upload_id == up.upload_id] == ["failed"]


def test_cli_lists_and_aborts_uploads(local_parts, tmp_path, capsys):
    from anchor_core.cli import main

    cat, store, mp = local_parts
    up = begin_upload(cat, mp, "events/e1/videos/cli.mp4", 9 * MB)
    (t,) = part_targets(cat, mp, up.upload_id, [1])
    _send(cat, mp, t.url, b"z" * t.length)
    cat.close()
    home = str(tmp_path / "home")
    capsys.readouterr()
    assert main(["--home", home, "uploads", "list", "--json"]) == 0
    (row,) = __import__("json").loads(capsys.readouterr().out)
    assert row["upload"] == up.upload_id and row["state"] == "open" and row["stored_bytes"] == 8 * MB
    assert main(["--home", home, "uploads", "abort", up.upload_id]) == 0
    assert main(["--home", home, "uploads", "list", "--state", "open"]) == 0
    assert "no uploads" in capsys.readouterr().out
    assert not list((store.root / ".incoming" / "uploads").iterdir())


def test_the_bucket_cors_rule_lets_the_app_origin_put_parts_and_read_etags(s3_parts):
    cat, store, mp = s3_parts
    store.client.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [
        {"ID": "someone-else", "AllowedOrigins": ["https://other.example"], "AllowedMethods": ["GET"]}]})
    mp.ensure_cors(["https://old.example"])
    rule = mp.ensure_cors(["https://anchor.example.com", "http://127.0.0.1:2718"])
    rules = store.client.get_bucket_cors(Bucket=BUCKET)["CORSRules"]
    assert [r["ID"] for r in rules] == ["someone-else", rule["ID"]]  # ours replaced, theirs kept
    ours = rules[1]
    assert ours["AllowedOrigins"] == ["http://127.0.0.1:2718", "https://anchor.example.com"]
    assert "PUT" in ours["AllowedMethods"] and ours["ExposeHeaders"] == ["ETag"]
    # what a browser's preflight for a part PUT gets back from the S3 server
    (target,) = part_targets(cat, mp, begin_upload(cat, mp, "events/e1/videos/c.mp4", 9 * MB).upload_id, [1])
    pre = httpx.options(target.url, headers={"Origin": "https://anchor.example.com",
                                             "Access-Control-Request-Method": "PUT"})
    assert pre.headers.get("access-control-allow-origin") in ("https://anchor.example.com", "*"), pre.headers
    with pytest.raises(ValidationError, match="scheme, host and port"):
        mp.ensure_cors(["https://anchor.example.com/path"])
