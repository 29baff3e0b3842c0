"""Render a master (or a reel) from a plan: chunks in parallel, one continuous audio pass,
then a stream-copy join with chapters. Written to a temporary file, then moved into place.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..ads import AdBreak
from ..errors import MediaError
from ..executor import SerialExecutor
from ..media import OutputFormat, ffmetadata_chapters, run_ffmpeg
from ..media.commands import (
    AudioInput,
    VideoInput,
    chunk_video_args,
    concat_list,
    concat_mux_args,
    event_audio_graph,
    file_loudness_args,
    loudness_apply_args,
    loudness_measure_args,
)
from ..media.encode import write_wav
from ..media.filters import default_font
from ..sync import Angle
from ..timeline import ChapterMark, Segment, ZoomMoment
from .inputs import ENVELOPE_RATE
from .plan import AudioPart, Chunk, build_pieces, plan_event_audio, split_chunks

Progress = Callable[[float, float, str], None]


@dataclass(frozen=True)
class MasterInputs:
    """The edit in event time (the timeline's own types) and where each angle's file is."""

    duration_s: float
    segments: Sequence[Segment]
    angles: Mapping[str, Angle]  # synced angles only
    paths: Mapping[str, str]  # video id -> local file ffmpeg reads
    zooms: Sequence[ZoomMoment] = ()
    ads: Sequence[AdBreak] = ()
    chapters: Sequence[ChapterMark] = ()
    audio_master_id: str | None = None
    music_path: str | None = None
    music_gain: np.ndarray | None = None  # per 1/ENVELOPE_RATE s, event time
    music_volume: float = 1.0
    crossfade_s: float = 0.3
    audio_follows_picture: bool = False  # reels: each moment keeps its own sound


@dataclass(frozen=True)
class RenderResult:
    path: str
    duration_s: float
    chunks: int
    loudness: dict[str, str]


@dataclass(frozen=True)
class ChunkJob:
    """Everything one chunk render needs, as plain picklable data."""

    inputs: tuple[VideoInput, ...]
    transitions: tuple[float, ...]
    out: str
    frames: int
    fmt: OutputFormat
    fontfile: str
    scratch: str
    threads: int
    ffmpeg: str | None = None


def render_chunk(job: ChunkJob) -> str:
    Path(job.scratch).mkdir(parents=True, exist_ok=True)
    args = chunk_video_args(
        job.inputs, job.transitions, job.out, width=job.fmt.width, height=job.fmt.height, fps=job.fmt.fps,
        frames=job.frames, crf=job.fmt.crf, preset=job.fmt.preset, fontfile=job.fontfile, scratch=job.scratch,
        threads=job.threads,
    )
    run_ffmpeg(args, path=job.out, what="rendering a chunk of the master failed", ffmpeg=job.ffmpeg)
    return job.out


def chunk_jobs(inputs: MasterInputs, chunks: list[Chunk], fmt: OutputFormat, work: Path, threads: int,
               ffmpeg: str | None = None) -> list[ChunkJob]:
    font = str(default_font())
    jobs = []
    for c in chunks:
        vins = []
        for p in c.pieces:
            local0 = p.start_s - p.lead_s
            length = p.duration_s + p.lead_s + p.tail_s
            seek = p.src_start_s - p.lead_s
            if p.kind == "angle":
                path = inputs.paths[p.source]
                aspect = inputs.angles[p.source].aspect
            else:
                path, aspect = p.source, fmt.width / fmt.height
            zooms = tuple((z0 - local0, zd, f) for z0, zd, f in p.zooms)
            vins.append(VideoInput(path, seek, max(0.0, -seek), length, zooms, p.overlay_text, aspect))
        jobs.append(ChunkJob(tuple(vins), c.transitions, str(work / f"chunk_{c.index:05d}.mp4"), c.frames, fmt,
                             font, str(work / f"text_{c.index:05d}"), threads, ffmpeg))
    return jobs


def envelope_wav(path: Path, gain: np.ndarray) -> Path:
    """Gain curves travel to ffmpeg as a low-rate WAV (halved to fit 16-bit full scale)."""
    return write_wav(path, np.clip(gain, 0.0, 1.99) / 2.0, ENVELOPE_RATE)


def event_gain(duration_s: float, ads: Sequence[AdBreak], ramp_s: float = 0.5) -> np.ndarray:
    """1 everywhere but during ads (0), with ramps matching the ad transitions."""
    n = int(np.ceil(duration_s * ENVELOPE_RATE)) + 1
    t = np.arange(n) / ENVELOPE_RATE
    g = np.ones(n)
    for ad in ads:
        a, b = ad.start_s, ad.start_s + ad.duration_s
        down = np.clip((t - (a - ramp_s / 2)) / ramp_s, 0, 1)
        up = np.clip(((b + ramp_s / 2) - t) / ramp_s, 0, 1)
        g = np.minimum(g, 1 - np.minimum(down, up))
    return g


def ffmetadata(chapters: Sequence[ChapterMark], duration_s: float, title: str = "") -> str:
    """Chapters for the mp4 (one writer for every ffmetadata file: the media layer's)."""
    return ffmetadata_chapters([(c.timestamp_ms / 1000.0, c.title) for c in chapters], duration_s, title)


def render_master(
    inputs: MasterInputs, out_path: str | Path, *, fmt: OutputFormat | None = None, executor: Executor | None = None,
    progress: Progress | None = None, chunk_s: float = 30.0, title: str = "", workers: int = 1,
    ffmpeg: str | None = None,
) -> RenderResult:
    fmt = fmt or OutputFormat()
    report = progress or (lambda d, t, m: None)
    executor = executor or SerialExecutor()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".render-", dir=out_path.parent))
    try:
        pieces = build_pieces(inputs.segments, inputs.angles, inputs.ads, inputs.zooms, inputs.duration_s,
                              crossfade_s=inputs.crossfade_s)
        chunks = split_chunks(pieces, fmt, inputs.duration_s, chunk_s)
        threads = max(1, 2 // max(1, workers))
        jobs = chunk_jobs(inputs, chunks, fmt, work, threads, ffmpeg)
        total = len(jobs) + 3
        report(0, total, f"rendering {len(jobs)} chunks")
        futures = [executor.submit(render_chunk, j) for j in jobs]
        # Audio runs here while the chunks render on the executor.
        audio_path, loud = _render_audio(inputs, fmt, work, ffmpeg)
        report(1, total, "audio mixed")
        done_paths = []
        for k, f in enumerate(futures):
            done_paths.append(f.result())
            report(2 + k, total, f"chunk {k + 1}/{len(jobs)}")
        (work / "chunks.txt").write_text(concat_list(done_paths))
        meta = work / "chapters.txt"
        meta.write_text(ffmetadata(inputs.chapters, inputs.duration_s, title))
        tmp_out = work / ("joined" + out_path.suffix)
        run_ffmpeg(concat_mux_args(work / "chunks.txt", audio_path, meta, tmp_out), path=out_path,
                   what="joining the chunks failed", ffmpeg=ffmpeg)
        tmp_out.replace(out_path)  # atomic on the same filesystem
        report(total, total, "done")
        return RenderResult(str(out_path), inputs.duration_s, len(jobs), loud)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _render_audio(inputs: MasterInputs, fmt: OutputFormat, work: Path,
                  ffmpeg: str | None) -> tuple[Path, dict[str, str]]:
    if inputs.audio_follows_picture:
        parts = [AudioPart(s.start_ms / 1000.0, s.end_ms / 1000.0, s.video_id,
                           inputs.angles[s.video_id].source_time(s.start_ms / 1000.0))
                 for s in inputs.segments if inputs.angles[s.video_id].has_audio]
        fade = 0.02
    else:
        master = inputs.audio_master_id or next(iter(inputs.angles))
        parts = plan_event_audio(inputs.angles, inputs.duration_s, master)
        fade = 0.0
    ains: list[AudioInput] = []
    cursor = 0.0
    for p in parts:
        if p.start_s > cursor + 1e-6:
            ains.append(AudioInput(None, 0.0, p.start_s - cursor))
        a = inputs.angles[p.video_id]
        ains.append(AudioInput(inputs.paths[p.video_id], p.src_start_s, p.end_s - p.start_s, a.drift_ppm, fade))
        cursor = p.end_s
    if cursor < inputs.duration_s - 1e-6:
        ains.append(AudioInput(None, 0.0, inputs.duration_s - cursor))
    ev_env = envelope_wav(work / "event_gain.wav", event_gain(inputs.duration_s, inputs.ads)) if inputs.ads else None
    mus_env = None
    if inputs.music_path and inputs.music_gain is not None:
        mus_env = envelope_wav(work / "music_gain.wav", inputs.music_gain)
    args, graph, mix = event_audio_graph(
        ains, duration_s=inputs.duration_s, music=inputs.music_path, music_env=str(mus_env) if mus_env else None,
        event_env=str(ev_env) if ev_env else None, rate=fmt.audio_rate, music_volume=inputs.music_volume,
    )
    proc = run_ffmpeg(loudness_measure_args(args, graph, mix), path=work, what="measuring loudness failed",
                      ffmpeg=ffmpeg)
    integrated = integrated_loudness(proc.stderr.decode("utf-8", "replace"))
    # Silence stays silence: no gain when there is nothing to measure.
    gain = 0.0 if integrated is None else max(-30.0, min(30.0, fmt.loudness_lufs - integrated))
    out = work / "audio.m4a"
    measured: tuple[float | None, float | None] = (None, None)
    for _ in range(3):  # measure what was delivered, then correct: the limiter and the encoder move both
        run_ffmpeg(loudness_apply_args(args, graph, mix, gain, out, duration_s=inputs.duration_s, rate=fmt.audio_rate),
                   path=out, what="mixing the audio failed", ffmpeg=ffmpeg)
        measured = file_loudness(out, ffmpeg)
        step = loudness_correction(measured, fmt.loudness_lufs)
        if step == 0.0:
            break
        gain += step
    out_i, out_tp = measured
    return out, {"input_i": f"{integrated:.2f}" if integrated is not None else "-inf", "gain_db": f"{gain:.2f}",
                 "target_i": f"{fmt.loudness_lufs:.2f}",
                 "output_i": f"{out_i:.2f}" if out_i is not None else "-inf",
                 "true_peak_dbtp": f"{out_tp:.2f}" if out_tp is not None else "-inf"}


def loudness_correction(measured: tuple[float | None, float | None], target_lufs: float, *,
                        tolerance_lu: float = 0.3) -> float:
    """The gain step (dB) that brings a delivered mix to the target without a true peak over
    the ceiling; 0 when it is close enough, silent, or only the peak could be fixed by more."""
    out_i, peak = measured
    if out_i is None:
        return 0.0
    step = target_lufs - out_i
    if peak is not None:
        step = min(step, MAX_TRUE_PEAK_DBTP - 0.3 - peak) if peak + step > MAX_TRUE_PEAK_DBTP else step
    if abs(step) <= tolerance_lu and (peak is None or peak <= MAX_TRUE_PEAK_DBTP):
        return 0.0
    return max(-30.0, min(30.0, step))


def file_loudness(path: Path, ffmpeg: str | None) -> tuple[float | None, float | None]:
    """(integrated LUFS, true peak dBTP) of a file as delivered; None for silence."""
    proc = run_ffmpeg(file_loudness_args(path), path=path, what="measuring the output loudness failed", ffmpeg=ffmpeg)
    text = proc.stderr.decode("utf-8", "replace")
    return integrated_loudness(text), true_peak(text)


def true_peak(stderr: str) -> float | None:
    """The true peak from ebur128's summary (with peak=true), None for digital silence."""
    found = re.findall(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", stderr)
    if not found or found[-1] == "-inf":
        return None
    return float(found[-1])


MAX_TRUE_PEAK_DBTP = -1.0  # streaming delivery (YouTube, Spotify, EBU R128 s1)


def integrated_loudness(stderr: str) -> float | None:
    """The integrated loudness from ebur128's summary (None for silence)."""
    found = re.findall(r"I:\s+(-?[\d.]+|-inf) LUFS", stderr)
    if not found:
        raise MediaError("ebur128 printed no loudness summary", stderr=stderr)
    value = found[-1]
    return None if value == "-inf" or float(value) < -69 else float(value)
