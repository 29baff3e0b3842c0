"""Analyzer benchmark: a 1080p30 H.264 angle of 5 minutes, analysis vs merely decoding it.

Run: python -m bench analyze   (ANCHOR_BENCH_ANALYZE_S sets the length; default 300 s)
Target: analysis wall time <= 1.5 x the ffmpeg decode floor.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from anchor_core.analysis import analyze_file
from anchor_core.media import run_ffmpeg
from anchor_core.media.commands import decode_only_args, test_pattern_args
from bench.memory import PeakMemory

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5


def footage(seconds: float) -> Path:
    out = ROOT / "bench" / ".cache" / f"angle-1080p30-{int(seconds)}s.mp4"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".part.mp4")
        print(f"generating {out.name} (once) ...", flush=True)
        t0 = time.perf_counter()
        run_ffmpeg(test_pattern_args(tmp, seconds=seconds))
        tmp.rename(out)
        print(f"  generated in {time.perf_counter() - t0:.1f} s", flush=True)
    return out


def main() -> None:
    seconds = float(os.environ.get("ANCHOR_BENCH_ANALYZE_S", "300"))
    src = footage(seconds)
    # Alternate the two runs and keep each one's best, so a busy moment on the machine does not
    # decide the ratio.
    floors, takes, peak = [], [], 0
    m = None
    for _ in range(int(os.environ.get("ANCHOR_BENCH_REPEAT", "2"))):
        t0 = time.perf_counter()
        run_ffmpeg(decode_only_args(src))
        floors.append(time.perf_counter() - t0)
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            m = analyze_file(src)
            takes.append(time.perf_counter() - t0)
        peak = max(peak, mem.peak_bytes)
    assert m is not None
    floor_s, took = min(floors), min(takes)
    ratio = took / floor_s
    print(f"footage: {src.name}, {m.duration_s:.0f} s, {len(m.t_ms)} windows; best of {len(takes)} alternating runs")
    print(f"ffmpeg decode only (floor): {floor_s:7.1f} s  ({m.duration_s / floor_s:5.1f}x realtime)")
    print(f"local analysis:             {took:7.1f} s  ({m.duration_s / took:5.1f}x realtime), "
          f"peak memory {peak / 2**20:.0f} MB")
    print(f"ratio analysis / decode: {ratio:.2f} (target <= {TARGET_RATIO}) -> {'PASS' if ratio <= TARGET_RATIO else 'MISS'}")
