"""Pegasus segment definitions, answer validation, and the mapping onto the analysis grid.

Pure functions. The mapping: window k of an angle covers [k*W, (k+1)*W) in the angle's own
time; the uploaded file's time u maps to own time u + offset_s (0 unless the upload was
trimmed). For each definition, the segment overlapping the window most fills it when the
overlap is at least half of the shorter of the window and the segment (so a 1 s key moment still
marks its window). Columns Pegasus does not measure, and every window or column it leaves
unfilled, keep the local analyzer's value; the reason is recorded per window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from ..analysis import FEATURE_SCHEMA

SCENE_TYPES = ("fast action", "pan", "crowd", "static", "moving", "dark", "transition")
AUDIO_TAGS = ("cheer", "applause", "whistle", "speech", "music", "silence", "break")
REMOTE_COLUMNS = ("action_intensity", "scene_type", "faces", "key_moment", "audio_events", "description")
LOCAL_ONLY = ("scene_cut", "speech", "crowd_energy", "visual_complexity")

DEFINITIONS: list[dict[str, Any]] = [
    {"id": "action", "description": "Consecutive stretches covering the whole video, each with one steady level of "
     "on-screen action (play, movement, celebration).",
     "fields": [{"name": "intensity", "type": "integer",
                 "description": "0 = nothing moves, 10 = the most intense action of a match"}]},
    {"id": "scene", "description": "Consecutive stretches covering the whole video, each of one scene type.",
     "fields": [{"name": "type", "type": "string", "description": "one of: " + ", ".join(SCENE_TYPES)},
                {"name": "faces", "type": "integer", "description": "how many faces are clearly visible"}]},
    {"id": "key_moment", "description": "Decisive moments: a goal, a score, a big play, a peak of cheering.",
     "fields": [{"name": "label", "type": "string", "description": "what happens, in a few words"}]},
    {"id": "audio", "description": "Consecutive stretches covering the whole video by what can be heard.",
     "fields": [{"name": "events", "type": "array", "items": {"type": "string"},
                 "description": "zero or more of: " + ", ".join(AUDIO_TAGS)}]},
    {"id": "description", "description": "Consecutive short stretches covering the whole video, each described.",
     "fields": [{"name": "text", "type": "string", "description": "what a viewer sees and hears, one sentence"}]},
]


@dataclass(frozen=True)
class Segment:
    start_s: float  # uploaded file's time
    end_s: float
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """A validated Pegasus answer: segments per definition id, and what was wrong with it."""

    segments: dict[str, list[Segment]]
    problem: str = ""  # non-empty: the answer is unusable or partial, and why
    truncated: bool = False


def parse_answer(data: Any, finish_reason: str | None) -> Answer:
    """`data` must be a JSON string of {definition id: [{start_time, end_time, metadata}]}."""
    truncated = finish_reason == "length"
    if not isinstance(data, str):
        return Answer({}, f"Pegasus answer `data` is {type(data).__name__}, not a JSON string")
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as exc:
        what = "truncated (finish_reason=length)" if truncated else f"not valid JSON ({exc.msg})"
        return Answer({}, f"Pegasus answer {what}", truncated)
    if not isinstance(raw, dict):
        return Answer({}, "Pegasus answer is not a JSON object of segment lists", truncated)
    out: dict[str, list[Segment]] = {}
    bad = 0
    for key, items in raw.items():
        if not isinstance(items, list):
            bad += 1
            continue
        segs = []
        for it in items:
            try:
                s, e = float(it["start_time"]), float(it["end_time"])
                meta = it.get("metadata") or {}
                if e <= s or not isinstance(meta, dict):
                    raise ValueError
            except (KeyError, TypeError, ValueError):
                bad += 1
                continue
            segs.append(Segment(s, e, meta))
        out[str(key)] = sorted(segs, key=lambda g: g.start_s)
    problems = []
    if truncated:
        problems.append("Pegasus answer truncated (finish_reason=length)")
    elif finish_reason not in (None, "stop"):
        problems.append(f"Pegasus stopped with finish_reason={finish_reason}")
    if bad:
        problems.append(f"{bad} malformed segment(s) dropped")
    return Answer(out, "; ".join(problems), truncated)


def _best(segs: list[Segment], a: float, b: float) -> Segment | None:
    best, best_ov = None, 0.0
    for g in segs:
        ov = min(b, g.end_s) - max(a, g.start_s)
        if ov > best_ov:
            best, best_ov = g, ov
    if best is None or best_ov < 0.5 * min(b - a, best.end_s - best.start_s) - 1e-9:
        return None
    return best


def _intensity(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if 0 <= v <= 10 else None


def _scene(v: Any) -> str | None:
    return v.strip().lower() if isinstance(v, str) and v.strip() else None


def _faces(v: Any) -> int | None:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < 1000 else None


def _events(v: Any) -> list[str] | None:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        return None
    return [x.strip().lower() for x in v if x.strip()]


def _text(v: Any) -> str | None:
    return v.strip() if isinstance(v, str) and v.strip() else None


# column -> (definition id, field, validator); key_moment is presence, handled apart
_FIELDS = {"action_intensity": ("action", "intensity", _intensity), "scene_type": ("scene", "type", _scene),
           "faces": ("scene", "faces", _faces), "audio_events": ("audio", "events", _events),
           "description": ("description", "text", _text)}


def merge(local: pl.DataFrame, answer: Answer, window_ms: int, *, offset_s: float = 0.0,
          covered_s: float | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One angle's local feature rows + a Pegasus answer -> (features, provenance).

    `covered_s`: how much of the angle (own time) was uploaded; windows past it stay local."""
    rows = local.sort("t_ms").to_dicts()
    w = window_ms / 1000.0
    prov = []
    for r in rows:
        a = r["t_ms"] / 1000.0 - offset_s
        b = a + w
        filled: list[str] = []
        missing: list[str] = []
        if covered_s is not None and r["t_ms"] / 1000.0 >= covered_s:
            reasons = ["past the uploaded part of the angle"]
        elif not answer.segments:
            reasons = [answer.problem or "Pegasus returned no segments"]
        else:
            for col, (did, fname, check) in _FIELDS.items():
                g = _best(answer.segments.get(did, []), a, b)
                value = check(g.metadata.get(fname)) if g is not None else None
                if value is None:
                    if col != "faces":  # faces are optional in Pegasus' answer: local when absent
                        missing.append(col)
                    continue
                r[col] = value
                filled.append(col)
            if "key_moment" in answer.segments:
                r["key_moment"] = _best(answer.segments["key_moment"], a, b) is not None
                filled.append("key_moment")
            else:
                missing.append("key_moment")
            reasons = [f"no valid Pegasus value for {', '.join(missing)}"] if missing else []
            if missing and answer.problem:
                reasons.append(answer.problem)
        prov.append({"video_id": r["video_id"], "t_ms": r["t_ms"], "backend": "twelvelabs" if filled else "local",
                     "remote_columns": sorted(filled), "reason": "; ".join(reasons) or None})
    feats = pl.DataFrame(rows, schema=FEATURE_SCHEMA) if rows else local
    provenance = pl.DataFrame(prov, schema={"video_id": pl.Utf8, "t_ms": pl.Int64, "backend": pl.Utf8,
                                            "remote_columns": pl.List(pl.Utf8), "reason": pl.Utf8})
    return feats, provenance


def segment_definitions() -> list[Any]:
    """The definitions as SDK objects."""
    from twelvelabs.types import SegmentDefinition, SegmentField, SegmentFieldItems

    def field(f: dict[str, Any]) -> Any:
        items = f.get("items")
        return SegmentField(**{**f, "items": SegmentFieldItems(**items) if items else None})

    return [SegmentDefinition(id=d["id"], description=d["description"], fields=[field(f) for f in d["fields"]])
            for d in DEFINITIONS]
