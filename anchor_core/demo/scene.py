"""A moving football scene drawn from one simulated world, seen by three cameras.

Wide: the whole pitch. Closeup: a camera that follows the ball, a moving crop of the same
world. Crowd: a phone in the stands, portrait. Every view shows the scoreboard light that
flashes with the referee's whistle and a coloured marker naming its angle, so the render
tests can tell which angle is on screen and check picture/sound alignment.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .timeline_truth import MatchScript

PITCH_W, PITCH_H = 105.0, 68.0
MARKERS_BGR = {"wide": (0, 0, 230), "closeup": (0, 200, 0), "crowd": (230, 60, 0)}
GRID_DT = 0.005


@dataclass(frozen=True)
class World:
    """Positions of ball and players sampled on a fine event-time grid."""

    t0: float
    ball: np.ndarray  # (n, 2) metres
    players: np.ndarray  # (n, 22, 2)
    camera: np.ndarray  # (n, 2) where the closeup camera looks (lags the ball)
    excite: np.ndarray  # (n,)

    def index(self, t: float) -> int:
        return int(np.clip(round((t - self.t0) / GRID_DT), 0, len(self.excite) - 1))


def simulate(script: MatchScript, t_start: float, t_end: float) -> World:
    rng = np.random.default_rng(script.seed)
    t = np.arange(t_start, t_end + GRID_DT, GRID_DT)
    ex = script.excitement(t)
    speed = 0.15 + 2.6 * ex**1.5  # how fast the play evolves
    phase = np.cumsum(speed) * GRID_DT
    cx, cy = PITCH_W / 2, PITCH_H / 2
    ball = np.stack(
        [cx + 38 * np.sin(0.31 * phase) * np.cos(0.07 * phase), cy + 24 * np.sin(0.53 * phase + 0.8)], axis=1
    )
    home = np.stack([rng.uniform(8, PITCH_W - 8, 22), rng.uniform(6, PITCH_H - 6, 22)], axis=1)
    freq = rng.uniform(0.2, 0.6, (22, 2))
    ph = rng.uniform(0, 2 * np.pi, (22, 2))
    wander = 4.0 * np.sin(phase[:, None, None] * freq[None] * 3.0 + ph[None])
    pull = (0.25 + 0.5 * ex)[:, None, None]
    players = home[None] + pull * (ball[:, None, :] - home[None]) + wander
    # The camera operator follows the ball with a lag (first-order smoothing, ~0.6 s).
    alpha = GRID_DT / 0.6
    cam = np.empty_like(ball)
    cam[0] = ball[0]
    for i in range(1, len(ball)):
        cam[i] = cam[i - 1] + alpha * (ball[i] - cam[i - 1])
    return World(t_start, ball, players, cam, ex)


def _pitch_image(px_per_m: float, margin_m: float = 4.0) -> np.ndarray:
    w = int((PITCH_W + 2 * margin_m) * px_per_m)
    h = int((PITCH_H + 2 * margin_m) * px_per_m)
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (40, 120, 40)
    stripe = int(5 * px_per_m)
    for x in range(0, w, 2 * stripe):
        img[:, x : x + stripe] = (48, 135, 48)

    def p(x: float, y: float) -> tuple[int, int]:
        return int((x + margin_m) * px_per_m), int((y + margin_m) * px_per_m)

    lw = max(1, int(0.2 * px_per_m))
    white = (235, 235, 235)
    cv2.rectangle(img, p(0, 0), p(PITCH_W, PITCH_H), white, lw)
    cv2.line(img, p(PITCH_W / 2, 0), p(PITCH_W / 2, PITCH_H), white, lw)
    cv2.circle(img, p(PITCH_W / 2, PITCH_H / 2), int(9.15 * px_per_m), white, lw)
    for x0, x1 in ((0, 16.5), (PITCH_W - 16.5, PITCH_W)):
        cv2.rectangle(img, p(x0, PITCH_H / 2 - 20.15), p(x1, PITCH_H / 2 + 20.15), white, lw)
    # Texture so the closeup has detail to move across (advertising boards along the side).
    rng = np.random.default_rng(3)
    for x in range(0, w, int(6 * px_per_m)):
        colour = tuple(int(c) for c in rng.integers(60, 255, 3))
        cv2.rectangle(img, (x, 0), (x + int(5.5 * px_per_m), int(2.5 * px_per_m)), colour, -1)
        cv2.rectangle(img, (x, h - int(2.5 * px_per_m)), (x + int(5.5 * px_per_m), h), colour, -1)
    return img


def _overlay(frame: np.ndarray, angle: str, flash: bool) -> None:
    h, w = frame.shape[:2]
    s = max(12, h // 14)
    frame[h - s - 4 : h - 4, 4 : 4 + s] = MARKERS_BGR[angle]
    light = (255, 255, 255) if flash else (40, 40, 40)
    frame[4 : 4 + s, w - 2 * s - 4 : w - 4] = light


class WideView:
    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.margin = 4.0
        self.ppm = min(width / (PITCH_W + 8), height / (PITCH_H + 8))
        pitch = _pitch_image(self.ppm, self.margin)
        self.bg = np.zeros((height, width, 3), np.uint8)
        self.bg[:] = (30, 30, 30)
        oy, ox = (height - pitch.shape[0]) // 2, (width - pitch.shape[1]) // 2
        self.bg[oy : oy + pitch.shape[0], ox : ox + pitch.shape[1]] = pitch
        self.ox, self.oy = ox, oy

    def render(self, world: World, t: float, script: MatchScript) -> np.ndarray:
        i = world.index(t)
        f = self.bg.copy()
        r = max(3, int(0.9 * self.ppm))
        for k, (x, y) in enumerate(world.players[i]):
            col = (40, 40, 220) if k < 11 else (220, 120, 30)
            cv2.circle(f, self._pt(x, y), r, col, -1)
        cv2.circle(f, self._pt(*world.ball[i]), max(2, r // 2 + 1), (250, 250, 250), -1)
        _overlay(f, "wide", script.flash(t))
        return f

    def _pt(self, x: float, y: float) -> tuple[int, int]:
        return int(self.ox + (x + self.margin) * self.ppm), int(self.oy + (y + self.margin) * self.ppm)


class CloseupView:
    """A tight camera: renders a 3x zoomed window that follows the ball."""

    def __init__(self, width: int, height: int, zoom: float = 3.2) -> None:
        self.w, self.h = width, height
        self.margin = 12.0
        self.view_w_m = PITCH_W / zoom
        self.view_h_m = self.view_w_m * height / width
        self.ppm = width / self.view_w_m
        self.big = _pitch_image(self.ppm, self.margin)

    def render(self, world: World, t: float, script: MatchScript) -> np.ndarray:
        i = world.index(t)
        cx = float(np.clip(world.camera[i, 0], self.view_w_m / 2 - 6, PITCH_W - self.view_w_m / 2 + 6))
        cy = float(np.clip(world.camera[i, 1], self.view_h_m / 2 - 6, PITCH_H - self.view_h_m / 2 + 6))
        x0 = int((cx - self.view_w_m / 2 + self.margin) * self.ppm)
        y0 = int((cy - self.view_h_m / 2 + self.margin) * self.ppm)
        f = self.big[y0 : y0 + self.h, x0 : x0 + self.w].copy()
        if f.shape[:2] != (self.h, self.w):
            f = cv2.resize(f, (self.w, self.h))
        r = max(4, int(0.9 * self.ppm))

        def pt(x: float, y: float) -> tuple[int, int]:
            return int((x + self.margin) * self.ppm) - x0, int((y + self.margin) * self.ppm) - y0

        for k, (x, y) in enumerate(world.players[i]):
            col = (40, 40, 220) if k < 11 else (220, 120, 30)
            c = pt(x, y)
            cv2.circle(f, c, r, col, -1)
            cv2.circle(f, (c[0], c[1] - int(r * 1.3)), max(2, r // 2), (150, 190, 230), -1)
        cv2.circle(f, pt(*world.ball[i]), max(3, r // 2), (250, 250, 250), -1)
        _overlay(f, "closeup", script.flash(t))
        return f


class CrowdView:
    """A phone in the stands, held upright: rows of fans who jump when the play gets exciting."""

    def __init__(self, width: int, height: int, seed: int = 11) -> None:
        self.w, self.h = width, height
        rng = np.random.default_rng(seed)
        self.bg = np.zeros((height, width, 3), np.uint8)
        self.bg[:] = (70, 70, 80)
        rows, cols = 14, 9
        self.rows, self.cols = rows, cols
        self.pitch_y = height - height // 6
        self.bg[self.pitch_y :] = (40, 120, 40)
        ys = np.linspace(height * 0.12, self.pitch_y - 20, rows)
        xs = np.linspace(width * 0.07, width * 0.93, cols)
        self.pos = np.array([(x + (j % 2) * 8, y) for j, y in enumerate(ys) for x in xs])
        self.colours = [tuple(int(c) for c in rng.integers(40, 250, 3)) for _ in range(len(self.pos))]
        self.phase = rng.uniform(0, 2 * np.pi, len(self.pos))
        self.freq = rng.uniform(1.6, 2.6, len(self.pos))
        self.r = max(5, int(width / cols * 0.28))
        for j in range(rows):
            y = int(ys[j]) + self.r + 6
            cv2.line(self.bg, (0, y), (width, y), (90, 90, 100), 3)

    def render(self, world: World, t: float, script: MatchScript) -> np.ndarray:
        ex = float(world.excite[world.index(t)])
        f = self.bg.copy()
        jump = 2.0 + 22.0 * ex**1.3
        dy = -np.abs(np.sin(2 * np.pi * self.freq * t + self.phase)) * jump
        arms = ex > 0.5
        for k, ((x, y), col) in enumerate(zip(self.pos, self.colours, strict=True)):
            c = (int(x), int(y + dy[k]))
            cv2.circle(f, c, self.r, col, -1)
            cv2.circle(f, (c[0], c[1] - self.r), max(3, self.r // 2), (150, 190, 230), -1)
            if arms:
                cv2.line(f, (c[0] - self.r, c[1]), (c[0] - self.r - 4, c[1] - 2 * self.r), col, 3)
                cv2.line(f, (c[0] + self.r, c[1]), (c[0] + self.r + 4, c[1] - 2 * self.r), col, 3)
        _overlay(f, "crowd", script.flash(t))
        return f
