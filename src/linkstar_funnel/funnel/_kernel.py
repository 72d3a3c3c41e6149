"""Numba kernel: the linear pass over every entity and its attempts.

Rows come grouped by entity and time-ordered from :mod:`._sort`; one attempt of one entity
is a kernel of :mod:`._attempts`.

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

from ._attempts import (
    NEG,
    ORDERED,
    STRICT,
    UNORDERED,
    _ordered_attempt,
    _ordered_fast_attempt,
    _unordered_attempt,
)

__all__ = ["NEG", "ORDERED", "STRICT", "UNORDERED", "funnel_pass"]


@njit(cache=True)
def _grow(arr: Any, need: int) -> Any:  # pragma: no cover
    if need <= arr.shape[0]:
        return arr
    out = np.empty(max(need, 2 * arr.shape[0]), dtype=arr.dtype)
    out[: arr.shape[0]] = arr
    return out


@njit(cache=True, nogil=True)
def _attempts_bound(starts: Any, e: int, ms: Any, k_n: int) -> int:  # pragma: no cover
    """At most this many attempts of entity ``e`` (totals): each one but the last completes
    the funnel on its own row matching the last stage."""
    last = 1 << (k_n - 1)
    n = 1
    for r in range(starts[e], starts[e + 1]):
        if ms[r] & last:
            n += 1
    return n


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
    # dense: one record per entity, written into the caller's d_level / d_seg (level -2:
    # no stage event at all); otherwise records per attempt in growable arrays. Arrays are
    # grown here, between calls of the entity loop: reassigning them inside that loop makes
    # numba reference-count them on every iteration (7x slower).
    out_ent = np.empty(0 if dense else n_ent, dtype=np.int64)
    out_level = d_level if dense else np.empty(n_ent, dtype=np.int8)
    out_seg = d_seg if dense else np.empty(n_ent, dtype=np.int64)
    out_off = np.zeros(n_ent + 1, dtype=np.int64)
    r_t = np.empty(n_ent + k_n, dtype=np.int64)
    r_s = np.empty(n_ent + k_n, dtype=np.int64)
    e = 0
    o = 0
    w = 0
    while True:
        e, o, w = _entity_loop(
            e,
            starts,
            ts,
            ms,
            xs,
            seg,
            k_n,
            window,
            gaps,
            has_gaps,
            mode,
            entry_first,
            strict_inc,
            distinct,
            noise_breaks,
            totals,
            ex_from,
            ex_to,
            attribution,
            dense,
            (sc, best, prev_s, new, mm, head, tail, dq_t, dq_s, reach_pos, reach_start),
            (out_ent, out_level, out_seg, out_off, r_t, r_s),
            o,
            w,
        )
        if e == n_ent:
            break
        grow_o = _attempts_bound(starts, e, ms, k_n) if totals else 1
        if not dense and o + grow_o > out_level.shape[0]:
            out_ent = _grow(out_ent, o + grow_o)
            out_level = _grow(out_level, o + grow_o)
            out_seg = _grow(out_seg, o + grow_o)
            out_off = _grow(out_off, o + grow_o + 1)
        if w + k_n * grow_o > r_t.shape[0]:
            r_t = _grow(r_t, w + k_n * grow_o)
            r_s = _grow(r_s, w + k_n * grow_o)
    return out_ent[:o], out_level[:o], out_seg[:o], out_off[: o + 1], r_t[:w], r_s[:w]


@njit(cache=True, nogil=True)
def _entity_loop(
    e0: int,
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
    scratch: Any,
    out: Any,
    o: int,
    w: int,
) -> tuple[int, int, int]:  # pragma: no cover
    """Entities from ``e0`` on, until the output arrays might not hold the next one.

    Returns the next entity to do and the record and reach counts written so far.
    """
    sc, best, prev_s, new, mm, head, tail, dq_t, dq_s, reach_pos, reach_start = scratch
    out_ent, out_level, out_seg, out_off, r_t, r_s = out
    n_ent = starts.shape[0] - 1
    n_ex = ex_from.shape[0]
    fast = mode == ORDERED and not (has_gaps or distinct or strict_inc)
    has_seg = seg.shape[0] > 0
    write_seg = has_seg or not dense
    for e in range(e0, n_ent):
        lo, hi = starts[e], starts[e + 1]
        # Worst case: every attempt reaching every stage.
        need = _attempts_bound(starts, e, ms, k_n) if totals else 1
        if o + need > out_level.shape[0] or w + k_n * need > r_t.shape[0]:
            return e, o, w
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
            if fast:
                level, end = _ordered_fast_attempt(
                    p, hi, ts, ms, k_n, window, entry_first, best, reach_pos, reach_start
                )
            elif mode == UNORDERED:
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
    return n_ent, o, w
