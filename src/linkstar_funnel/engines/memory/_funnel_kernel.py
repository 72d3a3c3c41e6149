"""Numba kernel: the linear pass over every entity and its attempts.

Rows come grouped by entity and time-ordered from :mod:`._funnel_sort`; one attempt of one
entity is a kernel of :mod:`._funnel_attempts`.

Conventions (all arrays int64): stages are 0-based bits of ``ms`` (row -> stages matched);
``xs`` holds exclusion bits; ``NEG`` marks "no chain". Per entity and attempt the pass
fills ``reach_pos[s]`` (sorted position of the row serving stage ``s`` when the entity
first reached it, -1 if never) and ``reach_start[s]`` (start time of the chain with the
latest start among those reaching ``s`` first). The semantics are documented in
``linkstar_funnel.funnel``'s ``Funnel``; ``tests/funnel/reference.py`` states them as plain
Python. The options come as one :class:`PassOptions` record (a NamedTuple, which numba
passes as one struct). The per-attempt helpers are inlined into the entity loop at numba's
IR level (``inline="always"``): as calls, the arrays they take were reference-counted on
every attempt.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import njit

from ._funnel_attempts import (
    NEG,
    ORDERED,
    STRICT,
    UNORDERED,
    _ordered_attempt,
    _ordered_fast_attempt,
    _unordered_attempt,
)

__all__ = ["NEG", "ORDERED", "STRICT", "UNORDERED", "PassOptions", "funnel_pass"]


class PassOptions(NamedTuple):
    """The kernel pass's options, lowered from a ``FunnelQuery`` (times in ns since t0).

    ``mode`` is :data:`ORDERED`, :data:`STRICT` or :data:`UNORDERED`; ``gaps`` one
    maximum gap per transition (int64 max: none); ``ex_from`` / ``ex_to`` 0-based steps of
    the exclusions (bit ``x`` of ``xs``); ``attribution`` -1 first touch, -2 last touch,
    else the 0-based step whose event gives the segment.
    """

    k_n: int
    window: int
    gaps: Any
    has_gaps: bool
    mode: int
    entry_first: bool
    strict_inc: bool
    distinct: bool
    noise_breaks: bool
    totals: bool
    ex_from: Any
    ex_to: Any
    attribution: int


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
    opts: PassOptions,
    dense: bool,
    d_level: Any,
    d_seg: Any,
) -> tuple[Any, ...]:  # pragma: no cover
    """One pass over every entity; returns per attempt: entity, level (-1: excluded),
    segment code, offsets into the ragged reach times and chain starts (steps reached)."""
    k_n = opts.k_n
    n_ent = starts.shape[0] - 1
    max_len = 1
    for e in range(n_ent):
        max_len = max(max_len, starts[e + 1] - starts[e])
    size = max(k_n, max_len)
    cap = max_len if (opts.has_gaps and opts.mode == ORDERED) else 1
    scratch = (
        np.empty((5, size), dtype=np.int64),  # sc
        np.empty(k_n, dtype=np.int64),  # best
        np.empty(k_n, dtype=np.int64),  # prev_s
        np.empty(k_n, dtype=np.int64),  # new
        np.empty(k_n, dtype=np.int64),  # mm
        np.empty(k_n, dtype=np.int64),  # head
        np.empty(k_n, dtype=np.int64),  # tail
        np.empty((k_n, cap), dtype=np.int64),  # dq_t
        np.empty((k_n, cap), dtype=np.int64),  # dq_s
        np.empty(k_n, dtype=np.int64),  # reach_pos
        np.empty(k_n, dtype=np.int64),  # reach_start
    )
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
            opts,
            dense,
            scratch,
            (out_ent, out_level, out_seg, out_off, r_t, r_s),
            o,
            w,
        )
        if e == n_ent:
            break
        grow_o = _attempts_bound(starts, e, ms, k_n) if opts.totals else 1
        if not dense and o + grow_o > out_level.shape[0]:
            out_ent = _grow(out_ent, o + grow_o)
            out_level = _grow(out_level, o + grow_o)
            out_seg = _grow(out_seg, o + grow_o)
            out_off = _grow(out_off, o + grow_o + 1)
        if w + k_n * grow_o > r_t.shape[0]:
            r_t = _grow(r_t, w + k_n * grow_o)
            r_s = _grow(r_s, w + k_n * grow_o)
    return out_ent[:o], out_level[:o], out_seg[:o], out_off[: o + 1], r_t[:w], r_s[:w]


@njit(cache=True, nogil=True, inline="always")
def _attempt(
    p: int,
    hi: int,
    ts: Any,
    ms: Any,
    opts: PassOptions,
    sc: Any,
    best: Any,
    prev_s: Any,
    new: Any,
    mm: Any,
    head: Any,
    tail: Any,
    dq_t: Any,
    dq_s: Any,
    reach_pos: Any,
    reach_start: Any,
) -> tuple[int, int]:  # pragma: no cover
    """One attempt over rows [p, hi) by the unordered or the general ordered kernel
    (the plain ordered mode calls its fast kernel directly): (level, end position); the
    scratch arrays come unpacked (unpacking a tuple of arrays per attempt costs a
    reference count per array)."""
    k_n, window, entry_first, distinct = opts.k_n, opts.window, opts.entry_first, opts.distinct
    if opts.mode == UNORDERED:
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
            opts.gaps,
            opts.has_gaps,
            opts.mode == STRICT,
            entry_first,
            opts.strict_inc,
            distinct,
            opts.noise_breaks,
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
    return level, end  # one return: see _serving_pos


@njit(cache=True, nogil=True, inline="always")
def _excluded(
    p: int, end: int, ts: Any, xs: Any, ex_from: Any, ex_to: Any, reach_pos: Any
) -> bool:  # pragma: no cover
    """Whether an excluded event of rows [p, end) falls strictly between the first reach
    of its exclusion's two steps (both reached)."""
    excluded = False  # one return: see _serving_pos
    for x in range(ex_from.shape[0]):
        fi, tj = ex_from[x], ex_to[x]
        if excluded or reach_pos[tj] < 0:
            continue
        t_lo, t_hi = ts[reach_pos[fi]], ts[reach_pos[tj]]
        for r in range(p, end):
            if (xs[r] >> x) & 1 and t_lo < ts[r] < t_hi:
                excluded = True
                break
    return excluded


@njit(cache=True, nogil=True, inline="always")
def _serving_pos(attribution: int, level: int, reach_pos: Any) -> int:  # pragma: no cover
    """The row whose segment the attempt takes (-1: the attribution step was not reached).

    One return: numba inlines a function with several returns into awkward control flow
    (an early-returning helper inlined into the entity loop made the pass 2x slower)."""
    step = attribution
    if attribution == -1:
        step = 0
    elif attribution == -2:
        step = max(level, 1) - 1
    return int(reach_pos[step])


@njit(cache=True, nogil=True)
def _entity_loop(
    e0: int,
    starts: Any,
    ts: Any,
    ms: Any,
    xs: Any,
    seg: Any,
    opts: PassOptions,
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
    k_n, totals, attribution = opts.k_n, opts.totals, opts.attribution
    ex_from, ex_to = opts.ex_from, opts.ex_to  # read once: array fields are ref-counted
    has_ex = ex_from.shape[0] > 0
    fast = opts.mode == ORDERED and not (opts.has_gaps or opts.distinct or opts.strict_inc)
    window, entry_first = opts.window, opts.entry_first
    n_ent = starts.shape[0] - 1
    has_seg = seg.shape[0] > 0
    write_seg = has_seg or not dense
    for e in range(e0, n_ent):
        lo, hi = starts[e], starts[e + 1]
        # Worst case: every attempt reaching every stage.
        need = _attempts_bound(starts, e, ms, k_n) if totals else 1
        if o + need > out_level.shape[0] or w + k_n * need > r_t.shape[0]:
            return e, o, w
        in_funnel = False  # any row matching a stage (a loop here: see _serving_pos)
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
            if fast:  # the default mode: ClickHouse's, no bookkeeping
                level, end = _ordered_fast_attempt(
                    p, hi, ts, ms, k_n, window, entry_first, best, reach_pos, reach_start
                )
            else:
                level, end = _attempt(
                    p,
                    hi,
                    ts,
                    ms,
                    opts,
                    sc,
                    best,
                    prev_s,
                    new,
                    mm,
                    head,
                    tail,
                    dq_t,
                    dq_s,
                    reach_pos,
                    reach_start,
                )
            if level == 0 and a > 0:
                break
            if not dense:
                out_ent[o] = e
            excluded = has_ex and _excluded(p, end, ts, xs, ex_from, ex_to, reach_pos)
            out_level[o] = -1 if excluded else level
            if write_seg:
                pos = _serving_pos(attribution, level, reach_pos)
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
