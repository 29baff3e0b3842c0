"""Placing every angle on the reference's clock from pairwise measurements.

Angles that never overlap the reference are reached through others (A–B and B–C give A–C);
with more measurements than angles, one weighted least-squares solution makes them agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Edge:
    a: int  # measured: b's first sample plays at a's time `offset_s`, b's clock runs drift_ppm vs a's
    b: int
    offset_s: float
    drift_ppm: float
    weight: float


def solve_offsets(n: int, reference: int, edges: list[Edge]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offset_s, drift_ppm, placed) per angle in the reference's time.

    Drifts first (d_b - d_a = d_ab), then offsets (o_b - o_a = o_ab * (1 + d_a)), each a weighted
    least-squares problem over the connected component of the reference."""
    placed = np.zeros(n, bool)
    placed[reference] = True
    changed = True
    while changed:  # the component reachable from the reference
        changed = False
        for e in edges:
            if placed[e.a] != placed[e.b]:
                placed[e.a] = placed[e.b] = True
                changed = True
    idx = [i for i in range(n) if placed[i] and i != reference]
    col = {v: k for k, v in enumerate(idx)}
    use = [e for e in edges if placed[e.a] and placed[e.b]]
    drift = np.zeros(n)
    offset = np.zeros(n)
    if idx and use:
        A = np.zeros((len(use), len(idx)))
        w = np.sqrt(np.array([max(e.weight, 1e-3) for e in use]))
        y = np.array([e.drift_ppm for e in use])
        for r, e in enumerate(use):
            if e.b != reference:
                A[r, col[e.b]] += 1
            if e.a != reference:
                A[r, col[e.a]] -= 1
        sol = np.linalg.lstsq(A * w[:, None], y * w, rcond=None)[0]
        drift[idx] = sol
        y = np.array([e.offset_s * (1 + drift[e.a] * 1e-6) for e in use])
        sol = np.linalg.lstsq(A * w[:, None], y * w, rcond=None)[0]
        offset[idx] = sol
    return offset, drift, placed
