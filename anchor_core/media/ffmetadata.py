"""ffmpeg's metadata file (chapters and title for the mp4): one writer for the render and the export."""

from __future__ import annotations

import re
from collections.abc import Sequence


def ffmetadata_chapters(chapters: Sequence[tuple[float, str]], duration_s: float, title: str = "") -> str:
    """TIMEBASE=1/1000 always: without it libavformat 62 reads START/END as nanoseconds."""

    def esc(s: str) -> str:
        return re.sub(r"([=;#\\\n])", r"\\\1", s)

    lines = [";FFMETADATA1"]
    if title:
        lines.append(f"title={esc(title)}")
    cs = sorted(chapters)
    for i, (s, t) in enumerate(cs):
        end = cs[i + 1][0] if i + 1 < len(cs) else duration_s
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={int(round(s * 1000))}", f"END={int(round(end * 1000))}",
                  f"title={esc(t)}"]
    return "\n".join(lines) + "\n"
