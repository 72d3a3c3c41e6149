# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False, embedsignature=True
"""Compiled kernels preparing the funnel pass: stage bits, filtering, grouping, time order.

Ported from the numba kernels the in-memory engine used before (same names, arguments and
results; ``prepare`` in ``linkstar_funnel.engines.memory._funnel_sort`` drives them from a
thread pool). Each releases the GIL while it loops, so threads over disjoint row or entity ranges run at once. Stage bits
(``lut``, ``extra``, ``ms_s``) and exclusion bits (``xlut``, ``xextra``, ``xs_s``) are
int32 or int64 arrays; the per-range counts are int32 or int64.
"""

from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

import numpy as np

__all__ = ["_count", "_fill_pointers", "_order_by_time", "_scatter"]

ctypedef fused mask_t:
    int32_t
    int64_t

ctypedef fused xmask_t:
    int32_t
    int64_t

ctypedef fused cnt_t:
    int32_t
    int64_t


def _count(
    int64_t lo,
    int64_t hi,
    const int64_t[:] ent,
    const int64_t[:] ev,
    const mask_t[::1] lut,
    const mask_t[:] extra,
    const xmask_t[::1] xlut,
    const xmask_t[:] xextra,
    bint keep_all,
    cnt_t[::1] counts,
):
    """``counts[e]`` += kept rows of entity ``e`` among rows [lo, hi): rows matching a stage
    or an exclusion (stage bits from ``lut`` per event code OR ``extra`` per row, exclusion
    bits likewise from ``xlut`` and ``xextra``; empty arrays mean none)."""
    cdef bint has_extra = extra.shape[0] > 0
    cdef bint has_x = xlut.shape[0] > 0
    cdef bint has_xextra = xextra.shape[0] > 0
    cdef int64_t i, b
    with nogil:
        for i in range(lo, hi):
            if keep_all:
                counts[ent[i]] += 1
                continue
            b = lut[ev[i]]
            if has_extra:
                b |= extra[i]
            if has_x:
                b |= xlut[ev[i]]
                if has_xextra:
                    b |= xextra[i]
            if b != 0:
                counts[ent[i]] += 1


def _fill_pointers(cnt_t[:, ::1] counts):
    """Entity offsets; turns ``counts[p, e]`` into where range p writes entity e's rows."""
    cdef int64_t n_parts = counts.shape[0], n_ent = counts.shape[1]
    starts = np.empty(n_ent + 1, dtype=np.int64)
    cdef int64_t[::1] v = starts
    cdef int64_t at = 0, c, e, p
    with nogil:
        for e in range(n_ent):
            v[e] = at
            for p in range(n_parts):
                c = counts[p, e]
                counts[p, e] = <cnt_t>at
                at += c
        v[n_ent] = at
    return starts


def _scatter(
    int64_t lo,
    int64_t hi,
    const int64_t[:] ent,
    const int64_t[:] ts,
    const int64_t[:] ev,
    const mask_t[::1] lut,
    const mask_t[:] extra,
    const xmask_t[::1] xlut,
    const xmask_t[:] xextra,
    const int64_t[:] seg,
    bint keep_all,
    int64_t t0,
    cnt_t[::1] fill,
    int64_t[::1] ts_s,
    mask_t[::1] ms_s,
    xmask_t[::1] xs_s,
    int64_t[::1] seg_s,
):
    """Rows [lo, hi) to their entity's slots, ``fill[e]`` being the next slot of entity e;
    times are written relative to ``t0``."""
    cdef bint has_extra = extra.shape[0] > 0
    cdef bint has_x = xlut.shape[0] > 0
    cdef bint has_xextra = xextra.shape[0] > 0
    cdef bint has_seg = seg_s.shape[0] > 0
    cdef int64_t i, e, p
    cdef mask_t b
    cdef xmask_t x
    with nogil:
        for i in range(lo, hi):
            b = lut[ev[i]]
            if has_extra:
                b |= extra[i]
            x = xlut[ev[i]] if has_x else 0
            if has_xextra:
                x |= xextra[i]
            if keep_all or (b | x) != 0:
                e = ent[i]
                p = fill[e]
                fill[e] = <cnt_t>(p + 1)
                ts_s[p] = ts[i] - t0
                ms_s[p] = b
                if has_x:
                    xs_s[p] = x
                if has_seg:
                    seg_s[p] = seg[i]


cdef void _stable_argsort(
    const int64_t* key, int64_t n, int64_t* idx, int64_t* tmp
) noexcept nogil:
    """``idx`` = the permutation sorting ``key[0:n]`` stably (as a merge sort does):
    insertion sort of runs of 32, then bottom-up merges (``tmp``: n slots of scratch)."""
    cdef int64_t k, j, v, kv, start, stop, width, left, mid, right, a, b, d
    cdef int64_t* src = idx
    cdef int64_t* dst = tmp
    cdef int64_t* swap
    for k in range(n):
        idx[k] = k
    start = 0
    while start < n:
        stop = start + 32 if start + 32 < n else n
        for k in range(start + 1, stop):
            v = idx[k]
            kv = key[v]
            j = k - 1
            while j >= start and key[idx[j]] > kv:
                idx[j + 1] = idx[j]
                j -= 1
            idx[j + 1] = v
        start = stop
    width = 32
    while width < n:
        left = 0
        while left < n:
            mid = left + width if left + width < n else n
            right = left + 2 * width if left + 2 * width < n else n
            a = left
            b = mid
            d = left
            while a < mid and b < right:
                if key[src[b]] < key[src[a]]:
                    dst[d] = src[b]
                    b += 1
                else:
                    dst[d] = src[a]
                    a += 1
                d += 1
            while a < mid:
                dst[d] = src[a]
                a += 1
                d += 1
            while b < right:
                dst[d] = src[b]
                b += 1
                d += 1
            left = right
        swap = src
        src = dst
        dst = swap
        width *= 2
    if src != idx:
        memcpy(idx, src, n * sizeof(int64_t))


cdef int _order_range(
    const int64_t* starts,
    int64_t e_lo,
    int64_t e_hi,
    int64_t* ts_s,
    mask_t* ms_s,
    xmask_t* xs_s,
    int64_t* seg_s,
    bint has_x,
    bint has_seg,
) noexcept nogil:
    """The loop of :func:`_order_by_time`; returns -1 when scratch memory is lacking."""
    cdef int64_t e, lo, hi, n, k, room = 0
    cdef int64_t* idx = NULL
    cdef int64_t* tmp = NULL
    cdef bint ordered
    for e in range(e_lo, e_hi):
        lo = starts[e]
        hi = starts[e + 1]
        ordered = True
        for k in range(lo + 1, hi):
            if ts_s[k] < ts_s[k - 1]:
                ordered = False
                break
        if ordered:
            continue
        n = hi - lo
        if n > room:
            free(idx)
            free(tmp)
            room = n if n > 2 * room else 2 * room
            idx = <int64_t*>malloc(room * sizeof(int64_t))
            tmp = <int64_t*>malloc(room * sizeof(int64_t))
            if idx == NULL or tmp == NULL:
                free(idx)
                free(tmp)
                return -1
        _stable_argsort(ts_s + lo, n, idx, tmp)
        for k in range(n):
            tmp[k] = ts_s[lo + idx[k]]
        memcpy(ts_s + lo, tmp, n * sizeof(int64_t))
        for k in range(n):
            tmp[k] = ms_s[lo + idx[k]]
        for k in range(n):
            ms_s[lo + k] = <mask_t>tmp[k]
        if has_x:
            for k in range(n):
                tmp[k] = xs_s[lo + idx[k]]
            for k in range(n):
                xs_s[lo + k] = <xmask_t>tmp[k]
        if has_seg:
            for k in range(n):
                tmp[k] = seg_s[lo + idx[k]]
            memcpy(seg_s + lo, tmp, n * sizeof(int64_t))
    free(idx)
    free(tmp)
    return 0


def _order_by_time(
    const int64_t[::1] starts,
    int64_t e_lo,
    int64_t e_hi,
    int64_t[::1] ts_s,
    mask_t[::1] ms_s,
    xmask_t[::1] xs_s,
    int64_t[::1] seg_s,
):
    """Stable-sort by time the rows of entities [e_lo, e_hi) that are out of order."""
    cdef bint has_x = xs_s.shape[0] > 0
    cdef bint has_seg = seg_s.shape[0] > 0
    cdef int rc
    with nogil:
        rc = _order_range(
            &starts[0], e_lo, e_hi, &ts_s[0], &ms_s[0], &xs_s[0], &seg_s[0], has_x, has_seg
        )
    if rc < 0:
        raise MemoryError("no memory left to sort an entity's rows by time")
