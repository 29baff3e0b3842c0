"""Upload benchmark: browser-style multipart uploads over loopback, through `anchor serve`.

A client does what the uploader widget does (begin, ask for part URLs, PUT 8 MiB parts, N at a
time) against a real `anchor serve` process: into the local store (parts go through the server,
checked by signature and streamed to disk) and into S3 (moto's server on loopback: parts go
to S3's presigned URLs, the server only signs and completes). 1 and 4 parts in flight, MB/s.
Then a 1 GB upload into the local store, completed and ingested as an angle, while the server's
RSS is sampled: it must stay flat (parts stream through in chunks, no file is ever in memory).

Each rate is the best of ANCHOR_BENCH_UPLOAD_RUNS runs (default 3): the machine is shared, and
the best run is the one least disturbed by others.

Run: python -m bench upload   (ANCHOR_BENCH_UPLOAD_MB sets the throughput file size; default 128)
Target: server RSS during the 1 GB upload at most 64 MB above its level before it.
Baseline: the same client PUTting the same parts to a bare uvicorn app that reads and drops
each body (the ceiling of an ASGI server on this machine), measured in the same run.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

MB = 1 << 20
PART = 8 * MB
PASSWORD = "bench"
RSS_TARGET = 64 * MB


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def padded_clip(path: Path, size: int) -> Path:
    """A playable MP4 of `size` bytes: a 2 s test clip (index first), then a `free` box of noise."""
    from anchor_core.media import run_ffmpeg

    small = path.with_suffix(".small.mp4")
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x90:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
                "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-movflags", "+faststart",
                str(small)], path=small, what="cannot make the bench clip")
    head = small.read_bytes()
    small.unlink()
    block = bytearray(os.urandom(MB))
    with open(path, "wb") as out:
        out.write(head + struct.pack(">I", size - len(head)) + b"free")
        left, i = size - len(head) - 8, 0
        while left > 0:
            block[:8] = i.to_bytes(8, "little")
            out.write(block[: min(MB, left)])
            left -= MB
            i += 1
    return path


BARE_APP = """
import sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def bare_rate(path: Path, parallel: int) -> float:
    """MB/s of PUTting the parts of `path` to an ASGI app that only reads them."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", BARE_APP, str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        size = path.stat().st_size
        fd = os.open(path, os.O_RDONLY)
        with httpx.Client(timeout=600) as c:
            t0 = time.perf_counter()
            with ThreadPoolExecutor(parallel) as ex:
                list(ex.map(lambda off: c.put(base, content=os.pread(fd, PART, off)).raise_for_status(),
                            range(0, size, PART)))
            elapsed = time.perf_counter() - t0
        os.close(fd)
        return size / MB / elapsed
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class RssSampler:
    """The peak RSS of one process, sampled every 20 ms while in the `with` block."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Served:
    """`anchor serve` on a fresh home with one event."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        from anchor_core.catalog import Catalog
        from anchor_core.catalog import events as events_repo

        home.mkdir(parents=True)
        with Catalog(home / "catalog.duckdb") as cat:
            self.event_id = events_repo.create_event(cat, "Bench night", "concert").id
        (home / "pw").write_text(PASSWORD)
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "anchor_core.cli", "--home", str(home), "serve", "--port", str(port),
               "--password-file", str(home / "pw")]
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(300):
            try:
                httpx.get(self.base + "/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        self.client = httpx.Client(base_url=self.base, auth=("anchor", PASSWORD), timeout=600)
        self.client.get("/organizer/")  # the session cookie; later calls use it, as the browser does

    def stop(self) -> None:
        self.client.close()
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


def upload(served: Served, path: Path, *, parallel: int, name: str, complete: bool) -> dict[str, Any]:
    """Send `path` the widget's way; seconds for the parts alone, and for completing (ingest)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = hashlib.sha256(fh.read(PART)).hexdigest()
    c = served.client
    r = c.post("/api/uploads", json={"event_id": served.event_id, "kind": "video", "angle_type": "wide",
                                     "name": name, "size": size, "last_modified": int(time.time() * 1000),
                                     "head_sha256": head})
    r.raise_for_status()
    up = r.json()
    numbers = list(range(1, up["parts"] + 1))
    targets = []
    for i in range(0, len(numbers), 100):
        t = c.post(f"/api/uploads/{up['upload_id']}/targets", json={"numbers": numbers[i:i + 100]})
        t.raise_for_status()
        targets += t.json()["targets"]
    fd = os.open(path, os.O_RDONLY)
    parts = httpx.Client(base_url=served.base, cookies=c.cookies, timeout=600)

    def put(t: dict[str, Any]) -> None:
        data = os.pread(fd, t["length"], t["offset"])
        res = parts.put(t["url"], content=data)
        res.raise_for_status()

    t0 = time.perf_counter()
    try:
        with ThreadPoolExecutor(parallel) as ex:
            list(ex.map(put, targets))
    finally:
        os.close(fd)
        parts.close()
    sent_s = time.perf_counter() - t0
    out: dict[str, Any] = {"mb_s": size / MB / sent_s, "sent_s": sent_s}
    if complete:
        t1 = time.perf_counter()
        done = c.post(f"/api/uploads/{up['upload_id']}/complete", json={})
        done.raise_for_status()
        out.update(complete_s=time.perf_counter() - t1, result=done.json())
    else:
        c.delete(f"/api/uploads/{up['upload_id']}").raise_for_status()
    return out


def moto_env() -> tuple[Any, dict[str, str]]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

    from anchor_core.store.s3 import s3_client

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {"ANCHOR_STORE": "s3", "ANCHOR_S3_BUCKET": "anchor-bench", "ANCHOR_S3_REGION": "us-east-1",
           "ANCHOR_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench"}
    os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
    s3_client(region="us-east-1", endpoint_url=env["ANCHOR_S3_ENDPOINT_URL"]).create_bucket(Bucket="anchor-bench")
    return server, env


def main() -> None:
    size = int(os.environ.get("ANCHOR_BENCH_UPLOAD_MB", "128")) * MB
    runs = max(1, int(os.environ.get("ANCHOR_BENCH_UPLOAD_RUNS", "3")))
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        root = Path(tmp)
        src = padded_clip(root / "angle.mp4", size)
        rates = {("bare", p): max(bare_rate(src, p) for _ in range(runs)) for p in (1, 4)}
        local = Served(root / "local", {"ANCHOR_STORE": "local"})
        try:
            for parallel in (1, 4):
                rates["local", parallel] = max(upload(local, src, parallel=parallel, name=f"p{parallel}-{i}.mp4",
                                                      complete=False)["mb_s"] for i in range(runs))
            big = padded_clip(root / "big.mp4", 1 << 30)
            before = rss(local.proc.pid)
            with RssSampler(local.proc.pid) as sampler:
                one_gb = upload(local, big, parallel=4, name="big.mp4", complete=True)
            after = rss(local.proc.pid)
            big.unlink()
        finally:
            local.stop()

        moto, env = moto_env()
        try:
            s3 = Served(root / "s3", env)
            try:
                for parallel in (1, 4):
                    rates["moto", parallel] = max(upload(s3, src, parallel=parallel, name=f"s{parallel}-{i}.mp4",
                                                         complete=False)["mb_s"] for i in range(runs))
            finally:
                s3.stop()
        finally:
            moto.stop()

    print(f"upload throughput over loopback, {size // MB} MB in {PART // MB} MiB parts (best of {runs}):")
    for backend, label in (("bare", "baseline (bare uvicorn)"), ("local", "anchor serve, local store"),
                           ("moto", "S3 (moto), presigned")):
        one, four = rates[backend, 1], rates[backend, 4]
        vs = "" if backend == "bare" else \
            f"; vs baseline {one / rates['bare', 1]:.2f} / {four / rates['bare', 4]:.2f}"
        print(f"  {label:27s} 1 in flight: {one:5.0f} MB/s   4 in flight: {four:5.0f} MB/s   "
              f"(4 vs 1: {four / one:.2f}x{vs})")
    grew = sampler.peak - before
    print(f"1 GB into the local store, 4 in flight: {one_gb['mb_s']:.0f} MB/s, then completed and ingested in "
          f"{one_gb['complete_s']:.1f} s (angle {one_gb['result']['id']})")
    print(f"  server RSS: {before / MB:.0f} MB before, peak {sampler.peak / MB:.0f} MB during, {after / MB:.0f} MB "
          f"after (+{grew / MB:.0f} MB; target ≤ +{RSS_TARGET // MB} MB: {'met' if grew <= RSS_TARGET else 'MISSED'})")
