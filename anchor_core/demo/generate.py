"""Generate the demo event's media and its ground truth (see the Foundation issue).

Three angles of one simulated match, one soundtrack heard by three different microphones,
a music loop at a known tempo and a sponsor catalogue. The truth file says where everything
is, so tests and benchmarks can score sync, analysis and the edit against it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..media.encode import RawVideoWriter, encode_audio, write_wav
from .products import write_catalogue
from .scene import MARKERS_BGR, CloseupView, CrowdView, WideView, simulate
from .soundtrack import SR, Mic, mic_recording, synth_music, synth_sources
from .timeline_truth import MatchScript

Progress = Callable[[float, float, str], None]
# Bump when the generated media change, so cached copies (tests, benchmarks) are remade.
GENERATOR_VERSION = "3"


@dataclass(frozen=True)
class AngleSpec:
    name: str
    angle_type: str
    width: int
    height: int
    fps: float
    offset_s: float  # event time of its first sample (wide is the reference: 0)
    drift_ppm: float
    duration_s: float
    mic: Mic


def default_angles(script: MatchScript, scale: float = 1.0) -> list[AngleSpec]:
    d = script.duration_s

    def sz(w: int, h: int) -> tuple[int, int]:
        return int(w * scale) // 2 * 2, int(h * scale) // 2 * 2

    return [
        AngleSpec("wide", "wide", *sz(960, 540), 30.0, 0.0, 0.0, d,
                  Mic(48000, (0.7, 0.55, 1.0, 1.0), 70, 16000, -52, 0.0, 0.8)),
        AngleSpec("closeup", "closeup", *sz(640, 360), 25.0, 7.25, 60.0, d - 16.0,
                  Mic(44100, (0.6, 1.0, 0.22, 0.8), 120, 7000, -46, 0.0, 0.5)),
        AngleSpec("crowd", "crowd", *sz(360, 640), 24.0, -2.35, -45.0, d - 10.0,
                  Mic(32000, (1.0, 0.35, 0.12, 1.2), 200, 6000, -42, 0.25, 0.9)),
    ]


def _render_angle(job: tuple[AngleSpec, MatchScript, str, str]) -> dict[str, Any]:
    spec, script, wav_path, out_path = job
    margin = 1.0
    world = simulate(script, min(0.0, spec.offset_s) - margin, spec.offset_s + spec.duration_s + margin + 1)
    view: WideView | CloseupView | CrowdView
    if spec.angle_type == "wide":
        view = WideView(spec.width, spec.height)
    elif spec.angle_type == "closeup":
        view = CloseupView(spec.width, spec.height)
    else:
        view = CrowdView(spec.width, spec.height)
    n = int(round(spec.duration_s * spec.fps))
    with RawVideoWriter(out_path, width=spec.width, height=spec.height, fps=spec.fps, audio_wav=wav_path,
                        threads=1) as w:
        for k in range(n):
            t_event = spec.offset_s + (k / spec.fps) * (1 + spec.drift_ppm * 1e-6)
            w.write(view.render(world, t_event, script))
    return {"file": out_path, "frames": n}


def generate_demo(
    out_dir: str | Path, *, executor: Executor | None = None, progress: Progress | None = None,
    script: MatchScript | None = None, scale: float = 1.0, music_bpm: float = 124.0,
) -> dict[str, Any]:
    """Write the demo media and `truth.json` into out_dir; returns the truth dictionary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    script = script or MatchScript()
    angles = default_angles(script, scale)
    report = progress or (lambda done, total, msg: None)
    report(0, 6, "synthesising the soundtrack")
    t_lo = min(a.offset_s for a in angles) - 2.0
    t_hi = max(a.offset_s + a.duration_s * (1 + a.drift_ppm * 1e-6) for a in angles) + 2.0
    sources = synth_sources(script, t_lo, t_hi)
    rng = np.random.default_rng(script.seed + 1)
    tmp = Path(tempfile.mkdtemp(prefix="anchor-demo-", dir=out))
    jobs = []
    for spec in angles:
        rec = mic_recording(sources, spec.mic, spec.offset_s, spec.drift_ppm, spec.duration_s, rng)
        wav = write_wav(tmp / f"{spec.name}.wav", rec, spec.mic.sample_rate)
        jobs.append((spec, script, str(wav), str(out / f"{spec.name}.mp4")))
    report(1, 6, "rendering the angles")
    results = list(executor.map(_render_angle, jobs)) if executor else [_render_angle(j) for j in jobs]
    report(4, 6, "music and products")
    music, beats, downbeats = synth_music(music_bpm, 64.0)
    write_wav(tmp / "music.wav", music, SR)
    encode_audio(tmp / "music.wav", out / "music.m4a")
    write_catalogue(out / "products")
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    truth = {
        "generator_version": GENERATOR_VERSION,
        "event_duration_s": script.duration_s,
        "reference": "wide",
        "convention": "sample at own time t plays at event time offset_s + t*(1+drift_ppm*1e-6)",
        "angles": {
            a.name: {
                "file": Path(r["file"]).name, "angle_type": a.angle_type, "width": a.width, "height": a.height,
                "fps": a.fps, "offset_s": a.offset_s, "drift_ppm": a.drift_ppm, "duration_s": a.duration_s,
                "frames": r["frames"], "sample_rate": a.mic.sample_rate, "marker_bgr": list(MARKERS_BGR[a.name]),
                "mic": asdict(a.mic),
            }
            for a, r in zip(angles, results, strict=True)
        },
        "action_bursts": [list(b) for b in script.action_bursts],
        "whistles": list(script.whistles),
        "whistle_len_s": list(script.whistle_len_s),
        "flash_s": script.flash_s,
        "speech": [list(s) for s in script.speech],
        "idle": [list(s) for s in script.idle],
        "music": {"file": "music.m4a", "tempo_bpm": music_bpm, "beats": [round(b, 6) for b in beats],
                  "downbeats": [round(b, 6) for b in downbeats], "duration_s": 64.0},
        "products": {"csv": "products/products_export.csv", "count": 4},
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2))
    report(6, 6, "done")
    return truth
