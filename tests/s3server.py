"""A real S3 wire protocol for tests: moto's server on loopback (moto's in-process mock does not
intercept httpx or ffmpeg), a bucket, and the environment that selects the S3 store."""

from __future__ import annotations

import os
import socket

import pytest

BUCKET = "anchor-media"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_env():
    """A moto S3 server on loopback, a bucket, and the environment that selects it."""
    port = _free_port()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {"ANCHOR_STORE": "s3", "ANCHOR_S3_BUCKET": BUCKET, "ANCHOR_S3_PREFIX": "tenant-a",
           "ANCHOR_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}", "ANCHOR_S3_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "ANCHOR_WORKERS": "2"}
    from anchor_core.store.s3 import s3_client

    old = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update({k: env[k] for k in old})
    s3_client(region="us-east-1", endpoint_url=env["ANCHOR_S3_ENDPOINT_URL"]).create_bucket(Bucket=BUCKET)
    yield env
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    server.stop()


