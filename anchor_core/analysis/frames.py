"""Per-frame picture measures, accumulated chunk by chunk from one decode pass.

Frames arrive as small gray images (a few hundred pixels wide). Cuts and global motion use a
4x block mean (robust to noise and compression), object motion a 2x one (small players stay
visible), detail and faces the decoded size itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .shots import ThroughBlack, signatures

_CASCADE = "haarcascade_frontalface_default.xml"


def block_mean(frames: np.ndarray, k: int) -> np.ndarray:
    """(n, h, w) uint8 -> (n, h//k, w//k) float32 means of k x k blocks (OpenCV's area resize)."""
    n, h, w = frames.shape
    size = (w // k, h // k)
    out = np.empty((n, size[1], size[0]), dtype=np.float32)
    for i in range(n):
        out[i] = cv2.resize(frames[i], size, interpolation=cv2.INTER_AREA)
    return out


def _explains(a: np.ndarray, b: np.ndarray, dx: float, dy: float, border: int = 4) -> bool:
    """True when shifting the whole picture by (dx, dy) accounts for most of the change: a camera
    move, not many things moving the same way (a jumping crowd)."""
    m = np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32)
    moved = cv2.warpAffine(a, m, (a.shape[1], a.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inner = (slice(border, -border), slice(border, -border))
    raw = float(np.abs(b[inner] - a[inner]).mean())
    left = float(np.abs(b[inner] - moved[inner]).mean())
    return raw > 0.5 and left <= 0.6 * raw


@dataclass
class FrameSeries:
    """Everything measured per frame (index = frame), plus sparse face counts."""

    times_s: np.ndarray
    content: np.ndarray  # mean |change| from the previous frame, 4x blocks, 0-255
    persist: np.ndarray  # mean |change| from the previous frame to the next one
    motion: np.ndarray  # object motion per 1/30 s: mean of |change| above noise, 2x blocks
    pan: np.ndarray  # global shift, frame widths per second
    luma: np.ndarray
    detail: np.ndarray  # mean gradient magnitude (NaN where not sampled)
    face_times_s: np.ndarray
    face_counts: np.ndarray
    black_cuts_s: np.ndarray = field(default_factory=lambda: np.zeros(0))  # shot changes through black


class FrameMeter:
    """Feed chunks of gray frames with their times; `series()` returns the measures."""

    def __init__(self, *, face_interval_s: float = 1.0, detail_every: int = 5) -> None:
        self.face_interval_s = face_interval_s
        self.detail_every = detail_every
        self._detector = cv2.CascadeClassifier(cv2.data.haarcascades + _CASCADE)  # type: ignore[attr-defined]
        if self._detector.empty():  # pragma: no cover - the wheel always ships it
            raise RuntimeError("OpenCV's face model is missing from the installed wheel")
        self._prev4: np.ndarray | None = None
        self._prev2: np.ndarray | None = None
        self._prev_prev4: np.ndarray | None = None
        self._prev_t: float | None = None
        self._next_face = 0.0
        self._n = 0
        self._parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                                    ("t", "content", "skip", "motion", "pan", "luma", "detail")}
        self._faces_t: list[float] = []
        self._faces_n: list[int] = []
        self._black = ThroughBlack()

    def add(self, times_s: np.ndarray, frames: np.ndarray) -> None:
        if len(frames) == 0:
            return
        f4 = block_mean(frames, 4)
        f2 = block_mean(frames, 2)
        prev4 = f4[:1] if self._prev4 is None else self._prev4[None]
        prev2 = f2[:1] if self._prev2 is None else self._prev2[None]
        all4 = np.concatenate([prev4, f4])
        all2 = np.concatenate([prev2, f2])
        content = np.abs(np.diff(all4, axis=0)).mean(axis=(1, 2))
        pp4 = all4[:1] if self._prev_prev4 is None else self._prev_prev4[None]
        two_back = np.concatenate([pp4, all4[:-1]])[:-1] if len(all4) > 1 else all4
        skip = np.abs(all4[1:] - two_back).mean(axis=(1, 2))  # frame i vs frame i-2
        d2 = np.abs(np.diff(all2, axis=0))
        moving = np.maximum(d2 - 6.0, 0.0).mean(axis=(1, 2))
        t = np.asarray(times_s, dtype=np.float64)
        prev_t = t[0] - 1 / 30 if self._prev_t is None else self._prev_t
        dt = np.diff(np.concatenate([[prev_t], t]))
        dt = np.where(dt > 1e-4, dt, 1 / 30)
        motion = moving * np.minimum((1 / 30) / dt, 2.0)
        pan = np.zeros(len(t))
        win = cv2.createHanningWindow((f4.shape[2], f4.shape[1]), cv2.CV_32F)
        for i in range(len(t)):
            a = all4[i]
            b = all4[i + 1]
            (dx, dy), resp = cv2.phaseCorrelate(a, b, win)
            if resp > 0.2 and np.hypot(dx, dy) >= 0.5 and _explains(a, b, dx, dy):
                pan[i] = float(np.hypot(dx, dy)) / f4.shape[2] / dt[i]
        detail = np.full(len(t), np.nan)
        for i in range(len(t)):
            if (self._n + i) % self.detail_every == 0:
                g = frames[i].astype(np.float32)
                detail[i] = 0.5 * (np.abs(np.diff(g, axis=0)).mean() + np.abs(np.diff(g, axis=1)).mean())
            if t[i] >= self._next_face:
                found = self._detector.detectMultiScale(frames[i], scaleFactor=1.15, minNeighbors=5,
                                                        minSize=(20, 20))
                self._faces_t.append(float(t[i]))
                self._faces_n.append(len(found))
                self._next_face = float(t[i]) + self.face_interval_s
        if self._n == 0:
            content[0] = 0.0
            motion[0] = 0.0
            pan[0] = 0.0
        p = self._parts
        p["t"].append(t)
        p["content"].append(content)
        p["skip"].append(skip)
        p["motion"].append(motion)
        p["pan"].append(pan)
        luma = f4.mean(axis=(1, 2))
        self._black.feed(t, luma, content, *signatures(f4))
        p["luma"].append(luma)
        p["detail"].append(detail)
        self._prev_prev4 = all4[-2]
        self._prev4 = f4[-1]
        self._prev2 = f2[-1]
        self._prev_t = float(t[-1])
        self._n += len(t)

    def series(self) -> FrameSeries:
        p = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in self._parts.items()}
        skip = p["skip"]
        # persist[i] = change from frame i-1 to frame i+1 = skip[i+1]
        persist = np.concatenate([skip[1:], skip[-1:]]) if len(skip) else skip
        return FrameSeries(p["t"], p["content"], persist, p["motion"], p["pan"], p["luma"], p["detail"],
                           np.asarray(self._faces_t), np.asarray(self._faces_n, dtype=np.int64),
                           np.asarray(self._black.cuts, dtype=np.float64))
