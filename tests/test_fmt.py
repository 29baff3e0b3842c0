"""anchor_core.fmt: numbers with units and sensible precision, and tables of them as text."""

from __future__ import annotations

import math
from datetime import datetime

import polars as pl
import pytest

from anchor_core import fmt


def test_seconds_are_signed_only_when_asked_and_never_minus_zero():
    assert fmt.seconds(7.25, signed=True) == "+7.250 s"
    assert fmt.seconds(-2.35, signed=True) == "-2.350 s"
    assert fmt.seconds(7.25) == "7.250 s"
    assert fmt.seconds(62.5, places=1) == "62.5 s"
    assert fmt.seconds(-0.0001, signed=True) == "+0.000 s"  # rounds to zero: no "-0.000"
    assert fmt.seconds(0.0) == "0.000 s"


def test_durations_read_as_a_clock():
    assert fmt.duration(62.5) == "1:02.5"
    assert fmt.duration(42.5) == "0:42.5"
    assert fmt.duration(3723.5) == "1:02:03.5"
    assert fmt.duration(59.96) == "1:00.0"  # rounded before splitting, never "0:60.0"
    assert fmt.duration(86, places=0) == "1:26"
    assert fmt.duration(-1.5) == "-0:01.5"
    assert fmt.clock_ms(62_500) == "1:02.5"
    assert fmt.clock_ms(0) == "0:00.0"


def test_levels_rates_and_shares():
    assert fmt.ppm(62.395) == "62 ppm"
    assert fmt.ppm(-44.8, signed=True) == "-45 ppm"
    assert fmt.ppm(0.0, signed=True) == "+0 ppm"
    assert fmt.lufs(-16) == "-16.0 LUFS"
    assert fmt.db(-3) == "-3.0 dB"
    assert fmt.db(2, signed=True) == "+2.0 dB"
    assert fmt.percent(0.93) == "93%"
    assert fmt.percent(52.2, places=1, fraction=False) == "52.2%"
    assert fmt.confidence(0.931) == "0.93"
    assert fmt.confidence(1) == "1.00"
    assert fmt.money(19.9, "usd") == "19.90 USD"
    assert fmt.money(19.9) == "19.90"
    assert fmt.fps(30.0) == "30 fps" and fmt.fps(29.97) == "29.97 fps" and fmt.fps(100) == "100 fps"
    assert fmt.factor(1.5) == "1.50×"


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, "n/a", True])
def test_missing_values_show_a_dash_in_every_formatter(missing):
    for f in (fmt.seconds, fmt.duration, fmt.clock_ms, fmt.ppm, fmt.lufs, fmt.db, fmt.percent, fmt.confidence,
              fmt.money, fmt.fps, fmt.factor, fmt.number):
        assert f(missing) == fmt.MISSING, f.__name__


def test_keyword_only_options():
    with pytest.raises(TypeError):
        fmt.seconds(1.0, True)  # type: ignore[misc]  # signed= must be named


def test_product_label_names_the_price_when_there_is_one():
    assert fmt.product_label("Scarf", "Terrace Co", 24.5, "USD") == "Scarf (Terrace Co) · 24.50 USD"
    assert fmt.product_label("Scarf", None, None, None) == "Scarf (no vendor)"


def test_table_for_display_formats_every_column_as_text():
    frame = pl.DataFrame({
        "video_id": ["a", "b"], "sync_offset_s": [0.0, 7.25], "sync_drift_ppm": [None, 62.4],
        "sync_confidence": [1.0, 0.98234], "other": [0.123456, None], "ok": [True, False],
        "tags": [["cheer", "speech"], []], "made": [datetime(2026, 1, 2, 3, 4, 5, 678), None],
    })
    out = fmt.table_for_display(frame, fmt.SYNC_UNITS, names=fmt.SYNC_NAMES)
    assert out.columns == ["video_id", "offset", "drift", "confidence", "other", "ok", "tags", "made"]
    assert all(dtype == pl.Utf8 for dtype in out.dtypes)
    assert out.row(0) == ("a", "+0.000 s", "—", "1.00", "0.12", "yes", "cheer, speech", "2026-01-02 03:04:05")
    assert out.row(1) == ("b", "+7.250 s", "+62 ppm", "0.98", "—", "no", "", "—")


def test_table_for_display_ignores_units_and_names_for_absent_columns():
    frame = pl.DataFrame({"duration_s": [62.5]})
    out = fmt.table_for_display(frame, {**fmt.OUTPUT_UNITS, "absent": fmt.ppm}, names={"absent": "x"})
    assert out.to_dicts() == [{"duration_s": "1:02.5"}]
    assert fmt.table_for_display(pl.DataFrame()).height == 0
    assert fmt.units_for(frame, fmt.SYNC_UNITS) == {}


def test_unsynced_angles_are_named_with_their_reason_and_styled_red():
    rows = [{"video_id": "vid_a", "angle_type": "wide", "sync_status": "synced", "sync_reason": ""},
            {"video_id": "vid_b", "angle_type": "crowd", "sync_status": "unsynced",
             "sync_reason": "no overlap found: the best match is at noise level"}]
    note = fmt.unsynced_note(rows)
    assert note and "crowd vid_b" in note and "noise level" in note and "vid_a" not in note
    assert fmt.unsynced_note(rows[:1]) is None
    style = fmt.alarm_style(fmt.alarm_rows([r["sync_status"] for r in rows]))
    assert style("1", "video_id", "vid_b")["color"] == fmt.ALARM_STYLE["color"]
    assert style("0", "video_id", "vid_a") == {}
    assert style("0", "sync_status", "unsynced")  # a cell that says so is red wherever it sits
