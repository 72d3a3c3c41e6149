"""Numba kernels: group rows by entity, order by time, and one linear pass per entity.

Conventions (all arrays int64): stages are 0-based bits of ``ms`` (row -> stages matched);
``xs`` holds exclusion bits; ``NEG`` marks "no chain". Per entity and attempt the pass
fills ``reach_pos[s]`` (sorted position of the row serving stage ``s`` when the entity
first reached it, -1 if never) and ``reach_start[s]`` (start time of the chain with the
latest start among those reaching ``s`` first). The semantics are documented in
:mod:`linkstar_funnel.funnel._spec`; ``tests/funnel/reference.py`` states them as plain
Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from ._matching import _match_prefix, _try_assign

NEG = np.iinfo(np.int64).min

# Order modes, as passed to the kernel.
ORDERED, STRICT, UNORDERED = 0, 1, 2


@njit(cache=True, inline="always")
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
    """Ordered and strict modes over rows [lo, hi). Returns (level, end position)."""
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
    fast = not (strict or has_gaps or distinct or strict_inc)
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
        if fast:  # ClickHouse's in-place update: stages of the group in ascending order
            for s in range(k_n):
                if (u_mask >> s) == 0:
                    break
                if ((u_mask >> s) & 1) == 0:
                    continue
                if s == 0:
                    cand = NEG
                    if not (entry_first and started):
                        cand = t
                        started = True
                else:
                    cand = best[s - 1]
                    if cand == NEG or t - cand > window:
                        continue
                if cand == NEG:
                    continue
                best[s] = max(best[s], cand)
                if reach_pos[s] == -1:
                    r = i
                    while ((ms[r] >> s) & 1) == 0:
                        r += 1
                    reach_pos[s] = r
                    reach_start[s] = cand
                    level = s + 1
            i = j
            if level == k_n:
                return level, i
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
                r = i
                while ((ms[r] >> s) & 1) == 0:
                    r += 1
                reach_pos[s] = r
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


@njit(cache=True, inline="always")
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


@njit(cache=True)
def _grow(arr: Any, need: int) -> Any:  # pragma: no cover
    if need <= arr.shape[0]:
        return arr
    out = np.empty(max(need, 2 * arr.shape[0]), dtype=arr.dtype)
    out[: arr.shape[0]] = arr
    return out


@njit(cache=True, nogil=True)
def funnel_pass(
    starts: Any,
    ts: Any,
    ms: Any,
    xs: Any,
    seg: Any,
    k_n: int,
    window: int,
    gaps: Any,
    has_gaps: bool,
    mode: int,
    entry_first: bool,
    strict_inc: bool,
    distinct: bool,
    noise_breaks: bool,
    totals: bool,
    ex_from: Any,
    ex_to: Any,
    attribution: int,
    dense: bool,
    d_level: Any,
    d_seg: Any,
) -> tuple[Any, ...]:  # pragma: no cover
    """One pass over every entity; returns per attempt: entity, level (-1: excluded),
    segment code, offsets into the ragged reach times and chain starts (steps reached)."""
    n_ent = starts.shape[0] - 1
    max_len = 1
    for e in range(n_ent):
        max_len = max(max_len, starts[e + 1] - starts[e])
    size = max(k_n, max_len)
    sc = np.empty((5, size), dtype=np.int64)
    best = np.empty(k_n, dtype=np.int64)
    prev_s = np.empty(k_n, dtype=np.int64)
    new = np.empty(k_n, dtype=np.int64)
    mm = np.empty(k_n, dtype=np.int64)
    head = np.empty(k_n, dtype=np.int64)
    tail = np.empty(k_n, dtype=np.int64)
    cap = max_len if (has_gaps and mode == ORDERED) else 1
    dq_t = np.empty((k_n, cap), dtype=np.int64)
    dq_s = np.empty((k_n, cap), dtype=np.int64)
    reach_pos = np.empty(k_n, dtype=np.int64)
    reach_start = np.empty(k_n, dtype=np.int64)
    n_ex = ex_from.shape[0]
    has_seg = seg.shape[0] > 0
    # dense: one record per entity, written into the caller's d_level / d_seg (level -2:
    # no stage event at all); otherwise records per attempt in growable arrays.
    out_ent = np.empty(0 if dense else n_ent, dtype=np.int64)
    out_level = d_level if dense else np.empty(n_ent, dtype=np.int8)
    out_seg = d_seg if dense else np.empty(n_ent, dtype=np.int64)
    write_seg = has_seg or not dense
    out_off = np.zeros(n_ent + 1, dtype=np.int64)
    r_t = np.empty(n_ent, dtype=np.int64)
    r_s = np.empty(n_ent, dtype=np.int64)
    o = 0
    w = 0
    for e in range(n_ent):
        lo, hi = starts[e], starts[e + 1]
        in_funnel = False
        for r in range(lo, hi):
            if ms[r] != 0:
                in_funnel = True
                break
        if dense and not in_funnel:
            out_level[o] = -2
            if write_seg:
                out_seg[o] = -1
            o += 1
            out_off[o] = w
            continue
        a = 0
        p = lo
        while in_funnel and p < hi:
            if mode == UNORDERED:
                level, end = _unordered_attempt(
                    p,
                    hi,
                    ts,
                    ms,
                    k_n,
                    window,
                    entry_first,
                    distinct,
                    best,
                    prev_s,
                    sc,
                    reach_pos,
                    reach_start,
                )
            else:
                level, end = _ordered_attempt(
                    p,
                    hi,
                    ts,
                    ms,
                    k_n,
                    window,
                    gaps,
                    has_gaps,
                    mode == STRICT,
                    entry_first,
                    strict_inc,
                    distinct,
                    noise_breaks,
                    best,
                    prev_s,
                    new,
                    mm,
                    head,
                    tail,
                    sc,
                    dq_t,
                    dq_s,
                    reach_pos,
                    reach_start,
                )
            if level == 0 and a > 0:
                break
            excluded = False
            for x in range(n_ex):
                fi, tj = ex_from[x], ex_to[x]
                if reach_pos[tj] < 0:
                    continue
                t_lo, t_hi = ts[reach_pos[fi]], ts[reach_pos[tj]]
                for r in range(p, end):
                    if (xs[r] >> x) & 1 and t_lo < ts[r] < t_hi:
                        excluded = True
                        break
                if excluded:
                    break
            if not dense:
                if o >= out_ent.shape[0]:
                    out_ent = _grow(out_ent, o + 1)
                    out_level = _grow(out_level, o + 1)
                    out_seg = _grow(out_seg, o + 1)
                out_off = _grow(out_off, o + 2)
                out_ent[o] = e
            out_level[o] = -1 if excluded else level
            pos = -1
            if attribution == -1:
                pos = reach_pos[0]
            elif attribution == -2:
                pos = reach_pos[max(level, 1) - 1]
            else:
                pos = reach_pos[attribution]
            if write_seg:
                out_seg[o] = (seg[pos] if has_seg else 0) if pos >= 0 else -1
            if w + level > r_t.shape[0]:
                r_t = _grow(r_t, w + level)
                r_s = _grow(r_s, w + level)
            for s in range(level):
                r_t[w] = ts[reach_pos[s]]
                r_s[w] = reach_start[s]
                w += 1
            o += 1
            out_off[o] = w
            a += 1
            if not (totals and level == k_n):
                break
            p = end
    return out_ent[:o], out_level[:o], out_seg[:o], out_off[: o + 1], r_t[:w], r_s[:w]
