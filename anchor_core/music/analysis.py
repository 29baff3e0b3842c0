"""Music analysis for beat-synced editing: tempo, beats, downbeats, an intensity curve.

Beats come from librosa's dynamic-programming tracker driven by a time-varying tempo (so a
tempo change is followed), with the tempo octave chosen by which pulse the onsets support.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

SR = 22050
HOP = 256


@dataclass(frozen=True)
class MusicAnalysis:
    duration_s: float
    tempo_bpm: float  # median tempo
    beats_s: list[float]
    downbeats_s: list[float]  # empty when the meter is not clear
    meter: int | None
    intensity: list[float]  # RMS on the grid, 0..1
    grid_s: float

    def to_dict(self) -> dict:
        return asdict(self)


def _grid_stats(env: np.ndarray, beats_frames: np.ndarray) -> tuple[float, float]:
    """(contrast, balance): onsets on the beats vs halfway between them, and how even the
    beats are (a grid twice too fine alternates main hits with faint subdivisions)."""
    if len(beats_frames) < 4:
        return 0.0, 0.0
    on = env[np.clip(beats_frames, 0, len(env) - 1)]
    mids = ((beats_frames[:-1] + beats_frames[1:]) // 2).astype(int)
    off = env[np.clip(mids, 0, len(env) - 1)]
    even, odd = float(np.mean(on[::2])), float(np.mean(on[1::2]))
    return float(np.mean(on) / (np.mean(off) + 1e-9)), min(even, odd) / (max(even, odd) + 1e-9)


def analyze_samples(y: np.ndarray, sr: int = SR, grid_s: float = 2.0) -> MusicAnalysis:
    import librosa

    y = np.asarray(y, dtype=np.float32)
    duration = len(y) / sr
    env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=HOP, aggregate=np.median)
    fps = sr / HOP
    tempo = np.asarray(librosa.feature.tempo(onset_envelope=env, sr=sr, hop_length=HOP, aggregate=None,
                                             ac_size=8.0), dtype=float)
    # Smooth the frame-wise tempo so the tracker follows real changes, not jitter.
    k = max(1, int(4 * fps))
    tempo = np.convolve(np.pad(tempo, (k, k), mode="edge"), np.ones(2 * k + 1) / (2 * k + 1), mode="same")[k:-k]
    def track(factor: float) -> np.ndarray:
        _, frames = librosa.beat.beat_track(onset_envelope=env, sr=sr, hop_length=HOP, bpm=tempo * factor,
                                            tightness=400)
        return np.asarray(frames, dtype=int)

    # Tempo octave, judged on the body of the groove (onsets below 2 kHz: kick and snare, not
    # hi-hats): go up when kick/snare hits fall halfway between the beats (grid too slow), down
    # when every other beat has no body (grid too fast); otherwise trust the estimator.
    low_env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=HOP, fmax=2000, n_mels=64, aggregate=np.median)
    frames = track(1.0)
    _, balance = _grid_stats(low_env, frames)
    median = float(np.median(tempo))
    if balance < 0.4 and median / 2 >= 50:
        frames = track(0.5)
    elif median * 2 <= 200:
        up = track(2.0)
        if _grid_stats(low_env, up)[1] >= 0.4:
            frames = up
    best = (0.0, frames)
    beats = librosa.frames_to_time(best[1], sr=sr, hop_length=HOP)
    bpm = float(60.0 / np.median(np.diff(beats))) if len(beats) > 2 else float(np.median(tempo))
    downbeats, meter = _downbeats(y, sr, beats)
    n = int(np.ceil(duration / grid_s))
    rms = np.array([float(np.sqrt(np.mean(y[int(i * grid_s * sr) : int((i + 1) * grid_s * sr)] ** 2) + 1e-12))
                    for i in range(n)])
    intensity = (rms / (rms.max() + 1e-12)).round(4).tolist() if n else []
    return MusicAnalysis(round(duration, 3), round(bpm, 2), [round(b, 4) for b in beats],
                         [round(b, 4) for b in downbeats], meter, intensity, grid_s)


def _downbeats(y: np.ndarray, sr: int, beats: np.ndarray) -> tuple[list[float], int | None]:
    """Bar starts where the meter is clear: the beat phase with clearly more low-end accent."""
    if len(beats) < 12:
        return [], None
    from scipy import signal

    low = signal.sosfilt(signal.butter(4, 150, btype="low", fs=sr, output="sos"), y)
    win = int(0.08 * sr)
    accent = np.array([float(np.sqrt(np.mean(low[int(b * sr) : int(b * sr) + win] ** 2) + 1e-12)) for b in beats])
    best: tuple[float, int, int] | None = None
    for meter in (4, 3):
        phase_means = [accent[p::meter].mean() for p in range(meter)]
        order = np.argsort(phase_means)[::-1]
        contrast = phase_means[order[0]] / (np.mean([phase_means[i] for i in order[1:]]) + 1e-12)
        if best is None or contrast > best[0]:
            best = (contrast, meter, int(order[0]))
    assert best is not None
    contrast, meter, phase = best
    if contrast < 1.25:
        return [], None
    return beats[phase::meter].tolist(), meter


def analyze_music(path: str, grid_s: float = 2.0, *, ffmpeg: str | None = None,
                  progress: Callable[[float, float, str], None] | None = None) -> MusicAnalysis:
    from ..media import decode_audio

    report = progress or (lambda d, t, m: None)
    report(0, 3, "decoding")
    samples = decode_audio(path, SR, ffmpeg=ffmpeg)
    report(1, 3, f"tracking beats in {len(samples) / SR:.0f} s of music")
    result = analyze_samples(samples, SR, grid_s)
    report(3, 3, "done")
    return result


def snap_to_beats(cuts_s: list[float] | np.ndarray, beats_s: list[float] | np.ndarray, *, tolerance_s: float = 0.2,
                  min_segment_s: float = 0.0, max_segment_s: float = float("inf"), start_s: float = 0.0,
                  end_s: float | None = None, allowed: Callable[[int, float], bool] | None = None) -> list[float]:
    """Move each cut to the nearest beat within ±tolerance, unless that would make a segment
    (between neighbouring cuts, or the timeline's start/end) shorter than min_segment_s or longer
    than max_segment_s (when it was not already), or
    `allowed(index, new_time)` refuses it (the timeline: no moving onto missing footage)."""
    beats = np.sort(np.asarray(beats_s, dtype=float))
    cuts = [float(c) for c in cuts_s]
    if beats.size == 0:
        return cuts
    out: list[float] = []
    for k, c in enumerate(cuts):
        i = int(np.searchsorted(beats, c))
        cands = [beats[j] for j in (i - 1, i) if 0 <= j < len(beats)]
        b = min(cands, key=lambda x: abs(x - c))
        prev = out[-1] if out else start_s
        nxt = cuts[k + 1] if k + 1 < len(cuts) else (end_s if end_s is not None else float("inf"))
        # each neighbour on its own: it may not grow past the maximum (one already past may shrink)
        longer = (b - prev > max_segment_s + 1e-9 and b > c) or (nxt - b > max_segment_s + 1e-9 and b < c)
        if abs(b - c) <= tolerance_s and b - prev >= min_segment_s - 1e-9 and nxt - b >= min_segment_s - 1e-9 \
                and not longer and (allowed is None or allowed(k, float(b))):
            out.append(float(b))
        else:
            out.append(c)
    return out
