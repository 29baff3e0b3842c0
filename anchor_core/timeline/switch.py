"""Choosing the angle per window: the platform's greedy hysteresis and a globally optimal DP.

Both work on window indices and return runs (angle, first window, end window exclusive) that
tile [0, n). Both honour eligibility, a minimum and a maximum run length; the DP maximises the
total score minus a cost per switch, the hysteresis switcher is what the platform describes
(switch only when the new best beats the current by the threshold, after the minimum).
"""

from __future__ import annotations

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
                    hysteresis: float, last_fraction: float = 1.0) -> list[Run]:
    """Greedy switching. `last_fraction`: how much of the last window the event still covers,
    so the run that ends the event is measured by its real length."""
    A, n = scores.shape
    cols = scores.T.tolist()
    runs_el = eligible_runs(eligible).T.tolist()
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
            # cut away at the maximum, or earlier if waiting would leave a stub at the end
            too_long = length >= max_windows or max_windows < length + remaining < max_windows + min_windows
            if too_long:
                b = _pick(col, runs, c, need)
                nxt = b if b >= 0 and col[b] > NEG / 2 else c
            else:
                b = _pick(col, runs, -1, need)
                if b >= 0 and b != c and beats_by(col[b], col[c], hysteresis):
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
    p_short, p_over = 1e6, 1e5
    s = np.where(eligible, scores, NEG / 1e3)  # keep sums finite and exact enough
    csum = np.concatenate([np.zeros((A, 1)), np.cumsum(s, axis=1)], axis=1)  # (A, n+1)
    G = np.full((n + 1, A), -np.inf)
    G[0] = 0.0
    top1v = np.full(n + 1, -np.inf)
    top1i = np.zeros(n + 1, dtype=np.int64)
    top2v = np.full(n + 1, -np.inf)
    top1v[0] = top2v[0] = switch_cost  # the first run pays no switch
    same0 = np.full(A, -np.inf)
    ptr_len = np.zeros((n + 1, A), dtype=np.int64)
    ptr_prev = np.full((n + 1, A), -1, dtype=np.int64)
    lens_all = np.arange(1, mx + 1)
    pen_all = np.where(lens_all < mn, p_short, 0.0)
    ar = np.arange(A)
    for k in range(1, n + 1):
        L = lens_all[: min(mx, k)]
        j = k - L
        other = np.where(top1i[j][:, None] == ar[None, :], top2v[j][:, None], top1v[j][:, None]) - switch_cost
        same = G[j] - p_over
        if k - L[-1] == 0:
            same[-1] = same0
        use_same = same > other
        best_prev = np.where(use_same, same, other)
        gain = (csum[:, k][None, :] - csum[:, j].T)
        pen = pen_all[: L.size][:, None]
        if k == n and last_fraction < 1.0:  # the run that ends the event: measured by its real length
            pen = np.where(L - 1 + last_fraction < mn - 1e-9, p_short, 0.0)[:, None]
        cand = best_prev + gain - pen
        li = np.argmax(cand, axis=0)
        G[k] = cand[li, ar]
        ptr_len[k] = L[li]
        jj = j[li]
        prev_other = np.where(top1i[jj] == ar, -2, top1i[jj])  # -2: the runner-up, resolved below
        ptr_prev[k] = np.where(use_same[li, ar], ar, prev_other)
        order = np.argsort(G[k])[::-1]
        top1i[k], top1v[k] = order[0], G[k][order[0]]
        top2v[k] = G[k][order[1]] if A > 1 else -np.inf
    # walk back
    runs: list[Run] = []
    k = n
    a = int(np.argmax(G[n]))
    while k > 0:
        L_ = int(ptr_len[k, a])
        j_ = k - L_
        runs.append((a, j_, k))
        prev = int(ptr_prev[k, a])
        if prev == -2:  # came from the best angle other than top1 (which was a): the runner-up
            order = np.argsort(G[j_])[::-1]
            prev = int(order[1]) if A > 1 else a
        a, k = (prev if prev >= 0 else a), j_
    runs.reverse()
    return merge_runs(runs)


def merge_runs(runs: list[Run]) -> list[Run]:
    out: list[Run] = []
    for r in runs:
        if out and out[-1][0] == r[0] and out[-1][2] == r[1]:
            out[-1] = (r[0], out[-1][1], r[2])
        else:
            out.append(r)
    return out
