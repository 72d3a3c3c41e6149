"""Numba kernels for one attempt of one entity: its rows [lo, hi), time-ordered.

Each returns (level, end position) and fills ``reach_pos[s]`` / ``reach_start[s]`` as
described in :mod:`._funnel_kernel`; :func:`_ordered_fast_attempt` is the
default mode (ClickHouse's) without the bookkeeping the other options need.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from ._funnel_matching import _match_prefix, _try_assign

NEG = np.iinfo(np.int64).min

# Order modes, as passed to the kernel.
ORDERED, STRICT, UNORDERED = 0, 1, 2


@njit(cache=True, inline="always")
def _serving_row(ms: Any, i: int, s: int) -> int:  # pragma: no cover
    """The first row from ``i`` (within its tie group) matching stage ``s``."""
    r = i
    while ((ms[r] >> s) & 1) == 0:
        r += 1
    return r


@njit(cache=True)
def _ordered_attempt(
    lo: int,
    hi: int,
    ts: Any,
    ms: Any,
    k_n: int,
    window: int,
    gaps: Any,
    has_gaps: bool,
    strict: bool,
    entry_first: bool,
    strict_inc: bool,
    distinct: bool,
    noise_breaks: bool,
    best: Any,
    prev_s: Any,
    new: Any,
    mm: Any,
    head: Any,
    tail: Any,
    sc: Any,
    dq_t: Any,
    dq_s: Any,
    reach_pos: Any,
    reach_start: Any,
) -> tuple[int, int]:  # pragma: no cover
    """Strict mode, and the ordered mode with step windows, distinct events or strictly
    increasing ties, over rows [lo, hi) (the plain ordered mode is
    :func:`_ordered_fast_attempt`). Returns (level, end position)."""
    row_match, stage_match, seen, parent, queue = sc[0], sc[1], sc[2], sc[3], sc[4]
    for s in range(k_n):
        best[s] = NEG
        prev_s[s] = NEG
        reach_pos[s] = -1
        reach_start[s] = NEG
        head[s] = 0
        tail[s] = 0
    prev_time = NEG
    started = False
    level = 0
    i = lo
    while i < hi:
        t = ts[i]
        j = i + 1
        u_mask = ms[i]
        while j < hi and ts[j] == t:
            u_mask |= ms[j]
            j += 1
        if u_mask == 0:
            if noise_breaks:
                for s in range(k_n):
                    prev_s[s] = NEG
                prev_time = t
            i = j
            continue
        # M[s]: best start of a chain that may take stage s at time t.
        mm[0] = NEG
        if (u_mask & 1) != 0 and not (entry_first and started):
            mm[0] = t
            started = True
        for s in range(1, k_n):
            cand = NEG
            if strict:
                if prev_time != NEG and (not has_gaps or t - prev_time <= gaps[s - 1]):
                    cand = prev_s[s - 1]
            elif has_gaps:
                q = s - 1
                while head[q] < tail[q] and dq_t[q, head[q]] < t - gaps[q]:
                    head[q] += 1
                if head[q] < tail[q]:
                    cand = dq_s[q, head[q]]
            else:
                cand = best[s - 1]
            if cand != NEG and t - cand > window:
                cand = NEG
            mm[s] = cand
        for s in range(k_n):
            new[s] = NEG
        m = j - i
        if strict_inc or (distinct and m == 1):
            for s in range(k_n):
                if (u_mask >> s) & 1:
                    new[s] = mm[s]
        elif not distinct:
            run = NEG
            for s in range(k_n):
                if (u_mask >> s) & 1:
                    run = max(run, mm[s])
                    new[s] = run
                else:
                    run = NEG
        else:
            for a in range(k_n):
                if mm[a] == NEG:
                    continue
                for r in range(m):
                    row_match[r] = -1
                for s in range(k_n):
                    stage_match[s] = -1
                for s in range(a, k_n):
                    if not _try_assign(s, ms[i:j], m, row_match, stage_match, seen, parent, queue):
                        break
                    new[s] = max(new[s], mm[a])
        for s in range(k_n):
            if new[s] != NEG and reach_pos[s] == -1:
                reach_pos[s] = _serving_row(ms, i, s)
                reach_start[s] = new[s]
                level = s + 1
        if strict:
            for s in range(k_n):
                prev_s[s] = new[s]
            prev_time = t
        elif has_gaps:
            for s in range(k_n):
                if new[s] != NEG:
                    while tail[s] > head[s] and dq_s[s, tail[s] - 1] <= new[s]:
                        tail[s] -= 1
                    dq_t[s, tail[s]] = t
                    dq_s[s, tail[s]] = new[s]
                    tail[s] += 1
        else:
            for s in range(k_n):
                best[s] = max(best[s], new[s])
        i = j
        if level == k_n:
            return level, i
    return level, hi


@njit(cache=True)
def _ordered_fast_attempt(
    lo: int,
    hi: int,
    ts: Any,
    ms: Any,
    k_n: int,
    window: int,
    entry_first: bool,
    best: Any,
    reach_pos: Any,
    reach_start: Any,
) -> tuple[int, int]:  # pragma: no cover
    """The default ordered mode (ClickHouse's in-place update, stages of a tie group in
    ascending order) without the bookkeeping the other options need."""
    for s in range(k_n):
        best[s] = NEG
        reach_pos[s] = -1
        reach_start[s] = NEG
    started = False
    level = 0
    i = lo
    while i < hi:
        t = ts[i]
        j = i + 1
        u_mask = ms[i]
        while j < hi and ts[j] == t:
            u_mask |= ms[j]
            j += 1
        for s in range(k_n):
            if (u_mask >> s) == 0:
                break
            if ((u_mask >> s) & 1) == 0:
                continue
            if s == 0:
                if entry_first and started:
                    continue
                cand = t
                started = True
            else:
                cand = best[s - 1]
                if cand == NEG or t - cand > window:
                    continue
            best[s] = max(best[s], cand)
            if reach_pos[s] == -1:
                reach_pos[s] = _serving_row(ms, i, s)
                reach_start[s] = cand
                level = s + 1
        i = j
        if level == k_n:
            return level, i
    return level, hi


@njit(cache=True)
def _unordered_attempt(
    lo: int,
    hi: int,
    ts: Any,
    ms: Any,
    k_n: int,
    window: int,
    entry_first: bool,
    distinct: bool,
    last_t: Any,
    last_p: Any,
    sc: Any,
    reach_pos: Any,
    reach_start: Any,
) -> tuple[int, int]:  # pragma: no cover
    """Unordered mode: stages 1..k all within one window (span ≤ window), any order."""
    for s in range(k_n):
        last_t[s] = NEG
        last_p[s] = -1
        reach_pos[s] = -1
        reach_start[s] = NEG
    first_pos = -1
    level = 0
    left = lo
    i = lo
    while i < hi:
        t = ts[i]
        j = i
        while j < hi and ts[j] == t:
            for s in range(k_n):
                if (
                    (ms[j] >> s) & 1
                    and last_t[s] < t
                    and not (s == 0 and entry_first and first_pos >= 0)
                ):
                    last_t[s] = t
                    last_p[s] = j
            if entry_first and first_pos < 0 and (ms[j] & 1):
                first_pos = j
            j += 1
        i_next = j
        while ts[left] < t - window:
            left += 1
        ok = not entry_first or (first_pos >= 0 and ts[first_pos] >= t - window)
        if ok and level < k_n:
            if distinct:
                k = _match_prefix(left, j, ms, k_n, first_pos if entry_first else -1, sc)
            else:
                k = 0
                while k < k_n and last_t[k] != NEG and last_t[k] >= t - window:
                    k += 1
            if k > level:
                for s in range(level, k):
                    if distinct:
                        lft = j - 1
                        while (
                            _match_prefix(lft, j, ms, k_n, first_pos if entry_first else -1, sc)
                            <= s
                        ):
                            lft -= 1
                        reach_pos[s] = last_p[s]  # latest stage-s event, as without distinct
                        reach_start[s] = ts[lft]
                    else:
                        start = t
                        for q in range(s + 1):
                            start = min(start, last_t[q])
                        reach_pos[s] = last_p[s]
                        reach_start[s] = start
                level = k
        i = i_next
        if level == k_n:
            return level, i
    return level, hi
