"""Render benchmark: master vs a plain transcode, memory flat in segment count, reel wall time.

Run: python -m bench render
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from anchor_core.catalog.events import advance_event_status
from anchor_core.media import probe, run_ffmpeg
from anchor_core.render import MasterInputs, OutputFormat, render_event, render_master
from anchor_core.sync import Angle
from anchor_core.timeline import Segment
from bench.memory import PeakMemory

ROOT = Path(__file__).resolve().parent.parent


def demo_media() -> tuple[Path, dict]:
    import json

    from anchor_core.demo.generate import GENERATOR_VERSION, generate_demo

    cached = ROOT / "tests" / ".cache" / f"demo-v{GENERATOR_VERSION}"
    if (cached / "truth.json").is_file():
        return cached, json.loads((cached / "truth.json").read_text())
    out = ROOT / "bench" / ".cache" / f"demo-v{GENERATOR_VERSION}"
    if not (out / "truth.json").is_file():
        with ThreadPoolExecutor(2) as ex:
            generate_demo(out, executor=ex)
    return out, json.loads((out / "truth.json").read_text())


def master_vs_transcode(media: Path, truth: dict, fmt: OutputFormat) -> None:
    from tests.demo_event import demo_home, write_timeline, write_truth_sync

    with tempfile.TemporaryDirectory() as tmp:
        settings, cat, store, demo = demo_home(media, Path(tmp) / "home")
        write_truth_sync(cat, demo.videos, truth)
        write_timeline(cat, demo.event_id, demo.videos, truth)
        advance_event_status(cat, demo.event_id, "analyzing", "analyzed")
        t0 = time.perf_counter()
        r = render_event(cat, store, settings, demo.event_id, fmt=fmt)
        master_s = time.perf_counter() - t0
        cat.close()
        # Baseline: one plain pass that decodes a video of the same length and content and
        # encodes it with the same settings (the master itself, so content complexity matches).
        t0 = time.perf_counter()
        run_ffmpeg(["-i", r.path, "-vf", f"scale={fmt.width}:{fmt.height},fps={fmt.fps:g}", "-c:v", "libx264",
                    "-preset", fmt.preset, "-crf", str(fmt.crf), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k",
                    str(Path(tmp) / "plain.mp4")])
        plain_s = time.perf_counter() - t0
        wide = media / truth["angles"]["wide"]["file"]
        t0 = time.perf_counter()
        run_ffmpeg(["-i", str(wide), "-vf", f"scale={fmt.width}:{fmt.height},fps={fmt.fps:g}", "-c:v", "libx264",
                    "-preset", fmt.preset, "-crf", str(fmt.crf), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k",
                    str(Path(tmp) / "wide.mp4")])
        wide_s = time.perf_counter() - t0
    d = r.result.duration_s
    print(f"master {d:.0f} s at {fmt.width}x{fmt.height}: {master_s:.1f} s (ads {r.ads}, {r.result.chunks} chunks, "
          f"loudness {r.result.loudness.get('output_i')} LUFS)")
    print(f"plain single-pass transcode of the same length and content: {plain_s:.1f} s"
          f" (of the simpler wide angle alone: {wide_s:.1f} s)")
    print(f"RATIO master/transcode = {master_s / plain_s:.2f}  (target <= 1.5)")


def many_segments(media: Path, truth: dict, n_segments: int, total_s: float, fmt: OutputFormat) -> tuple[float, int]:
    """Render total_s of output cut into n_segments, each from a different place of the demo angles."""
    names = list(truth["angles"])
    angles: dict[str, Angle] = {}
    paths: dict[str, str] = {}
    segs = []
    seg_len = total_s / n_segments
    for k in range(n_segments):
        a = truth["angles"][names[k % len(names)]]
        usable = a["duration_s"] - seg_len - 2
        src = 1.0 + (k * 7.31) % usable
        vid = f"v{k}"
        t = k * seg_len
        angles[vid] = Angle(vid, a["angle_type"], a["file"], a["duration_s"], offset_s=t - src,
                            width=a["width"], height=a["height"])
        paths[vid] = str(media / a["file"])
        segs.append(Segment(round(t * 1000), round((t + seg_len) * 1000), vid, a["angle_type"], 1.0))
    inputs = MasterInputs(duration_s=total_s, segments=segs, angles=angles, paths=paths, audio_master_id="v0")
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(2) as ex, PeakMemory() as mem:
        t0 = time.perf_counter()
        render_master(inputs, Path(tmp) / "m.mp4", fmt=fmt, executor=ex, workers=2)
        wall = time.perf_counter() - t0
        assert abs(probe(Path(tmp) / "m.mp4").duration_s - total_s) < 0.1
    return wall, mem.peak_bytes


def reel_time(media: Path, truth: dict) -> None:
    from anchor_core.reels import make_reel
    from tests.demo_event import demo_home, insert_features, write_truth_sync
    from tests.test_reels import truth_features

    with tempfile.TemporaryDirectory() as tmp:
        settings, cat, store, demo = demo_home(media, Path(tmp) / "home")
        write_truth_sync(cat, demo.videos, truth)
        insert_features(cat, truth_features(truth, demo.videos))
        t0 = time.perf_counter()
        r = make_reel(cat, store, settings, demo.event_id, vibe="high_energy", duration_s=30)
        wall = time.perf_counter() - t0
        cat.close()
    print(f"reel: {r.duration_s:.1f} s of video at 1280x720 made in {wall:.1f} s wall  (target <= 10 s, aim 5)")


def main() -> None:
    media, truth = demo_media()
    master_vs_transcode(media, truth, OutputFormat())
    small = OutputFormat(width=320, height=180, preset="ultrafast")
    w20, m20 = many_segments(media, truth, 20, 600.0, small)
    w1000, m1000 = many_segments(media, truth, 1000, 600.0, small)
    print(f"600 s output, 20 segments: {w20:.1f} s, peak memory {m20 / 2**20:.0f} MiB")
    print(f"600 s output, 1000 segments: {w1000:.1f} s, peak memory {m1000 / 2**20:.0f} MiB")
    print(f"RATIO peak memory 1000/20 segments = {m1000 / m20:.2f}  (target <= 1.2); time ratio {w1000 / w20:.2f}")
    reel_time(media, truth)


if __name__ == "__main__":
    main()
