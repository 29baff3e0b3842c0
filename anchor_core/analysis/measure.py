"""One decode pass over an angle -> raw per-window measures (before event-wide normalisation).

The result is plain data (lists of floats), so it pickles to a worker and back and is cached in
the catalog: normalising across the event is cheap and re-runs whenever an angle is added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MediaError
from ..media.decode import AVDecoder
from ..media.probe import probe
from .audio import AudioSeries, audio_frames, detect_whistles
from .frames import FrameMeter, FrameSeries
from .params import AnalysisParams
from .shots import detect_cuts, detect_fades

Progress = Callable[[float, float, str], None]
APPLAUSE_CREST_DB = 3.5  # a roar, wind or rain stays near 1-2 dB; hands of up to ~100 people clap above
APPLAUSE_ABOVE_DB = 8.0
MUSIC_STABLE = 0.75  # music ~0.85; speech, crowd and room noise 0.1-0.55
MUSIC_STABLE_WHITE = 0.3  # music ~0.55; steady noise ~0.05


@dataclass
class AngleMeasures:
    """Per-window raw measures of one angle (window k starts at k * window_ms, own time)."""

    duration_s: float
    window_ms: int
    has_audio: bool
    t_ms: list[int]
    motion: list[float]
    pan: list[float]  # frame widths per second
    luma: list[float]
    detail: list[float]
    faces: list[int]
    cut: list[bool]
    fade: list[bool]
    level_db: list[float]  # sustained loudness (30th percentile of unvoiced frames)
    peak_db: list[float]
    voiced: list[float]  # share of frames with a voice-pitch periodicity
    voice_snr_db: list[float]
    silent: list[bool]
    whistle: list[bool]
    level_floor_db: float = 0.0
    cuts_s: list[float] = field(default_factory=list)
    fades: list[tuple[float, float, str]] = field(default_factory=list)
    whistles_s: list[tuple[float, float]] = field(default_factory=list)
    applause: list[bool] = field(default_factory=list)
    music: list[bool] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(d: dict[str, Any]) -> AngleMeasures:
        d = dict(d)
        d["fades"] = [tuple(f) for f in d.get("fades", [])]
        d["whistles_s"] = [tuple(w) for w in d.get("whistles_s", [])]
        return AngleMeasures(**d)


def _window_index(times_s: np.ndarray, window_s: float, n: int) -> np.ndarray:
    return np.clip((np.asarray(times_s) // window_s).astype(np.int64), 0, max(n - 1, 0))


def _reduce(idx: np.ndarray, values: np.ndarray, n: int, how: str, default: float = 0.0) -> np.ndarray:
    out = np.full(n, default, dtype=np.float64)
    ok = np.isfinite(values)
    idx, values = idx[ok], values[ok]
    if len(values) == 0:
        return out
    order = np.argsort(idx, kind="stable")
    idx, values = idx[order], values[order]
    bounds = np.searchsorted(idx, np.arange(n + 1))
    reducers: dict[str, Callable[[np.ndarray], Any]] = {
        "mean": np.mean, "max": np.max, "median": np.median, "p30": lambda v: np.percentile(v, 30)}
    fn = reducers[how]
    for k in range(n):
        v = values[bounds[k]:bounds[k + 1]]
        if len(v):
            out[k] = float(fn(v))
    return out


def window_count(duration_s: float, window_s: float) -> int:
    """Whole windows, plus the last partial one when it holds at least half a window."""
    full = int(duration_s // window_s)
    n = full + (1 if duration_s - full * window_s >= window_s / 2 else 0)
    return max(n, 1) if duration_s > 0 else 0


def measure_video(vs: FrameSeries, params: AnalysisParams, n: int) -> dict[str, Any]:
    w = params.window_ms / 1000.0
    cuts = detect_cuts(vs.times_s, vs.content, vs.persist, ratio=params.cut_ratio,
                       min_content=params.cut_min_content, min_scene_s=params.min_scene_s)
    cuts = np.sort(np.concatenate([cuts, vs.black_cuts_s]))
    fades = detect_fades(vs.times_s, vs.luma)
    idx = _window_index(vs.times_s, w, n)
    motion = vs.motion.astype(np.float64).copy()
    if len(cuts):  # a cut is not motion: drop the frames at each cut
        near = np.zeros(len(motion), bool)
        for c in cuts:
            near |= np.abs(vs.times_s - c) < 0.05
        motion[near] = np.nan
    cut_w = np.zeros(n, bool)
    if len(cuts):
        cut_w[_window_index(cuts, w, n)] = True
    fade_w = np.zeros(n, bool)
    for a, b, _ in fades:
        fade_w[int(a // w):min(n, int(b // w) + 1)] = True
    face_idx = _window_index(vs.face_times_s, w, n)
    return {
        "motion": _reduce(idx, motion, n, "mean"),
        "pan": _reduce(idx, vs.pan.astype(np.float64), n, "median"),
        "luma": _reduce(idx, vs.luma.astype(np.float64), n, "mean"),
        "detail": _reduce(idx, vs.detail.astype(np.float64), n, "mean"),
        "faces": _reduce(face_idx, vs.face_counts.astype(np.float64), n, "max").astype(int),
        "cut": cut_w, "fade": fade_w, "cuts_s": [float(c) for c in cuts],
        "fades": [(float(a), float(b), k) for a, b, k in fades],
    }


def measure_audio(samples: np.ndarray, sr: int, params: AnalysisParams, n: int) -> dict[str, Any]:
    w = params.window_ms / 1000.0
    a: AudioSeries = audio_frames(samples, sr)
    if len(a.times_s) == 0:
        return empty_audio(n)
    idx = _window_index(a.times_s, w, n)
    voiced = (a.voicing >= 0.5).astype(np.float64)
    floor = float(np.percentile(a.level_db, 10))
    voice_floor = float(np.percentile(a.voice_db, 10))
    unvoiced_level = np.where(voiced > 0, np.nan, a.level_db)
    level = _reduce(idx, unvoiced_level, n, "p30", default=np.nan)
    level = np.where(np.isnan(level), _reduce(idx, a.level_db.astype(np.float64), n, "p30"), level)
    snr = _reduce(idx, np.where(voiced > 0, a.voice_db - voice_floor, np.nan), n, "mean")
    whistles = detect_whistles(a)
    whistle_w = np.zeros(n, bool)
    for s, _ in whistles:
        whistle_w[min(n - 1, int(max(s, 0.0) // w))] = True
    # silence from the samples themselves: RMS below -55 dBFS
    per = max(1, int(sr * w))
    m = min(len(samples), n * per)
    rms = np.zeros(n)
    if m:
        sq = np.asarray(samples[:m], np.float64) ** 2
        k = np.minimum(np.arange(m) // per, n - 1)
        rms = np.sqrt(np.bincount(k, sq, minlength=n) / np.maximum(np.bincount(k, minlength=n), 1))
    silent = 20 * np.log10(np.maximum(rms, 1e-9)) < -55.0
    # applause: impulsive sound above 2 kHz through most of the window, well above the room's
    # floor there, and no voice (speech fricatives are impulsive too)
    hf_floor = float(np.percentile(a.hf_db, 20))
    clap = _reduce(idx, a.clap_db.astype(np.float64), n, "median")
    hf = _reduce(idx, a.hf_db.astype(np.float64), n, "median", default=-120.0)
    voiced_w = _reduce(idx, voiced, n, "mean")
    # music: the spectrum holds still from frame to frame (notes), and does so in its own way,
    # not merely in the room's usual colour (a fan, a roar)
    held = (_reduce(idx, a.stable.astype(np.float64), n, "median") >= MUSIC_STABLE) & (
        _reduce(idx, a.stable_white.astype(np.float64), n, "median") >= MUSIC_STABLE_WHITE)
    # ...and for more than one window: a long whistle or a held horn is a tone, not music
    music = held & (np.concatenate([[False], held[:-1]]) | np.concatenate([held[1:], [False]]))
    applause = (clap >= APPLAUSE_CREST_DB) & (hf >= hf_floor + APPLAUSE_ABOVE_DB) & (voiced_w < 0.2) & ~music
    return {
        "has_audio": True, "level_db": level, "applause": applause, "music": music,
        "peak_db": _reduce(idx, a.level_db.astype(np.float64), n, "max"),
        "voiced": voiced_w, "voice_snr_db": snr,
        "silent": silent, "whistle": whistle_w, "level_floor_db": floor,
        "whistles_s": [(round(s, 3), round(e, 3)) for s, e in whistles],
    }


def empty_audio(n: int) -> dict[str, Any]:
    z = np.zeros(n)
    return {"has_audio": False, "level_db": z, "peak_db": z, "voiced": z, "voice_snr_db": z,
            "applause": np.zeros(n, bool), "music": np.zeros(n, bool),
            "silent": np.zeros(n, bool), "whistle": np.zeros(n, bool), "level_floor_db": 0.0, "whistles_s": []}


def analyze_file(path: str | Path, params: AnalysisParams | None = None, *,
                 progress: Progress | None = None, ffmpeg: str | None = None) -> AngleMeasures:
    """Decode the file once (small gray frames + mono audio) and measure every window."""
    params = params or AnalysisParams()
    report = progress or (lambda d, t, m: None)
    info = probe(path, ffmpeg=ffmpeg, scan_packets=False)
    if info.video is None:
        raise MediaError("the file has no video stream; the analyzer needs pictures", path=str(path))
    dur = info.duration_s
    dw, dh = info.video.display_size
    width = params.width if dw >= dh else max(64, int(params.width * dw / max(dh, 1)))  # long side = width
    dec = AVDecoder(path, width=width, gray=True, chunk_frames=128, info=info, ffmpeg=ffmpeg,
                    sample_rate=params.audio_rate)
    meter = FrameMeter(face_interval_s=params.face_interval_s)
    for chunk in dec.frames():
        meter.add(chunk.times_s, chunk.frames)
        report(min(float(chunk.times_s[-1]), dur), dur, f"{Path(path).name}: {chunk.times_s[-1]:.0f} s decoded")
    vs = meter.series()
    if len(vs.times_s) == 0:
        raise MediaError("no frame could be decoded; the file is corrupt or empty", path=str(path))
    dur = max(dur, float(vs.times_s[-1]))
    w = params.window_ms / 1000.0
    n = window_count(dur, w)
    video = measure_video(vs, params, n)
    audio = measure_audio(dec.audio, params.audio_rate, params, n) if len(dec.audio) else empty_audio(n)
    report(dur, dur, f"{Path(path).name}: measured")

    def fl(x: np.ndarray) -> list[float]:
        return [round(float(v), 4) if np.isfinite(v) else 0.0 for v in x]

    return AngleMeasures(
        duration_s=round(dur, 4), window_ms=params.window_ms, has_audio=bool(audio["has_audio"]),
        t_ms=[k * params.window_ms for k in range(n)], motion=fl(video["motion"]), pan=fl(video["pan"]),
        luma=fl(video["luma"]), detail=fl(video["detail"]), faces=[int(v) for v in video["faces"]],
        cut=[bool(v) for v in video["cut"]], fade=[bool(v) for v in video["fade"]],
        level_db=fl(audio["level_db"]), peak_db=fl(audio["peak_db"]), voiced=fl(audio["voiced"]),
        voice_snr_db=fl(audio["voice_snr_db"]),
        silent=[bool(v) for v in audio["silent"]], whistle=[bool(v) for v in audio["whistle"]],
        level_floor_db=round(float(audio["level_floor_db"]), 3), cuts_s=[round(c, 4) for c in video["cuts_s"]],
        fades=video["fades"], whistles_s=audio["whistles_s"], applause=[bool(v) for v in audio["applause"]],
        music=[bool(v) for v in audio["music"]],
    )
