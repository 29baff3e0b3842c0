"""Generated music with exact beats, downbeats and meter, made at test time (no files).

`track` is the plain drum loop (kick on 1 and 3, snare on 2 and 4, hi-hats on eighths, optional
swing and tempo change). `piece(style)` plays one of eight styles with a small synthesiser (kick,
snare, hats, a plucked bass, a piano-like chord voice) and human timing (per-player offsets and
jitter): waltz (3/4 oom-pah-pah), swing (2:1 ride, walking bass), rock (backbeat, eighth-note
guitar), pop (syncopated kick, pushed chords), country (two-beat, boom-chick), electronic
(four-on-the-floor with a breakdown), tempo_change (96 then 128 BPM), rubato (solo chords,
tempo wandering ±8 %). `fmeasure` is mir_eval's beat F-measure (±70 ms, first 5 s ignored)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from anchor_core.music.analysis import SR

STYLES = ("waltz", "swing", "rock", "pop", "country", "electronic", "tempo_change", "rubato")


def track(bpms: tuple[float, ...], seconds: float, swing: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    y = np.zeros(n, np.float32)
    kick, snare, hat = _kick(), _snare(rng), _hat(rng)

    def add(t: float, x: np.ndarray) -> None:
        i = int(t * SR)
        j = min(n, i + len(x))
        if i < n:
            y[i:j] += x[: j - i]

    beats = []
    t, k = 0.0, 0
    part = seconds / len(bpms)
    while t < seconds - 0.5:
        period = 60.0 / bpms[min(int(t // part), len(bpms) - 1)]
        beats.append(t)
        add(t, kick if k % 2 == 0 else snare)
        add(t, hat)
        add(t + period * (0.5 + swing), hat * 0.7)
        t += period
        k += 1
    y += rng.standard_normal(n).astype(np.float32) * 0.01
    return y, np.array(beats)


def fmeasure(est: list[float] | np.ndarray, ref: list[float] | np.ndarray, window: float = 0.07) -> float:
    """mir_eval's beat F-measure (beats before 5 s are ignored, as mir_eval.beat.trim_beats does)."""
    import mir_eval

    e = mir_eval.beat.trim_beats(np.asarray(est, dtype=float))
    r = mir_eval.beat.trim_beats(np.asarray(ref, dtype=float))
    if not len(r) or not len(e):
        return 0.0
    return float(mir_eval.beat.f_measure(r, e, f_measure_threshold=window))


# ---------------------------------------------------------------- voices

def _kick() -> np.ndarray:
    t = np.arange(int(0.25 * SR)) / SR
    return (np.sin(2 * np.pi * np.cumsum(50 + 100 * np.exp(-t * 30)) / SR) * np.exp(-t * 12)).astype(np.float32)


def _snare(rng: np.random.Generator, bright: float = 1.0) -> np.ndarray:
    t = np.arange(int(0.15 * SR)) / SR
    noise = signal.lfilter(*signal.butter(2, 1500, btype="high", fs=SR), rng.standard_normal(len(t)))
    return ((noise * 0.6 * bright + np.sin(2 * np.pi * 190 * t) * 0.5) * np.exp(-t * 25) * 0.6).astype(np.float32)


def _hat(rng: np.random.Generator, decay: float = 150.0) -> np.ndarray:
    n = int(0.03 * SR * 150 / decay)
    h = signal.lfilter(*signal.butter(4, 7000, btype="high", fs=SR), rng.standard_normal(n))
    return (h * np.exp(-np.arange(n) / SR * decay) * 0.3).astype(np.float32)


def _pluck(freq: float, dur: float, bright: float = 3.0) -> np.ndarray:
    t = np.arange(int(max(0.05, dur) * SR)) / SR
    tone = sum(np.sin(2 * np.pi * freq * h * t) / h ** (4.0 / bright) for h in range(1, 6))
    env = np.exp(-t * 3.0) * np.minimum(1.0, t * 400)
    env[-int(0.02 * SR):] *= np.linspace(1, 0, int(0.02 * SR))
    return (tone * env).astype(np.float32)


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


CHORDS = {"C": (48, 52, 55), "F": (53, 57, 60), "G": (55, 59, 62), "Am": (57, 60, 64), "Dm": (50, 53, 57),
          "E": (52, 56, 59), "D": (50, 54, 57), "Bm": (47, 50, 54), "A": (45, 49, 52)}


@dataclass
class _Score:
    beat_times: np.ndarray  # one per beat, plus the end
    meter: int
    seconds: float
    rng: np.random.Generator
    y: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.y = np.zeros(int(self.seconds * SR) + SR, np.float32)

    @property
    def n_beats(self) -> int:
        return len(self.beat_times) - 1

    def t(self, pos: float) -> float:
        i = int(np.clip(np.floor(pos), 0, self.n_beats - 1))
        return float(self.beat_times[i] + (pos - i) * (self.beat_times[i + 1] - self.beat_times[i]))

    def add(self, pos: float, x: np.ndarray, gain: float, jitter: float = 0.008, late: float = 0.0) -> None:
        if not 0 <= pos < self.n_beats:
            return
        i = int((self.t(pos) + late + self.rng.normal(0, jitter)) * SR)
        i = max(0, i)
        if i >= len(self.y):
            return
        j = min(len(self.y), i + len(x))
        self.y[i:j] += x[: j - i] * gain * float(1 + self.rng.normal(0, 0.08))

    def chord(self, pos: float, name: str, dur_beats: float, gain: float, shift: int = 12, **kw: float) -> None:
        d = self.t(min(pos + dur_beats, self.n_beats - 1e-6)) - self.t(pos)
        for m in CHORDS[name]:
            self.add(pos, _pluck(_hz(m + shift), d), gain / 3, **kw)

    def bass(self, pos: float, name: str, dur_beats: float, gain: float, fifth: bool = False, **kw: float) -> None:
        d = self.t(min(pos + dur_beats, self.n_beats - 1e-6)) - self.t(pos)
        root = CHORDS[name][0] - 12 + (7 if fifth else 0)
        self.add(pos, _pluck(_hz(root), d, bright=1.5), gain, **kw)

    def result(self) -> tuple[np.ndarray, dict]:
        y = self.y[: int(self.seconds * SR)]
        y = y + self.rng.standard_normal(len(y)).astype(np.float32) * 0.003
        y = y / (np.abs(y).max() + 1e-9) * 0.8
        beats = [float(b) for b in self.beat_times[:-1] if b < self.seconds - 0.2]
        return y.astype(np.float32), {"beats": beats, "downbeats": beats[:: self.meter], "meter": self.meter,
                                      "tempo_bpm": 60.0 / float(np.median(np.diff(beats)))}


def _grid(bpm: float, seconds: float, start: float = 0.3) -> np.ndarray:
    return start + np.arange(int((seconds - start) * bpm / 60.0) + 2) * 60.0 / bpm


def piece(style: str, seconds: float = 24.0, seed: int = 0) -> tuple[np.ndarray, dict]:
    """(samples at SR, truth: beats, downbeats, meter, tempo_bpm) for one of STYLES."""
    rng = np.random.default_rng(seed)
    kick, snare, hat, ride = _kick(), _snare(rng), _hat(rng), _hat(rng, decay=25.0)
    if style == "waltz":
        s = _Score(_grid(84, seconds), 3, seconds, rng)
        prog = ["C", "C", "G", "G", "F", "F", "G", "C"]
        for bar in range(s.n_beats // 3):
            c, b = prog[bar % 8], bar * 3
            s.bass(b, c, 1.0, 0.9, fifth=bar % 2 == 1)
            s.chord(b + 1, c, 0.8, 0.5)
            s.chord(b + 2, c, 0.8, 0.45)
            s.add(b, kick, 0.3)
    elif style == "swing":
        s = _Score(_grid(150, seconds), 4, seconds, rng)
        prog = ["Dm", "G", "C", "C", "Am", "D", "Dm", "G"]
        for bar in range(s.n_beats // 4):
            c, b = prog[bar % 8], bar * 4
            for k in range(4):
                s.add(b + k, ride, 0.5 if k % 2 else 0.4)
                s.bass(b + k, c, 0.9, 0.8, fifth=k % 2 == 1, late=-0.004)
                if k % 2:
                    s.add(b + k + 2 / 3, ride, 0.35)
                    s.add(b + k, hat, 0.6)
            s.chord(b, c, 0.5, 0.35)
            s.chord(b + 1 + 2 / 3, c, 0.6, 0.4)
    elif style in ("rock", "tempo_change"):
        if style == "rock":
            s = _Score(_grid(100, seconds), 4, seconds, rng)
        else:
            first = 0.3 + np.arange(24) * 60.0 / 96
            t2 = first[-1] + 60.0 / 96
            s = _Score(np.concatenate([first, t2 + np.arange(int((seconds - t2) * 128 / 60) + 2) * 60.0 / 128]), 4,
                       seconds, rng)
        prog = ["E", "E", "C", "D"] if style == "rock" else ["D", "A", "Bm", "G"]
        for bar in range(s.n_beats // 4):
            c, b = prog[bar % 4], bar * 4
            for k in range(8):
                s.add(b + k / 2, hat, 0.5 if k % 2 == 0 else 0.35, jitter=0.005)
                s.bass(b + k / 2, c, 0.45, 0.5)
                s.chord(b + k / 2, c, 0.45, 0.35 if k % 2 else 0.45, shift=0)
            for pos, x, g in ((0, kick, 1.0), (2, kick, 0.95), (2.5, kick, 0.7), (1, snare, 1.0), (3, snare, 1.0)):
                s.add(b + pos, x, g, jitter=0.006)
    elif style == "pop":
        s = _Score(_grid(112, seconds), 4, seconds, rng)
        prog = ["C", "G", "Am", "F"]
        for bar in range(s.n_beats // 4):
            c, nxt, b = prog[bar % 4], prog[(bar + 1) % 4], bar * 4
            for k in range(16):
                s.add(b + k / 4, hat, 0.25 if k % 2 else 0.35, jitter=0.004)
            for pos, x, g in ((0, kick, 1.0), (1.5, kick, 0.8), (2, kick, 0.9), (1, snare, 1.0), (3, snare, 1.0)):
                s.add(b + pos, x, g, jitter=0.006)
            s.bass(b, c, 0.7, 0.8)
            s.bass(b + 1.5, c, 0.4, 0.6)
            s.bass(b + 2.5, c, 0.4, 0.6, fifth=True)
            s.bass(b + 3.5, nxt, 0.5, 0.7)
            s.chord(b + 0.5, c, 0.4, 0.4)
            s.chord(b + 2, c, 0.4, 0.4)
            s.chord(b + 3.5, nxt, 0.9, 0.5)
    elif style == "country":
        s = _Score(_grid(118, seconds), 4, seconds, rng)
        prog = ["G", "G", "C", "G", "D", "D", "G", "G"]
        stick = _snare(rng, bright=0.5)
        for bar in range(s.n_beats // 4):
            c, b = prog[bar % 8], bar * 4
            s.bass(b, c, 0.9, 1.0)
            s.bass(b + 2, c, 0.9, 0.9, fifth=True)
            s.add(b, kick, 0.5)
            s.add(b + 2, kick, 0.45)
            for k in (1, 3):
                s.add(b + k, stick, 0.7)
                s.chord(b + k, c, 0.4, 0.6)
    elif style == "electronic":
        s = _Score(_grid(126, seconds), 4, seconds, rng)
        prog = ["Am", "Am", "F", "G"]
        clap = _snare(rng, bright=1.5)
        open_hat = _hat(rng, decay=40.0)
        for bar in range(s.n_beats // 4):
            c, b = prog[bar % 4], bar * 4
            for k in range(16):
                s.add(b + k / 4, _pluck(_hz(CHORDS[c][k % 3] + 24), 0.1), 0.15, jitter=0.001)
            if 6 <= bar < 8:
                continue  # breakdown: only the arpeggio
            for k in range(4):
                s.add(b + k, kick, 1.0, jitter=0.001)
                s.add(b + k + 0.5, open_hat, 0.4, jitter=0.001)
                s.bass(b + k + 0.5, c, 0.4, 0.6, jitter=0.001)
            s.add(b + 1, clap, 0.6, jitter=0.001)
            s.add(b + 3, clap, 0.6, jitter=0.001)
    elif style == "rubato":
        n = int(seconds * 66 / 60 * 1.4) + 8
        curve = np.convolve(rng.standard_normal(n + 16), np.hanning(9), mode="same")[8:-8]
        period = 60.0 / 66 * (1 + curve / (np.abs(curve).max() + 1e-9) * 0.08)
        for i in range(n):
            if i % 16 >= 13:
                period[i] *= 1 + 0.06 * (i % 16 - 12)
        s = _Score(0.4 + np.concatenate([[0.0], np.cumsum(period)]), 4, seconds, rng)
        prog = ["F", "Dm", "C", "C", "F", "Am", "G", "C"]
        for bar in range(s.n_beats // 4):
            c, b = prog[bar % 8], bar * 4
            s.bass(b, c, 2.0, 0.5, jitter=0.03)
            s.chord(b, c, 2.0, 0.35, jitter=0.03)
            s.chord(b + 2, c, 2.0, 0.3, jitter=0.03)
    else:
        raise ValueError(f"unknown style {style!r}; have {', '.join(STYLES)}")
    return s.result()
