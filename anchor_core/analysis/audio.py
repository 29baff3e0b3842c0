"""Per-frame sound measures (32 ms hop) from a mono track: loudness, voicing, whistle tonality.

librosa-style plain functions over arrays. The track is framed in blocks so a three-hour
recording never becomes one giant spectrogram.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOP_S = 0.032


@dataclass(frozen=True)
class AudioSeries:
    times_s: np.ndarray  # frame centres
    level_db: np.ndarray  # 250-4000 Hz: crowd, voices, the event's broadband sound
    voice_db: np.ndarray  # 300-3400 Hz
    voicing: np.ndarray  # 0..1 periodicity at voice pitch (80-400 Hz) below 1 kHz
    whistle: np.ndarray  # 0..1 share of 2-4 kHz energy in one narrow band, times that band's dominance
    whistle_db: np.ndarray
    flatness: np.ndarray  # spectral flatness 250-4000 Hz (1 = noise, 0 = pure tones)
    total_db: np.ndarray
    clap_db: np.ndarray  # peak-to-median of 4 ms energies above 2 kHz: hands clapping, not a roar
    hf_db: np.ndarray  # level above 2 kHz
    stable: np.ndarray  # log-spectrum likeness to the frame 64 ms later (held notes, steady sounds)
    stable_white: np.ndarray  # the same after removing the recording's usual spectrum (held notes only)


def _db(x: np.ndarray) -> np.ndarray:
    return (10.0 * np.log10(np.maximum(x, 1e-12))).astype(np.float32)


def audio_frames(samples: np.ndarray, sr: int, *, block_frames: int = 2048) -> AudioSeries:
    hop = int(round(HOP_S * sr))
    n_fft = 1 << int(np.ceil(np.log2(0.064 * sr)))
    x = np.asarray(samples, dtype=np.float32)
    n = 0 if len(x) < n_fft else 1 + (len(x) - n_fft) // hop
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    win = np.hanning(n_fft).astype(np.float32)
    bands = {k: (freqs >= lo) & (freqs < hi) for k, (lo, hi) in
             {"level": (250, 4000), "voice": (300, 3400), "whistle": (2000, 4000), "total": (40, sr / 2)}.items()}
    low = freqs < 1000
    lag_lo, lag_hi = int(sr / 400), int(sr / 80)
    # Autocorrelation of the window itself, to undo the taper's bias (Boersma 1993).
    w_ac = np.fft.irfft(np.abs(np.fft.rfft(win, 2 * n_fft)) ** 2)[:n_fft]
    w_ac = w_ac / w_ac[0]
    sub = max(1, int(round(400 / (freqs[1] - freqs[0]))))  # a ~400 Hz band inside 2-4 kHz
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("level", "voice", "voicing", "whistle", "wdb", "flat",
                                                        "total", "stable", "white")}
    music_band = (freqs >= 100) & (freqs < 4000)
    for b0 in range(0, n, block_frames):
        m = min(block_frames, n - b0)
        idx = (b0 + np.arange(m))[:, None] * hop + np.arange(n_fft)[None, :]
        frames = x[idx] * win
        spec = np.fft.rfft(frames, axis=1)
        p = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
        out["level"].append(_db(p[:, bands["level"]].sum(axis=1) / n_fft))
        out["voice"].append(_db(p[:, bands["voice"]].sum(axis=1) / n_fft))
        out["total"].append(_db(p[:, bands["total"]].sum(axis=1) / n_fft))
        pl = p[:, bands["level"]] + 1e-12
        out["flat"].append((np.exp(np.log(pl).mean(axis=1)) / pl.mean(axis=1)).astype(np.float32))
        # voicing: normalised autocorrelation of the part below 1 kHz, best lag at voice pitch
        plow = np.where(low[None, :], p, 0.0)
        ac = np.fft.irfft(plow, axis=1)[:, : lag_hi + 1]
        r = ac[:, lag_lo:lag_hi + 1] / np.maximum(ac[:, :1], 1e-12) / w_ac[lag_lo:lag_hi + 1]
        out["voicing"].append(np.clip(r.max(axis=1), 0.0, 1.0).astype(np.float32))
        pw = p[:, bands["whistle"]]
        band_e = pw.sum(axis=1) + 1e-12
        cs = np.cumsum(np.pad(pw, ((0, 0), (1, 0))), axis=1)
        narrow = (cs[:, sub:] - cs[:, :-sub]).max(axis=1)
        dominance = band_e / (p[:, bands["level"]].sum(axis=1) + band_e + 1e-12) * 2.0
        out["whistle"].append((narrow / band_e * np.minimum(dominance, 1.0)).astype(np.float32))
        out["wdb"].append(_db(band_e / n_fft))
        logp = np.log(p[:, music_band] + 1e-10)
        out["stable"].append(_lag_similarity(logp))
        out["white"].append(_lag_similarity(logp - np.median(logp, axis=0, keepdims=True)))
    cat = {k: (np.concatenate(v) if v else np.zeros(0, np.float32)) for k, v in out.items()}
    times = (np.arange(n) * hop + n_fft / 2) / sr
    clap, hf = clap_frames(x, sr, n, hop, n_fft)
    return AudioSeries(times, cat["level"], cat["voice"], cat["voicing"], cat["whistle"], cat["wdb"],
                       cat["flat"], cat["total"], clap, hf, cat["stable"], cat["white"])


def _lag_similarity(logp: np.ndarray, lag: int = 2) -> np.ndarray:
    """Cosine likeness of each frame's (mean-removed) log spectrum to the one `lag` frames later
    (two hops: no overlap, so plain noise scores near its spectral colour only)."""
    x = logp - logp.mean(axis=1, keepdims=True)
    x = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)
    if len(x) <= lag:
        return np.zeros(len(x), np.float32)
    sim = np.einsum("ij,ij->i", x[:-lag], x[lag:])
    return np.concatenate([sim, np.repeat(sim[-1:], lag)]).astype(np.float32)


def clap_frames(x: np.ndarray, sr: int, n: int, hop: int, n_fft: int, *, sub_s: float = 0.004,
                chunk_s: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """Per analysis frame: how impulsive the sound above 2 kHz is (dB of the loudest 4 ms
    sub-block over the median one, within the frame's central hop) and its level. Claps are
    short broadband bursts; a roar, wind or a whistle is steady at this scale."""
    from scipy import signal

    if n == 0 or sr < 8000:
        return np.zeros(n, np.float32), np.full(n, -120.0, np.float32)
    sos = signal.butter(4, 2000, btype="highpass", fs=sr, output="sos")
    sub = max(1, int(round(sub_s * sr)))
    per = max(1, hop // sub)
    zi = np.zeros((sos.shape[0], 2))
    energies: list[np.ndarray] = []
    step = int(chunk_s * sr) // sub * sub
    for c0 in range(0, len(x), step):  # filtered in chunks with carried state: no whole-track copy
        y, zi = signal.sosfilt(sos, x[c0:c0 + step].astype(np.float64), zi=zi)
        m = len(y) // sub
        energies.append((y[: m * sub].reshape(m, sub) ** 2).mean(axis=1))
    e = np.concatenate(energies) if energies else np.zeros(0)
    start = (np.arange(n) * hop + (n_fft - hop) // 2) // sub
    idx = np.clip(start[:, None] + np.arange(per)[None, :], 0, max(len(e) - 1, 0))
    blocks = e[idx] if len(e) else np.zeros((n, per))
    med = np.median(blocks, axis=1)
    clap = 10 * np.log10(np.maximum(blocks.max(axis=1), 1e-14) / np.maximum(med, 1e-14))
    return clap.astype(np.float32), _db(blocks.mean(axis=1))


def runs(mask: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """(start, end) index pairs of True runs at least min_len long."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e - s >= min_len]


def detect_whistles(a: AudioSeries, *, min_s: float = 0.15, tonal: float = 0.45,
                    above_db: float = 10.0) -> list[tuple[float, float]]:
    """(start_s, end_s) of referee-whistle-like sounds: a loud narrow tone in 2-4 kHz."""
    if len(a.times_s) == 0:
        return []
    floor = float(np.percentile(a.whistle_db, 30))
    mask = (a.whistle >= tonal) & (a.whistle_db >= floor + above_db)
    # bridge one-frame gaps (the trill)
    mask = mask | (np.roll(mask, 1) & np.roll(mask, -1))
    half = HOP_S * 1.0
    return [(float(a.times_s[s] - half), float(a.times_s[e - 1] + half))
            for s, e in runs(mask, max(1, int(round(min_s / HOP_S))))]
