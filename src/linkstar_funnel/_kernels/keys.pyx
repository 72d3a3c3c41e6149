# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False, embedsignature=True
"""Compiled kernels factorizing integer id columns (hashing, or direct addressing).

Ported from the numba kernels ``linkstar_funnel._hash_keys`` used before (an open-addressing table per thread's
range: pairs key, code, code -1 marking an empty slot; Fibonacci hashing) and of
``linkstar_funnel._dense_keys`` (a lookup table indexed by ``id - min``). Same names, arguments and
results; each releases the GIL while it loops.
"""

from libc.stdint cimport int64_t, uint64_t

import numpy as np

__all__ = ["_insert", "_lookup", "_number_range", "_rehash", "_renumber", "first_seen_codes"]

#: log2 of a range table's smallest and largest first size, and of its growth factor (as
#: in ``linkstar_funnel._hash_keys``).
cdef int64_t _MIN_BITS = 12, _MAX_FIRST_BITS = 20, _GROW_BITS = 2
#: Fibonacci hashing: a slot is the top bits of key * 2**64 / phi.
cdef uint64_t _GOLDEN = 0x9E3779B97F4A7C15ULL


cdef inline int64_t _slot(int64_t key, int64_t bits) noexcept nogil:
    return <int64_t>((<uint64_t>key * _GOLDEN) >> (64 - bits))


cdef int64_t _insert_rows(
    const int64_t* values,
    int64_t i,
    int64_t hi,
    int64_t* table,
    int64_t bits,
    int64_t* codes,
    int64_t* uniques,
    int64_t* pk,
) noexcept nogil:
    """Number values[i:hi] into ``table`` until it would pass half full; returns where it
    stopped (the count of uniques goes through ``pk``)."""
    cdef int64_t mask = (<int64_t>1 << bits) - 1
    cdef int64_t limit = <int64_t>1 << (bits - 1)
    cdef int64_t k = pk[0], v, s, c
    while i < hi:
        v = values[i]
        s = _slot(v, bits)
        while True:
            c = table[2 * s + 1]
            if c < 0:
                if k == limit:
                    pk[0] = k
                    return i
                table[2 * s] = v
                table[2 * s + 1] = k
                uniques[k] = v
                c = k
                k += 1
                break
            if table[2 * s] == v:
                break
            s = (s + 1) & mask
        codes[i] = c
        i += 1
    pk[0] = k
    return i


def _insert(
    const int64_t[::1] values,
    int64_t i,
    int64_t hi,
    int64_t[::1] table,
    int64_t bits,
    int64_t[::1] codes,
    int64_t[::1] uniques,
    int64_t k,
):
    """Number values[i:hi] into ``table`` (pairs key, code; code -1: empty) until it
    would pass half full. Returns where it stopped and the count of uniques."""
    with nogil:
        i = _insert_rows(&values[0], i, hi, &table[0], bits, &codes[0], &uniques[0], &k)
    return i, k


cdef void _empty_table(int64_t* table, int64_t n) noexcept nogil:
    cdef int64_t j
    for j in range(n):
        table[j] = -1


def _rehash(const int64_t[::1] uniques, int64_t k, int64_t bits):
    """A table of ``2**bits`` slots holding the first ``k`` uniques (code = index)."""
    out = np.empty(2 << bits, dtype=np.int64)
    cdef int64_t[::1] table = out
    cdef int64_t mask = (<int64_t>1 << bits) - 1
    cdef int64_t c, v, s
    with nogil:
        _empty_table(&table[0], table.shape[0])
        for c in range(k):
            v = uniques[c]
            s = _slot(v, bits)
            while table[2 * s + 1] >= 0:
                s = (s + 1) & mask
            table[2 * s] = v
            table[2 * s + 1] = c
    return out


def _number_range(const int64_t[::1] values, int64_t lo, int64_t hi, int64_t[::1] codes):
    """Codes (into ``codes[lo:hi]``) and uniques of one range, and its table."""
    cdef int64_t bits = _MIN_BITS
    while bits < _MAX_FIRST_BITS and (<int64_t>1 << bits) < (hi - lo) // 2:
        bits += 1
    table = np.empty(2 << bits, dtype=np.int64)
    cdef int64_t[::1] v_table = table
    with nogil:
        _empty_table(&v_table[0], v_table.shape[0])
    uniques = np.empty(1 << (bits - 1), dtype=np.int64)
    cdef int64_t[::1] v_uniques = uniques
    cdef int64_t i = lo, k = 0
    while True:
        with nogil:
            i = _insert_rows(
                &values[0], i, hi, &v_table[0], bits, &codes[0], &v_uniques[0], &k
            )
        if i == hi:
            return table, bits, uniques[:k].copy()
        bits += _GROW_BITS
        table = _rehash(uniques, k, bits)
        v_table = table
        grown = np.empty(1 << (bits - 1), dtype=np.int64)
        grown[:k] = uniques[:k]
        uniques = grown
        v_uniques = uniques


def _lookup(
    const int64_t[::1] table,
    int64_t bits,
    const int64_t[::1] keys,
    int64_t lo,
    int64_t hi,
    int64_t[::1] out,
):
    """``out[j]`` = code of ``keys[j]`` in ``table`` for j in [lo, hi); -1 if absent."""
    cdef int64_t mask = (<int64_t>1 << bits) - 1
    cdef int64_t j, v, s, c
    with nogil:
        for j in range(lo, hi):
            out[j] = -1
            v = keys[j]
            s = _slot(v, bits)
            while True:
                c = table[2 * s + 1]
                if c < 0:
                    break
                if table[2 * s] == v:
                    out[j] = c
                    break
                s = (s + 1) & mask


def _renumber(int64_t[::1] codes, int64_t lo, int64_t hi, const int64_t[::1] remap):
    """``codes[i]`` = ``remap[codes[i]]`` for i in [lo, hi)."""
    cdef int64_t i
    with nogil:
        for i in range(lo, hi):
            codes[i] = remap[codes[i]]


def first_seen_codes(const int64_t[:] values, int64_t lo, int64_t span):
    """Codes (order of first appearance) and uniques of ``values``, all in
    ``[lo, lo + span)``, by a lookup table indexed by ``value - lo``."""
    cdef int64_t n = values.shape[0]
    lut_a = np.full(span, -1, dtype=np.int64)
    codes_a = np.empty(n, dtype=np.int64)
    uniques_a = np.empty(min(span, n), dtype=np.int64)
    cdef int64_t[::1] lut = lut_a
    cdef int64_t[::1] codes = codes_a
    cdef int64_t[::1] uniques = uniques_a
    cdef int64_t k = 0, i, v, j, c
    with nogil:
        for i in range(n):
            v = values[i]
            j = v - lo
            c = lut[j]
            if c < 0:
                c = k
                lut[j] = k
                uniques[k] = v
                k += 1
            codes[i] = c
    return codes_a, uniques_a[:k]
