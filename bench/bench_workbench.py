"""Workbench benchmark: what the profile editor's `live_timeline` cell does after one slider
change, on a synthetic 3-hour, 6-angle event (5,400 windows) with music beats under it.

Per simulated slider change, in the order the cell runs them: the validated profile copy
(`with_changes`), the re-built timeline (`build_timeline`), its polars frames, the SQL
statistics (`timeline_summary`, `angle_usage`), the timeline figure (`timeline_figure`) and
that figure turned into the PNG the browser shows (the cell encodes it itself with
`figure_to_html(fig, dpi=90)`: screen size, tight bounding box, base64).

Run: python -m bench workbench
Target: ≤ 300 ms in total per slider change (median), so the plot follows the slider.
Baseline: building the event's window grid, measured in the same run.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")
import polars as pl  # noqa: E402

from anchor_core.demo.features import hot_angle_features  # noqa: E402
from anchor_core.timeline import (  # noqa: E402
    Profile,
    angle_usage,
    build_grid,
    build_timeline,
    builtin_profile,
    event_beats,
    timeline_summary,
)
from anchor_core.viz import timeline_figure  # noqa: E402

TARGET_MS = 300.0
DURATION_S = 3 * 3600.0
MUSIC_BPM, MUSIC_LOOP_S = 124.0, 64.0  # the demo's music loop, repeated under the whole event
PARTS = ("profile", "build", "frames", "stats", "figure", "png")

# (knob, value) per slider move, in the workbench's units (seconds, weights); each move keeps the earlier ones.
MOVES: tuple[tuple[str, Any], ...] = (
    ("hysteresis", 0.5), ("min_s", 6.0), ("max_s", 30.0), ("closeup_gain", 12.0), ("face_bonus", 25.0),
    ("zoom", 7.0), ("ad", 60.0), ("hysteresis", 1.0), ("min_s", 15.0), ("max_s", 45.0), ("strategy", "optimal"),
)


def knobs_of(p: Profile) -> dict[str, Any]:
    """The slider values the workbench starts from (its `profile_editor` cell)."""
    return {"hysteresis": p.hysteresis, "min_s": p.min_segment_ms / 1000, "max_s": p.max_segment_ms / 1000,
            "closeup_gain": p.action_gain.get("closeup", 0.0), "face_bonus": p.face_bonus.get("closeup", 0.0),
            "zoom": p.zoom_threshold, "ad": p.ad_threshold, "strategy": p.strategy}


def figure_png(fig: Any) -> str:
    """What the workbench's live_timeline cell sends (an <img> with the PNG inline)."""
    from anchor_core.viz import figure_to_html

    return figure_to_html(fig, dpi=90, alt="timeline")


def slider_change(base: Profile, k: dict[str, Any], grid: Any, beats: tuple[float, ...], angles: pl.DataFrame,
                  event_type: str) -> tuple[dict[str, float], str]:
    """One run of the workbench's `live_timeline` cell, timed part by part (ms)."""
    t: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        out = fn()
        t[name] = (time.perf_counter() - t0) * 1000.0
        return out

    profile = timed("profile", lambda: base.with_changes(
        hysteresis=k["hysteresis"], min_segment_ms=int(k["min_s"] * 1000), max_segment_ms=int(k["max_s"] * 1000),
        action_gain={**base.action_gain, "closeup": k["closeup_gain"]},
        face_bonus={**base.face_bonus, "closeup": k["face_bonus"]}, zoom_threshold=k["zoom"],
        ad_threshold=k["ad"], strategy=k["strategy"]))
    tl = timed("build", lambda: build_timeline(grid, profile, beats_s=beats, event_type=event_type))
    f = timed("frames", tl.frames)
    timed("stats", lambda: (timeline_summary(f["segments"], f["zooms"], f["ad_slots"], f["chapters"]),
                            angle_usage(f["segments"])))
    fig = timed("figure", lambda: timeline_figure(
        f["segments"], angles, zooms=f["zooms"], ad_slots=f["ad_slots"], chapters=f["chapters"], beats=list(beats),
        title=f"{profile.name} · {tl.strategy}"))
    png = timed("png", lambda: figure_png(fig))
    t["total"] = sum(t[p] for p in PARTS)
    return t, f"{len(tl.segments)} segments, {len(tl.zooms)} zooms, {len(tl.ad_slots)} ad slots, {len(png) // 1024} KiB png"


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _p90(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(0.9 * (len(s) - 1)))]


def run(*, with_beats: bool = True, seed: int = 1, verbose: bool = True) -> dict[str, list[float]]:
    f, angles, _ = hot_angle_features(DURATION_S, seed=seed)
    grid = build_grid(f, angles, 2000)
    beats: tuple[float, ...] = ()
    if with_beats:
        loop = [i * 60.0 / MUSIC_BPM for i in range(int(MUSIC_LOOP_S * MUSIC_BPM / 60.0))]
        beats = tuple(event_beats(loop, MUSIC_LOOP_S, grid.duration_ms / 1000.0))
    base = builtin_profile("sports")
    frame = pl.DataFrame({"video_id": [a.video_id for a in grid.angles],
                          "angle_type": [a.angle_type for a in grid.angles]})
    k = knobs_of(base)
    slider_change(base, k, grid, beats, frame, base.event_type)  # the page load ran the cell once already
    times: dict[str, list[float]] = {p: [] for p in (*PARTS, "total")}
    if verbose:
        print(f"3-hour event, {len(angles)} angles, {grid.n} windows, {len(beats)} beats; "
              f"{len(MOVES)} slider changes from the sports profile")
    for knob, value in MOVES:
        k = {**k, knob: value}
        t, what = slider_change(base, k, grid, beats, frame, base.event_type)
        for name, ms in t.items():
            times[name].append(ms)
        if verbose:
            print(f"  {knob:>12s} → {value!s:10s} {t['total']:6.0f} ms  ({what})")
    return times


def figure_breakdown(seed: int = 1, repeat: int = 3) -> None:
    """Where the plot's time goes: the figure with one layer at a time, and the PNG at 1x vs marimo's 2x dpi."""
    f, angles, _ = hot_angle_features(DURATION_S, seed=seed)
    grid = build_grid(f, angles, 2000)
    loop = [i * 60.0 / MUSIC_BPM for i in range(int(MUSIC_LOOP_S * MUSIC_BPM / 60.0))]
    beats = event_beats(loop, MUSIC_LOOP_S, grid.duration_ms / 1000.0)
    fr = build_timeline(grid, builtin_profile("sports"), beats_s=beats).frames()
    frame = pl.DataFrame({"video_id": [a.video_id for a in grid.angles],
                          "angle_type": [a.angle_type for a in grid.angles]})
    layers: list[tuple[str, dict[str, Any]]] = [
        (f"segments only ({fr['segments'].height})", {}),
        (f"segments + zooms ({fr['zooms'].height}, hatched)", {"zooms": fr["zooms"]}),
        (f"segments + chapters ({fr['chapters'].height}, labelled)", {"chapters": fr["chapters"]}),
        (f"segments + ad slots ({fr['ad_slots'].height})", {"ad_slots": fr["ad_slots"]}),
        (f"segments + beats ({len(beats)})", {"beats": beats}),
    ]
    print(f"where the plot's time goes (median of {repeat}; figure / png at marimo's 2x dpi / png at 1x dpi):")
    for label, kw in layers:
        fig_ms, png2, png1 = [], [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fig = timeline_figure(fr["segments"], frame, **kw)
            t1 = time.perf_counter()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight", dpi=fig.dpi)
            t2 = time.perf_counter()
            figure_png(fig)
            t3 = time.perf_counter()
            fig_ms.append((t1 - t0) * 1000)
            png1.append((t2 - t1) * 1000)
            png2.append((t3 - t2) * 1000)
        print(f"  {label:40s} {_median(fig_ms):6.0f} / {_median(png2):6.0f} / {_median(png1):6.0f} ms")


def _grid_ms(repeat: int = 7) -> float:
    f, angles, _ = hot_angle_features(DURATION_S, seed=1)
    xs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        build_grid(f, angles, 2000)
        xs.append((time.perf_counter() - t0) * 1000.0)
    return _median(xs)


def main() -> None:
    times = run(with_beats=True)
    print(f"per slider change, median / p90 over {len(times['total'])} changes:")
    for name in (*PARTS, "total"):
        share = _median(times[name]) / _median(times["total"])
        print(f"  {name:8s} {_median(times[name]):7.1f} / {_p90(times[name]):7.1f} ms   {share:5.1%} of the total")
    total = _median(times["total"])
    print(f"  target: total ≤ {TARGET_MS:.0f} ms → {'PASS' if total <= TARGET_MS else 'FAIL'} "
          f"(median {total:.0f} ms, p90 {_p90(times['total']):.0f} ms)")
    no_music = run(with_beats=False, verbose=False)
    print(f"  without music beats: total median {_median(no_music['total']):.0f} ms "
          f"(figure {_median(no_music['figure']):.0f} ms, png {_median(no_music['png']):.0f} ms)")
    figure_breakdown()
    grid_ms = _grid_ms()
    print(f"  baseline: building the window grid {grid_ms:.1f} ms (median of 7) → slider change / grid "
          f"{total / grid_ms:.1f}x")


if __name__ == "__main__":
    main()
