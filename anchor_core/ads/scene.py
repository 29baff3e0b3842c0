"""The scene just before an ad slot, measured: what the prompt describes and the grade matches.

From the feature table (event time) of the angle on screen: its most common scene type and the
mean action and crowd energy over the few seconds before the slot. From a reference frame of
that angle: brightness and colour (indoor/outdoor, daylight/night) and the dominant palette.
From two frames a second apart: the camera's pan direction and speed (phase correlation; the
feature table keeps only the pan's size, the prompt wants its direction too)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..analysis import event_features
from ..catalog import Catalog
from ..errors import MediaError
from ..media import run_ffmpeg
from ..media.commands import still_frame_args
from ..sync import Angle
from ..timeline import Timeline
from .palette import dominant_palette, to_lab
from .prompt import STYLES, SceneContext

LOOKBACK_S = 6.0  # how much of the scene before the slot the context describes
STATIC_SPEED = 0.02  # frame widths per second below which the camera is still


@dataclass(frozen=True)
class Lighting:
    indoor: bool
    daylight: bool
    brightness: float
    setting: str


def lighting(rgb: np.ndarray) -> Lighting:
    """Indoor/outdoor from sky (bright blue or bright flat top) and grass (green ground); daylight
    from brightness; warm dim light reads as indoor artificial light."""
    lab = to_lab(rgb)
    h = lab.shape[0]
    top, bottom = lab[: h // 3].reshape(-1, 3), lab[h // 2:].reshape(-1, 3)
    sky = float(np.mean((top[:, 0] > 55) & ((top[:, 2] < -12) | ((np.abs(top[:, 1]) < 6) & (np.abs(top[:, 2]) < 6)
                                                                  & (top[:, 0] > 80)))))
    grass = float(np.mean((bottom[:, 1] < -15) & (bottom[:, 2] > 5)))
    bright = float(lab[..., 0].mean())
    warm = float(lab[..., 2].mean())
    outdoor = sky > 0.3 or grass > 0.3
    # A visible sky or a lit pitch reads as daylight at a lower mean level than a room does.
    day = bright >= (40 if sky > 0.3 else 35 if grass > 0.3 else 45)
    if outdoor:
        ground = "grass field" if grass > 0.3 else "open ground"
        light = "daylight, natural lighting" if day else "night, floodlights"
        setting = f"Outdoor {ground}, {light}"
    else:
        light = "warm artificial lighting" if warm > 8 else "even artificial lighting"
        setting = f"Indoor venue, {'bright' if day else 'dim'} {light}"
    return Lighting(not outdoor, day, round(bright, 1), setting)


def pan_between(a: np.ndarray, b: np.ndarray, dt: float) -> tuple[str, float]:
    """Direction the camera turned from grey frame a to b, and its speed in frame widths/s.
    The picture moves opposite to the camera: content sliding left means a pan right."""
    win = cv2.createHanningWindow((a.shape[1], a.shape[0]), cv2.CV_32F)
    (dx, dy), resp = cv2.phaseCorrelate(a.astype(np.float32), b.astype(np.float32), win)
    speed = float(np.hypot(dx, dy)) / a.shape[1] / max(dt, 1e-3)
    if resp < 0.05 or speed < STATIC_SPEED:
        return "", 0.0
    if abs(dx) >= abs(dy):
        return ("right" if dx < 0 else "left"), round(speed, 3)
    return ("down" if dy < 0 else "up"), round(speed, 3)


def _grab(path: str, at_s: float, out: Path, ffmpeg: str | None) -> np.ndarray | None:
    """A still, or None when there is none to have (the context then keeps its defaults: an ad
    never fails for want of a reference)."""
    try:
        run_ffmpeg(still_frame_args(path, at_s, str(out)), path=path,
                   what="grabbing a scene frame before an ad failed", ffmpeg=ffmpeg)
    except MediaError:
        return None
    img = cv2.imread(str(out), cv2.IMREAD_COLOR)
    return None if img is None else img[:, :, ::-1]


def _feature_summary(cat: Catalog, angle: Angle, start_s: float) -> tuple[str, float, float] | None:
    feats = event_features(cat, [angle]).frame
    if feats.height == 0:
        return None
    win = feats.filter((feats["t_event_s"] >= start_s - LOOKBACK_S) & (feats["t_event_s"] < start_s))
    if win.height == 0:
        return None
    types = win["scene_type"].value_counts(sort=True)
    return (str(types["scene_type"][0]), float(win["action_intensity"].mean() or 0.0),  # type: ignore[arg-type]
            float(win["crowd_energy"].mean() or 0.0))  # type: ignore[arg-type]


def measure_scene(cat: Catalog, store_path: Mapping[str, str], tl: Timeline, angles: Mapping[str, Angle],
                  start_s: float, event_type: str, work: Path, ffmpeg: str | None) -> tuple[SceneContext, str | None]:
    """The slot's scene context and its reference frame (a still 0.5 s before the slot), or the
    defaults and None when the angle on screen is not synced (nothing to look at)."""
    style = STYLES.get(event_type, "")
    t_ref = max(0.0, start_s - 0.5)
    a = angles.get(tl.angle_at(t_ref * 1000.0))
    if a is None or a.video_id not in store_path:
        return SceneContext(style=style), None
    path = store_path[a.video_id]
    ref_file = work / "scene.png"
    ref = _grab(path, a.source_time(t_ref), ref_file, ffmpeg)
    if ref is None:
        return SceneContext(style=style), None
    measured = ["lighting", "palette"]
    light = lighting(ref)
    palette = dominant_palette(ref)
    direction, speed = "", 0.0
    t0 = max(0.0, t_ref - 1.0)
    if t_ref - t0 > 0.2 and tl.angle_at(t0 * 1000.0) == a.video_id:
        before = _grab(path, a.source_time(t0), work / "scene-before.png", ffmpeg)
        if before is not None and before.shape == ref.shape:
            direction, speed = pan_between(cv2.cvtColor(before, cv2.COLOR_RGB2GRAY),
                                           cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY), t_ref - t0)
            measured.append("camera")
    summary = _feature_summary(cat, a, start_s)
    scene_type, action, crowd = summary if summary else ("", 3.0, 0.3)
    if summary:
        measured.append("features")
    motion = f"pan {direction}" if direction else (scene_type if scene_type in ("fast action", "pan") else "static")
    ctx = SceneContext(
        setting=light.setting, colours=", ".join(p.name for p in palette), camera_motion=motion,
        action_intensity=round(action, 2), crowd_energy=round(crowd, 3), scene_type=scene_type, indoor=light.indoor,
        daylight=light.daylight, brightness=light.brightness, palette=tuple((p.name, p.hex, p.share) for p in palette),
        pan_direction=direction, pan_speed=speed, style=style, measured=tuple(measured))
    return ctx, str(ref_file)
