"""What a rendered file looks like: size, rate, quality, sound. Shared by the master, the
reels and the ad clips, which must match to be joined without re-encoding."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutputFormat:
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    crf: int = 21
    preset: str = "veryfast"
    audio_rate: int = 48000
    loudness_lufs: float = -16.0

    def frame(self, t: float) -> int:
        return int(round(t * self.fps))

    def snap(self, t: float) -> float:
        return self.frame(t) / self.fps


