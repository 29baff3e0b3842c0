"""Chapter lists for the places chapters go: YouTube descriptions, WebVTT, ffmetadata (mp4).

All take (start seconds, title) pairs (the ffmetadata writer is the media layer's) and the total duration; YouTube's rules are enforced
because a single violation silently disables every chapter on the video.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ValidationError

ChapterList = Sequence[tuple[float, str]]
YOUTUBE_MIN_CHAPTERS = 3
YOUTUBE_MIN_LENGTH_S = 10.0
YOUTUBE_TITLE_CHARS = 49


def _clean(title: str) -> str:
    return " ".join(str(title).split()) or "Chapter"


def _clock(t: float, *, hours: bool) -> str:
    s = int(t)
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    return f"{h}:{m:02d}:{sec:02d}" if hours else f"{m}:{sec:02d}"


def youtube_chapters(chapters: ChapterList, duration_s: float) -> str:
    cs = sorted(chapters)
    problems = []
    if not cs or cs[0][0] != 0:
        problems.append("the first chapter must start at 0:00")
    if len(cs) < YOUTUBE_MIN_CHAPTERS:
        problems.append(f"YouTube needs at least {YOUTUBE_MIN_CHAPTERS} chapters, this timeline has {len(cs)}")
    ends = [c[0] for c in cs[1:]] + [duration_s]
    short = [f"{_clean(t)!r} ({e - s:.1f} s)" for (s, t), e in zip(cs, ends, strict=True) if e - s < YOUTUBE_MIN_LENGTH_S]
    if short:
        problems.append(f"every chapter must last at least {YOUTUBE_MIN_LENGTH_S:.0f} s: {', '.join(short)}")
    if problems:
        raise ValidationError("cannot write a YouTube chapter list: " + "; ".join(problems)
                              + ". Lower the profile's chapter_min_spacing_ms or use a longer event.")
    hours = duration_s >= 3600
    return "\n".join(f"{_clock(s, hours=hours)} {_clean(t)[:YOUTUBE_TITLE_CHARS]}" for s, t in cs) + "\n"


def _vtt_time(t: float) -> str:
    ms = int(round(t * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def vtt_chapters(chapters: ChapterList, duration_s: float) -> str:
    cs = sorted(chapters)
    out = ["WEBVTT", ""]
    for i, (s, t) in enumerate(cs):
        end = cs[i + 1][0] if i + 1 < len(cs) else duration_s
        title = _clean(t).replace("-->", "→")
        out += [f"chapter-{i + 1}", f"{_vtt_time(s)} --> {_vtt_time(end)}", title, ""]
    return "\n".join(out)
