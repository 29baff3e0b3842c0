"""Beat benchmark: anchor's beat tracker against plain `librosa.beat.beat_track` (defaults), in
the same run, on the rendered excerpts in tests/fixtures/beats (real instrument samples, human
timing; sources in its README) and on the generated pieces of tests/beatgen.py.

Run: python -m bench beats
Per excerpt: beat F-measure at ±70 ms (mir_eval), tempo error (an octave error is a failure),
downbeat F (from the start, and the worst of four starts mid-bar: the bar phase must come from the
music, not from where the file begins), meter, confidence. Targets (issue 18): mean F ≥ 0.90 and every excerpt ≥ 0.85 and
at least librosa's; tempo within 4 %; downbeat F ≥ 0.8; the rubato piece low confidence (it is
left out of the means: its target is to say that its beats are a guess).
"""

from __future__ import annotations

import json
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "beats"
MID_BAR_STARTS_S = (0.9, 1.7, 2.6, 3.4)


def _f(est: list[float] | np.ndarray, ref: list[float] | np.ndarray) -> float:
    from tests.beatgen import fmeasure

    return fmeasure(est, ref)


def _mid_bar_downbeat_f(y: np.ndarray, downbeats: list[float]) -> float:
    """The worst downbeat F over the excerpt started at each of MID_BAR_STARTS_S."""
    from anchor_core.music import analyze_samples
    from anchor_core.music.analysis import SR

    worst = 1.0
    for start in MID_BAR_STARTS_S:
        a = analyze_samples(y[int(start * SR):], SR)
        ref = [d - start for d in downbeats if d >= start - 0.05]
        worst = min(worst, _f(a.downbeats_s, ref) if a.downbeats_s else 0.0)
    return worst


def _excerpts() -> list[tuple[str, str, np.ndarray, dict]]:
    from anchor_core.media import decode_audio
    from anchor_core.music.analysis import SR
    from tests.beatgen import STYLES, piece

    out = []
    truth = json.loads((FIXTURES / "truth.json").read_text())
    for name, t in truth.items():
        out.append(("rendered", name, decode_audio(str(FIXTURES / t["file"]), SR), t))
    for style in STYLES:
        y, t = piece(style)
        out.append(("generated", style, y, t))
    return out


def main() -> None:
    import librosa

    from anchor_core.music import analyze_samples
    from anchor_core.music.analysis import SR

    warnings.filterwarnings("ignore", category=FutureWarning)
    rows = []
    print(f"{'set':9s} {'excerpt':13s} {'truth':>6s} | {'anchor F':>8s} {'tempo':>7s} {'err':>6s} {'downbeat F':>10s}"
          f" {'mid-bar':>7s} {'meter':>5s} {'conf':>5s} {'time':>5s} | {'librosa F':>9s} {'tempo':>7s} {'err':>6s}")
    for group, name, y, t in _excerpts():
        t0 = time.perf_counter()
        a = analyze_samples(y, SR)
        dt = time.perf_counter() - t0
        lib_bpm, lib_beats = librosa.beat.beat_track(y=y, sr=SR, units="time")
        lib_bpm = float(np.atleast_1d(lib_bpm)[0])
        truth_bpm = float(t["tempo_bpm"])
        r = {"group": group, "name": name, "f": _f(a.beats_s, t["beats"]), "err": a.tempo_bpm / truth_bpm - 1,
             "db": _f(a.downbeats_s, t["downbeats"]) if a.downbeats_s else 0.0, "meter": a.meter,
             "truth_meter": t["meter"], "conf": a.confidence, "low": a.low_confidence,
             "db_mid": _mid_bar_downbeat_f(y, t["downbeats"]) if name != "rubato" else 0.0,
             "lib_f": _f(lib_beats, t["beats"]), "lib_err": lib_bpm / truth_bpm - 1, "rubato": name == "rubato"}
        rows.append(r)
        meter = f"{a.meter or '-'}/{t['meter']}"
        print(f"{group:9s} {name:13s} {truth_bpm:6.1f} | {r['f']:8.3f} {a.tempo_bpm:7.1f} {r['err']:+6.1%} {r['db']:10.2f}"
              f" {r['db_mid']:7.2f} {meter:>5s} {a.confidence:5.2f} {dt:4.1f}s | {r['lib_f']:9.3f} {lib_bpm:7.1f} {r['lib_err']:+6.1%}",
              flush=True)
    for group in ("rendered", "generated", "all"):
        sel = [r for r in rows if (group == "all" or r["group"] == group) and not r["rubato"]]
        ok_tempo = sum(abs(r["err"]) <= 0.04 for r in sel)
        lib_tempo = sum(abs(r["lib_err"]) <= 0.04 for r in sel)
        print(f"mean {group:9s} (n={len(sel)}, rubato left out): anchor F {statistics.mean(r['f'] for r in sel):.3f}"
              f" (min {min(r['f'] for r in sel):.3f}), tempo within 4 % {ok_tempo}/{len(sel)},"
              f" downbeat F {statistics.mean(r['db'] for r in sel):.2f} (mid-bar starts, worst each:"
              f" {statistics.mean(r['db_mid'] for r in sel):.2f}), meter right"
              f" {sum(r['meter'] == r['truth_meter'] for r in sel)}/{len(sel)}"
              f" | librosa F {statistics.mean(r['lib_f'] for r in sel):.3f} (min {min(r['lib_f'] for r in sel):.3f}),"
              f" tempo within 4 % {lib_tempo}/{len(sel)}")
    confident = [r for r in rows if not r["rubato"]]
    rubato = [r for r in rows if r["rubato"]]
    print("targets: mean F ≥ 0.90 " + ("met" if statistics.mean(r["f"] for r in confident) >= 0.9 else "MISSED")
          + "; every excerpt ≥ 0.85 " + ("met" if all(r["f"] >= 0.85 for r in confident) else "MISSED")
          + "; ≥ librosa on each " + ("met" if all(r["f"] >= r["lib_f"] - 0.01 for r in confident) else "MISSED")
          + "; tempo within 4 % " + ("met" if all(abs(r["err"]) <= 0.04 for r in confident) else "MISSED")
          + "; downbeat F ≥ 0.8 on " + f"{sum(r['db'] >= 0.8 for r in confident)}/{len(confident)}"
          + f" (from every mid-bar start on {sum(r['db_mid'] >= 0.8 for r in confident)}/{len(confident)})"
          + "; rubato low confidence " + ("met" if all(r["low"] for r in rubato) else "MISSED")
          + "; none of the others low " + ("met" if not any(r["low"] for r in confident) else "MISSED"))
