"""What microphones in a room record, with the truth known: the material for sync's tests and
benchmark (bench/bench_sync.py). Pure numpy/scipy; nothing here is used by sync itself.

An event sound (crowd, speech-like syllables, claps) plays once; each device hears it through
its own room (direct path at delay 0, early reflections, an exponential tail with a given RT60
and direct-to-reverberant ratio), its own EQ and noise, at its own sample rate and clock: the
device's sample at its own time t is the event's sound at `offset_s + t * (1 + drift_ppm * 1e-6)`.
"""

from __future__ import annotations

import numpy as np
from scipy import signal


def event_sound(seconds: float, *, rate_hz: int, seed: int) -> np.ndarray:
    """A live event's sound: crowd noise that swells, speech-like syllables (a voiced harmonic
    buzz through moving formants, 3-6 per second, in phrases), and now and then a clap.
    Made a minute at a time, so hours of it stay small in memory."""
    blocks = [_event_block(min(60.0, seconds - k * 60.0), rate_hz, seed * 1000 + k)
              for k in range(int(np.ceil(seconds / 60.0)))]
    return np.concatenate(blocks)[: int(seconds * rate_hz)]


def _event_block(seconds: float, rate_hz: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * rate_hz)
    t = np.arange(n) / rate_hz
    crowd = signal.sosfilt(signal.butter(4, [250, 3000], btype="band", fs=rate_hz, output="sos"),
                           rng.standard_normal(n))
    knots = int(seconds / 3) + 2
    swell = np.interp(t, np.linspace(0, seconds, knots), rng.uniform(0.05, 0.6, knots))
    out = 0.25 * crowd * swell
    # Syllables: a glottal pulse train at a drifting pitch, shaped by two formants that move
    # every 50 ms (filter state carried across, so the moves add no clicks).
    f0 = np.interp(t, np.linspace(0, seconds, knots * 4), rng.uniform(95, 230, knots * 4))
    pulses = (np.diff(np.floor(np.cumsum(f0 / rate_hz)), prepend=0.0) > 0).astype(np.float64)
    voice = np.zeros(n)
    hop = int(0.05 * rate_hz)
    for lo, hi, bw in ((300, 900, 90.0), (900, 2600, 160.0)):
        zi = np.zeros(2)
        for k in range(0, n, hop):
            f = rng.uniform(lo, hi)
            b, a = signal.iirpeak(f, f / bw, fs=rate_hz)
            y, zi = signal.lfilter(b, a, pulses[k:k + hop], zi=zi)
            voice[k:k + hop] += y
    envelope = np.zeros(n)
    pos = float(rng.uniform(0, 1.0))
    while pos < seconds:
        end = min(seconds, pos + rng.uniform(1.0, 4.0))
        s = pos
        while s < end:
            d = rng.uniform(0.08, 0.28)
            a0, b0 = int(s * rate_hz), min(n, int((s + d) * rate_hz))
            envelope[a0:b0] = np.sin(np.linspace(0, np.pi, b0 - a0)) ** 0.7 * rng.uniform(0.4, 1.0)
            s += d + rng.uniform(0.02, 0.12)
        pos = end + rng.uniform(0.3, 2.5)
    out += 0.6 * voice / (np.std(voice) + 1e-9) * envelope
    for c in rng.uniform(0, seconds, max(1, int(seconds / 3))):
        k = int(c * rate_hz)
        m = min(int(0.01 * rate_hz), n - k)
        out[k:k + m] += rng.standard_normal(m) * np.exp(-np.arange(m) / (0.002 * rate_hz)) * 0.8
    return (0.3 * out / (np.max(np.abs(out)) + 1e-9)).astype(np.float32)


def room_impulse(*, rate_hz: int, rt60_s: float, drr_db: float, seed: int,
                 first_reflection_s: float = 0.004) -> np.ndarray:
    """Direct path (1.0 at sample 0), a dozen early reflections from `first_reflection_s` on,
    and a diffuse tail decaying 60 dB in `rt60_s`, scaled so that direct / reverberant energy
    is `drr_db`. rt60_s == 0: the direct path only."""
    if rt60_s <= 0:
        return np.ones(1, np.float32)
    rng = np.random.default_rng(seed)
    m = int(rt60_s * rate_hz)
    k = np.arange(m)
    decay = np.exp(-6.908 * k / (rt60_s * rate_hz))
    onset = int(first_reflection_s * rate_hz)
    tail = rng.standard_normal(m) * decay
    tail[:onset] = 0
    ramp = np.clip((k - onset) / (0.02 * rate_hz), 0, 1)  # the diffuse field builds up over 20 ms
    tail *= ramp
    for _ in range(12):
        at = int(rng.uniform(first_reflection_s, 0.04) * rate_hz)
        tail[at] += rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.0) * 3 * decay[at]
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    tail[0] = 1.0
    return tail.astype(np.float32)


def record(event: np.ndarray, *, event_rate_hz: int, event_start_s: float, offset_s: float, drift_ppm: float,
           seconds: float, rate_hz: int, eq_band_hz: tuple[float, float] = (60.0, 12000.0),
           rt60_s: float = 0.0, drr_db: float = 0.0, snr_db: float = 40.0, gain: float = 1.0,
           seed: int = 0, block_s: float = 30.0) -> np.ndarray:
    """One device's recording at `rate_hz`: its first sample is event time `offset_s` (the
    event array starts at `event_start_s`), its clock runs `drift_ppm` fast, then room, EQ
    (zero phase, so timing stays the truth's), pinkish noise `snr_db` under the signal, gain.
    Made `block_s` at a time with margins, so long recordings stay small in memory."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate_hz)
    rir = room_impulse(rate_hz=rate_hz, rt60_s=rt60_s, drr_db=drr_db, seed=seed + 1)
    sos = signal.butter(2, [eq_band_hz[0], min(eq_band_hz[1], 0.45 * rate_hz)], btype="band", fs=rate_hz,
                        output="sos")
    pre, post = len(rir) + int(0.5 * rate_hz), int(0.5 * rate_hz)
    step = int(block_s * rate_hz)
    out = np.empty(n, np.float32)
    level = None
    for a in range(0, n, step):
        b = min(n, a + step)
        k = np.arange(max(0, a - pre), min(n, b + post))
        pos = (offset_s - event_start_s + k / rate_hz * (1 + drift_ppm * 1e-6)) * event_rate_hz
        if pos[0] < 0 or pos[-1] > len(event) - 1:
            raise ValueError("the recording runs outside the event sound; make the event longer")
        x = np.interp(pos, np.arange(len(event)), event)
        if rir.size > 1:
            x = signal.oaconvolve(x, rir)[: len(k)]
        x = signal.sosfiltfilt(sos, x)[a - k[0] : b - k[0]]
        if level is None:  # the noise floor is set once, from the first block's level
            level = float(np.mean(x**2)) + 1e-20
        pink = signal.lfilter([0.049922035, -0.095993537, 0.050612699, -0.004408786],
                              [1, -2.494956002, 2.017265875, -0.522189400], rng.standard_normal(b - a + 2000))[2000:]
        x = x + pink * np.sqrt(level / 10 ** (snr_db / 10) / (np.mean(pink**2) + 1e-20))
        out[a:b] = gain * x
    return out


def to_rate(x: np.ndarray, *, from_hz: int, to_hz: int) -> np.ndarray:
    """Polyphase resampling (what decoding a 44.1 kHz file to the sync rate does)."""
    if from_hz == to_hz:
        return np.asarray(x, np.float32)
    g = int(np.gcd(from_hz, to_hz))
    return signal.resample_poly(x, to_hz // g, from_hz // g).astype(np.float32)
