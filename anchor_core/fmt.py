"""Numbers as people read them: units and sensible precision, for tables in the notebooks and
the report. Pure functions of one value; a missing value (None, NaN, infinity) is shown as
`MISSING`, so each function is also a valid per-column formatter for `mo.ui.table(format_mapping=)`
and for `table_for_display`.

    seconds(7.25, signed=True)  -> "+7.250 s"     duration(62.5)  -> "1:02.5"
    ppm(62.4)                   -> "62 ppm"       lufs(-16)       -> "-16.0 LUFS"
    db(-3)                      -> "-3.0 dB"      percent(0.93)   -> "93%"
    confidence(0.931)           -> "0.93"         money(19.9, "USD") -> "19.90 USD"
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl

MISSING = "—"

Formatter = Callable[[Any], str]


def _value(x: Any) -> float | None:
    """A finite float, or None for anything that is not a number worth showing."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def number(x: Any, *, places: int = 2, signed: bool = False, unit: str = "") -> str:
    """A fixed-point number with an optional unit after a space; "-0.00" is shown as "0.00"."""
    v = _value(x)
    if v is None:
        return MISSING
    v = round(v, places)
    if v == 0:
        v = 0.0  # no "-0.000"
    text = f"{v:+.{places}f}" if signed else f"{v:.{places}f}"
    return f"{text} {unit}" if unit else text


def seconds(x: Any, *, signed: bool = False, places: int = 3) -> str:
    """Seconds: `seconds(7.25, signed=True)` is "+7.250 s" (offsets are signed, lengths are not)."""
    return number(x, places=places, signed=signed, unit="s")


def duration(x: Any, *, places: int = 1) -> str:
    """A length or a point in time in seconds as a clock: "0:42.5", "1:02.5", "1:02:03.5"."""
    v = _value(x)
    if v is None:
        return MISSING
    sign = "-" if v < 0 and round(v, places) != 0 else ""
    total = round(abs(v), places)  # round first so 59.96 s is "1:00.0", never "0:60.0"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    width = places + 3 if places else 2
    sec_text = f"{secs:0{width}.{places}f}"
    if hours:
        return f"{sign}{int(hours)}:{int(minutes):02d}:{sec_text}"
    return f"{sign}{int(minutes)}:{sec_text}"


def clock_ms(x: Any, *, places: int = 1) -> str:
    """Milliseconds (the timeline's unit) as a clock: 62_500 is "1:02.5"."""
    v = _value(x)
    return duration(None if v is None else v / 1000, places=places)


def ppm(x: Any, *, signed: bool = False, places: int = 0) -> str:
    """Clock drift in parts per million: "62 ppm"."""
    return number(x, places=places, signed=signed, unit="ppm")


def lufs(x: Any, *, places: int = 1) -> str:
    """Integrated loudness: "-16.0 LUFS"."""
    return number(x, places=places, unit="LUFS")


def db(x: Any, *, signed: bool = False, places: int = 1) -> str:
    """A level or gain in decibels: "-3.0 dB" (`signed=True` for gains: "+2.0 dB")."""
    return number(x, places=places, signed=signed, unit="dB")


def percent(x: Any, *, places: int = 0, fraction: bool = True) -> str:
    """A share: `percent(0.93)` is "93%"; `fraction=False` when the value is already in percent."""
    v = _value(x)
    if v is None:
        return MISSING
    return number(v * 100 if fraction else v, places=places) + "%"


def confidence(x: Any) -> str:
    """A score in [0, 1] to two places: "0.93"."""
    return number(x, places=2)


def money(x: Any, currency: str | None = None, *, places: int = 2) -> str:
    """A price with its currency code after it: "19.90 USD" (just "19.90" without a code)."""
    return number(x, places=places, unit=(currency or "").strip().upper())


def factor(x: Any, *, places: int = 2) -> str:
    """A multiplier, e.g. a zoom: "1.50×"."""
    v = _value(x)
    return MISSING if v is None else number(v, places=places) + "×"


def fps(x: Any, *, places: int = 3) -> str:
    """A frame rate without trailing zeros: "30 fps", "29.97 fps"."""
    v = _value(x)
    if v is None:
        return MISSING
    text = number(v, places=places)
    return f"{text.rstrip('0').rstrip('.') if '.' in text else text} fps"


def product_label(title: str, vendor: str | None = None, price: Any = None, currency: str | None = None) -> str:
    """How a sponsor product is named in a picker: "Scarf (Terrace Co) · 24.00 USD"."""
    label = f"{title} ({vendor or 'no vendor'})"
    return f"{label} · {money(price, currency)}" if _value(price) is not None else label


def _plain(v: Any, places: int) -> str:
    """A cell without a declared unit: floats to `places`, lists joined, booleans as yes/no,
    times to the second."""
    if v is None:
        return MISSING
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, float):
        return number(v, places=places)
    if isinstance(v, list | tuple):
        return ", ".join(str(i) for i in v)
    return str(v)


def table_for_display(frame: pl.DataFrame, units: Mapping[str, Formatter] | None = None, *,
                      names: Mapping[str, str] | None = None, places: int = 2) -> pl.DataFrame:
    """The frame with every column as text: columns in `units` through their formatter, other
    floats to `places` decimals, missing values as `MISSING`; then columns renamed by `names`.
    For static tables (the report); interactive tables pass the same `units` as marimo's
    `format_mapping`, which keeps sorting numeric."""
    units = units or {}  # like marimo's format_mapping, entries for absent columns are ignored
    columns = {}
    for col in frame.columns:
        fn = units.get(col)
        values = frame[col].to_list()
        columns[col] = [str(fn(v)) if fn else _plain(v, places) for v in values]
    out = pl.DataFrame(columns, schema={c: pl.Utf8 for c in frame.columns})
    present = {old: new for old, new in (names or {}).items() if old in frame.columns}
    return out.rename(present) if present else out


# Shared column maps: the same table shows the same units in the workbench and the report.
SYNC_UNITS: dict[str, Formatter] = {
    "sync_offset_s": lambda x: seconds(x, signed=True),
    "sync_drift_ppm": lambda x: ppm(x, signed=True),
    "sync_confidence": confidence,
}
SYNC_NAMES = {"sync_offset_s": "offset", "sync_drift_ppm": "drift", "sync_confidence": "confidence",
              "sync_status": "status", "sync_reason": "reason"}
VIDEO_UNITS: dict[str, Formatter] = {"duration_s": duration, **SYNC_UNITS}
FEATURE_SUMMARY_UNITS: dict[str, Formatter] = {
    "mean_action": lambda x: number(x, places=1), "max_action": lambda x: number(x, places=1),
    "mean_speech": confidence, "mean_crowd": confidence, "speech_share": percent,  # scores vs a share
}
WINDOW_UNITS: dict[str, Formatter] = {
    "t_event_s": duration, "action_intensity": lambda x: number(x, places=1), "speech": confidence,
    "crowd_energy": confidence, "visual_complexity": confidence,
}
SEGMENT_UNITS: dict[str, Formatter] = {"start_ms": clock_ms, "end_ms": clock_ms, "score": lambda x: number(x, places=1)}
AD_SLOT_UNITS: dict[str, Formatter] = {"timestamp_ms": clock_ms, "duration_ms": lambda x: seconds(
    None if _value(x) is None else float(x) / 1000, places=1), "score": lambda x: number(x, places=1)}
CHAPTER_UNITS: dict[str, Formatter] = {"timestamp_ms": clock_ms}
ANGLE_USAGE_UNITS: dict[str, Formatter] = {
    "share_pct": lambda x: percent(x, places=1, fraction=False), "mean_shot_s": lambda x: seconds(x, places=1),
    "min_shot_s": lambda x: seconds(x, places=1), "max_shot_s": lambda x: seconds(x, places=1),
    "mean_score": lambda x: number(x, places=1),
}
TIMELINE_SUMMARY_UNITS: dict[str, Formatter] = {
    "median_shot_s": lambda x: seconds(x, places=1), "p90_shot_s": lambda x: seconds(x, places=1),
    "mean_ad_score": lambda x: number(x, places=1),
}
MOMENT_UNITS: dict[str, Formatter] = {"start_s": duration, "end_s": duration,
                                      "duration_s": lambda x: seconds(x, places=1), "score": confidence}
ANGLE_USAGE_NAMES = {"angle_type": "angle", "share_pct": "share", "mean_shot_s": "mean shot",
                     "min_shot_s": "shortest", "max_shot_s": "longest", "mean_score": "mean score"}
OUTPUT_UNITS: dict[str, Formatter] = {"duration_s": duration}


def units_for(frame: pl.DataFrame, units: Mapping[str, Formatter]) -> dict[str, Formatter]:
    """The part of a column map that applies to this frame (e.g. for marimo's `format_mapping`)."""
    return {c: f for c, f in units.items() if c in frame.columns}


ALARM_STYLE = {"color": "#b00020", "fontWeight": "600"}


def alarm_rows(statuses: Sequence[str | None], *, ok: tuple[str, ...] = ("synced",)) -> set[str]:
    """Row ids (as tables number them) whose status is not one of `ok`."""
    return {str(i) for i, s in enumerate(statuses) if s not in ok}


def alarm_style(bad_rows: set[str], *, bad_values: tuple[str, ...] = ("unsynced",)) -> Callable[[str, str, Any],
                                                                                              dict[str, str]]:
    """A table `style_cell`: the rows (and any cell) that need the producer's attention in red."""
    def style(row_id: str, _column: str, value: Any) -> dict[str, str]:
        return dict(ALARM_STYLE) if str(row_id) in bad_rows or value in bad_values else {}
    return style


def unsynced_note(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """One line per angle that sync left out, with its reason, or None when all took part."""
    lines = [f"- **{r.get('angle_type')} {r.get('video_id')}**: {r.get('sync_reason') or 'not placed on the event clock'}"
             for r in rows if r.get("sync_status") == "unsynced"]
    if not lines:
        return None
    return ("These angles are not synced, so they are left out of the edit, the sound and the reels:\n"
            + "\n".join(lines))
