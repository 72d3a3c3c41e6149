# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False, embedsignature=True
"""Compiled funnel pass: every entity's attempts in one linear pass (no GIL held).

Ported from the numba kernels the in-memory engine used before they were compiled at build
time (same names, arguments and results; ``tests/funnel/reference.py`` states the semantics
as plain Python, and the tests hold this pass to it). Rows come grouped by entity and time-ordered
(:mod:`linkstar_funnel._kernels.sort`). All arithmetic is int64 and wraps on overflow
(the extension is built with ``-fwrapv``); stage bits (``ms``) and exclusion bits (``xs``) are
int32 or int64 arrays, as the stage lookup tables are.

Conventions: stages are 0-based bits of ``ms``; ``NEG`` (int64 min) marks "no chain". Per
entity and attempt the pass fills ``reach_pos[s]`` (sorted position of the row serving stage
``s`` when the entity first reached it, -1 if never) and ``reach_start[s]`` (start time of
the chain with the latest start among those reaching ``s`` first).
"""

from libc.stdint cimport int8_t, int32_t, int64_t, uint64_t, INT64_MIN

import numpy as np

__all__ = [
    "CH_DEDUPLICATION",
    "CH_INCREASE",
    "CH_ORDER",
    "CH_REENTRY",
    "NEG",
    "ORDERED",
    "STRICT",
    "UNORDERED",
    "funnel_pass",
]

#: "No chain": the smallest int64.
NEG = -(2**63)
#: Order modes, as passed in the options' ``mode``.
ORDERED, STRICT, UNORDERED = 0, 1, 2

#: ClickHouse ``windowFunnel`` mode flags, OR-ed into the options' ``clickhouse`` (0: none).
CH_DEDUPLICATION, CH_ORDER, CH_INCREASE, CH_REENTRY = 1, 2, 4, 8

cdef enum:
    _ORDERED = 0
    _STRICT = 1
    _UNORDERED = 2

cdef enum:
    _CH_DEDUP = 1
    _CH_ORDER = 2
    _CH_INCREASE = 4
    _CH_REENTRY = 8

# Which attempt function runs, chosen once per pass from the options.
cdef enum:
    _K_FAST = 0
    _K_ORDERED = 1
    _K_UNORDERED = 2
    _K_CLICKHOUSE = 3

cdef int64_t _NEG = INT64_MIN

ctypedef fused mask_t:
    int32_t
    int64_t

ctypedef fused xmask_t:
    int32_t
    int64_t


cdef struct Opts:
    int64_t k_n
    int64_t window
    const int64_t* gaps
    bint has_gaps
    int64_t mode
    bint entry_first
    bint strict_inc
    bint distinct
    bint noise_breaks
    bint totals
    int64_t n_ex
    const int64_t* ex_from
    const int64_t* ex_to
    int64_t attribution
    int64_t clickhouse  # CH_* flags
    int64_t kernel  # _K_*


cdef struct Scratch:
    int64_t size  # row length of each of the five matching rows of ``sc``
    int64_t cap  # deque capacity per stage
    int64_t* sc  # row_match, stage_match, seen, parent, queue: 5 x size
    int64_t* best
    int64_t* prev_s
    int64_t* new
    int64_t* mm
    int64_t* head
    int64_t* tail
    int64_t* dq_t  # k_n x cap
    int64_t* dq_s  # k_n x cap
    int64_t* reach_pos
    int64_t* reach_start


cdef struct Out:
    int64_t* ent
    int8_t* level
    int64_t* seg
    int64_t* off
    int64_t* r_t
    int64_t* r_s
    int64_t cap_o  # records the level array holds
    int64_t cap_w  # reach entries r_t / r_s hold


cdef inline int64_t _max(int64_t a, int64_t b) noexcept nogil:
    return a if a >= b else b


cdef inline int64_t _min(int64_t a, int64_t b) noexcept nogil:
    return a if a <= b else b


# -- bipartite matching of stages to distinct rows (distinct_events=True at equal times) --


cdef bint _try_assign(
    int64_t s,
    const mask_t* gm,
    int64_t m,
    int64_t* row_match,
    int64_t* stage_match,
    int64_t* seen,
    int64_t* parent,
    int64_t* queue,
    int64_t blocked,
) noexcept nogil:
    """Augmenting-path step: give stage ``s`` a distinct row (row ``blocked`` is reserved)."""
    cdef int64_t r, qh, qt, u, rr, uu, prev
    for r in range(m):
        seen[r] = r == blocked
    qh = 0
    qt = 1
    queue[0] = s
    while qh < qt:
        u = queue[qh]
        qh += 1
        for r in range(m):
            if seen[r] or ((<int64_t>gm[r] >> u) & 1) == 0:
                continue
            seen[r] = 1
            parent[r] = u
            if row_match[r] == -1:
                rr = r
                while True:
                    uu = parent[rr]
                    prev = stage_match[uu]
                    stage_match[uu] = rr
                    row_match[rr] = uu
                    if uu == s:
                        return True
                    rr = prev
            else:
                queue[qt] = row_match[r]
                qt += 1
    return False


cdef int64_t _match_prefix(
    int64_t lo, int64_t hi, const mask_t* ms, int64_t k_n, int64_t fixed, Scratch* S
) noexcept nogil:
    """Longest prefix of stages matched to distinct rows in [lo, hi); ``fixed`` serves stage 0."""
    cdef int64_t* row_match = S.sc
    cdef int64_t* stage_match = S.sc + S.size
    cdef int64_t* seen = S.sc + 2 * S.size
    cdef int64_t* parent = S.sc + 3 * S.size
    cdef int64_t* queue = S.sc + 4 * S.size
    cdef int64_t m = hi - lo
    cdef int64_t r, s, first, blocked
    for r in range(m):
        row_match[r] = -1
    for s in range(k_n):
        stage_match[s] = -1
    first = 0
    if fixed >= 0:
        if fixed < lo or fixed >= hi:
            return 0
        stage_match[0] = fixed - lo
        first = 1
    blocked = fixed - lo if fixed >= 0 else -1
    for s in range(first, k_n):
        if not _try_assign(s, ms + lo, m, row_match, stage_match, seen, parent, queue, blocked):
            return s
    return k_n


# -- one attempt of one entity over its rows [lo, hi): level, and the end via ``end`` --


cdef inline int64_t _serving_row(const mask_t* ms, int64_t i, int64_t s) noexcept nogil:
    """The first row from ``i`` (within its tie group) matching stage ``s``."""
    cdef int64_t r = i
    while ((<int64_t>ms[r] >> s) & 1) == 0:
        r += 1
    return r


cdef int64_t _ordered_attempt(
    int64_t lo, int64_t hi, const int64_t* ts, const mask_t* ms, const Opts* op, Scratch* S,
    int64_t* end,
) noexcept nogil:
    """Strict mode, and the ordered mode with step windows, distinct events or strictly
    increasing ties (the plain ordered mode is :func:`_ordered_fast_attempt`)."""
    cdef int64_t k_n = op.k_n, window = op.window, cap = S.cap
    cdef const int64_t* gaps = op.gaps
    cdef bint has_gaps = op.has_gaps, strict = op.mode == _STRICT
    cdef bint entry_first = op.entry_first, strict_inc = op.strict_inc
    cdef bint distinct = op.distinct, noise_breaks = op.noise_breaks
    cdef int64_t* best = S.best
    cdef int64_t* prev_s = S.prev_s
    cdef int64_t* new = S.new
    cdef int64_t* mm = S.mm
    cdef int64_t* head = S.head
    cdef int64_t* tail = S.tail
    cdef int64_t* dq_t = S.dq_t
    cdef int64_t* dq_s = S.dq_s
    cdef int64_t* reach_pos = S.reach_pos
    cdef int64_t* reach_start = S.reach_start
    cdef int64_t* row_match = S.sc
    cdef int64_t* stage_match = S.sc + S.size
    cdef int64_t* seen = S.sc + 2 * S.size
    cdef int64_t* parent = S.sc + 3 * S.size
    cdef int64_t* queue = S.sc + 4 * S.size
    cdef int64_t s, q, a, r, i, j, m, t, u_mask, cand, run, prev_time, level
    cdef bint started
    for s in range(k_n):
        best[s] = _NEG
        prev_s[s] = _NEG
        reach_pos[s] = -1
        reach_start[s] = _NEG
        head[s] = 0
        tail[s] = 0
    prev_time = _NEG
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
                    prev_s[s] = _NEG
                prev_time = t
            i = j
            continue
        # mm[s]: best start of a chain that may take stage s at time t.
        mm[0] = _NEG
        if (u_mask & 1) != 0 and not (entry_first and started):
            mm[0] = t
            started = True
        for s in range(1, k_n):
            cand = _NEG
            if strict:
                if prev_time != _NEG and (not has_gaps or t - prev_time <= gaps[s - 1]):
                    cand = prev_s[s - 1]
            elif has_gaps:
                q = s - 1
                while head[q] < tail[q] and dq_t[q * cap + head[q]] < t - gaps[q]:
                    head[q] += 1
                if head[q] < tail[q]:
                    cand = dq_s[q * cap + head[q]]
            else:
                cand = best[s - 1]
            if cand != _NEG and t - cand > window:
                cand = _NEG
            mm[s] = cand
        for s in range(k_n):
            new[s] = _NEG
        m = j - i
        if strict_inc or (distinct and m == 1):
            for s in range(k_n):
                if (u_mask >> s) & 1:
                    new[s] = mm[s]
        elif not distinct:
            run = _NEG
            for s in range(k_n):
                if (u_mask >> s) & 1:
                    run = _max(run, mm[s])
                    new[s] = run
                else:
                    run = _NEG
        else:
            for a in range(k_n):
                if mm[a] == _NEG:
                    continue
                for r in range(m):
                    row_match[r] = -1
                for s in range(k_n):
                    stage_match[s] = -1
                for s in range(a, k_n):
                    if not _try_assign(
                        s, ms + i, m, row_match, stage_match, seen, parent, queue, -1
                    ):
                        break
                    new[s] = _max(new[s], mm[a])
        for s in range(k_n):
            if new[s] != _NEG and reach_pos[s] == -1:
                reach_pos[s] = _serving_row(ms, i, s)
                reach_start[s] = new[s]
                level = s + 1
        if strict:
            for s in range(k_n):
                prev_s[s] = new[s]
            prev_time = t
        elif has_gaps:
            for s in range(k_n):
                if new[s] != _NEG:
                    while tail[s] > head[s] and dq_s[s * cap + tail[s] - 1] <= new[s]:
                        tail[s] -= 1
                    dq_t[s * cap + tail[s]] = t
                    dq_s[s * cap + tail[s]] = new[s]
                    tail[s] += 1
        else:
            for s in range(k_n):
                best[s] = _max(best[s], new[s])
        i = j
        if level == k_n:
            end[0] = i
            return level
    end[0] = hi
    return level


cdef int64_t _ordered_fast_attempt(
    int64_t lo, int64_t hi, const int64_t* ts, const mask_t* ms, const Opts* op, Scratch* S,
    int64_t* end,
) noexcept nogil:
    """The default ordered mode (ClickHouse's in-place update, stages of a tie group in
    ascending order) without the bookkeeping the other options need."""
    cdef int64_t k_n = op.k_n, window = op.window
    cdef bint entry_first = op.entry_first
    cdef int64_t* best = S.best
    cdef int64_t* reach_pos = S.reach_pos
    cdef int64_t* reach_start = S.reach_start
    cdef int64_t s, i, j, t, u_mask, cand, level
    cdef bint started
    for s in range(k_n):
        best[s] = _NEG
        reach_pos[s] = -1
        reach_start[s] = _NEG
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
                if cand == _NEG or t - cand > window:
                    continue
            best[s] = _max(best[s], cand)
            if reach_pos[s] == -1:
                reach_pos[s] = _serving_row(ms, i, s)
                reach_start[s] = cand
                level = s + 1
        i = j
        if level == k_n:
            end[0] = i
            return level
    end[0] = hi
    return level


cdef int64_t _clickhouse_attempt(
    int64_t lo, int64_t hi, const int64_t* ts, const mask_t* ms, const Opts* op, Scratch* S,
    int64_t* end,
) noexcept nogil:
    """ClickHouse ``windowFunnel(window, modes...)`` with the mode flags of ``op.clickhouse``.

    ClickHouse 26's level loop (``AggregateFunctionWindowFunnel.cpp``), one equal-time group
    at a time: its entries sort by (time, step), a row matching no step (kept only under
    strict_order) sorting first. Levels reached always form a prefix, so ``reached`` and
    each level's chain ``first``/``last`` times are the whole state. A level's reach row and
    chain start are recorded when the pass first reaches it.
    """
    cdef int64_t k_n = op.k_n, window = op.window, flags = op.clickhouse
    cdef bint dedup = (flags & _CH_DEDUP) != 0, order = (flags & _CH_ORDER) != 0
    cdef bint increase = (flags & _CH_INCREASE) != 0, reentry = (flags & _CH_REENTRY) != 0
    cdef int64_t* first = S.best
    cdef int64_t* last = S.prev_s
    cdef int64_t* reach_pos = S.reach_pos
    cdef int64_t* reach_start = S.reach_start
    cdef int64_t s, i, j, t, acc, dup, m, f, reached
    cdef bint blank
    for s in range(k_n):
        reach_pos[s] = -1
        reach_start[s] = _NEG
    end[0] = hi
    reached = 0
    i = lo
    while i < hi:
        t = ts[i]
        j = i
        acc = 0
        dup = 0
        blank = False
        while j < hi and ts[j] == t:
            m = ms[j]
            dup |= acc & m  # steps matched by two rows or more at this time
            acc |= m
            blank = blank or m == 0
            j += 1
        if order and blank and reached > 0:  # an event matching no step breaks the chain
            return reached
        for s in range(k_n):
            if ((acc >> s) & 1) == 0:
                continue
            if s == 0:  # step 1 always (re)starts level 1
                first[0] = t
                last[0] = t
                if reached == 0:
                    reached = 1
                    reach_pos[0] = _serving_row(ms, i, 0)
                    reach_start[0] = t
                continue
            if dedup and reached > s:  # a repeat of a step already reached
                return reached
            if order and 0 < reached < s:  # a step before its predecessor
                if reentry:
                    continue
                return reached
            if reached >= s:
                f = first[s - 1]
                if t - f <= window and (not increase or last[s - 1] < t):
                    first[s] = f
                    last[s] = t
                    if reached == s:
                        reached = s + 1
                        reach_pos[s] = _serving_row(ms, i, s)
                        reach_start[s] = f
                        if reached == k_n:
                            return reached
            if dedup and (dup >> s) & 1 and reached > s:  # the same step twice at time t
                return reached
        i = j
    return reached


cdef int64_t _unordered_attempt(
    int64_t lo, int64_t hi, const int64_t* ts, const mask_t* ms, const Opts* op, Scratch* S,
    int64_t* end,
) noexcept nogil:
    """Unordered mode: stages 1..k all within one window (span <= window), any order."""
    cdef int64_t k_n = op.k_n, window = op.window
    cdef bint entry_first = op.entry_first, distinct = op.distinct
    cdef int64_t* last_t = S.best
    cdef int64_t* last_p = S.prev_s
    cdef int64_t* reach_pos = S.reach_pos
    cdef int64_t* reach_start = S.reach_start
    cdef int64_t s, q, i, j, k, t, i_next, left, lft, start, first_pos, level, fixed
    cdef bint ok
    for s in range(k_n):
        last_t[s] = _NEG
        last_p[s] = -1
        reach_pos[s] = -1
        reach_start[s] = _NEG
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
                    (<int64_t>ms[j] >> s) & 1
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
            fixed = first_pos if entry_first else -1
            if distinct:
                k = _match_prefix(left, j, ms, k_n, fixed, S)
            else:
                k = 0
                while k < k_n and last_t[k] != _NEG and last_t[k] >= t - window:
                    k += 1
            if k > level:
                for s in range(level, k):
                    if distinct:
                        lft = j - 1
                        while _match_prefix(lft, j, ms, k_n, fixed, S) <= s:
                            lft -= 1
                        reach_pos[s] = last_p[s]  # latest stage-s event, as without distinct
                        reach_start[s] = ts[lft]
                    else:
                        start = t
                        for q in range(s + 1):
                            start = _min(start, last_t[q])
                        reach_pos[s] = last_p[s]
                        reach_start[s] = start
                level = k
        i = i_next
        if level == k_n:
            end[0] = i
            return level
    end[0] = hi
    return level


# -- the pass over entities --


cdef int64_t _attempts_bound(
    const int64_t* starts, int64_t e, const mask_t* ms, int64_t k_n
) noexcept nogil:
    """At most this many attempts of entity ``e`` (totals): each one but the last completes
    the funnel on its own row matching the last stage."""
    cdef int64_t last = <int64_t>((<uint64_t>1) << (k_n - 1))
    cdef int64_t n = 1, r
    for r in range(starts[e], starts[e + 1]):
        if ms[r] & last:
            n += 1
    return n


cdef inline bint _in_funnel(const mask_t* ms, int64_t lo, int64_t hi) noexcept nogil:
    """Whether any of the rows [lo, hi) matches a stage."""
    cdef int64_t r
    for r in range(lo, hi):
        if ms[r] != 0:
            return True
    return False


cdef inline int64_t _attempt(
    int64_t p, int64_t hi, const int64_t* ts, const mask_t* ms, const Opts* op, Scratch* S,
    int64_t* end,
) noexcept nogil:
    """One attempt over rows [p, hi), by the mode's kernel: level (and end position)."""
    if op.kernel == _K_FAST:
        return _ordered_fast_attempt(p, hi, ts, ms, op, S, end)
    if op.kernel == _K_UNORDERED:
        return _unordered_attempt(p, hi, ts, ms, op, S, end)
    if op.kernel == _K_CLICKHOUSE:
        return _clickhouse_attempt(p, hi, ts, ms, op, S, end)
    return _ordered_attempt(p, hi, ts, ms, op, S, end)


cdef bint _excluded(
    int64_t p, int64_t end, const int64_t* ts, const xmask_t* xs, const Opts* op,
    const int64_t* reach_pos,
) noexcept nogil:
    """Whether an excluded event of rows [p, end) falls strictly between the first reach
    of its exclusion's two steps (both reached)."""
    cdef int64_t x, fi, tj, t_lo, t_hi, r
    for x in range(op.n_ex):
        fi = op.ex_from[x]
        tj = op.ex_to[x]
        if reach_pos[tj] < 0:
            continue
        t_lo = ts[reach_pos[fi]]
        t_hi = ts[reach_pos[tj]]
        for r in range(p, end):
            if (<int64_t>xs[r] >> x) & 1 and t_lo < ts[r] < t_hi:
                return True
    return False


cdef inline int64_t _serving_pos(
    int64_t attribution, int64_t level, const int64_t* reach_pos
) noexcept nogil:
    """The row whose segment the attempt takes (-1: the attribution step was not reached)."""
    if attribution == -1:
        return reach_pos[0]
    if attribution == -2:
        return reach_pos[_max(level, 1) - 1]
    return reach_pos[attribution]


cdef int64_t _entity_loop(
    int64_t e0,
    const int64_t* starts,
    int64_t n_ent,
    const int64_t* ts,
    const mask_t* ms,
    const xmask_t* xs,
    const int64_t* seg,
    bint has_seg,
    const Opts* op,
    bint dense,
    Scratch* S,
    Out* out,
    int64_t* po,
    int64_t* pw,
) noexcept nogil:
    """Entities from ``e0`` on, until the output arrays might not hold the next one.

    Returns the next entity to do; the record and reach counts go through ``po``/``pw``.
    """
    cdef int64_t k_n = op.k_n, o = po[0], w = pw[0]
    cdef bint totals = op.totals, write_seg = has_seg or not dense, in_funnel
    cdef int64_t e, lo, hi, need, a, p, level, end, pos, s
    for e in range(e0, n_ent):
        lo = starts[e]
        hi = starts[e + 1]
        # Worst case: every attempt reaching every stage.
        need = _attempts_bound(starts, e, ms, k_n) if totals else 1
        if o + need > out.cap_o or w + k_n * need > out.cap_w:
            po[0] = o
            pw[0] = w
            return e
        in_funnel = _in_funnel(ms, lo, hi)
        if dense and not in_funnel:
            out.level[o] = -2
            if write_seg:
                out.seg[o] = -1
            o += 1
            out.off[o] = w
            continue
        a = 0
        p = lo
        while in_funnel and p < hi:
            level = _attempt(p, hi, ts, ms, op, S, &end)
            if level == 0 and a > 0:
                break
            if not dense:
                out.ent[o] = e
            out.level[o] = -1 if _excluded(p, end, ts, xs, op, S.reach_pos) else <int8_t>level
            if write_seg:
                pos = _serving_pos(op.attribution, level, S.reach_pos)
                out.seg[o] = (seg[pos] if has_seg else 0) if pos >= 0 else -1
            for s in range(level):
                out.r_t[w] = ts[S.reach_pos[s]]
                out.r_s[w] = S.reach_start[s]
                w += 1
            o += 1
            out.off[o] = w
            a += 1
            if not (totals and level == k_n):
                break
            p = end
    po[0] = o
    pw[0] = w
    return n_ent


def _grow(arr, need):
    """``arr``, or a copy with room for at least ``need`` items (at least twice as long)."""
    if need <= arr.shape[0]:
        return arr
    out = np.empty(max(need, 2 * arr.shape[0]), dtype=arr.dtype)
    out[: arr.shape[0]] = arr
    return out


cdef void _point(Out* out, out_ent, out_level, out_seg, out_off, r_t, r_s):
    """Point ``out`` at the (possibly regrown) output arrays."""
    cdef int64_t[::1] v_ent = out_ent
    cdef int8_t[::1] v_level = out_level
    cdef int64_t[::1] v_seg = out_seg
    cdef int64_t[::1] v_off = out_off
    cdef int64_t[::1] v_t = r_t
    cdef int64_t[::1] v_s = r_s
    out.ent = &v_ent[0]
    out.level = &v_level[0]
    out.seg = &v_seg[0]
    out.off = &v_off[0]
    out.r_t = &v_t[0]
    out.r_s = &v_s[0]
    out.cap_o = v_level.shape[0]
    out.cap_w = v_t.shape[0]


def funnel_pass(
    const int64_t[::1] starts,
    const int64_t[::1] ts,
    const mask_t[::1] ms,
    const xmask_t[::1] xs,
    const int64_t[::1] seg,
    opts,
    bint dense,
    d_level,
    d_seg,
):
    """One pass over every entity; returns per attempt: entity, level (-1: excluded),
    segment code, offsets into the ragged reach times and chain starts (steps reached).

    ``opts`` is the pass's options record (``PassOptions``: read by attribute). With
    ``dense`` there is one record per entity, written into ``d_level`` / ``d_seg`` (level
    -2: no stage event at all) and the entity array is empty. The GIL is released while
    entities are processed: threads may run passes over disjoint entity ranges at once.
    """
    cdef Opts op
    cdef Scratch S
    cdef Out out
    cdef int64_t k_n = opts.k_n
    cdef int64_t n_ent = starts.shape[0] - 1
    cdef int64_t max_len = 1, size, cap, e, o, w, grow_o
    gaps_a = np.ascontiguousarray(opts.gaps, dtype=np.int64)
    ex_from_a = np.ascontiguousarray(opts.ex_from, dtype=np.int64)
    ex_to_a = np.ascontiguousarray(opts.ex_to, dtype=np.int64)
    cdef const int64_t[::1] v_gaps = gaps_a
    cdef const int64_t[::1] v_from = ex_from_a
    cdef const int64_t[::1] v_to = ex_to_a
    op.k_n = k_n
    op.window = opts.window
    op.gaps = &v_gaps[0]
    op.has_gaps = opts.has_gaps
    op.mode = opts.mode
    op.entry_first = opts.entry_first
    op.strict_inc = opts.strict_inc
    op.distinct = opts.distinct
    op.noise_breaks = opts.noise_breaks
    op.totals = opts.totals
    op.n_ex = v_from.shape[0]
    op.ex_from = &v_from[0]
    op.ex_to = &v_to[0]
    op.attribution = opts.attribution
    op.clickhouse = opts.clickhouse
    if op.clickhouse != 0:
        op.kernel = _K_CLICKHOUSE
    elif op.mode == _UNORDERED:
        op.kernel = _K_UNORDERED
    elif op.mode == _ORDERED and not (op.has_gaps or op.distinct or op.strict_inc):
        op.kernel = _K_FAST
    else:
        op.kernel = _K_ORDERED
    for e in range(n_ent):
        max_len = max(max_len, starts[e + 1] - starts[e])
    size = max(k_n, max_len)
    cap = max_len if (op.has_gaps and op.mode == _ORDERED) else 1
    scratch = np.empty(5 * size + 8 * k_n + 2 * k_n * cap, dtype=np.int64)
    cdef int64_t[::1] v_scratch = scratch
    cdef int64_t* base = &v_scratch[0]
    S.size = size
    S.cap = cap
    S.sc = base
    base += 5 * size
    S.best = base
    S.prev_s = base + k_n
    S.new = base + 2 * k_n
    S.mm = base + 3 * k_n
    S.head = base + 4 * k_n
    S.tail = base + 5 * k_n
    S.reach_pos = base + 6 * k_n
    S.reach_start = base + 7 * k_n
    S.dq_t = base + 8 * k_n
    S.dq_s = S.dq_t + k_n * cap
    # dense: one record per entity, written into the caller's d_level / d_seg; otherwise
    # records per attempt in arrays grown here, between calls of the entity loop.
    out_ent = np.empty(0 if dense else n_ent, dtype=np.int64)
    out_level = d_level if dense else np.empty(n_ent, dtype=np.int8)
    out_seg = d_seg if dense else np.empty(n_ent, dtype=np.int64)
    out_off = np.zeros(n_ent + 1, dtype=np.int64)
    r_t = np.empty(n_ent + k_n, dtype=np.int64)
    r_s = np.empty(n_ent + k_n, dtype=np.int64)
    _point(&out, out_ent, out_level, out_seg, out_off, r_t, r_s)
    cdef bint has_seg = seg.shape[0] > 0
    e = 0
    o = 0
    w = 0
    while True:
        with nogil:
            e = _entity_loop(
                e, &starts[0], n_ent, &ts[0], &ms[0], &xs[0], &seg[0], has_seg, &op, dense,
                &S, &out, &o, &w
            )
        if e == n_ent:
            break
        grow_o = _attempts_bound(&starts[0], e, &ms[0], k_n) if op.totals else 1
        if not dense and o + grow_o > out_level.shape[0]:
            out_ent = _grow(out_ent, o + grow_o)
            out_level = _grow(out_level, o + grow_o)
            out_seg = _grow(out_seg, o + grow_o)
            out_off = _grow(out_off, o + grow_o + 1)
        if w + k_n * grow_o > r_t.shape[0]:
            r_t = _grow(r_t, w + k_n * grow_o)
            r_s = _grow(r_s, w + k_n * grow_o)
        _point(&out, out_ent, out_level, out_seg, out_off, r_t, r_s)
    return out_ent[:o], out_level[:o], out_seg[:o], out_off[: o + 1], r_t[:w], r_s[:w]
