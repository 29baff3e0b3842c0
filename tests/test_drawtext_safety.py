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


# --- overlays fit their box -------------------------------------------------------------------

def _frame(path, at_s, width, height):
    from anchor_core.media import iter_video_frames

    chunks = list(iter_video_frames(str(path), width=width, gray=False, start_s=at_s, duration_s=0.05))
    return np.concatenate([c.frames for c in chunks])[0].astype(np.int16)


def _ink(a, b, threshold=48):
    """Pixels where two renders differ clearly (text and its border), as (ys, xs)."""
    return np.nonzero(np.abs(a - b).max(axis=2) > threshold)


def _product_image(path):
    import cv2
    img = np.full((300, 240, 3), 70, np.uint8)
    img[:150, :120] = (0, 0, 230)
    img[150:, 120:] = (230, 230, 0)
    cv2.circle(img, (120, 150), 50, (255, 255, 255), -1)
    cv2.imwrite(str(path), img)
    return img


@pytest.mark.parametrize(("width", "height"), [(640, 360), (360, 640)])
def test_sixty_w_title_stays_in_its_panel_and_off_the_product_image(tmp_path, width, height):
    import cv2

    from anchor_core.ads.local import TEXT_BORDER
    from anchor_core.media.commands import ad_layout

    img = _product_image(tmp_path / "p.png")
    renders = {}
    for name, title, price in (("long", "W" * 60, "9,999,999,999.99 CHF"), ("none", "", "")):
        out = tmp_path / f"{name}.mp4"
        LocalAdGenerator().generate(AdRequest(0, 1.2, title, price, str(tmp_path / "p.png"), None), out,
                                    width=width, height=height, fps=25)
        renders[name] = _frame(out, 0.6, width, height)
    lay = ad_layout(width, height)
    panel, rect = lay.panel, lay.image_rect(img.shape[1], img.shape[0])
    assert not panel.overlaps(rect)
    ys, xs = _ink(renders["long"], renders["none"])
    assert len(xs) > 200  # the text was drawn
    slack = TEXT_BORDER + 2  # chroma subsampling blurs edges by a pixel
    # Every text pixel is inside the panel's text areas: the fit, not the panel's clipping, kept it in.
    areas = [(panel.x + a.x - slack, panel.y + a.y - slack, panel.x + a.right + slack, panel.y + a.bottom + slack)
             for a in (lay.title, lay.price)]
    inside = np.zeros(len(xs), bool)
    for x0, y0, x1, y1 in areas:
        inside |= (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
    assert inside.all(), f"{(~inside).sum()} text pixels outside the panel's text areas"
    assert xs.max() < panel.right and ys.max() < panel.bottom
    # The product image is shown whole and untouched: the same with and without text, and the picture itself.
    inner = (slice(rect.y + 3, rect.bottom - 3), slice(rect.x + 3, rect.right - 3))
    same = np.abs(renders["long"][inner] - renders["none"][inner])  # two encodes: edges differ by a little
    assert same.mean() < 1.0 and np.percentile(same, 99) <= 8, (same.mean(), np.percentile(same, 99))
    want = cv2.resize(img, (rect.w, rect.h), interpolation=cv2.INTER_AREA)[:, :, ::-1].astype(np.int16)
    diff = np.abs(renders["long"][inner] - want[3:-3, 3:-3])
    assert diff.mean() < 4 and np.percentile(diff, 95) <= 12, (diff.mean(), np.percentile(diff, 95))


def test_layouts_keep_image_panel_and_sponsor_line_apart():
    from anchor_core.media.commands import Box, ad_layout, sponsor_line

    for width, height in [(320, 180), (640, 360), (1280, 720), (1920, 1080), (720, 1280), (1080, 1080), (64, 64)]:
        lay = ad_layout(width, height)
        frame = Box(0, 0, width, height)
        line = sponsor_line(width, height).box
        for img_w, img_h in [(100, 100), (1000, 100), (100, 1000)]:
            rect = lay.image_rect(img_w, img_h)
            assert lay.image.contains(rect) and not rect.overlaps(lay.panel) and not rect.overlaps(line)
        assert frame.contains(lay.panel) and frame.contains(line) and not lay.panel.overlaps(line)
        inner = Box(0, 0, lay.panel.w, lay.panel.h)
        assert inner.contains(lay.title) and inner.contains(lay.price) and not lay.title.overlaps(lay.price)
        assert line.x > 0 and line.right < width


def test_the_sponsor_line_is_shortened_to_stay_off_the_frame_edge(tmp_path):
    from anchor_core.media.commands import VideoInput, chunk_video_args, sponsor_line

    width, height = 640, 360
    src = tmp_path / "ad.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=0x406080:s={width}x{height}:r=25:d=1.2", "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(src)], path=src)
    frames = {}
    for name, text in (("long", "Sponsored by " + "W" * 60), ("none", "")):
        out = tmp_path / f"{name}.mp4"
        (tmp_path / name).mkdir()
        args = chunk_video_args([VideoInput(str(src), 0.0, 0.0, 1.0, overlay_text=text)], [], out, width=width,
                                height=height, fps=25, frames=25, crf=18, preset="ultrafast",
                                fontfile=default_font(), scratch=tmp_path / name)
        run_ffmpeg(args, path=out)
        frames[name] = _frame(out, 0.5, width, height)
    ys, xs = _ink(frames["long"], frames["none"], threshold=20)
    box = sponsor_line(width, height).box
    assert len(xs) > 200
    assert xs.min() >= box.x - 2 and xs.max() < box.right + 2 and ys.min() >= box.y - 2 and ys.max() < box.bottom + 2
    assert xs.max() < width - 30  # off the frame's edge, with the margin the left side has


def test_fit_text_shrinks_wraps_then_ellipsizes():
    from anchor_core.media.filters import ELLIPSIS, TextMeasure, fit_text

    m = TextMeasure(default_font())
    short = fit_text("Trail Runner Shoes", m, width=600, height=120, max_size=40, min_size=10)
    assert short.lines == ("Trail Runner Shoes",) and short.size == 40 and not short.shortened
    two = fit_text("Team Scarf Home Colours Limited Edition", m, width=300, height=120, max_size=40, min_size=10)
    assert len(two.lines) == 2 and not two.shortened and " ".join(two.lines) == "Team Scarf Home Colours Limited Edition"
    ws = fit_text("W" * 60, m, width=300, height=60, max_size=40, min_size=12)
    assert ws.size == 12 and len(ws.lines) == 2 and ws.shortened and ws.lines[-1].endswith(ELLIPSIS)
    assert all(m.width(ln, ws.size) <= 300 for ln in ws.lines)
    one = fit_text("W" * 60, m, width=300, height=60, max_size=40, min_size=12, max_lines=1)
    assert len(one.lines) == 1 and one.lines[0].endswith(ELLIPSIS)
    assert fit_text("", m, width=100, height=40, max_size=20, min_size=10).lines == ()


def test_measured_width_never_falls_short_of_the_drawn_ink(tmp_path):
    import cv2

    from anchor_core.media.filters import TextMeasure

    m = TextMeasure(default_font())
    for i, (text, size) in enumerate([("W" * 30, 24), ("Hello world, Trail Runner", 34), ("iiiil", 12),
                                      ("gjpqy \u00c5\u00c9 \u20ac1,299.00 \u2026", 20), ("AVAVAV To", 40)]):
        f = write_text_file(tmp_path, f"m{i}.txt", text)
        out = tmp_path / f"m{i}.png"
        run_ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=1400x120:d=0.1", "-vf",
                    drawtext(f, fontfile=default_font(), size=size, x="10", y="20"), "-frames:v", "1", str(out)],
                   path=out)
        ys, xs = np.nonzero(cv2.imread(str(out))[:, :, 0] > 40)
        assert xs.max() - 10 <= m.width(text, size), text
        assert ys.max() - 20 <= m.line_height(size), text
