"""Filtergraph text, built safely. Every user-supplied value that reaches ffmpeg goes through
here: numbers are formatted, colours and names are allow-listed, and text is never put in the
graph at all — it is written to a file of ours and drawn with `textfile=...:expansion=none`.

ffmpeg's escaping levels: option values (`\\ ' :`) inside filter descriptions (`\\ ' [ ] , ;`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ValidationError

_COLOUR = re.compile(r"^(#?[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?|[a-z]+)(@(0(\.\d+)?|1(\.0+)?))?$")
_LABEL = re.compile(r"^[A-Za-z0-9_]+$")


def _bs(text: str, chars: str) -> str:
    for ch in chars:  # backslash first, so later escapes are not doubled
        text = text.replace(ch, "\\" + ch)
    return text


def escape_value(value: str) -> str:
    """Escape a string for use as one option value inside a filtergraph (levels 1 and 2)."""
    return _bs(_bs(value, "\\':"), "\\'[],;")


def path_value(path: str | Path) -> str:
    """A file path of ours as an option value (paths are still escaped: tmp dirs can be odd)."""
    return escape_value(str(Path(path).resolve()))


def num(x: float, digits: int = 6) -> str:
    """A finite number as plain decimal text (no exponents, no locale surprises)."""
    if x != x or x in (float("inf"), float("-inf")):
        raise ValidationError(f"not a finite number: {x!r}")
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def colour(value: str) -> str:
    if not _COLOUR.match(value):
        raise ValidationError(f"not a colour: {value!r}")
    return value


def label(name: str) -> str:
    if not _LABEL.match(name):
        raise ValidationError(f"bad filter label {name!r}")
    return f"[{name}]"


def drawtext(
    textfile: str | Path, *, fontfile: str | Path, size: int, x: str, y: str, color: str = "white",
    box: str | None = None, enable: tuple[float, float] | None = None, borderw: int = 0,
    box_border: int | None = None,
) -> str:
    """drawtext reading its text from our own file, with expansion off: the text is drawn
    literally whatever it contains (quotes, %, :, backslashes, filter syntax)."""
    opts = [
        f"fontfile={path_value(fontfile)}",
        f"textfile={path_value(textfile)}",
        "expansion=none",
        f"fontsize={int(size)}",
        f"fontcolor={colour(color)}",
        f"x={_expr(x)}",
        f"y={_expr(y)}",
    ]
    if borderw:
        opts.append(f"borderw={int(borderw)}:bordercolor=black@0.6")
    if box:
        pad = max(4, size // 3) if box_border is None else box_border
        opts.append(f"box=1:boxcolor={colour(box)}:boxborderw={int(pad)}")
    if enable:
        opts.append(f"enable='between(t,{num(enable[0])},{num(enable[1])})'")
    return "drawtext=" + ":".join(opts)


_EXPR = re.compile(r"^[A-Za-z0-9_+\-*/().,<> ]+$")


def _expr(e: str) -> str:
    """Layout expressions are ours, but check them anyway: no quotes, colons or brackets."""
    if not _EXPR.match(e):
        raise ValidationError(f"unsafe expression {e!r}")
    return e.replace(",", "\\,")


def write_text_file(folder: str | Path, name: str, text: str) -> Path:
    """Write display text for drawtext: control characters dropped, length bounded."""
    clean = "".join(ch for ch in text if ch == "\n" or ch.isprintable())[:200]
    path = Path(folder) / name
    path.write_text(clean, encoding="utf-8")
    return path


def default_font() -> Path:
    """A font that ships with a dependency (matplotlib's DejaVu Sans), so drawtext works on a
    machine without system fonts."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    if not path.is_file():
        path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return path


ELLIPSIS = "\u2026"


class TextMeasure:
    """Widths of text in one font at any pixel size, from the font file drawtext uses.

    Glyph advances are read once per character (unhinted, in em) and scaled, so a fit can try
    many sizes cheaply; kerning is left out, which only ever overestimates. Characters the font
    lacks measure as its missing-glyph box, which is what drawtext draws for them."""

    def __init__(self, fontfile: str | Path) -> None:
        from matplotlib import ft2font

        self._font = ft2font.FT2Font(str(fontfile))
        flags = getattr(ft2font, "LoadFlags", None)  # matplotlib >= 3.10; a plain int before
        self._flags: Any = flags.NO_HINTING if flags is not None else getattr(ft2font, "LOAD_NO_HINTING", 2)
        self._font.set_size(64, 72)  # 64 px: advances come back in 1/65536 px
        upem = float(self._font.units_per_EM)
        self.ascent = self._font.ascender / upem
        self.descent = -self._font.descender / upem
        self._em: dict[str, float] = {}

    def advance_em(self, ch: str) -> float:
        em = self._em.get(ch)
        if em is None:
            glyph = self._font.load_char(ord(ch), flags=self._flags)
            em = self._em[ch] = glyph.linearHoriAdvance / 65536.0 / 64.0
        return em

    def width(self, text: str, size: float) -> float:
        """Pixels from the first glyph's origin to the last one's advance, plus a little for a
        last glyph whose ink overhangs its advance."""
        if not text:
            return 0.0
        return size * (sum(self.advance_em(ch) for ch in text) + 0.08)

    def line_height(self, size: float) -> int:
        """The tallest ink a line can have below its top (drawtext puts y at the text's top)."""
        return math.ceil(size * (self.ascent + self.descent))


@dataclass(frozen=True)
class FittedText:
    """Text laid out to fit a box: its lines (top to bottom), the pixel size and the distance
    between line tops. `shortened` says an ellipsis replaced what did not fit."""

    lines: tuple[str, ...]
    size: int
    line_step: int
    shortened: bool = False


def fit_text(
    text: str, measure: TextMeasure, *, width: int, height: int, max_size: int, min_size: int,
    max_lines: int = 2, border: int = 0,
) -> FittedText:
    """The largest size (max_size down to min_size) at which `text` wraps at spaces into at most
    `max_lines` lines inside width x height; a word wider than the box is broken. If even
    min_size needs more lines, the last line ends with an ellipsis. `border` is drawtext's
    borderw, which widens the ink on every side."""
    words = " ".join(text.split()).split(" ")
    min_size = max(1, min(min_size, max_size))
    for size in range(max_size, min_size - 1, -1):
        step = round(size * 1.2)
        n = _lines_that_fit(height - 2 * border, measure.line_height(size), step, max_lines)
        if n < 1:
            continue
        lines = _wrap(words, _fits(measure, size, width - 2 * border), n)
        if lines is not None:
            return FittedText(tuple(lines), size, step)
    size, step = min_size, round(min_size * 1.2)
    n = max(1, _lines_that_fit(height - 2 * border, measure.line_height(size), step, max_lines))
    fits = _fits(measure, size, width - 2 * border)
    lines = _wrap(words, fits, None) or [""]
    if len(lines) <= n:
        return FittedText(tuple(lines), size, step)
    last = lines[n - 1]
    while last and not fits(last + ELLIPSIS):
        last = last[:-1]
    return FittedText((*lines[: n - 1], last.rstrip() + ELLIPSIS), size, step, shortened=True)


def _lines_that_fit(height: int, line_height: int, step: int, max_lines: int) -> int:
    if height < line_height:
        return 0
    return min(max_lines, 1 + (height - line_height) // max(1, step))


def _fits(measure: TextMeasure, size: int, width: int) -> Callable[[str], bool]:
    return lambda s: measure.width(s, size) <= width


def _wrap(words: list[str], fits: Callable[[str], bool], max_lines: int | None) -> list[str] | None:
    """Greedy wrap at spaces, breaking words wider than a line; None once it needs more than
    max_lines lines."""
    lines: list[str] = []
    cur = ""
    for word in words:
        candidate = f"{cur} {word}" if cur else word
        if fits(candidate):
            cur = candidate
            continue
        if cur:
            lines.append(cur)
        while len(word) > 1 and not fits(word):
            k = _longest_prefix(word, fits)
            lines.append(word[:k])
            word = word[k:]
        cur = word
        if max_lines is not None and len(lines) >= max_lines:
            return None
    if cur:
        lines.append(cur)
    return lines


def _longest_prefix(word: str, fits: Callable[[str], bool]) -> int:
    lo, hi = 1, len(word) - 1  # at least one character per line, so the wrap always advances
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(word[:mid]):
            lo = mid
        else:
            hi = mid - 1
    return lo
