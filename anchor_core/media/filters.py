"""Filtergraph text, built safely. Every user-supplied value that reaches ffmpeg goes through
here: numbers are formatted, colours and names are allow-listed, and text is never put in the
graph at all — it is written to a file of ours and drawn with `textfile=...:expansion=none`.

ffmpeg's escaping levels: option values (`\\ ' :`) inside filter descriptions (`\\ ' [ ] , ;`).
"""

from __future__ import annotations

import re
from pathlib import Path

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
        opts.append(f"box=1:boxcolor={colour(box)}:boxborderw={max(4, size // 3)}")
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
