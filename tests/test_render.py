from __future__ import annotations

import json
import re
import subprocess

import numpy as np
import pytest

from anchor_core.media import decode_audio, ffmpeg_exe, iter_video_frames, probe, run_ffmpeg
from tests.conftest import RENDER_FMT as FMT
from tests.demo_event import AD_SLOTS, CHAPTERS, SEGMENTS, ZOOMS


@pytest.fixture(scope="module")
def rendered(rendered_demo):
    return rendered_demo


def _fit_rect(src_w, src_h, rect, out_w, out_h):
    """Where a rectangle of the source lands after fit-into-frame conform."""
    s = min(out_w / src_w, out_h / src_h)
    x0, y0 = (out_w - src_w * s) / 2, (out_h - src_h * s) / 2
    x1, y1, x2, y2 = rect
    return int(x0 + x1 * s + 1), int(y0 + y1 * s + 1), int(x0 + x2 * s - 1), int(y0 + y2 * s - 1)


def _marker_rect(a):
    s = max(12, a["height"] // 14)
    return (4, a["height"] - s - 4, 4 + s, a["height"] - 4)


def _flash_rect(a):
    s = max(12, a["height"] // 14)
    return (a["width"] - 2 * s - 4, 4, a["width"] - 4, 4 + s)


def _frames(path, start, dur):
    chunks = list(iter_video_frames(path, width=FMT.width, gray=False, start_s=start, duration_s=dur))
    return np.concatenate([c.times_s for c in chunks]), np.concatenate([c.frames for c in chunks])


def test_master_duration_equals_the_timeline_within_one_frame(rendered):
    info = probe(rendered["render"].path)
    want = rendered["truth"]["event_duration_s"] + rendered["shift"]  # from the earliest footage
    assert abs(info.duration_s - want) <= 1 / FMT.fps + 1e-3
    assert info.video is not None and (info.video.width, info.video.height) == (640, 360)
    assert info.video.frame_count == round(want * FMT.fps)
    assert rendered["render"].object_key == f"outputs/{rendered['demo'].event_id}/master.mp4"


def test_each_segment_shows_its_angle(rendered):
    truth, k = rendered["truth"], rendered["shift"]
    path = rendered["render"].path
    ad0, ad1 = AD_SLOTS[0][0], AD_SLOTS[0][0] + AD_SLOTS[0][1]
    for a, b, name in [(-k, 0.0, "crowd"), *SEGMENTS]:  # reference time; the crowd phone started first
        t = (a + b) / 2
        if ad0 - 1 <= t <= ad1 + 1 or any(z0 - 1 <= t <= z0 + d + 1 for z0, d, _ in ZOOMS):
            t = a + 2.0
        _, frames = _frames(path, t + k, 0.1)
        angle = truth["angles"][name]
        x1, y1, x2, y2 = _fit_rect(angle["width"], angle["height"], _marker_rect(angle), FMT.width, FMT.height)
        patch = frames[0][y1:y2, x1:x2].reshape(-1, 3).mean(axis=0)  # RGB
        want = np.array(angle["marker_bgr"][::-1], float)
        assert np.abs(patch - want).max() < 45, (name, t, patch, want)


def _whistle_onset(audio, sr):
    hop = 160
    n = len(audio) // hop
    spec = np.abs(np.fft.rfft(audio[: n * hop].reshape(n, hop) * np.hanning(hop), axis=1))
    f = np.fft.rfftfreq(hop, 1 / sr)
    band = spec[:, (f > 2800) & (f < 3500)].sum(axis=1)
    rest = spec[:, (f > 300) & (f < 2500)].sum(axis=1) + 1e-9
    on = np.flatnonzero(band / rest > 1.0)
    return on[0] * hop / sr if on.size else None


@pytest.mark.parametrize("whistle", [27.5, 60.5, 94.0, 112.0])
def test_whistle_and_flash_line_up_across_cuts(rendered, whistle):
    truth = rendered["truth"]
    path = rendered["render"].path
    name = next(n for a, b, n in SEGMENTS if a <= whistle < b)
    angle = truth["angles"][name]
    k = rendered["shift"]  # master time = reference time + k
    times, frames = _frames(path, whistle + k - 0.5, 1.0)
    times = times - k
    x1, y1, x2, y2 = _fit_rect(angle["width"], angle["height"], _flash_rect(angle), FMT.width, FMT.height)
    light = frames[:, y1:y2, x1:x2].mean(axis=(1, 2, 3))
    video_on = times[np.argmax(light > 150)]
    # The earliest the flash can be seen: the first source frame at or after the whistle.
    own = (whistle - angle["offset_s"]) / (1 + angle["drift_ppm"] * 1e-6)
    first_src = np.ceil(own * angle["fps"] - 1e-6) / angle["fps"]
    expected = angle["offset_s"] + first_src * (1 + angle["drift_ppm"] * 1e-6)
    assert abs(video_on - expected) <= 1 / FMT.fps + 1e-3, (name, video_on, expected)
    sr = 16000
    audio = decode_audio(path, sr, start_s=whistle + k - 0.5, duration_s=1.0)
    audio_on = _whistle_onset(audio, sr)
    assert audio_on is not None
    assert abs((whistle - 0.5 + audio_on) - whistle) <= 0.012
    assert abs((whistle - 0.5 + audio_on) - video_on) <= 1 / FMT.fps + 1 / angle["fps"]


def test_chapters_read_back_from_the_mp4(rendered):
    text = run_ffmpeg(["-i", rendered["render"].path], check=False).stderr.decode()
    starts = [float(m) for m in re.findall(r"Chapter #0:\d+: start ([\d.]+)", text)]
    titles = re.findall(r"title\s+: (.+)", text)
    assert starts == [c[0] + rendered["shift"] if c[0] else 0.0 for c in CHAPTERS]
    for _, title in CHAPTERS:
        assert title in titles


def test_integrated_loudness_is_within_one_lu_of_the_target_and_true_peak_under_minus_one(rendered):
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", rendered["render"].path, "-map", "0:a",
                           "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"], capture_output=True, text=True)
    integrated = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", proc.stderr)[-1])
    peak = float(re.findall(r"True peak:\s+Peak:\s+(-?[\d.]+) dBFS", proc.stderr)[-1])
    assert abs(integrated - FMT.loudness_lufs) <= 1.0
    assert peak <= -1.0  # streaming delivery: true peak at most -1 dBTP, as ffmpeg measures it
    # the render reports what it measured on its output, not its target
    reported = rendered["render"].result.loudness
    assert abs(float(reported["output_i"]) - integrated) <= 0.2 and abs(float(reported["true_peak_dbtp"]) - peak) <= 0.2


def test_event_audio_is_muted_during_the_ad(rendered):
    truth = rendered["truth"]
    start, dur, _ = AD_SLOTS[0]
    start += rendered["shift"]
    sr = 16000
    path = rendered["render"].path
    during = decode_audio(path, sr, start_s=start + 1.0, duration_s=dur - 2.0)
    before = decode_audio(path, sr, start_s=start - 6.0, duration_s=dur - 2.0)
    # Music alone remains during the ad: its level is far below the event+music before it, and
    # the crowd/commentary band (300-3000 Hz, where the music has little) drops the most.
    def band(x):
        s = np.abs(np.fft.rfft(x))
        f = np.fft.rfftfreq(len(x), 1 / sr)
        return s[(f > 1000) & (f < 3000)].mean()
    assert band(during) < 0.35 * band(before)
    assert truth["angles"]["wide"]["duration_s"] >= start - rendered["shift"] + dur


def test_ad_shows_the_product_clip_and_is_recorded(rendered):
    cat = rendered["cat"]
    ads = cat.frame("SELECT slot_idx, product_id, object_key, prompt FROM ads")
    assert ads.height == 1
    assert "Professional product showcase for" in ads["prompt"][0]
    start, dur, _ = AD_SLOTS[0]
    _, frames = _frames(rendered["render"].path, start + rendered["shift"] + dur / 2, 0.1)
    # No angle marker in the ad: the bottom-left is the product clip's fill, not a marker colour.
    corner = frames[0][-30:, :30].reshape(-1, 3).mean(axis=0)
    for a in rendered["truth"]["angles"].values():
        assert np.abs(corner - np.array(a["marker_bgr"][::-1])).max() > 40


def test_render_is_recorded_and_event_completed(rendered):
    cat = rendered["cat"]
    row = cat.frame("SELECT kind, status, meta FROM renders")
    assert row["kind"][0] == "master" and row["status"][0] == "done"
    assert json.loads(row["meta"][0])["audio_master"] == rendered["demo"].videos["wide"]
    status = cat.frame("SELECT status FROM events")["status"][0]
    assert status == "completed"


def test_ad_previews_reuse_the_rendered_clips_and_follow_a_product_change(rendered):
    from anchor_core.catalog import products as products_repo
    from anchor_core.render import preview_ads

    cat, store, demo, settings = rendered["cat"], rendered["store"], rendered["demo"], rendered["settings"]
    before = set(cat.frame("SELECT object_key FROM ads")["object_key"].to_list())
    assert preview_ads(cat, store, settings, demo.event_id, fmt=FMT) == 1
    assert set(cat.frame("SELECT object_key FROM ads")["object_key"].to_list()) == before  # same clip, reused
    chosen = [p.id for p in products_repo.event_products(cat, demo.event_id)]
    other = [p for p in demo.product_ids if p not in chosen[:1]][-1:]
    products_repo.select_for_event(cat, demo.event_id, other)
    try:
        assert preview_ads(cat, store, settings, demo.event_id, fmt=FMT) == 1
        new = set(cat.frame("SELECT object_key FROM ads")["object_key"].to_list()) - before
        assert len(new) == 1 and store.exists(new.pop())
    finally:
        products_repo.select_for_event(cat, demo.event_id, chosen)
        with cat.transaction() as cur:  # leave the shared fixture as it was
            cur.execute(f"DELETE FROM ads WHERE object_key NOT IN ({', '.join('?' for _ in before)})", list(before))


def test_the_loudness_correction_never_pushes_the_true_peak_over_the_ceiling():
    from anchor_core.render.master import MAX_TRUE_PEAK_DBTP, loudness_correction

    assert loudness_correction((-16.1, -3.0), -16.0) == 0.0  # close enough
    assert loudness_correction((-16.7, -8.5), -16.0) == pytest.approx(0.7)  # quieter than the target: up
    assert loudness_correction((-16.0, 0.2), -16.0) == pytest.approx(MAX_TRUE_PEAK_DBTP - 0.3 - 0.2)  # peak over: down
    step = loudness_correction((-18.0, -1.5), -16.0)  # louder would clip: only as far as the ceiling allows
    assert -1.5 + step <= MAX_TRUE_PEAK_DBTP
    assert loudness_correction((None, None), -16.0) == 0.0  # silence stays silence


def test_master_sound_lines_up_with_its_source_within_one_millisecond(rendered):
    """Cross-correlate the master's sound with the audio master's own recording at points across
    the event: the mix, the limiter and the encoder add no delay (the limiter's look-ahead did)."""
    from anchor_core.sync import load_angles

    sr = 48000
    angles = load_angles(rendered["cat"], rendered["demo"].event_id).by_id()
    a = angles[rendered["render"].audio_master]
    src = decode_audio(str(rendered["store"].path_for(a.object_key)), sr)
    out = decode_audio(rendered["render"].path, sr)
    lags = []
    for t in (10.0, 40.0, 75.0, 110.0):  # away from the ad break (its sound is the ad's)
        seg = out[int(t * sr):int((t + 0.5) * sr)]
        s0 = int(round(a.source_time(t) * sr))
        pad = int(0.03 * sr)
        ref = src[s0 - pad:s0 + len(seg) + pad]
        corr = np.correlate(ref, seg, "valid")
        lags.append((int(np.argmax(corr)) - pad) / sr * 1000.0)
    assert max(abs(x) for x in lags) <= 1.0, lags
