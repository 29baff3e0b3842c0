"""The colour match: ΔE between an ad clip's mean colour and the scene's reference frame falls
by at least half, measured on a deliberately mis-graded clip."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from anchor_core.ads import clip_stats, delta_e, grade_clip, image_stats
from anchor_core.ads.grade import transfer_lut
from anchor_core.ads.palette import to_lab
from anchor_core.media import probe
from tests.veo_fake import GRASS, SKY, make_veo_mp4


@pytest.fixture
def reference(tmp_path):
    img = np.zeros((180, 320, 3), np.uint8)
    img[:80], img[80:] = SKY, GRASS
    path = tmp_path / "ref.png"
    cv2.imwrite(str(path), img[:, :, ::-1])
    return path


def test_grading_a_misgraded_clip_halves_its_colour_distance_to_the_reference(tmp_path, reference):
    src = tmp_path / "magenta.mp4"
    make_veo_mp4(src, 4)  # a magenta-cast clip, as the fake Veo sends
    ref = image_stats(reference)
    before = delta_e(clip_stats(src), ref)
    out = tmp_path / "graded.mp4"
    result = grade_clip(src, out, reference=reference, width=320, height=180, fps=25.0, duration_s=2.0)
    after = delta_e(clip_stats(out), ref)
    assert before > 30  # really mis-graded
    assert after <= 0.5 * before, (before, after)
    assert result is not None and result.delta_e_before == pytest.approx(before, abs=0.5)
    assert result.delta_e_after == pytest.approx(after, abs=0.5)
    info = probe(out)
    assert info.video is not None and info.duration_s == pytest.approx(2.0, abs=0.1) and info.audio is None


def test_the_lut_moves_mean_and_spread_toward_the_reference():
    rng = np.random.default_rng(1)
    clip = np.clip(rng.normal((180, 60, 160), 20, (64, 64, 3)), 0, 255).astype(np.uint8)
    ref = np.zeros((64, 64, 3), np.uint8)
    ref[:32], ref[32:] = SKY, GRASS
    from anchor_core.ads.grade import lab_stats

    src_s, ref_s = lab_stats(clip), lab_stats(ref)
    lut = transfer_lut(src_s, ref_s, size=33, strength=1.0).reshape(33, 33, 33, 3)  # [b][g][r]
    idx = np.rint(clip.astype(np.float32) / 255 * 32).astype(int)
    mapped = (lut[idx[..., 2], idx[..., 1], idx[..., 0]] * 255).astype(np.uint8)
    got = lab_stats(mapped)
    assert delta_e(got, ref_s) < 0.25 * delta_e(src_s, ref_s)
    assert float(to_lab(mapped)[..., 0].mean()) == pytest.approx(ref_s.mean[0], abs=8)


def test_without_a_reference_the_clip_is_only_fitted(tmp_path):
    src = tmp_path / "v.mp4"
    make_veo_mp4(src, 4)
    out = tmp_path / "fit.mp4"
    assert grade_clip(src, out, reference=None, width=640, height=360, fps=30.0, duration_s=5.0) is None
    info = probe(out)
    assert info.video is not None and (info.video.width, info.video.height) == (640, 360)
    assert info.duration_s == pytest.approx(5.0, abs=0.1)  # a slot longer than the clip holds its last frame
