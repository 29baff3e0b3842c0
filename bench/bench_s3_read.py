"""How ffmpeg should read angles kept in S3: from the bounded local cache (`S3Store.path_for`),
or straight from a presigned GET URL (HTTP range requests)?

Against moto's S3 server on loopback, one 1280x720 clip (ANCHOR_BENCH_S3_READ_S long, default 60 s):
- the sync pass: decode the whole audio track once;
- the render pattern: 8 seeks into the file, 2 s decoded at each (what render chunks do);
- the analysis pattern: decode every frame once, scaled down.
Each through the cache (cold: download included; warm: a later stage of the same job) and
through the URL. Baseline: the same ffmpeg work on a local file, same run.

Run: python -m bench s3_read
On loopback the network is nearly free, so the URL's cost here is its per-request overhead;
over a real link each seek costs a round trip and the whole file crosses it once per stage.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def _ffmpeg(args: list[str]) -> float:
    from anchor_core.media.ffmpeg import ffmpeg_exe

    t0 = time.perf_counter()
    subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", *args], check=True)
    return time.perf_counter() - t0


def patterns(src: str, duration_s: float) -> dict[str, Any]:
    audio = ["-i", src, "-vn", "-ac", "1", "-ar", "16000", "-f", "null", "-"]
    seeks = [["-ss", f"{duration_s * (i + 0.5) / 8:.2f}", "-t", "2", "-i", src, "-f", "null", "-"] for i in range(8)]
    frames = ["-i", src, "-an", "-vf", "scale=160:90", "-f", "null", "-"]
    return {"audio": audio, "seeks": seeks, "frames": frames}


def run_patterns(src: str, duration_s: float) -> dict[str, float]:
    p = patterns(src, duration_s)
    return {"audio": _ffmpeg(p["audio"]), "seeks": sum(_ffmpeg(a) for a in p["seeks"]), "frames": _ffmpeg(p["frames"])}


def main() -> None:
    from anchor_core.media import run_ffmpeg
    from anchor_core.store.s3 import S3Store, s3_client
    from bench.bench_upload import moto_env

    seconds = float(os.environ.get("ANCHOR_BENCH_S3_READ_S", "60"))
    server, env = moto_env()
    try:
        with tempfile.TemporaryDirectory(prefix="anchor-bench-s3read-") as tmp:
            clip = Path(tmp) / "angle.mp4"
            run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}",
                        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:v", "libx264",
                        "-preset", "veryfast", "-g", "60", "-c:a", "aac", "-shortest", str(clip)],
                       path=clip, what="cannot make the bench clip")
            size_mb = clip.stat().st_size / 1e6
            client = s3_client(region="us-east-1", endpoint_url=env["ANCHOR_S3_ENDPOINT_URL"])
            store = S3Store(client, env["ANCHOR_S3_BUCKET"], prefix="bench", cache_dir=Path(tmp) / "cache",
                            cache_bytes=10 << 30)
            store.put_file("events/e/videos/v.mp4", clip)
            local = run_patterns(str(clip), seconds)
            t0 = time.perf_counter()
            cached = store.path_for("events/e/videos/v.mp4")
            download = time.perf_counter() - t0
            warm = run_patterns(str(cached), seconds)
            url = run_patterns(store.url("events/e/videos/v.mp4"), seconds)
    finally:
        server.stop()
    print(f"clip: {seconds:.0f} s of 1280x720, {size_mb:.1f} MB; cache fill (download): {download:.2f} s")
    print(f"{'pattern':8s} {'local file':>10s} {'cache warm':>10s} {'cache cold':>10s} {'URL':>8s} "
          f"{'URL/cold':>8s} {'URL/warm':>8s}")
    for k in ("audio", "seeks", "frames"):
        cold = warm[k] + download
        print(f"{k:8s} {local[k]:10.2f} {warm[k]:10.2f} {cold:10.2f} {url[k]:8.2f} {url[k] / cold:8.2f} "
              f"{url[k] / warm[k]:8.2f}")
    total_cold = sum(warm.values()) + download
    print(f"a job running all three (sync, analysis, render) reads the file once through the "
          f"cache: {total_cold:.2f} s, or three times through the URL: {sum(url.values()):.2f} s "
          f"(ratio {sum(url.values()) / total_cold:.2f})")


if __name__ == "__main__":
    main()
