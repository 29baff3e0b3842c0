"""Audio sync: the real fixtures with known offsets, and multi-device cases built from
real-sounding material (gain, EQ, noise, reverb, sample rates, 20+ minutes of drift, partial
overlap, a chain, and a recording that overlaps nothing)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import signal

from anchor_core.cli import main as anchor
from anchor_core.media import decode_audio
from anchor_core.media.encode import encode_audio, write_wav
from anchor_core.sync import FINE_RATE, prepare, sync_files, sync_prepared
from tests.mediagen import make_clip

FIXTURE_CASES = [
    ("bbc-aof_timbl_1.mp3", "bbc-aof_timbl_2.mp3", 12.254, 0.010),
    ("bbc-aof_timbl_1.mp3", "bbc-aof_timbl_3.mp3", 12.231, 0.010),
    ("bbc-aof_timbl_2.mp3", "bbc-aof_timbl_1.mp3", -12.254, 0.010),
    ("syncstart_test_DERIVED_shifted.wav", "syncstart_test.wav", 2.3113832, 0.001),
]


@pytest.mark.parametrize(("ref", "other", "truth", "tol"), FIXTURE_CASES)
def test_fixture_offsets_within_the_readme_tolerance(fixtures_dir, ref, other, truth, tol):
    d = fixtures_dir / "sync"
    res = sync_files([str(d / ref), str(d / other)])
    assert res[0].reference and res[0].offset_s == 0
    assert res[1].status == "synced"
    assert abs(res[1].offset_s - truth) <= tol, res[1].offset_s
    assert res[1].confidence > 0.5


def _event_sound(seconds: float, rate: int, speech: np.ndarray, seed: int) -> np.ndarray:
    """Crowd ambience with swells plus commentary snippets (real speech, placed at random)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    crowd = signal.sosfilt(signal.butter(4, [250, 3000], btype="band", fs=rate, output="sos"),
                           rng.standard_normal(n)).astype(np.float32)
    swell = np.interp(np.arange(n), np.linspace(0, n, int(seconds / 4) + 2),
                      rng.uniform(0.1, 1.0, int(seconds / 4) + 2)).astype(np.float32)
    out = 0.3 * crowd * swell
    t = 0
    while t < n - rate:
        length = int(rng.uniform(0.5, 3.0) * rate)
        start = int(rng.integers(0, len(speech) - length))
        seg = speech[start : start + length] * rng.uniform(0.3, 1.0)
        out[t : t + length] += seg[: n - t]
        t += length + int(rng.uniform(0.2, 4.0) * rate)
    return out


def _device(event: np.ndarray, rate: int, t0: float, offset: float, drift_ppm: float, seconds: float, *,
            gain: float, band: tuple[float, float], snr_db: float, reverb_s: float, seed: int) -> np.ndarray:
    """What a device records: event at offset + t*(1+drift), EQ, room, noise, gain."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    pos = (offset + np.arange(n) / rate * (1 + drift_ppm * 1e-6) - t0) * rate
    x = np.interp(pos, np.arange(len(event)), event).astype(np.float32)
    x = signal.sosfiltfilt(signal.butter(2, band, btype="band", fs=rate, output="sos"), x).astype(np.float32)
    if reverb_s:
        m = int(reverb_s * rate)
        tail = rng.standard_normal(m) * np.exp(-np.arange(m) / (m / 5))
        tail[: int(0.012 * rate)] = 0
        tail *= np.sqrt(0.5 / np.sum(tail**2))
        tail[0] = 1.0
        x = signal.fftconvolve(x, tail)[:n].astype(np.float32)
    p = float(np.mean(x**2))
    x += rng.standard_normal(n).astype(np.float32) * np.sqrt(p / 10 ** (snr_db / 10))
    return gain * x


@pytest.fixture(scope="module")
def speech(fixtures_dir) -> np.ndarray:
    return decode_audio(fixtures_dir / "sync" / "bbc-aof_timbl_1.mp3", FINE_RATE)


def _error_ms(res, truth, seconds):
    return [abs((res.offset_s + t * (1 + res.drift_ppm * 1e-6)) - (truth[0] + t * (1 + truth[1] * 1e-6))) * 1000
            for t in (0.0, seconds)]


def test_multi_device_drift_partial_overlap_chain_and_a_stranger(speech):
    rate = FINE_RATE
    t0 = -20.0
    event = _event_sound(2190, rate, speech, seed=1)  # event time -20 s .. 2170 s
    devices = {  # name: (offset, drift ppm, seconds, gain, band, snr dB, reverb)
        "ref": (0.0, 0.0, 1260.0, 1.0, (80, 7000), 25, 0.0),
        "phone_fast": (30.25, 300.0, 1215.0, 0.3, (300, 3400), 8, 0.3),
        "early_slow": (-12.5, -50.0, 1230.0, 2.0, (150, 6000), 12, 0.0),
        "late_bridge": (1150.0, -180.0, 1000.0, 0.8, (100, 5000), 10, 0.2),
        "chain_only": (1500.0, 120.0, 600.0, 1.2, (200, 4000), 10, 0.0),  # overlaps only late_bridge
    }
    names = list(devices)
    # Device noise seeds differ from the event's, or the noise itself would be common content.
    prepared = [prepare(_device(event, rate, t0, o, d, s, gain=g, band=b, snr_db=snr, reverb_s=rv, seed=100 + i))
                for i, (o, d, s, g, b, snr, rv) in enumerate(devices.values())]
    stranger = prepare(_event_sound(600, rate, speech[::-1].copy(), seed=99))  # unrelated sound
    names.append("stranger")
    prepared.append(stranger)
    results = sync_prepared(names, prepared, [""] * len(names), 0)
    by = dict(zip(names, results, strict=True))
    for name, (o, d, s, *_rest) in devices.items():
        r = by[name]
        assert r.status == "synced", (name, r.reason)
        start, end = _error_ms(r, (o, d), s)
        assert start <= 5.0 and end <= 5.0, (name, start, end, r.offset_s, r.drift_ppm)
    assert "through another angle" in by["chain_only"].method
    assert by["stranger"].status == "unsynced" and by["stranger"].confidence == 0
    assert "overlap" in by["stranger"].reason


def _short_overlap_pair(speech, overlap_s: float, drift_ppm: float, seed: int) -> tuple:
    """A 40 s reference and a 40 s phone (EQ, room, noise) that starts 40 - overlap_s later."""
    rate = FINE_RATE
    event = _event_sound(100, rate, speech, seed=seed)
    ref = _device(event, rate, -5.0, 0.0, 0.0, 40.0, gain=1.0, band=(80, 7000), snr_db=25, reverb_s=0.0,
                  seed=100 + seed)
    offset = 40.0 - overlap_s
    x = _device(event, rate, -5.0, offset, drift_ppm, 40.0, gain=0.4, band=(250, 4000), snr_db=12, reverb_s=0.3,
                seed=200 + seed)
    return sync_prepared(["ref", "phone"], [prepare(ref), prepare(x)], ["", ""], 0)[1], offset


@pytest.mark.parametrize(("overlap_s", "drift_ppm", "seed"),
                         [(30.0, 400.0, 0), (30.0, -400.0, 1), (20.0, 400.0, 2), (40.0, 396.0, 3)])
def test_drift_on_a_30_s_overlap_within_2_ms_at_both_ends(speech, overlap_s, drift_ppm, seed):
    r, offset = _short_overlap_pair(speech, overlap_s, drift_ppm, seed)
    assert r.status == "synced", r.reason
    start, end = _error_ms(r, (offset, drift_ppm), overlap_s)  # the phone's time 0 .. end of the overlap
    assert start <= 2.0 and end <= 2.0, (start, end, r.offset_s, r.drift_ppm)
    assert r.drift_note == "" and r.drift_sigma_ppm is not None and r.drift_sigma_ppm < 30
    assert abs(r.drift_ppm - drift_ppm) <= 3 * r.drift_sigma_ppm + 5


def test_a_pair_without_drift_reports_none_and_a_short_overlap_says_it_cannot_tell(speech):
    r, offset = _short_overlap_pair(speech, 30.0, 0.0, seed=4)
    assert r.status == "synced" and r.drift_ppm == 0.0
    assert "drift not measurable" in r.drift_note and "within the noise" in r.drift_note
    assert r.drift_sigma_ppm is not None and r.drift_sigma_ppm < 30
    assert abs(r.offset_s - offset) <= 0.001
    r, offset = _short_overlap_pair(speech, 12.0, 0.0, seed=5)
    assert r.status == "synced" and r.drift_ppm == 0.0 and r.drift_sigma_ppm is None
    assert r.drift_note == "drift not measurable: the overlap is 12 s (drift needs 15 s)", r.drift_note
    assert abs(r.offset_s - offset) <= 0.001


def test_fit_drift_keeps_a_slope_only_when_the_windows_support_it():
    from anchor_core.sync import fit_drift

    rng = np.random.default_rng(0)
    t = np.linspace(2.0, 28.0, 6)
    noise = rng.normal(0, 1e-4, t.size)
    fit = fit_drift(t, 1.5 + 400e-6 * t + noise, np.full(t.size, 30.0), overlap_s=30.0)
    assert fit.note == "" and abs(fit.drift_ppm - 400) < 20 and fit.drift_sigma_ppm is not None
    assert abs(fit.drift_ppm - 400) < 4 * fit.drift_sigma_ppm
    flat = fit_drift(t, 1.5 + noise, np.full(t.size, 30.0), overlap_s=30.0)
    assert flat.drift_ppm == 0.0 and "within the noise" in flat.note and abs(flat.intercept_s - 1.5) < 1e-4
    outlier = fit_drift(t, 1.5 + 400e-6 * t + noise + np.r_[0, 0, 0.05, 0, 0, 0], np.full(t.size, 30.0),
                        overlap_s=30.0)
    assert not outlier.keep[2] and abs(outlier.drift_ppm - 400) < 20
    short = fit_drift(t[:3] / 3, 1.5 + noise[:3], np.full(3, 30.0), overlap_s=10.0)
    assert short.drift_ppm == 0.0 and short.drift_sigma_ppm is None and "overlap is 10 s" in short.note


def _mic_file(tmp_path, name, event_sr_audio, rate, offset, drift, seconds, ext, **kw):
    x = _device(event_sr_audio, 48000, -5.0, offset, drift, seconds, **kw)
    if rate != 48000:
        g = np.gcd(rate, 48000)
        x = signal.resample_poly(x, rate // g, 48000 // g).astype(np.float32)
    x = x / (np.max(np.abs(x)) + 1e-9) * 0.8
    wav = write_wav(tmp_path / f"{name}.wav", x, rate)
    if ext == "wav":
        return wav
    return encode_audio(wav, tmp_path / f"{name}.{ext}")


def test_files_at_32_44_and_48_khz_sync_within_5_ms(tmp_path, speech):
    event = signal.resample_poly(_event_sound(70, FINE_RATE, speech, seed=5), 3, 1).astype(np.float32)
    common = {"gain": 1.0, "snr_db": 12, "seed": 303}
    files = [
        _mic_file(tmp_path, "ref48", event, 48000, 0.0, 0.0, 60, "wav", band=(80, 15000), reverb_s=0, **common),
        _mic_file(tmp_path, "cam44", event, 44100, 4.321, 80.0, 50, "m4a", band=(200, 8000), reverb_s=0.25,
                  **common),
        _mic_file(tmp_path, "phone32", event, 32000, -3.5, -200.0, 45, "m4a", band=(300, 3400), reverb_s=0,
                  **common),
    ]
    res = sync_files([str(f) for f in files])
    for r, (o, d, s) in zip(res[1:], [(4.321, 80.0, 50), (-3.5, -200.0, 45)], strict=True):
        assert r.status == "synced", r.reason
        assert max(_error_ms(r, (o, d), s)) <= 5.0, (r.file, r.offset_s, r.drift_ppm)


def test_missing_audio_and_silence_are_unsynced_with_a_reason(tmp_path, fixtures_dir):
    silent = write_wav(tmp_path / "silent.wav", np.zeros(48000 * 10, np.float32), 48000)
    no_audio = make_clip(tmp_path / "mute.mp4", audio=False)
    ref = fixtures_dir / "sync" / "bbc-aof_timbl_1.mp3"
    res = sync_files([str(ref), str(silent), str(no_audio)])
    assert res[1].status == "unsynced" and "silent" in res[1].reason
    assert res[2].status == "unsynced" and "no audio track" in res[2].reason


def test_cli_sync_files_prints_the_json_contract(fixtures_dir, capsys):
    d = fixtures_dir / "sync"
    code = anchor(["-q", "sync", str(d / "bbc-aof_timbl_2.mp3"), str(d / "bbc-aof_timbl_1.mp3"), "--json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    keys = {"file", "offset_s", "drift_ppm", "drift_sigma_ppm", "confidence", "status", "reference"}
    assert set(rows[0]) == keys and set(rows[1]) - keys <= {"drift_note"}
    assert rows[0]["reference"] and not rows[1]["reference"]
    assert rows[1]["status"] == "synced" and abs(rows[1]["offset_s"] + 12.254) <= 0.01


def test_sync_event_stores_offsets_and_plot_data(demo_media, tmp_path):
    from anchor_core.sync import sync_event
    from tests.demo_event import demo_home

    media, truth = demo_media
    settings, cat, store, demo = demo_home(media, tmp_path / "home")
    pairs = dict(sync_event(cat, store, demo.event_id))
    for name, vid in demo.videos.items():
        a = truth["angles"][name]
        r = pairs[vid]
        assert r.status == "synced"
        assert max(_error_ms(r, (a["offset_s"], a["drift_ppm"]), a["duration_s"])) <= 5.0, name
    rows = cat.frame("SELECT v.id, v.sync_offset_s, v.is_reference, d.detail FROM videos v JOIN sync_details d"
                     " ON d.video_id = v.id")
    assert rows.height == 3 and rows["is_reference"].sum() == 1
    detail = json.loads(rows.filter(~rows["is_reference"])["detail"][0])
    assert detail["lags_s"] and detail["corr"] and detail["window_t_s"]
    cat.close()


# --- Hard rooms: the direct sound, not the room's loudest echo ---------------------------------

def test_a_far_phone_in_a_wet_room_syncs_on_the_direct_sound_within_5_ms():
    """RT60 0.7 s, direct-to-reverberant -22 dB, phone EQ, 10 dB SNR, 44.1 vs 48 kHz (the
    material of bench/bench_sync.py): the strongest correlation is an echo 30-50 ms late."""
    from anchor_core.sync import align_pair
    from anchor_core.sync.simulate import event_sound, record, to_rate

    event = event_sound(55.0, rate_hz=48000, seed=1)
    common = {"event_rate_hz": 48000, "event_start_s": -5.0}
    ref = record(event, offset_s=0.0, drift_ppm=0.0, seconds=40.0, rate_hz=48000, eq_band_hz=(60, 12000),
                 rt60_s=0.7, drr_db=10.0, snr_db=30.0, seed=11, **common)
    x = record(event, offset_s=-3.2, drift_ppm=0.0, seconds=40.0, rate_hz=44100, eq_band_hz=(300, 3400),
               rt60_s=0.7, drr_db=-22.0, snr_db=10.0, seed=21, **common)
    pr = prepare(to_rate(ref, from_hz=48000, to_hz=FINE_RATE))
    px = prepare(to_rate(x, from_hz=44100, to_hz=FINE_RATE))
    r = align_pair(pr, px)
    assert r.status == "synced", r.reason
    assert r.drift_ppm == 0.0  # none in the data, none reported
    assert max(_error_ms(r, (-3.2, 0.0), 40.0)) <= 5.0, (r.offset_s, r.detail.get("direct_path_moved_ms"))
    assert r.detail["direct_path_moved_ms"] > 10.0  # it moved off the echo...
    echo = align_pair(pr, px, direct_path=False)
    assert abs(echo.offset_s + 3.2) > 0.010  # ...which is where the strongest peak alone lands


def test_direct_path_is_the_quiet_edge_of_a_one_sided_cluster_and_symmetric_sidelobes_move_nothing():
    from anchor_core.sync.correlate import direct_path

    rng = np.random.default_rng(2)
    rate = FINE_RATE
    n = int(0.3 * rate)
    mid = n // 2
    corr = rng.normal(0, 0.01, n)
    corr[mid] += 0.5  # the direct sound
    tail = np.arange(int(0.08 * rate))
    echoes = 0.25 * np.exp(-tail / (0.03 * rate)) * rng.standard_normal(tail.size)
    corr[mid - int(0.003 * rate) - tail] += np.clip(echoes, -0.9, 0.9)  # the room: on one side, from 3 ms on
    corr[mid - int(0.03 * rate)] = 1.0  # the strongest: an echo 30 ms off
    top = int(np.argmax(corr))
    assert direct_path(corr, top, rate_hz=rate) == (mid, 0)
    assert direct_path(corr[::-1].copy(), n - 1 - top, rate_hz=rate) == (n - 1 - mid, 0)  # the other recording wetter
    sym = rng.normal(0, 0.01, n)
    for k, h in ((0, 1.0), (80, 0.7), (160, 0.5)):  # pitch sidelobes either side of a dry peak
        sym[mid - k] += h
        sym[mid + k] += h
    assert direct_path(sym, int(np.argmax(sym)), rate_hz=rate)[0] == mid
