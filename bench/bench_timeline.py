"""Timeline benchmark: edit quality against known hot angles, both strategies; build and
re-score speed for a 3-hour, 6-angle event (5,400 windows).

Run: python -m bench timeline
Targets: ≥ 90 % on-shot with the default profile; full build ≤ 100 ms; re-score ≤ 50 ms.
"""

from __future__ import annotations

import statistics
import time

from anchor_core.demo.features import hot_angle_features
from anchor_core.timeline import build_grid, build_timeline, builtin_profile
from anchor_core.timeline.evaluate import edit_quality


def quality(seeds: range = range(5), duration_s: float = 1800.0) -> None:
    p = builtin_profile("sports")
    print(f"edit quality, sports profile, {len(seeds)} generated events of {duration_s / 60:.0f} min, 6 angles "
          "(on-shot ignores ±0.6 s around true changes)")
    for strategy in ("hysteresis", "optimal"):
        qs = []
        for seed in seeds:
            f, angles, truth = hot_angle_features(duration_s, seed=seed)
            tl = build_timeline(build_grid(f, angles), p, strategy=strategy)
            qs.append(edit_quality(tl.segments, truth.stretches, [a.video_id for a in angles], fallback=truth.fallback))
        on = statistics.mean(q["on_shot"] for q in qs)
        print(f"  {strategy:10s} on-shot {on:6.1%} (target ≥ 90 %)  wrong shots {statistics.mean(q['wrong_shots'] for q in qs):5.1f}"
              f" of {statistics.mean(q['segments'] for q in qs):5.1f}  missed hot ≥4 s "
              f"{sum(q['missed_hot'] for q in qs)}/{sum(q['hot_stretches'] for q in qs)}  median cut error "
              f"{statistics.median(q['median_cut_error_ms'] for q in qs):4.0f} ms")


def _best(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1000.0


def speed() -> None:
    f, angles, _ = hot_angle_features(3 * 3600.0, seed=1)
    p = builtin_profile("sports")
    grid = build_grid(f, angles)
    print(f"speed, 3-hour event, {len(angles)} angles, {grid.n} windows (best of 7)")
    grid_ms = _best(lambda: build_grid(f, angles))
    changed = p.with_changes(hysteresis=0.2, min_segment_ms=6000)
    for strategy in ("hysteresis", "optimal"):
        full = _best(lambda: build_timeline(build_grid(f, angles), p, strategy=strategy))  # noqa: B023
        rescore = _best(lambda: build_timeline(grid, changed, strategy=strategy))  # noqa: B023
        print(f"  {strategy:10s} full build {full:6.1f} ms (target ≤ 100)  re-score after a profile change "
              f"{rescore:6.1f} ms (target ≤ 50)  [grid alone {grid_ms:.1f} ms]")
    baseline = _best(lambda: f.sort(["video_id", "t_ms"]))
    print(f"  baseline: sorting the feature table {baseline:.1f} ms → full build / sort "
          f"{_best(lambda: build_timeline(build_grid(f, angles), p)) / baseline:.1f}x")


def main() -> None:
    quality()
    speed()


if __name__ == "__main__":
    main()
