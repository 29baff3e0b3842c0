"""The event's sound, built from sources (crowd, whistles, announcer, ambience) in event time,
and what each camera's microphone makes of it: its own mix, clock, rate, EQ, noise and room.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from .timeline_truth import MatchScript

SR = 48000


@dataclass(frozen=True)
class Sources:
    t0: float  # event time of sample 0
    crowd: np.ndarray
    whistle: np.ndarray
    speech: np.ndarray
    ambience: np.ndarray


@dataclass(frozen=True)
class Mic:
    sample_rate: int
    gains: tuple[float, float, float, float]  # crowd, whistle, speech, ambience
    highpass_hz: float
    lowpass_hz: float
    noise_db: float
    reverb_s: float
    gain: float


def _band(x: np.ndarray, lo: float, hi: float, sr: int = SR, order: int = 4) -> np.ndarray:
    sos = signal.butter(order, [lo, hi], btype="band", fs=sr, output="sos")
    return signal.sosfilt(sos, x).astype(np.float32)


def synth_sources(script: MatchScript, t_start: float, t_end: float) -> Sources:
    rng = np.random.default_rng(script.seed + 100)
    n = int(round((t_end - t_start) * SR))
    t = t_start + np.arange(n) / SR
    ex = script.excitement(t).astype(np.float32)
    # Crowd: many voices = band-limited noise with a syllabic flutter, swelling with the play.
    noise = _band(rng.standard_normal(n).astype(np.float32), 250, 3500)
    flutter = 1.0 + 0.35 * _band(rng.standard_normal(n).astype(np.float32), 2, 9, order=2) * 8
    env = signal.sosfiltfilt(signal.butter(2, 0.8, fs=SR, output="sos"), ex).astype(np.float32)
    crowd = noise * flutter * (0.05 + 0.9 * np.clip(env, 0, 1) ** 1.4)
    crowd /= np.max(np.abs(crowd)) + 1e-9
    ambience = _band(rng.standard_normal(n).astype(np.float32), 80, 1200) * 0.3
    ambience += _band(rng.standard_normal(n).astype(np.float32), 1200, 6000) * 0.05
    ambience /= np.max(np.abs(ambience)) + 1e-9
    whistle = np.zeros(n, np.float32)
    for w0, dur in zip(script.whistles, script.whistle_len_s, strict=True):
        i0 = int(round((w0 - t_start) * SR))
        m = int(dur * SR)
        if i0 < 0 or i0 + m > n:
            continue
        tt = np.arange(m) / SR
        f = 3150 + 180 * np.sin(2 * np.pi * 27 * tt)  # the pea trills the pitch
        ph = 2 * np.pi * np.cumsum(f) / SR
        tone = np.sin(ph) + 0.25 * np.sin(2 * ph)
        a = np.minimum(1.0, np.minimum(tt / 0.015, (dur - tt) / 0.04))
        whistle[i0 : i0 + m] = (tone * np.clip(a, 0, 1)).astype(np.float32) * 0.8
    speech = np.zeros(n, np.float32)
    for s0, s1 in script.speech:
        seg = synth_speech(s1 - s0, rng)
        i0 = int(round((s0 - t_start) * SR))
        speech[i0 : i0 + len(seg)] += seg[: max(0, n - i0)]
    return Sources(t_start, crowd, whistle, speech, ambience)


_VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480), (570, 840, 2410))


def synth_speech(duration_s: float, rng: np.random.Generator) -> np.ndarray:
    """An announcer-like voice: a glottal pulse train through moving formants, 4-5 syllables
    a second in words and phrases, with fricative bursts. Not intelligible, but it has the
    spectral and rhythmic signature that speech detectors look for."""
    n = int(duration_s * SR)
    out = np.zeros(n, np.float32)
    pos = 0
    while pos < n - SR // 4:
        for _ in range(int(rng.integers(2, 5))):  # a word
            syl = int(rng.uniform(0.15, 0.26) * SR)
            if pos + syl >= n:
                break
            tt = np.arange(syl) / SR
            f0 = rng.uniform(105, 150) * (1 + 0.08 * np.sin(2 * np.pi * 3 * tt))
            ph = np.cumsum(f0) / SR
            src = (2 * (ph % 1.0) - 1.0) ** 3  # bright, pulse-like source
            v = _VOWELS[int(rng.integers(0, len(_VOWELS)))]
            voiced = np.zeros(syl)
            for k, fc in enumerate(v):
                b, a = signal.iirpeak(fc, Q=fc / (60 + 40 * k), fs=SR)
                voiced += signal.lfilter(b, a, src) / (k + 1)
            env = np.sin(np.pi * np.clip(tt / (syl / SR), 0, 1)) ** 0.7
            seg = voiced * env
            if rng.random() < 0.5:  # a fricative onset
                m = int(0.05 * SR)
                fr = signal.lfilter(*signal.butter(4, 3500, btype="high", fs=SR), rng.standard_normal(m))
                seg[:m] += 0.15 * fr * np.linspace(1, 0, m)
            out[pos : pos + syl] += seg.astype(np.float32)
            pos += syl + int(rng.uniform(0.01, 0.05) * SR)
        pos += int(rng.uniform(0.12, 0.45) * SR)  # between words / breaths
    peak = np.max(np.abs(out)) + 1e-9
    return (out / peak * 0.9).astype(np.float32)


def mic_recording(src: Sources, mic: Mic, offset_s: float, drift_ppm: float, duration_s: float,
                  rng: np.random.Generator) -> np.ndarray:
    """What one device records: the sample at its own time t is the event at
    offset_s + t*(1 + drift_ppm*1e-6)."""
    g = mic.gains
    mix = g[0] * src.crowd + g[1] * src.whistle + g[2] * src.speech + g[3] * 0.2 * src.ambience
    if mic.reverb_s > 0:
        # A room: the direct sound first, then (after a 12 ms gap) a diffuse tail decaying over
        # reverb_s with about half the direct energy. The direct path defines the true timing.
        m = int(mic.reverb_s * SR)
        gap = int(0.012 * SR)
        tail = rng.standard_normal(m) * np.exp(-np.arange(m) / (m / 5))
        tail[:gap] = 0.0
        tail *= np.sqrt(0.5 / np.sum(tail**2))
        ir = tail
        ir[0] = 1.0
        mix = signal.fftconvolve(mix, ir)[: len(mix)].astype(np.float32)
    if mic.sample_rate != SR:
        from math import gcd

        k = gcd(mic.sample_rate, SR)
        mix = signal.resample_poly(mix, mic.sample_rate // k, SR // k).astype(np.float32)
    sr = mic.sample_rate
    n = int(round(duration_s * sr))
    own_t = np.arange(n) / sr
    event_t = offset_s + own_t * (1.0 + drift_ppm * 1e-6)
    pos = (event_t - src.t0) * sr
    if pos[0] < 0 or pos[-1] > len(mix) - 1:
        raise ValueError("the soundtrack does not cover this recording")
    rec = np.interp(pos, np.arange(len(mix)), mix).astype(np.float32)
    sos = signal.butter(2, [mic.highpass_hz, min(mic.lowpass_hz, 0.45 * sr)], btype="band", fs=sr, output="sos")
    rec = signal.sosfilt(sos, rec).astype(np.float32)
    rec += (10 ** (mic.noise_db / 20) * rng.standard_normal(n)).astype(np.float32)
    rec *= mic.gain / (np.max(np.abs(rec)) + 1e-9)
    return rec


def synth_music(bpm: float, duration_s: float, seed: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 4/4 drum-and-bass loop at a known tempo: (samples at SR, beat times, downbeat times)."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * SR)
    out = np.zeros(n, np.float32)
    beat = 60.0 / bpm
    beats = np.arange(0.0, duration_s - 0.5, beat)
    downbeats = beats[::4]

    def add(t0: float, x: np.ndarray) -> None:
        i = int(round(t0 * SR))
        j = min(n, i + len(x))
        if i < n:
            out[i:j] += x[: j - i]

    kt = np.arange(int(0.35 * SR)) / SR
    kick = np.sin(2 * np.pi * np.cumsum(50 + 110 * np.exp(-kt * 25)) / SR) * np.exp(-kt * 9)
    st = np.arange(int(0.2 * SR)) / SR
    snare = (rng.standard_normal(len(st)) * 0.6 + np.sin(2 * np.pi * 190 * st)) * np.exp(-st * 22)
    ht = np.arange(int(0.05 * SR)) / SR
    hat = signal.lfilter(*signal.butter(4, 7000, btype="high", fs=SR), rng.standard_normal(len(ht))) * np.exp(-ht * 80)
    roots = (55.0, 55.0, 65.41, 49.0)
    for i, b in enumerate(beats):
        pos = i % 4
        if pos in (0, 2):
            add(b, 0.9 * kick)
        else:
            add(b, 0.5 * snare)
        add(b, 0.18 * hat)
        add(b + beat / 2, 0.12 * hat)
        bar = (i // 4) % 4
        bt = np.arange(int(beat * 0.9 * SR)) / SR
        bass = np.sign(np.sin(2 * np.pi * roots[bar] * bt)) * np.exp(-bt * 3) * 0.12
        add(b, bass)
    out /= np.max(np.abs(out)) + 1e-9
    return out * 0.8, beats, downbeats
