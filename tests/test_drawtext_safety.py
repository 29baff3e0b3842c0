"""Hostile product titles must render literally and must not add filters, read or write files."""

from __future__ import annotations

import os

import numpy as np
import pytest

from anchor_core.ads.local import AdRequest, LocalAdGenerator
from anchor_core.media import probe, run_ffmpeg
from anchor_core.media.filters import default_font, drawtext, escape_value, write_text_file


def _reference_text_option(title: str) -> str:
    """An independent escaper (the three documented levels) for comparison."""
    def bs(s: str, chars: str) -> str:
        for ch in chars:
            s = s.replace(ch, "\\" + ch)
        return s
    return bs(bs(title, "\\':"), "\\'[],;") + ":expansion=none"


def _render(vf: str, out):
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=900x80:d=0.2", "-vf", vf, "-frames:v", "1", str(out)],
               path=out)
    import cv2
    return cv2.imread(str(out))


@pytest.fixture
def hostile(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-1234")
    pwned = tmp_path / "pwned.txt"
    font = default_font()
    titles = [
        f"Cool Shoes',drawtext=fontfile={font}:textfile={secret}:x=0:y=0,metadata=mode=print:file={pwned},"
        "drawtext=text='x",
        "Cool Shoes',drawtext=textfile=/etc/passwd",
        "50% off %{pts} %{localtime} %{eif:1+1:d}",
        "a:b \\ back\\slash [lbl] one, two; three \"quoted\" it's",
        "\\",
    ]
    return titles, secret, pwned


def test_hostile_titles_render_exactly_as_their_literal_text(hostile, tmp_path):
    titles, _secret, pwned = hostile
    font = default_font()
    for i, title in enumerate(titles):
        ours_file = write_text_file(tmp_path, f"t{i}.txt", title)
        ours = _render(drawtext(ours_file, fontfile=font, size=20, x="10", y="30"), tmp_path / f"ours{i}.png")
        ref_vf = (f"drawtext=fontfile={escape_value(str(font))}:text={_reference_text_option(title)}"
                  ":fontsize=20:fontcolor=white:x=10:y=30")
        ref = _render(ref_vf, tmp_path / f"ref{i}.png")
        assert ours.shape == ref.shape
        assert np.array_equal(ours, ref), f"title {i} did not render literally"
        assert ours.max() > 0  # something was drawn
    assert not pwned.exists()


def test_secret_file_is_not_drawn(hostile, tmp_path):
    titles, secret, _ = hostile
    font = default_font()
    f = write_text_file(tmp_path, "t.txt", titles[0])
    with_title = _render(drawtext(f, fontfile=font, size=20, x="10", y="30"), tmp_path / "a.png")
    secret_only = _render(drawtext(secret, fontfile=font, size=20, x="10", y="30"), tmp_path / "b.png")
    assert not np.array_equal(with_title, secret_only)


def test_product_clip_with_a_hostile_title_renders_and_touches_no_file(hostile, tmp_path, fixtures_dir):
    titles, _secret, pwned = hostile
    import cv2
    img = tmp_path / "p.png"
    cv2.imwrite(str(img), np.full((200, 200, 3), (40, 120, 200), np.uint8))
    before = set(os.listdir(tmp_path))
    out = tmp_path / "ad.mp4"
    LocalAdGenerator().generate(AdRequest(0, 2.0, titles[0], "$9.99", str(img), None), out,
                                width=320, height=180, fps=25)
    info = probe(out)
    assert info.video is not None and info.duration_s == pytest.approx(2.0, abs=0.05)
    assert not pwned.exists()
    assert set(os.listdir(tmp_path)) - before == {"ad.mp4"}
