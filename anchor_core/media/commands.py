"""Builders for the render's ffmpeg commands (argv lists, never shell strings).

Each function returns the arguments after `ffmpeg -hide_banner -nostdin -y`; run them with
`run_ffmpeg`. Values are formatted by `filters.num`, text goes through our own files with
`expansion=none`, so nothing from a product or a user can change the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .filters import drawtext, num, path_value, write_text_file


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
        if inp.overlay_text:
            txt = write_text_file(scratch, f"overlay_{i}.txt", inp.overlay_text)
            chain.append(drawtext(txt, fontfile=fontfile, size=max(18, height // 24), x="40", y="h-th-50",
                                  color="white", box="black@0.55"))
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


def loudness_apply_args(
    inputs: list[str], graph: list[str], mix: str, gain_db: float, out: str | Path, *,
    duration_s: float, rate: int = 48000, ceiling_db: float = -1.5,
) -> list[str]:
    """Apply the measured correction as one linear gain (keeps the dynamics), with a limiter
    holding peaks under the ceiling."""
    limit = 10 ** (ceiling_db / 20)
    g = graph + [
        f"[{mix}]volume={num(gain_db, 3)}dB,alimiter=limit={num(limit, 4)}:level=false:attack=5:release=50,"
        f"aresample={rate},atrim=duration={num(duration_s)}[out]"
    ]
    return [*inputs, "-filter_complex", ";".join(g), "-map", "[out]", "-c:a", "aac", "-b:a", "192k",
            "-ar", str(rate), str(out)]


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


def still_clip_args(
    image: str | Path, out: str | Path, *, width: int, height: int, fps: float, duration_s: float,
    fontfile: str | Path, title_file: str | Path, price_file: str | Path, bar_colour: str, grade: tuple[float, float, float],
    zoom_to: float = 1.12, title_lines: int = 1, title_chars: int = 20,
) -> list[str]:
    """A product clip: slow Ken Burns over the image on a blurred fill, title and price set in
    type on a bar in the image's own colour, then a gentle grade toward the scene."""
    frames = int(round(duration_s * fps))
    big_w, big_h = width * 2, height * 2
    r, g, b = grade
    graph = [
        f"[0:v]scale={big_w}:{big_h}:force_original_aspect_ratio=increase,crop={big_w}:{big_h},boxblur=30:3,"
        f"eq=brightness=-0.12[bg]",
        f"[0:v]scale=-2:{int(big_h * 0.8)}[fg]",
        f"[bg][fg]overlay=(W-w)/2+W/6:(H-h)/2,setsar=1,"
        f"zoompan=z='1+{num(zoom_to - 1)}*on/{frames}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
        f":d={frames}:s={width}x{height}:fps={num(fps)},"
        f"drawbox=x=0:y=ih*0.62:w=iw*0.55:h=ih*0.26:color={bar_colour}@0.85:t=fill,"
        + drawtext(title_file, fontfile=fontfile, size=_title_size(width, height, title_lines, title_chars),
                   x="w*0.03", y="h*0.64", color="white", borderw=2)
        + ","
        + drawtext(price_file, fontfile=fontfile, size=max(18, height // 12), x="w*0.03", y="h*0.78",
                   color="white", borderw=2)
        + f",colorchannelmixer=rr={num(r, 4)}:gg={num(g, 4)}:bb={num(b, 4)},"
        f"fade=t=in:d=0.4,fade=t=out:st={num(duration_s - 0.4)}:d=0.4,format=yuv420p[v]",
    ]
    return ["-loop", "1", "-framerate", num(fps), "-t", num(duration_s + 0.5), "-i", str(image),
            "-filter_complex", ";".join(graph), "-map", "[v]", "-frames:v", str(frames), "-c:v", "libx264",
            "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-r", num(fps), "-an",
            "-movflags", "+faststart", str(out)]


def _title_size(width: int, height: int, lines: int, chars: int) -> int:
    """Largest type that fits the bar: about 0.6 em per character, bar 52 % wide, 12 % tall."""
    by_width = 0.52 * width / (0.6 * max(chars, 1))
    by_height = 0.12 * height / max(lines, 1) / 1.25
    return max(12, int(min(height / 16, by_width, by_height)))


__all__ = [
    "AudioInput",
    "VideoInput",
    "chunk_video_args",
    "concat_list",
    "concat_mux_args",
    "event_audio_graph",
    "loudness_apply_args",
    "loudness_measure_args",
    "path_value",
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
