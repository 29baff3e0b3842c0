"""Switching profiles: every number of the edit as a validated, versioned piece of data.

A profile is plain JSON shipped in `anchor_core/profiles/`; editing one makes a new version
(see `profiles_store`), so a timeline always records exactly the rules it was built with.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..catalog.status import ANGLE_TYPES, EVENT_TYPES
from ..errors import ValidationError

STRATEGIES = ("hysteresis", "optimal")
BUILTIN = EVENT_TYPES


@dataclass(frozen=True)
class Profile:
    name: str
    event_type: str
    version: int = 1
    description: str = ""
    window_ms: int = 2000
    hysteresis: float = 0.30
    min_segment_ms: int = 4000
    max_segment_ms: int = 20000
    strategy: str = "hysteresis"
    switch_cost: float = 12.0
    fallback_angle: str = "wide"
    min_score: float = 25.0
    smooth_windows: int = 3  # running median over windows before switching (1 = off)
    base: dict[str, float] = field(default_factory=dict)
    action_gain: dict[str, float] = field(default_factory=dict)
    face_bonus: dict[str, float] = field(default_factory=dict)
    speech_gain: dict[str, float] = field(default_factory=dict)
    crowd_gain: dict[str, float] = field(default_factory=dict)
    lull_bonus: dict[str, float] = field(default_factory=dict)
    lull_action: float = 3.0
    crosstalk_margin: float = 0.0  # >0: two voices this close in strength → the fallback (wide)
    cut_on_beats: bool = False
    beat_snap_tolerance_ms: int = 200
    zoom_threshold: float = 8.0
    zoom_very_intense: float = 9.5
    zoom_factor: float = 1.5
    zoom_factor_high: float = 2.5
    zoom_duration_ms: int = 3000
    zoom_min_spacing_ms: int = 10000
    zoom_angle_types: tuple[str, ...] = ("wide", "medium")
    # the zoom reads a relative level (intensity.py): this share of each angle's windows over the
    # event (its top decile) sits at 8..10, so "≥ 8" means the same on every event; 0 = the raw numbers
    zoom_top_share: float = 0.1
    zoom_min_contrast: float = 2.0  # points above the angle's median a window needs to count in full
    burst_angle: str = ""  # the angle type that takes a burst where it covers it (the seed's high action → closeup)
    zoom_burst_tail: bool = False  # a burst outlasting two minimum shots ends on the wide, punched in (grammar.py)
    burst_level: float = 6.0  # the event level (the relative levels of the angles on the play, averaged) of a burst
    reaction_ms: int = 0  # a crowd reaction shot this long after a goal-like burst (a cheer or key moment)
    crowd_max_share: float = 1.0  # below 1: the crowd only reacts (or has the only footage), within this share
    ad_threshold: float = 70.0
    ad_weights: dict[str, float] = field(default_factory=lambda: {"action": 40, "audio": 25, "scene": 20,
                                                                  "complexity": 15})
    ad_penalties: dict[str, float] = field(default_factory=lambda: {"key_moment": 0.3, "speech": 0.5, "crowd": 0.4})
    ad_break_events: tuple[str, ...] = ("timeout", "break", "silence")
    ad_applause_events: tuple[str, ...] = ("applause", "cheer")
    ad_min_spacing_ms: int = 45000
    ad_max_per_4min: int = 1
    ad_edge_ms: int = 10000
    ad_duration_ms: int = 4000
    ad_key_moment_radius_ms: int = 10000
    ad_speech_level: float = 0.5  # "speech detected" above this
    ad_crowd_level: float = 0.6  # "high crowd energy" above this
    ad_low_complexity: float = 0.35  # "low visual complexity" below this
    chapter_min_spacing_ms: int = 60000
    chapter_action: float = 8.0
    chapter_start_title: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d

    def with_changes(self, **changes: Any) -> Profile:
        """A validated copy; the caller stores it as a new version."""
        return validate_profile({**self.to_dict(), **changes})

    def gain(self, table: str, angle_type: str) -> float:
        d: dict[str, float] = getattr(self, table)
        return float(d.get(angle_type, d.get("other", 0.0)) if table in ("base", "action_gain") else
                     d.get(angle_type, 0.0))


_DURATIONS = ("window_ms", "min_segment_ms", "max_segment_ms", "zoom_duration_ms", "zoom_min_spacing_ms",
              "ad_min_spacing_ms", "ad_edge_ms", "ad_duration_ms", "chapter_min_spacing_ms",
              "beat_snap_tolerance_ms", "ad_key_moment_radius_ms", "reaction_ms")
_ANGLE_TABLES = ("base", "action_gain", "face_bonus", "speech_gain", "crowd_gain", "lull_bonus")
_RANGES: dict[str, tuple[float, float]] = {
    "hysteresis": (0.0, 5.0), "switch_cost": (0.0, 1000.0), "min_score": (0.0, 1000.0), "lull_action": (0.0, 10.0),
    "crosstalk_margin": (0.0, 1.0), "zoom_threshold": (0.0, 11.0), "zoom_very_intense": (0.0, 11.0),
    "zoom_factor": (1.0, 4.0), "zoom_factor_high": (1.0, 4.0), "ad_threshold": (0.0, 100.0),
    "chapter_action": (0.0, 11.0), "ad_max_per_4min": (0, 100), "ad_speech_level": (0.0, 1.0),
    "ad_crowd_level": (0.0, 1.0), "smooth_windows": (1, 15), "ad_low_complexity": (0.0, 1.0),
    "zoom_top_share": (0.0, 0.5), "zoom_min_contrast": (0.0, 10.0), "burst_level": (0.0, 11.0),
    "crowd_max_share": (0.0, 1.0),
}


_INTEGERS = ("smooth_windows", "ad_max_per_4min")  # counts: whole numbers
_TEXTS = ("description", "chapter_start_title", "strategy", "fallback_angle", "burst_angle")
_NAME_LISTS = ("zoom_angle_types", "ad_break_events", "ad_applause_events")
_FLAGS = ("cut_on_beats", "zoom_burst_tail")
MAX_DURATION_MS = 86_400_000  # a day: longer than any event, so larger is a typo


def validate_profile(body: Any) -> Profile:
    """A Profile from JSON-like data, or ValidationError naming the field that is wrong."""
    if not isinstance(body, dict):
        raise ValidationError(f"a profile must be a JSON object of fields (got {_json_kind(body)})")
    known = {f.name for f in fields(Profile)}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ValidationError(f"profile field {_json_kind(unknown[0])} is not a known field (known: {', '.join(sorted(known))})")
    for req in ("name", "event_type"):
        if not isinstance(body.get(req), str) or not body[req].strip():
            raise ValidationError(f"profile field {req!r} is required (a non-empty string)")
    if body["event_type"] not in EVENT_TYPES:
        raise ValidationError(f"profile field 'event_type': {_json_kind(body['event_type'])} is not one of {', '.join(EVENT_TYPES)}")
    vals = dict(body)
    for name in _TEXTS:
        if name in vals and not isinstance(vals[name], str):
            raise ValidationError(f"profile field {name!r} must be a string (got {_json_kind(vals[name])})")
    for name in _DURATIONS:
        if name in vals:
            v = _number(name, vals[name])
            if not 0 <= v <= MAX_DURATION_MS:
                raise ValidationError(f"profile field {name!r} must be between 0 and {MAX_DURATION_MS} ms "
                                      f"(got {v:g})")
            vals[name] = int(v)
    for name, (lo, hi) in _RANGES.items():
        if name in vals:
            v = _number(name, vals[name])
            if not lo <= v <= hi:
                raise ValidationError(f"profile field {name!r} must be between {lo} and {hi} (got {v:g})")
            if name in _INTEGERS:
                if v != int(v):
                    raise ValidationError(f"profile field {name!r} must be a whole number (got {v:g})")
                vals[name] = int(v)
            else:
                vals[name] = v
    if vals.get("window_ms", 2000) < 100:
        raise ValidationError("profile field 'window_ms' must be at least 100 ms")
    w, mn_ms, mx_ms = vals.get("window_ms", 2000), vals.get("min_segment_ms", 4000), vals.get("max_segment_ms", 20000)
    if mx_ms // w < 2 * -(-mn_ms // w) - 1:  # in windows: max ≥ 2·min − 1, so any stretch can be tiled
        raise ValidationError(f"profile field 'max_segment_ms' ({mx_ms}) must be at least about twice "
                              f"'min_segment_ms' ({mn_ms}) on {w} ms windows, or long shots cannot be split")
    if "version" in vals and (isinstance(vals["version"], bool) or not isinstance(vals["version"], int)
                              or vals["version"] < 1):
        raise ValidationError("profile field 'version' must be a positive integer")
    if vals.get("strategy", "hysteresis") not in STRATEGIES:
        raise ValidationError(f"profile field 'strategy' must be one of {', '.join(STRATEGIES)}")
    if vals.get("fallback_angle", "wide") not in ANGLE_TYPES:
        raise ValidationError(f"profile field 'fallback_angle': unknown angle type {vals['fallback_angle']!r}")
    if vals.get("burst_angle", "") not in ("", *ANGLE_TYPES):
        raise ValidationError(f"profile field 'burst_angle': unknown angle type {_json_kind(vals['burst_angle'])} "
                              f"(known: {', '.join(ANGLE_TYPES)}, or \"\" for none)")
    for table in _ANGLE_TABLES:
        if table in vals:
            vals[table] = _angle_table(table, vals[table])
    for name in _NAME_LISTS:
        if name in vals:
            items = vals[name]
            if not isinstance(items, list | tuple) or not all(isinstance(x, str) for x in items):
                raise ValidationError(f"profile field {name!r} must be a list of strings (got {_json_kind(items)})")
            vals[name] = tuple(items)
    bad = [a for a in vals.get("zoom_angle_types", ()) if a not in ANGLE_TYPES]
    if bad:
        raise ValidationError(f"profile field 'zoom_angle_types': unknown angle type {bad[0]!r} "
                              f"(known: {', '.join(ANGLE_TYPES)})")
    if "ad_weights" in vals:
        w = _table("ad_weights", vals["ad_weights"], ("action", "audio", "scene", "complexity"), 0.0, 100.0)
        if sum(w.values()) > 100.0 + 1e-9:
            raise ValidationError("profile field 'ad_weights' must add up to at most 100 points")
        vals["ad_weights"] = w
    if "ad_penalties" in vals:
        vals["ad_penalties"] = _table("ad_penalties", vals["ad_penalties"], ("key_moment", "speech", "crowd"), 0.0, 1.0)
    for name in _FLAGS:
        if name in vals and not isinstance(vals[name], bool):
            raise ValidationError(f"profile field {name!r} must be true or false")
    return Profile(**vals)


def _number(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
        raise ValidationError(f"profile field {name!r} must be a number (got {_json_kind(v)})")
    try:
        x = float(v)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise ValidationError(f"profile field {name!r} must be a finite number (got one too large to use)")
    return x


def _json_kind(v: Any) -> str:
    """How a value reads in JSON terms, short (never the whole of a large value)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list | tuple):
        return "a list"
    if isinstance(v, str):
        return repr(v) if len(v) <= 40 else repr(v[:40]) + "…"
    if isinstance(v, int) and abs(v) > 10**15:
        return "a very large number"
    return repr(v)


def _angle_table(name: str, table: Any) -> dict[str, float]:
    if not isinstance(table, dict):
        raise ValidationError(f"profile field {name!r} must map angle types to numbers")
    return _table(name, table, ANGLE_TYPES, -200.0, 200.0)


def _table(name: str, table: Any, keys: tuple[str, ...], lo: float, hi: float) -> dict[str, float]:
    if not isinstance(table, dict):
        raise ValidationError(f"profile field {name!r} must be a table of numbers")
    out: dict[str, float] = {}
    for k, v in table.items():
        if k not in keys:
            raise ValidationError(f"profile field '{name}.{k}': unknown key (known: {', '.join(keys)})")
        x = _number(f"{name}.{k}", v)
        if not lo <= x <= hi:
            raise ValidationError(f"profile field '{name}.{k}' must be between {lo} and {hi} (got {x})")
        out[str(k)] = x
    return out


def builtin_profile(name: str) -> Profile:
    if name not in BUILTIN:
        raise ValidationError(f"no built-in profile {name!r}; choose one of {', '.join(BUILTIN)} or give a JSON file")
    text = resources.files("anchor_core").joinpath("profiles", f"{name}.json").read_text()
    return validate_profile(json.loads(text))


def profile_from_file(path: str | Path) -> Profile:
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ValidationError(f"cannot read the profile file {p}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValidationError(f"the profile file {p} is not UTF-8 text (byte {exc.start}); save it as UTF-8 JSON"
                              ) from exc
    body = parse_profile_json(text, str(p))
    return validate_profile(body)


def parse_profile_json(text: str, where: str = "the profile") -> Any:
    """Strict JSON (no NaN/Infinity, bounded nesting) or a ValidationError saying where it breaks."""
    def no_constants(name: str) -> Any:
        raise ValidationError(f"{where} is not valid JSON: {name} is not a JSON number; write a number")

    try:
        body = json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{where} is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ValidationError(f"{where} is not a profile: its JSON is nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ValidationError(f"{where} is not valid JSON: {str(exc).splitlines()[0]}") from exc
    if not isinstance(body, dict):
        raise ValidationError(f"{where} must hold one JSON object of profile fields (got {_json_kind(body)})")
    return body


def same_rules(a: Profile, b: Profile) -> bool:
    """Equal apart from name/version/description: no new version needed."""
    skip = {"name", "version", "description"}
    return {k: v for k, v in a.to_dict().items() if k not in skip} == \
        {k: v for k, v in b.to_dict().items() if k not in skip}


def bump(p: Profile, **changes: Any) -> Profile:
    return replace(p.with_changes(**changes), version=p.version + 1)


def fit_max_segment(min_segment_ms: int, max_segment_ms: int, window_ms: int = 2000) -> int:
    """The smallest maximum shot length >= max_segment_ms that the minimum allows (any stretch of
    event time must be tileable by shots between the two), for editors that move one slider."""
    need = (2 * -(-min_segment_ms // window_ms) - 1) * window_ms
    return max(max_segment_ms, need)
