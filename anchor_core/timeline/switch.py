"""Choosing the angle per window: the platform's greedy hysteresis and a globally optimal DP.

Both work on window indices and return runs (angle, first window, end window exclusive) that
tile [0, n). Both honour eligibility, a minimum and a maximum run length; the DP maximises the
total score minus a cost per switch, the hysteresis switcher is what the platform describes
(switch only when the new best beats the current by the threshold, after the minimum).
"""

from __future__ import annotations

import numba
import numpy as np

from .score import NEG

Run = tuple[int, int, int]  # angle index, start window, end window (exclusive)


def beats_by(new: float, current: float, hysteresis: float) -> bool:
    """The platform's rule: 95 vs 70 at 30 % switches (1.36 > 1.30); 85 vs 70 does not."""
    if current > 0:
        return new >= current * (1.0 + hysteresis) - 1e-9
    return new > current + 1e-9 and new > 0


def eligible_runs(eligible: np.ndarray) -> np.ndarray:
    """For each angle and window: how many consecutive eligible windows start here."""
    A, n = eligible.shape
    idx = np.broadcast_to(np.arange(n), (A, n))
    nxt_false = np.where(eligible, n, idx)
    nxt_false = np.minimum.accumulate(nxt_false[:, ::-1], axis=1)[:, ::-1]
    return (nxt_false - idx).astype(np.int64)


def _pick(col: list[float], runs: list[int], exclude: int, need: int) -> int:
    """Best angle with a long enough eligible run; else the longest run; -1 when none is eligible."""
    best, best_v = -1, NEG
    for a, v in enumerate(col):
        if a != exclude and runs[a] >= need and v > best_v:
            best, best_v = a, v
    if best >= 0:
        return best
    longest = max(((r, col[a]), a) for a, r in enumerate(runs) if a != exclude) if len(runs) > 1 or exclude < 0 \
        else ((0, 0.0), -1)
    return longest[1] if longest[0][0] > 0 else -1


def hysteresis_runs(scores: np.ndarray, eligible: np.ndarray, *, min_windows: int, max_windows: int,
                    hysteresis: float, last_fraction: float = 1.0, planned: np.ndarray | None = None) -> list[Run]:
    """Greedy switching. `last_fraction`: how much of the last window the event still covers,
    so the run that ends the event is measured by its real length. `planned` (angles × windows):
    shots the profile's grammar wants; the current angle is not left for a shot whose minimum
    would keep it off screen where it is planned."""
    A, n = scores.shape
    cols = scores.T.tolist()
    runs_np = eligible_runs(eligible)
    runs_el = runs_np.T.tolist()
    # from each window on, the next window where some angle could start a minimum shot: the
    # earliest over angles and the runner-up, so "some other angle than c" is O(1)
    idx = np.where(runs_np >= min_windows, np.arange(n), n)
    next_ok = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]
    part = np.sort(next_ok, axis=0)
    first_ok = part[0].tolist()
    second_ok = (part[1] if A > 1 else np.full(n, n)).tolist()
    first_who = np.argmin(next_ok, axis=0).tolist()
    need0 = min(min_windows, n)
    c = _pick(cols[0], runs_el[0], -1, need0)
    if c < 0:
        c = int(np.argmax(scores[:, 0]))
    out: list[Run] = []
    s = 0
    for k in range(1, n):
        col, runs = cols[k], runs_el[k]
        length, remaining = k - s, n - k - 1 + last_fraction
        need = min(min_windows, n - k)
        nxt = c
        if runs[c] == 0:  # the current angle's footage ends: forced
            b = _pick(col, runs, c, need)
            nxt = b if b >= 0 else c
        elif length >= min_windows and remaining >= min_windows - 1e-9:
            # cut away at the maximum, or earlier if waiting would leave a stub at the end, or
            # now if no other angle could take a minimum shot later, before the maximum is due
            too_long = length >= max_windows or max_windows < length + remaining < max_windows + min_windows
            if not too_long and length + remaining > max_windows and k + 1 < n:
                due = s + max_windows
                later = second_ok[k + 1] if first_who[k + 1] == c else first_ok[k + 1]
                too_long = later > due and any(r >= need for b, r in enumerate(runs) if b != c)
            if too_long:
                b = _pick(col, runs, c, need)
                nxt = b if b >= 0 and col[b] > NEG / 2 else c
            else:
                b = _pick(col, runs, -1, need)
                held = planned is not None and b != c and bool(planned[c, k:k + need].any())
                if b >= 0 and b != c and not held and beats_by(col[b], col[c], hysteresis):
                    nxt = b
                    # offline, the change can be dated back: if the new angle already led in the
                    # previous window, cut there (the threshold only confirms the change)
                    prev = cols[k - 1]
                    if length - 1 >= min_windows and runs_el[k - 1][b] > 0 and prev[b] > prev[c]:
                        out.append((c, s, k - 1))
                        c, s = nxt, k - 1
                        continue
        if nxt != c:
            out.append((c, s, k))
            c, s = nxt, k
    out.append((c, s, n))
    return out


def optimal_runs(scores: np.ndarray, eligible: np.ndarray, *, min_windows: int, max_windows: int,
                 switch_cost: float, last_fraction: float = 1.0) -> list[Run]:
    """Maximise Σ score − switch_cost × switches over runs of min..max windows (dynamic programming).

    Runs shorter than the minimum, or an angle held past the maximum, are only chosen when the
    footage leaves no other way (they carry a large penalty rather than being impossible).
    """
    A, n = scores.shape
    mx = max(1, min(max_windows, n))
    mn = max(1, min(min_windows, mx))
    s = np.where(eligible, scores, NEG / 1e3).astype(np.float64)  # keep sums finite and exact enough
    G, ptr_len, ptr_prev = _optimal_table(np.ascontiguousarray(s), mn, mx, float(switch_cost),
                                          float(last_fraction), 1e6, 1e5)
    runs: list[Run] = []
    k = n
    a = int(np.argmax(G[n]))
    while k > 0:
        j = k - int(ptr_len[k, a])
        runs.append((a, j, k))
        prev = int(ptr_prev[k, a])
        a, k = (prev if prev >= 0 else a), j
    runs.reverse()
    return merge_runs(runs)


@numba.njit(cache=True)  # type: ignore[misc]
def _optimal_table(s: np.ndarray, mn: int, mx: int, switch_cost: float, last_fraction: float, p_short: float,
                   p_over: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """G[k, a]: the best total of runs tiling windows [0, k) whose last run is angle a; with the
    chosen last run length and the angle before it. O(windows × angles × max run) in compiled loops,
    keeping the best and runner-up totals per k so a switch costs O(1)."""
    A, n = s.shape
    csum = np.zeros((A, n + 1))
    for a in range(A):
        for k in range(n):
            csum[a, k + 1] = csum[a, k] + s[a, k]
    G = np.full((n + 1, A), -np.inf)
    G[0, :] = 0.0
    top1v = np.full(n + 1, -np.inf)
    top2v = np.full(n + 1, -np.inf)
    top1i = np.zeros(n + 1, dtype=np.int64)
    top2i = np.zeros(n + 1, dtype=np.int64)
    top1v[0] = switch_cost  # the first run pays no switch
    top2v[0] = switch_cost
    ptr_len = np.zeros((n + 1, A), dtype=np.int64)
    ptr_prev = np.full((n + 1, A), -1, dtype=np.int64)
    for k in range(1, n + 1):
        lmax = min(mx, k)
        for a in range(A):
            best = -np.inf
            best_len = 1
            best_prev = -1
            for length in range(1, lmax + 1):
                j = k - length
                if top1i[j] == a:
                    other, other_i = top2v[j] - switch_cost, top2i[j]
                else:
                    other, other_i = top1v[j] - switch_cost, top1i[j]
                same = -np.inf if j == 0 else G[j, a] - p_over  # the same angle again: held too long
                if same > other:
                    prev_total, prev_i = same, a
                else:
                    prev_total, prev_i = other, other_i
                if k == n and last_fraction < 1.0:  # the run that ends the event: its real length
                    pen = p_short if length - 1 + last_fraction < mn - 1e-9 else 0.0
                else:
                    pen = p_short if length < mn else 0.0
                c = prev_total + csum[a, k] - csum[a, j] - pen
                if c > best:
                    best, best_len, best_prev = c, length, (-1 if j == 0 else prev_i)
            G[k, a] = best
            ptr_len[k, a] = best_len
            ptr_prev[k, a] = best_prev
        t1, i1, t2, i2 = -np.inf, 0, -np.inf, 0
        for a in range(A):
            v = G[k, a]
            if v > t1:
                t2, i2 = t1, i1
                t1, i1 = v, a
            elif v > t2:
                t2, i2 = v, a
        top1v[k], top1i[k], top2v[k], top2i[k] = t1, i1, t2, i2
    return G, ptr_len, ptr_prev


def merge_runs(runs: list[Run]) -> list[Run]:
    out: list[Run] = []
    for r in runs:
        if out and out[-1][0] == r[0] and out[-1][2] == r[1]:
            out[-1] = (r[0], out[-1][1], r[2])
        else:
            out.append(r)
    return out
