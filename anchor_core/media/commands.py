"""Builders for the render's ffmpeg commands (argv lists, never shell strings).

Each function returns the arguments after `ffmpeg -hide_banner -nostdin -y`; run them with
`run_ffmpeg`. Values are formatted by `filters.num`, text goes through our own files with
`expansion=none`, so nothing from a product or a user can change the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .filters import TextMeasure, colour, drawtext, fit_text, num, path_value, write_text_file


@dataclass(frozen=True)
class VideoInput:
    path: str
    seek_s: float  # where to start reading the source
    pre_pad_s: float  # freeze the first frame this long (source starts later than needed)
    length_s: float  # rendered length of this input
    zooms: tuple[tuple[float, float, float], ...] = ()  # (local start, duration, factor)
    overlay_text: str = ""
    source_aspect: float = 16 / 9


def _ease_zoom(zooms: Sequence[tuple[float, float, float]], ramp: float = 0.4) -> str:
    """zoompan z-expression: each zoom eases in and out with a smoothstep over `ramp` s."""
    terms = []
    for k, (s, d, f) in enumerate(zooms):
        r = max(0.05, min(ramp, d / 3))
        a, b = 2 * k, 2 * k + 1
        terms.append(
            f"st({a},clip((it-{num(s)})/{num(r)},0,1))*0+st({b},clip(({num(s + d)}-it)/{num(r)},0,1))*0+"
            f"{num(f - 1)}*ld({a})*ld({a})*(3-2*ld({a}))*ld({b})*ld({b})*(3-2*ld({b}))"
        )
    return "1+" + "+".join(f"({t})" for t in terms) if terms else "1"


def chunk_video_args(
    inputs: Sequence[VideoInput], transitions: Sequence[float], out: str | Path, *, width: int, height: int,
    fps: float, frames: int, crf: int, preset: str, fontfile: str | Path, scratch: str | Path,
    threads: int = 0,
) -> list[str]:
    """One chunk of the master: conform each input, zoom, overlay, dissolve, encode H.264."""
    args: list[str] = []
    graph: list[str] = []
    for i, inp in enumerate(inputs):
        # One decoder thread per input: a chunk may open several inputs, and frame-threaded
        # decoders hold a frame pool per thread; chunks already run in parallel.
        args += ["-threads", "1", "-ss", num(max(0.0, inp.seek_s)), "-t", num(inp.length_s + 1.0), "-i", str(inp.path)]
        # After an input seek the first frame kept starts up to one source frame after the seek
        # point and its timestamp says by how much: keep it (no PTS-STARTPTS, which would show
        # the whole piece that much early) and let fps fill from 0 with the first frame.
        chain = [f"[{i}:v]fps={num(fps)}:start_time=0"]
        if abs(inp.source_aspect - width / height) > 0.02:
            # Portrait or odd-shaped source: fit it over a blurred, filled copy of itself.
            chain.append(f"split=2[bg{i}][fg{i}]")
            graph.append(",".join(chain))
            bw, bh = max(8, width // 16 * 2), max(8, height // 16 * 2)
            radius = max(1, min(6, bh // 4 - 1))  # boxblur needs radius < half the chroma plane
            graph.append(
                f"[bg{i}]scale={bw}:{bh}:force_original_aspect_ratio=increase,"
                f"crop={bw}:{bh},boxblur={radius}:2,scale={width}:{height},eq=brightness=-0.08[bgs{i}]"
            )
            graph.append(f"[fg{i}]scale={width}:{height}:force_original_aspect_ratio=decrease[fgs{i}]")
            chain = [f"[bgs{i}][fgs{i}]overlay=(W-w)/2:(H-h)/2"]
        else:
            chain.append(f"scale={width}:{height}:force_original_aspect_ratio=decrease")
            chain.append(f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black")
        chain.append("setsar=1")
        if inp.pre_pad_s > 0:
            chain.append(f"tpad=start_mode=clone:start_duration={num(inp.pre_pad_s)}")
        if inp.zooms:
            z = _ease_zoom(inp.zooms)
            chain.append(
                f"zoompan=z='{z}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s={width}x{height}:fps={num(fps)}"
            )
        if inp.overlay_text.strip():
            chain.append(_sponsor_drawtext(inp.overlay_text, width, height, fontfile, Path(scratch) / f"overlay_{i}.txt"))
        chain.append("format=yuv420p")
        chain.append("tpad=stop_mode=clone:stop_duration=2")
        chain.append(f"trim=duration={num(inp.length_s)},setpts=PTS-STARTPTS[v{i}]")
        graph.append(",".join(chain))
    current = "v0"
    local = inputs[0].length_s
    for k in range(1, len(inputs)):
        f = transitions[k - 1]
        nxt = f"x{k}"
        if f > 1e-6:
            offset = local - f
            graph.append(f"[{current}][v{k}]xfade=transition=fade:duration={num(f)}:offset={num(offset)}[{nxt}]")
            local = offset + inputs[k].length_s
        else:
            graph.append(f"[{current}][v{k}]concat=n=2:v=1:a=0[{nxt}]")
            local += inputs[k].length_s
        current = nxt
    args += ["-filter_complex", ";".join(graph), "-map", f"[{current}]", "-an"]
    args += ["-c:v", "libx264", "-preset", preset, "-crf", str(int(crf)), "-pix_fmt", "yuv420p"]
    args += ["-r", num(fps), "-fps_mode", "cfr", "-frames:v", str(int(frames)), "-g", str(int(round(2 * fps)))]
    args += ["-threads", str(int(threads)), "-video_track_timescale", "90000", "-movflags", "+faststart", str(out)]
    return args


def _sponsor_drawtext(text: str, width: int, height: int, fontfile: str | Path, path: Path) -> str:
    """The sponsor line, shrunk (or cut with an ellipsis) to fit its box: measured in the font
    that draws it, so a long vendor name never runs to the frame edge."""
    line = sponsor_line(width, height)
    fit = fit_text(text, TextMeasure(fontfile), width=line.text_width, height=line.box.h - 2 * line.pad,
                   max_size=line.size, min_size=max(9, line.size * 2 // 3), max_lines=1)
    txt = write_text_file(path.parent, path.name, fit.lines[0] if fit.lines else "")
    return drawtext(txt, fontfile=fontfile, size=fit.size, x=str(line.text_x), y=str(line.text_y), color="white",
                    box="black@0.55", box_border=line.pad)


@dataclass(frozen=True)
class AudioInput:
    path: str | None  # None = silence
    seek_s: float
    length_s: float
    drift_ppm: float = 0.0
    fade_s: float = 0.0  # short fades against clicks where the sound cuts between sources


def event_audio_graph(
    parts: Sequence[AudioInput], *, duration_s: float, music: str | None, music_env: str | None,
    event_env: str | None, rate: int = 48000, music_volume: float = 1.0, first_input: int = 0,
) -> tuple[list[str], list[str], str]:
    """Inputs and filter lines for the event track (+ music), ending at label `mix`."""
    args: list[str] = []
    graph: list[str] = []
    labels = []
    idx = first_input
    for j, p in enumerate(parts):
        lab = f"p{j}"
        if p.path is None:
            graph.append(f"anullsrc=r={rate}:cl=stereo,atrim=duration={num(p.length_s)}[{lab}]")
        else:
            args += ["-ss", num(max(0.0, p.seek_s)), "-t", num(p.length_s * (1 + abs(p.drift_ppm) * 1e-6) + 0.5),
                     "-i", str(p.path)]
            chain = [f"[{idx}:a]aresample={rate}"]
            if abs(p.drift_ppm) >= 1.0:
                # The device's clock ran fast/slow: stretch its samples onto event time.
                hi = rate * 4
                chain += [f"aresample={hi}", f"asetrate={int(round(hi / (1 + p.drift_ppm * 1e-6)))}",
                          f"aresample={rate}"]
            chain += ["aformat=sample_fmts=fltp:channel_layouts=stereo", "asetpts=PTS-STARTPTS",
                      f"apad=whole_dur={num(p.length_s)}", f"atrim=duration={num(p.length_s)}"]
            if p.fade_s > 0 and p.length_s > 4 * p.fade_s:
                chain += [f"afade=t=in:d={num(p.fade_s)}",
                          f"afade=t=out:st={num(p.length_s - p.fade_s)}:d={num(p.fade_s)}"]
            graph.append(",".join(chain) + f"[{lab}]")
            idx += 1
        labels.append(f"[{lab}]")
    if not labels:
        graph.append(f"anullsrc=r={rate}:cl=stereo,atrim=duration={num(duration_s)}[ev]")
    elif len(labels) == 1:
        graph.append(f"{labels[0]}anull[ev]")
    else:
        graph.append("".join(labels) + f"concat=n={len(labels)}:v=0:a=1[ev]")
    current = "ev"
    if event_env:
        args += ["-i", event_env]
        graph.append(f"[{idx}:a]aresample={rate},aformat=sample_fmts=fltp:channel_layouts=stereo,volume=2[eenv]")
        graph.append("[ev][eenv]amultiply[evm]")
        current = "evm"
        idx += 1
    if music:
        args += ["-stream_loop", "-1", "-i", music]
        m = [f"[{idx}:a]aresample={rate}", "aformat=sample_fmts=fltp:channel_layouts=stereo",
             f"atrim=duration={num(duration_s)}", "asetpts=PTS-STARTPTS"]
        if music_volume != 1.0:
            m.append(f"volume={num(music_volume)}")
        idx += 1
        graph.append(",".join(m) + "[mraw]")
        if music_env:
            args += ["-i", music_env]
            graph.append(f"[{idx}:a]aresample={rate},aformat=sample_fmts=fltp:channel_layouts=stereo,volume=2[menv]")
            graph.append("[mraw][menv]amultiply[mg]")
            idx += 1
        else:
            graph.append("[mraw]anull[mg]")
        fade_out = max(0.0, duration_s - 3.0)
        graph.append(f"[mg]afade=t=in:d=2,afade=t=out:st={num(fade_out)}:d=3[mus]")
        graph.append(f"[{current}][mus]amix=inputs=2:normalize=0:duration=first[mix]")
    else:
        graph.append(f"[{current}]anull[mix]")
    return args, graph, "mix"


def loudness_measure_args(inputs: list[str], graph: list[str], mix: str) -> list[str]:
    """EBU R128 integrated loudness of the mix (printed in ffmpeg's summary)."""
    g = graph + [f"[{mix}]ebur128=framelog=quiet[out]"]
    return ["-nostats", *inputs, "-filter_complex", ";".join(g), "-map", "[out]", "-f", "null", "-"]


TRUE_PEAK_OVERSAMPLE = 4  # the limiter works at 4x the rate, where inter-sample peaks show


def loudness_apply_args(
    inputs: list[str], graph: list[str], mix: str, gain_db: float, out: str | Path, *,
    duration_s: float, rate: int = 48000, ceiling_db: float = -2.0,
) -> list[str]:
    """Apply the measured correction as one linear gain (keeps the dynamics), with a limiter
    holding the true peak under the ceiling: it runs oversampled, so inter-sample peaks (what
    a DAC and a lossy encoder make of the signal) are held too, not only the samples. The
    limiter's look-ahead (its attack) would delay the sound against the picture by that much:
    `latency=1` gives the delay back (this was the master's constant 5 ms A/V offset)."""
    limit = 10 ** (ceiling_db / 20)
    g = graph + [
        f"[{mix}]volume={num(gain_db, 3)}dB,aresample={rate * TRUE_PEAK_OVERSAMPLE},"
        f"alimiter=limit={num(limit, 4)}:level=false:attack=2:release=50:latency=1,"
        f"aresample={rate},atrim=duration={num(duration_s)}[out]"
    ]
    return [*inputs, "-filter_complex", ";".join(g), "-map", "[out]", "-c:a", "aac", "-b:a", "192k",
            "-ar", str(rate), str(out)]


def file_loudness_args(path: str | Path) -> list[str]:
    """EBU R128 integrated loudness and true peak of a file's first audio track, as delivered."""
    return ["-nostats", "-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true:framelog=quiet",
            "-f", "null", "-"]


def concat_mux_args(list_file: str | Path, audio: str | Path | None, metadata: str | Path | None,
                    out: str | Path) -> list[str]:
    """Join chunks without re-encoding, add the audio track and chapters."""
    args = ["-f", "concat", "-safe", "0", "-i", str(list_file)]
    maps = ["-map", "0:v:0"]
    n = 1
    if audio:
        args += ["-i", str(audio)]
        maps += ["-map", f"{n}:a:0"]
        n += 1
    if metadata:
        args += ["-f", "ffmetadata", "-i", str(metadata)]
        maps += ["-map_metadata", str(n), "-map_chapters", str(n)]
    return [*args, *maps, "-c", "copy", "-movflags", "+faststart", str(out)]


def concat_list(paths: Sequence[str | Path]) -> str:
    lines = []
    for p in paths:
        lines.append("file '" + str(Path(p).resolve()).replace("'", "'\\''") + "'")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Box:
    """A pixel rectangle (x, y of its top-left corner)."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def contains(self, other: Box) -> bool:
        return self.x <= other.x and self.y <= other.y and other.right <= self.right and other.bottom <= self.bottom

    def overlaps(self, other: Box) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom


def _even(v: float) -> int:
    return int(v) // 2 * 2


@dataclass(frozen=True)
class SponsorLine:
    """Where the master draws an ad's sponsor line: `box` is the whole shaded box, the text
    starts at (text_x, text_y) and may use `text_width`; `size` is the largest type."""

    box: Box
    size: int
    pad: int

    @property
    def text_x(self) -> int:
        return self.box.x + self.pad

    @property
    def text_y(self) -> int:
        return self.box.y + self.pad

    @property
    def text_width(self) -> int:
        return self.box.w - 2 * self.pad


def sponsor_line(width: int, height: int) -> SponsorLine:
    """Bottom left, at most as wide as the frame less its margins; product clips keep this band
    free, so the line never covers the product or its panel."""
    size = max(12, height // 24)
    pad = max(4, size // 3)
    mx, mb = max(8, min(40, round(width * 0.0625))), max(8, min(50, round(height * 0.14)))
    box_h = 2 * pad + int(size * 1.17 + 1)
    return SponsorLine(Box(mx, height - mb - box_h, width - 2 * mx, box_h), size, pad)


@dataclass(frozen=True)
class AdLayout:
    """A product clip's layout: the product image inside `image` and the text panel at `panel`
    never overlap, and both stay above the master's sponsor line. `title` and `price` are the
    text areas in the panel's own coordinates (drawtext draws on the panel, so nothing can
    spill out of it)."""

    width: int
    height: int
    image: Box
    panel: Box
    title: Box
    price: Box
    title_sizes: tuple[int, int]  # largest, smallest
    price_sizes: tuple[int, int]

    def image_rect(self, img_w: int, img_h: int) -> Box:
        """The product image scaled to fit `image` (aspect kept, centred, even numbers)."""
        s = min(self.image.w / max(1, img_w), self.image.h / max(1, img_h))
        w, h = max(2, _even(img_w * s)), max(2, _even(img_h * s))
        return Box(self.image.x + _even((self.image.w - w) / 2), self.image.y + _even((self.image.h - h) / 2), w, h)


def ad_layout(width: int, height: int) -> AdLayout:
    """Image and panel side by side (landscape: panel left, image right) or image above panel
    (portrait), in the area above the sponsor line."""
    m = max(4, _even(min(width, height) * 0.05))
    top, bottom = m, sponsor_line(width, height).box.y - m // 2
    area_h = bottom - top
    if width >= height:
        col = _even((width - 3 * m) / 2)
        panel_h = _even(area_h * 0.62)
        panel = Box(m, top + _even((area_h - panel_h) / 2), col, panel_h)
        image = Box(width - m - col, top, col, area_h)
    else:
        image_h = _even(area_h * 0.58)
        image = Box(m, top, width - 2 * m, image_h)
        panel = Box(m, top + image_h + m, width - 2 * m, area_h - image_h - m)
    pad = max(4, _even(min(panel.w, panel.h) * 0.07))
    inner_h = panel.h - 2 * pad
    title_h = _even(inner_h * 0.6)
    title = Box(pad, pad, panel.w - 2 * pad, title_h)
    price = Box(pad, pad + title_h + pad // 2, panel.w - 2 * pad, inner_h - title_h - pad // 2)
    short = min(width, height)  # type sizes from the short side, so portrait type is not huge
    smallest = max(9, short // 30)  # below this a title is cut with an ellipsis rather than shrunk
    return AdLayout(width, height, image, panel, title, price,
                    (max(smallest, short // 14), smallest), (max(smallest, short // 12), smallest))


@dataclass(frozen=True)
class PanelText:
    """One line drawn on the panel: its text file (ours), size and top-left in panel pixels."""

    textfile: str | Path
    size: int
    x: int
    y: int


def still_clip_args(
    image: str | Path, out: str | Path, *, layout: AdLayout, image_size: tuple[int, int], fps: float,
    duration_s: float, fontfile: str | Path, lines: Sequence[PanelText], bar_colour: str,
    grade: tuple[float, float, float], zoom_to: float = 1.08, border: int = 2,
) -> list[str]:
    """A product clip: the image, whole and untouched, beside a panel in the image's own colour
    carrying title and price, over a slowly zooming blurred fill; then a gentle grade toward the
    scene. The text is drawn on the panel's own picture, so it cannot land outside it."""
    width, height = layout.width, layout.height
    frames = int(round(duration_s * fps))
    rect = layout.image_rect(*image_size)
    p = layout.panel
    r, g, b = grade
    text = "".join(
        "," + drawtext(ln.textfile, fontfile=fontfile, size=ln.size, x=str(int(ln.x)), y=str(int(ln.y)),
                       color="white", borderw=border)
        for ln in lines
    )
    graph = [
        f"[0:v]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},boxblur=20:2,"
        f"eq=brightness=-0.12,setsar=1,zoompan=z='1+{num(zoom_to - 1)}*on/{max(1, frames)}'"
        f":x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s={width}x{height}:fps={num(fps)}[bg]",
        f"[0:v]scale={rect.w}:{rect.h},setsar=1[fg]",
        f"color=c={colour(bar_colour + '@0.85')}:s={p.w}x{p.h}:r={num(fps)},format=rgba{text}[panel]",
        f"[bg][fg]overlay={rect.x}:{rect.y}[base]",
        f"[base][panel]overlay={p.x}:{p.y}:shortest=1,"
        f"colorchannelmixer=rr={num(r, 4)}:gg={num(g, 4)}:bb={num(b, 4)},"
        f"fade=t=in:d=0.4,fade=t=out:st={num(duration_s - 0.4)}:d=0.4,format=yuv420p[v]",
    ]
    return ["-loop", "1", "-framerate", num(fps), "-t", num(duration_s + 0.5), "-i", str(image),
            "-filter_complex", ";".join(graph), "-map", "[v]", "-frames:v", str(frames), "-c:v", "libx264",
            "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-r", num(fps), "-an",
            "-movflags", "+faststart", str(out)]


__all__ = [
    "AdLayout",
    "AudioInput",
    "Box",
    "PanelText",
    "SponsorLine",
    "VideoInput",
    "ad_layout",
    "chunk_video_args",
    "concat_list",
    "concat_mux_args",
    "event_audio_graph",
    "loudness_apply_args",
    "loudness_measure_args",
    "path_value",
    "sponsor_line",
    "still_clip_args",
]


def still_frame_args(src: str | Path, at_s: float, out: str | Path, width: int = 320) -> list[str]:
    """One frame of a video as an image (the scene reference for an ad's grade)."""
    return ["-ss", num(max(0.0, at_s)), "-i", str(src), "-frames:v", "1", "-vf", f"scale={int(width)}:-2",
            str(out)]


def test_pattern_args(out: str | Path, *, seconds: float, width: int = 1920, height: int = 1080, fps: float = 30.0,
                      preset: str = "veryfast") -> list[str]:
    """A moving test pattern with sensor-like noise and a tone, H.264/AAC: benchmark footage whose
    decode cost resembles a camera file (noise keeps the bit rate up)."""
    video = f"testsrc2=size={width}x{height}:rate={fps:g},noise=alls=12:allf=t"
    audio = "sine=frequency=440:sample_rate=48000,volume=0.3"
    return ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio, "-t", f"{seconds:.3f}", "-map", "0:v",
            "-map", "1:a", "-c:v", "libx264", "-preset", preset, "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-b:a", "128k", "-shortest", str(out)]


def decode_only_args(src: str | Path) -> list[str]:
    """Decode every video frame and audio sample and throw them away: the floor any analysis pays."""
    return ["-i", str(src), "-f", "null", "-"]


def conform_clip_args(src: str | Path, out: str | Path, *, width: int, height: int, fps: float, duration_s: float,
                 cube: str | Path | None) -> list[str]:
    """An ad clip graded (when a cube is given), fitted to the master's frame and rate, and cut or
    held to the slot's length; no audio (the render mutes the event under an ad and keeps music)."""
    chain = [f"lut3d=file={path_value(cube)}:interp=tetrahedral"] if cube else []
    chain += [f"scale={width}:{height}:force_original_aspect_ratio=decrease",
              f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black", "setsar=1", f"fps={num(fps)}",
              f"tpad=stop_mode=clone:stop_duration={num(duration_s)}", f"trim=duration={num(duration_s)}",
              "setpts=PTS-STARTPTS", "format=yuv420p"]
    return ["-i", str(src), "-vf", ",".join(chain), "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
            "-r", num(fps), "-frames:v", str(max(1, int(round(duration_s * fps)))), "-movflags", "+faststart",
            str(out)]


def reencode_for_upload_args(src: str | Path, out: str | Path, *, max_duration_s: float | None) -> list[str]:
    """An angle re-encoded to fit a service's upload limits (the platform's CRF 23), trimmed to
    `max_duration_s` when given; first video and audio streams only, index at the front."""
    trim = ["-t", num(max_duration_s)] if max_duration_s else []
    return ["-i", str(src), *trim, "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "libx264", "-preset", "veryfast",
            "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", str(out)]
