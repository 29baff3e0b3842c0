"""Grade an ad clip toward the scene it interrupts (the platform's color_grade_to_match).

Measured, not guessed: the clip's and the reference frame's per-channel mean and spread in
CIELAB, then a statistics transfer (Reinhard) written as a 3D LUT that ffmpeg's `lut3d` applies
to every frame. The proof is a number: `delta_e` between the clip's mean colour and the
reference's falls (tests: by at least half on a deliberately mis-graded clip)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import MediaError
from ..media import iter_video_frames, run_ffmpeg
from ..media.commands import conform_clip_args
from .palette import from_lab, to_lab

LUT_SIZE = 33


@dataclass(frozen=True)
class LabStats:
    """Mean and spread of a picture (or clip) per CIELAB channel."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": [round(v, 3) for v in self.mean], "std": [round(v, 3) for v in self.std]}


def lab_stats(rgb: np.ndarray) -> LabStats:
    lab = to_lab(rgb).reshape(-1, 3).astype(np.float64)
    m, s = lab.mean(axis=0), lab.std(axis=0)
    return LabStats((float(m[0]), float(m[1]), float(m[2])), (float(s[0]), float(s[1]), float(s[2])))


def delta_e(a: LabStats, b: LabStats) -> float:
    """CIE76 distance between two mean colours."""
    return float(np.linalg.norm(np.subtract(a.mean, b.mean)))


def image_stats(path: str | Path) -> LabStats:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise MediaError("cannot read the scene frame as an image", path=str(path))
    return lab_stats(img[:, :, ::-1])


def clip_stats(path: str | Path, *, ffmpeg: str | None = None, fps: float = 2.0, width: int = 160) -> LabStats:
    """The clip's colour over time: a few frames a second, small (statistics, not detail)."""
    frames = [c.frames for c in iter_video_frames(path, width=width, fps=fps, gray=False, ffmpeg=ffmpeg)]
    if not frames:
        raise MediaError("the ad clip has no frames to measure", path=str(path))
    return lab_stats(np.concatenate(frames))


def transfer_lut(src: LabStats, ref: LabStats, *, size: int = LUT_SIZE, strength: float = 0.85,
                 max_ratio: float = 2.0) -> np.ndarray:
    """The sRGB cube (size^3, 3; red fastest) mapping the clip's statistics toward the reference's.
    `strength` < 1 keeps part of the clip's own look; spread ratios are bounded so a flat clip is
    not blown up into noise."""
    g = np.linspace(0.0, 1.0, size, dtype=np.float32)
    b, gg, r = np.meshgrid(g, g, g, indexing="ij")  # red varies fastest, as .cube files list it
    rgb = np.stack([r, gg, b], axis=-1).reshape(-1, 3)
    lab = _lab_float(rgb)
    ratio = np.clip(np.asarray(ref.std) / np.maximum(np.asarray(src.std), 1e-3), 1 / max_ratio, max_ratio)
    moved = (lab - np.asarray(src.mean)) * ratio + np.asarray(ref.mean)
    out = lab + strength * (moved - lab)
    return from_lab(out.astype(np.float32))


def _lab_float(rgb01: np.ndarray) -> np.ndarray:
    flat = np.ascontiguousarray(rgb01.reshape(-1, 1, 3), dtype=np.float32)
    return cv2.cvtColor(flat, cv2.COLOR_RGB2LAB).reshape(-1, 3)


def write_cube(path: str | Path, lut: np.ndarray, size: int = LUT_SIZE) -> Path:
    lines = ["TITLE \"anchor ad grade\"", f"LUT_3D_SIZE {size}"]
    lines += [f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in lut.tolist()]
    out = Path(path)
    out.write_text("\n".join(lines) + "\n")
    return out


@dataclass(frozen=True)
class GradeResult:
    """How far the clip's mean colour was from the reference before and after the grade (ΔE)."""

    delta_e_before: float
    delta_e_after: float

    def to_dict(self) -> dict[str, float]:
        return {"delta_e_before": round(self.delta_e_before, 2), "delta_e_after": round(self.delta_e_after, 2)}


def grade_clip(src: str | Path, out: str | Path, *, reference: str | Path | None, width: int, height: int,
               fps: float, duration_s: float, ffmpeg: str | None = None) -> GradeResult | None:
    """Write `out`: `src` graded toward the reference frame (if any) and conformed to the master."""
    out = Path(out)
    cube = None
    before = ref = None
    if reference:
        ref = image_stats(reference)
        src_stats = clip_stats(src, ffmpeg=ffmpeg)
        before = delta_e(src_stats, ref)
        cube = write_cube(out.with_suffix(".cube"), transfer_lut(src_stats, ref))
    run_ffmpeg(conform_clip_args(src, out, width=width, height=height, fps=fps, duration_s=duration_s, cube=cube),
               path=src, what="grading the ad clip failed", ffmpeg=ffmpeg)
    if cube is not None:
        cube.unlink(missing_ok=True)
    if ref is None or before is None:
        return None
    return GradeResult(before, delta_e(clip_stats(out, ffmpeg=ffmpeg), ref))
