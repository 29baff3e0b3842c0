"""Raw per-window measures of all angles -> the feature table of the contract.

Normalised across the event, so angles are comparable: motion is scaled by the event's busiest
windows (an idle angle never scores 10 just because it is the calmest camera), loudness by each
microphone's own quiet floor (devices differ in gain, not in what the crowd did).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from .measure import AngleMeasures
from .params import AnalysisParams

FEATURE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "video_id": pl.Utf8, "t_ms": pl.Int64, "action_intensity": pl.Float64, "scene_cut": pl.Boolean,
    "scene_type": pl.Utf8, "faces": pl.Int32, "speech": pl.Float64, "crowd_energy": pl.Float64,
    "audio_events": pl.List(pl.Utf8), "visual_complexity": pl.Float64, "key_moment": pl.Boolean,
    "description": pl.Utf8,
}
MOTION_WEIGHT = 0.7  # of action_intensity; the rest is the crowd's excitement
MOTION_LOG_K = 20.0
BREAK_CROWD = 0.12
BREAK_ACTION = 2.0
REL_WEIGHT = 0.5  # share of the angle-relative scale in the motion score (the rest: event scale)
REL_MIN_RANGE = 3.0  # busy/calm motion ratio below which an angle's own variation is noise


def relative_motion(raw: np.ndarray) -> np.ndarray:
    """0..1 on a log scale from the angle's calm (20th percentile) to its busy (95th) windows."""
    if len(raw) < 5:
        return np.zeros(len(raw))
    calm = max(float(np.percentile(raw, 20)), 1e-3)
    busy = float(np.percentile(raw, 95))
    if busy < REL_MIN_RANGE * calm:
        return np.zeros(len(raw))
    return np.clip(np.log(np.maximum(raw, 1e-9) / calm) / np.log(busy / calm), 0.0, 1.0)


def _arr(m: AngleMeasures, name: str) -> np.ndarray:
    return np.asarray(getattr(m, name), dtype=np.float64)


def event_motion_scale(measures: list[AngleMeasures]) -> float:
    """The motion that counts as 'as busy as this event gets': the median over angles of each
    angle's busy level (95th percentile), so one camera with huge pixel motion (a phone among
    jumping fans) does not make every other camera look idle."""
    busy = []
    for m in measures:
        x = _arr(m, "motion")
        x = x[np.isfinite(x)]
        if len(x):
            busy.append(float(np.percentile(x, 95)))
    return max(float(np.median(busy)) if busy else 0.0, 0.05)


def angle_features(video_id: str, m: AngleMeasures, params: AnalysisParams, motion_scale: float) -> pl.DataFrame:
    n = len(m.t_ms)
    # log scale: a camera on tiny far-away players still shows its bursts, the busiest windows
    # of the event reach 1, and calm ones stay near 0
    raw_motion = _arr(m, "motion")
    motion = np.clip(np.log1p(MOTION_LOG_K * raw_motion / motion_scale) / np.log1p(MOTION_LOG_K), 0.0, 1.0)
    # ...and relative to the angle's own calm: a wide shot of small far players still shows a burst
    # of play as intense. Only when the angle really varies (busy windows several times its calm
    # ones), so a camera on nothing never scores high from its own noise.
    rel = relative_motion(raw_motion)
    if rel.any():
        motion = (1 - REL_WEIGHT) * motion + REL_WEIGHT * rel
    if m.has_audio:
        crowd = np.clip((_arr(m, "level_db") - m.level_floor_db) / params.crowd_span_db, 0.0, 1.0)
        lo, hi = params.speech_snr_db
        strength = np.clip((_arr(m, "voice_snr_db") - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
        speech = np.clip(_arr(m, "voiced") / 0.4, 0.0, 1.0) * strength
        action = 10.0 * np.clip(MOTION_WEIGHT * motion + (1 - MOTION_WEIGHT) * crowd, 0.0, 1.0)
    else:
        crowd = np.zeros(n)
        speech = np.zeros(n)
        action = 10.0 * motion
    detail = np.clip(_arr(m, "detail") / 10.0, 0.0, 1.0)
    luma = _arr(m, "luma")
    pan = _arr(m, "pan")
    faces = np.asarray(m.faces, dtype=np.int64)
    crowd_med = float(np.median(crowd)) if n else 0.0
    motion_p75 = float(np.percentile(motion, 75)) if n else 0.0
    cheer = m.has_audio & (crowd >= 0.55) & (crowd >= crowd_med + 0.2)
    key = cheer & (motion >= motion_p75) & (motion > 0)
    rows_events: list[list[str]] = []
    types: list[str] = []
    descs: list[str] = []
    for k in range(n):
        ev: list[str] = []
        if m.silent[k]:
            ev.append("silence")
        else:
            if m.applause and m.applause[k]:
                ev.append("applause")
            if cheer[k]:
                ev.append("cheer")
            if m.whistle[k]:
                ev.append("whistle")
            music = bool(m.music and m.music[k])
            if music:
                ev.append("music")  # sung or played: not someone speaking
            elif speech[k] >= 0.3:
                ev.append("speech")
            if not ev and crowd[k] < BREAK_CROWD and action[k] < BREAK_ACTION:
                ev.append("break")  # play has stopped: the crowd at its quiet floor, nobody speaking
        if luma[k] < params.dark_luma:
            st = "dark"
        elif m.cut[k] or m.fade[k]:
            st = "transition"
        elif pan[k] >= 0.08 and motion[k] >= 0.2:
            st = "pan"
        elif motion[k] >= 0.6:
            st = "fast action"
        elif faces[k] >= 3:
            st = "crowd"
        elif motion[k] < 0.1:
            st = "static"
        else:
            st = "moving"
        rows_events.append(ev)
        types.append(st)
        descs.append(_describe(st, ev, int(faces[k]), float(action[k]), bool(key[k])))
    return pl.DataFrame({
        "video_id": [video_id] * n, "t_ms": m.t_ms, "action_intensity": np.round(action, 3),
        "scene_cut": [bool(c) for c in m.cut], "scene_type": types, "faces": faces.astype(np.int32),
        "speech": np.round(speech, 3), "crowd_energy": np.round(crowd, 3), "audio_events": rows_events,
        "visual_complexity": np.round(detail, 3), "key_moment": [bool(v) for v in key], "description": descs,
    }, schema=FEATURE_SCHEMA)


def _describe(scene_type: str, events: list[str], faces: int, action: float, key: bool) -> str:
    """Short searchable text: what a viewer would say about the window."""
    words = []
    if key:
        words.append("key moment")
    if action >= 7.5:
        words.append("intense action")
    elif action >= 5:
        words.append("lively play")
    elif action < 1.5:
        words.append("calm")
    if not (scene_type == "fast action" and action >= 5):
        words.append(scene_type)
    if faces == 1:
        words.append("one face")
    elif faces > 1:
        words.append(f"{faces} faces")
    names = {"cheer": "cheering crowd", "whistle": "referee whistle", "speech": "someone speaking",
             "music": "music", "silence": "silence", "break": "break in play",
             "applause": "applause"}
    words.extend(names[e] for e in events if e in names)
    return ", ".join(words)


def feature_table(measures: dict[str, AngleMeasures], params: AnalysisParams | None = None) -> pl.DataFrame:
    """The contract's feature table for every angle of one event (one row per angle per window)."""
    params = params or AnalysisParams()
    scale = event_motion_scale(list(measures.values()))
    frames = [angle_features(vid, m, params, scale) for vid, m in measures.items()]
    if not frames:
        return pl.DataFrame(schema=FEATURE_SCHEMA)
    return pl.concat(frames).sort(["video_id", "t_ms"])
