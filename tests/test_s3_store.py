"""The S3 store against a real S3 wire protocol: moto's server on loopback, through boto3."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from anchor_core.config import load_settings
from anchor_core.errors import NotFoundError, StoreKeyError
from anchor_core.registry import STORES
from tests.mediagen import make_clip
from tests.s3server import BUCKET

pytest.importorskip("moto.server")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def s3_store(s3_env, tmp_path):
    return STORES.open(load_settings(tmp_path / "home", env=s3_env))


def test_objects_round_trip_under_the_prefix_with_the_platform_keys(s3_store, s3_env):
    key = "events/e1/videos/v1.mp4"
    s3_store.put_stream(key, io.BytesIO(b"x" * 1000), size=1000)
    assert s3_store.exists(key) and not s3_store.exists("events/e1/videos/nope.mp4")
    assert list(s3_store.list("events/e1/")) == [key]
    raw = s3_store.client.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [o["Key"] for o in raw] == [f"tenant-a/{key}"]  # the prefix is the store's, keys stay the platform's
    with s3_store.open(key) as fh:
        assert fh.read() == b"x" * 1000
    s3_store.delete(key)
    assert not s3_store.exists(key)
    with pytest.raises(NotFoundError):
        s3_store.path_for(key)


@pytest.mark.parametrize("key", ["../escape.mp4", "/etc/passwd", "events//x", "a\\b", "events/e1/new\nline"])
def test_hostile_keys_are_refused_before_any_request(s3_store, key):
    with pytest.raises(StoreKeyError):
        s3_store.put_stream(key, io.BytesIO(b"data"))


def test_a_multipart_upload_is_whole_and_the_read_cache_is_bounded_and_fresh(s3_store, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(40 << 20))  # above the part size: a multipart upload
    seen = []
    s3_store.put_file("outputs/e1/master.mp4", big, progress=lambda d, t: seen.append(d))
    assert seen[-1] == big.stat().st_size
    local = s3_store.path_for("outputs/e1/master.mp4")
    assert hashlib.sha256(local.read_bytes()).digest() == hashlib.sha256(big.read_bytes()).digest()
    assert s3_store.path_for("outputs/e1/master.mp4") == local  # a hit: no second download
    s3_store.cache_bytes = 50 << 20  # room for one big object: the least recently used goes
    s3_store.put_stream("outputs/e2/master.mp4", io.BytesIO(os.urandom(30 << 20)))
    s3_store.path_for("outputs/e2/master.mp4")
    assert not local.exists() and s3_store.cached_bytes() <= s3_store.cache_bytes
    s3_store.put_stream("outputs/e2/master.mp4", io.BytesIO(b"new"))  # replaced: the cached copy is stale
    assert s3_store.path_for("outputs/e2/master.mp4").read_bytes() == b"new"


def test_outputs_are_shared_as_presigned_links_that_expire(s3_store):
    s3_store.put_stream("outputs/e1/reel.mp4", io.BytesIO(b"reel bytes"))
    link = s3_store.url("outputs/e1/reel.mp4", expires_s=600)
    assert "X-Amz-Expires=600" in link and "X-Amz-Signature=" in link
    assert httpx.get(link).content == b"reel bytes"  # (moto does not check signatures; S3 does)
    with pytest.raises(NotFoundError):
        s3_store.url("outputs/e1/missing.mp4")


def test_a_missing_bucket_says_what_to_set(s3_env, tmp_path):
    store = STORES.open(load_settings(tmp_path / "h", env=dict(s3_env, ANCHOR_S3_BUCKET="no-such-bucket")))
    with pytest.raises(Exception, match="does not exist.*ANCHOR_S3_BUCKET"):
        store.put_stream("outputs/e1/x.mp4", io.BytesIO(b"x"))


def test_the_pipeline_reads_angles_from_s3_and_writes_the_master_there(s3_env, tmp_path):
    clip = make_clip(tmp_path / "wide.mp4", seconds=8.0, width=160, height=90, seed=3)
    env = dict(os.environ, **s3_env)
    home = tmp_path / "home"

    def anchor(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "anchor_core.cli", "--home", str(home), "-q", *args],
                              capture_output=True, text=True, env=env, cwd=ROOT)
        assert proc.returncode == 0, (args, proc.stderr)
        return proc.stdout

    eid = anchor("event", "create", "Cloud gig", "--type", "concert").strip().splitlines()[-1]
    anchor("ingest", eid, str(clip), "--angle", "wide")
    anchor("sync", eid)
    anchor("analyze", eid, "--window-ms", "1000")
    anchor("timeline", eid)
    out = json.loads(anchor("render", eid, "--size", "160x90", "--json"))
    assert out["object_key"] == f"outputs/{eid}/master.mp4"
    from anchor_core.store.s3 import s3_client

    client = s3_client(region="us-east-1", endpoint_url=s3_env["ANCHOR_S3_ENDPOINT_URL"])
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix=f"tenant-a/events/{eid}/")["Contents"]}
    assert len(keys) == 1 and next(iter(keys)).endswith(".mp4")  # the angle lives in S3
    head = client.head_object(Bucket=BUCKET, Key=f"tenant-a/outputs/{eid}/master.mp4")
    assert head["ContentLength"] > 1000
    assert not (home / "store").exists()  # nothing went to the local folder store
