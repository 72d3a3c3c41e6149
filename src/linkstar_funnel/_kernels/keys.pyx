# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False, embedsignature=True
"""Compiled kernels factorizing id columns: integers (hashing, or direct addressing),
strings (hashing Arrow's buffers) and a categorical's codes.

Ported from the numba kernels ``linkstar_funnel._hash_keys`` used before (an open-addressing table per thread's
range: pairs key, code, code -1 marking an empty slot; Fibonacci hashing) and of
``linkstar_funnel._dense_keys`` (a lookup table indexed by ``id - min``). Same names, arguments and
results; each releases the GIL while it loops.
"""

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint32_t, uint64_t
from libc.string cimport memcpy

import numpy as np

__all__ = [
    "_insert",
    "_lookup",
    "_lookup_strings",
    "_number_range",
    "_number_strings",
    "_rehash",
    "_rehash_strings",
    "_renumber",
    "first_seen_codes",
    "first_seen_small",
]

#: A categorical's codes (int8 to int64).
ctypedef fused integral:
    int8_t
    int16_t
    int32_t
    int64_t

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
    """``codes[i]`` = ``remap[codes[i]]`` for i in [lo, hi) (missing values, -1, stay)."""
    cdef int64_t i
    with nogil:
        for i in range(lo, hi):
            if codes[i] >= 0:
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


# --------------------------------------------------------------------------- strings
#
# Strings are hashed straight from Arrow's buffers (32- or 64-bit offsets, UTF-8 bytes,
# validity bits), never as Python objects. A range's table holds pairs (hash, entry),
# entry -1 marking an empty slot; an entry is where a distinct string sits in the range's
# arena: its code, its length, then its bytes (padded to 8). A probe thus reads one slot
# and one entry (two cache misses on a large column), and compares bytes only when the
# 64-bit hashes are equal.

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define LINKSTAR_PREFETCH(p) __builtin_prefetch(p)
    #else
    #define LINKSTAR_PREFETCH(p) ((void)0)
    #endif
    """
    void _prefetch "LINKSTAR_PREFETCH"(const void* p) noexcept nogil


cdef uint64_t _K1 = 0x9E3779B97F4A7C15ULL, _K2 = 0xC2B2AE3D27D4EB4FULL
#: log2 of a string table's first size (it grows as it fills: the arena is what is large).
cdef int64_t _STRING_BITS = 16


cdef inline uint64_t _fmix(uint64_t h) noexcept nogil:
    h ^= h >> 33
    h *= 0xFF51AFD7ED558CCDULL
    h ^= h >> 33
    h *= 0xC4CEB9FE1A85EC53ULL
    h ^= h >> 33
    return h


cdef inline uint64_t _load8(const unsigned char* p) noexcept nogil:
    cdef uint64_t w
    memcpy(&w, p, 8)
    return w


cdef inline uint64_t _load4(const unsigned char* p) noexcept nogil:
    cdef uint32_t w
    memcpy(&w, p, 4)
    return w


cdef inline uint64_t _short_word(const unsigned char* p, int64_t n) noexcept nogil:
    """The bytes of a string of 1 to 7 bytes as one word (two overlapping 4-byte loads, or
    first, middle and last byte): no byte is read outside it, and no call is made."""
    if n >= 4:
        return _load4(p) | (_load4(p + n - 4) << 32)
    return <uint64_t>p[0] | (<uint64_t>p[n >> 1] << 8) | (<uint64_t>p[n - 1] << 16)


cdef inline uint64_t _mix_word(uint64_t h, uint64_t w) noexcept nogil:
    w *= _K2
    h ^= (w << 31) | (w >> 33)
    return ((h << 27) | (h >> 37)) * _K1 + 0x52DCE729ULL


cdef inline uint64_t _hash_bytes(const unsigned char* p, int64_t n) noexcept nogil:
    """A 64-bit hash of ``n`` bytes: 8-byte words folded in by multiply-rotate rounds (the
    last word overlapping the one before when ``n`` is not a multiple of 8)."""
    cdef uint64_t h = <uint64_t>n * _K1
    cdef int64_t i = 0
    if n < 8:
        return _fmix(_mix_word(h, _short_word(p, n))) if n > 0 else _fmix(h)
    while i + 8 <= n:
        h = _mix_word(h, _load8(p + i))
        i += 8
    if i < n:
        h = _mix_word(h, _load8(p + n - 8))
    return _fmix(h)


cdef inline bint _is_entry(
    const unsigned char* entry, const unsigned char* p, int64_t n
) noexcept nogil:
    """Whether the arena entry holds the ``n`` bytes at ``p`` (compared a word at a time:
    ids are short; no call is made)."""
    cdef const unsigned char* q = entry + 16
    cdef int64_t i = 0
    if (<const int64_t*>entry)[1] != n:
        return False
    if n < 8:
        if n >= 4:
            return _load4(p) == _load4(q) and _load4(p + n - 4) == _load4(q + n - 4)
        while i < n:
            if p[i] != q[i]:
                return False
            i += 1
        return True
    while i + 8 <= n:
        if _load8(p + i) != _load8(q + i):
            return False
        i += 8
    return i == n or _load8(p + n - 8) == _load8(q + n - 8)


cdef struct _Strings:
    # One Arrow string array (or chunk): its buffers' addresses, the width of its offsets
    # (4 or 8 bytes), its own offset into them, and where its row 0 is in the column.
    const void* offsets
    bint wide
    const unsigned char* data
    const unsigned char* valid
    int64_t first
    int64_t row0


cdef struct _Uniques:
    # A range's distinct strings so far: per code its hash, entry and first row; the
    # arena of entries (``used`` of ``size`` bytes); the count and its capacity.
    uint64_t* hashes
    int64_t* entries
    int64_t* rows
    unsigned char* arena
    int64_t used
    int64_t size
    int64_t k
    int64_t cap


cdef inline bint _read(
    _Strings* s, int64_t j, const unsigned char** p, int64_t* n
) noexcept nogil:
    """Address and length of row ``j`` of ``s``; False if it is null."""
    cdef int64_t a = s.first + j, lo, hi
    if s.valid != NULL and not (s.valid[a >> 3] >> (a & 7)) & 1:
        return False
    if s.wide:
        lo = (<const int64_t*>s.offsets)[a]
        hi = (<const int64_t*>s.offsets)[a + 1]
    else:
        lo = (<const int32_t*>s.offsets)[a]
        hi = (<const int32_t*>s.offsets)[a + 1]
    p[0] = s.data + lo
    n[0] = hi - lo
    return True


cdef inline int64_t _entry_size(int64_t n) noexcept nogil:
    return 16 + ((n + 7) & ~(<int64_t>7))


# A row is hashed (and its table slot prefetched) _AHEAD rows before it is numbered, and
# its slot's entry prefetched _PEEK rows before: a large column's probes then overlap their
# cache misses instead of waiting for each in turn. _RING (a power of two > _AHEAD) rows'
# hashes, addresses and lengths are kept.
cdef enum:
    _RING = 64
    _AHEAD = 40
    _PEEK = 16


cdef inline void _hash_ahead(
    _Strings* s, int64_t t, int64_t* table, int64_t bits,
    uint64_t* hs, const unsigned char** ps, int64_t* ns,
) noexcept nogil:
    cdef int64_t r = t & (_RING - 1)
    if _read(s, t, &ps[r], &ns[r]):
        hs[r] = _hash_bytes(ps[r], ns[r])
        _prefetch(&table[2 * <int64_t>(hs[r] >> (64 - bits))])
    else:
        ns[r] = -1


cdef int64_t _insert_strings(
    _Strings* s, int64_t j, int64_t hi, int64_t* table, int64_t bits, int64_t* codes, _Uniques* u
) noexcept nogil:
    """Number rows j..hi of ``s`` (nulls: -1) into ``table`` until it would pass half full
    or the arena has no room for the next new string; returns where it stopped."""
    cdef int64_t mask = (<int64_t>1 << bits) - 1
    cdef int64_t slot, e, n, c, r, t = j
    cdef uint64_t h
    cdef const unsigned char* p
    cdef unsigned char* entry
    cdef uint64_t hs[_RING]
    cdef const unsigned char* ps[_RING]
    cdef int64_t ns[_RING]
    while t < hi and t < j + _AHEAD:
        _hash_ahead(s, t, table, bits, hs, ps, ns)
        t += 1
    while j < hi:
        if t < hi:
            _hash_ahead(s, t, table, bits, hs, ps, ns)
            t += 1
        if j + _PEEK < t:
            r = (j + _PEEK) & (_RING - 1)
            if ns[r] >= 0:
                e = table[2 * <int64_t>(hs[r] >> (64 - bits)) + 1]
                if e >= 0:
                    _prefetch(u.arena + e)
        r = j & (_RING - 1)
        n = ns[r]
        if n < 0:
            codes[s.row0 + j] = -1
            j += 1
            continue
        p, h = ps[r], hs[r]
        slot = <int64_t>(h >> (64 - bits))
        while True:
            e = table[2 * slot + 1]
            if e < 0:
                if u.k == u.cap or u.used + _entry_size(n) > u.size:
                    return j
                c = u.k
                e = u.used
                entry = u.arena + e
                (<int64_t*>entry)[0] = c
                (<int64_t*>entry)[1] = n
                if n > 0:
                    memcpy(entry + 16, p, n)
                u.used += _entry_size(n)
                table[2 * slot] = <int64_t>h
                table[2 * slot + 1] = e
                u.hashes[c] = h
                u.entries[c] = e
                u.rows[c] = s.row0 + j
                u.k += 1
                break
            if <uint64_t>table[2 * slot] == h and _is_entry(u.arena + e, p, n):
                c = (<const int64_t*>(u.arena + e))[0]
                break
            slot = (slot + 1) & mask
        codes[s.row0 + j] = c
        j += 1
    return j


cdef _Strings _strings(tuple piece):
    """The buffers of one piece ``(offsets, wide, data, valid, first, row0, ...)``
    (addresses; 0: no validity bits)."""
    cdef _Strings s
    s.offsets = <const void*><size_t>piece[0]
    s.wide = piece[1]
    s.data = <const unsigned char*><size_t>piece[2]
    s.valid = <const unsigned char*><size_t>piece[3]
    s.first = piece[4]
    s.row0 = piece[5]
    return s


def _rehash_strings(const uint64_t[::1] hashes, const int64_t[::1] entries, int64_t k, int64_t bits):
    """A table of ``2**bits`` slots holding the first ``k`` uniques."""
    out = np.empty(2 << bits, dtype=np.int64)
    cdef int64_t[::1] table = out
    cdef int64_t mask = (<int64_t>1 << bits) - 1
    cdef int64_t c, s
    with nogil:
        _empty_table(&table[0], table.shape[0])
        for c in range(k):
            s = <int64_t>(hashes[c] >> (64 - bits))
            while table[2 * s + 1] >= 0:
                s = (s + 1) & mask
            table[2 * s] = <int64_t>hashes[c]
            table[2 * s + 1] = entries[c]
    return out


cdef class _Range:
    """A range's growing table, per-code arrays and arena (numpy arrays), and the
    :c:type:`_Uniques` view the kernel writes through."""

    cdef public object table, hashes, entries, rows, arena
    cdef public int64_t bits
    cdef _Uniques u

    def __init__(self, int64_t bits, int64_t arena_size):
        self.bits = bits
        self.table = np.full(2 << bits, -1, dtype=np.int64)
        cap = 1 << (bits - 1)
        self.hashes = np.empty(cap, dtype=np.uint64)
        self.entries = np.empty(cap, dtype=np.int64)
        self.rows = np.empty(cap, dtype=np.int64)
        self.arena = np.empty(arena_size, dtype=np.uint8)
        self.u.used = 0
        self.u.k = 0
        self._point()

    cdef void _point(self):
        cdef uint64_t[::1] h = self.hashes
        cdef int64_t[::1] e = self.entries, r = self.rows
        cdef unsigned char[::1] a = self.arena
        self.u.hashes, self.u.entries, self.u.rows = &h[0], &e[0], &r[0]
        self.u.arena, self.u.size, self.u.cap = &a[0], a.shape[0], h.shape[0]

    cdef void grow_table(self):
        cdef int64_t k = self.u.k
        self.bits += _GROW_BITS
        self.table = _rehash_strings(self.hashes, self.entries, k, self.bits)
        cap = 1 << (self.bits - 1)
        for name in ("hashes", "entries", "rows"):
            old = getattr(self, name)
            new = np.empty(cap, dtype=old.dtype)
            new[:k] = old[:k]
            setattr(self, name, new)
        self._point()

    cdef void grow_arena(self, int64_t need):
        new = np.empty(max(2 * self.u.size, self.u.used + need), dtype=np.uint8)
        new[: self.u.used] = self.arena[: self.u.used]
        self.arena = new
        self._point()


def _number_strings(list pieces, int64_t n_rows, int64_t[::1] codes):
    """Codes (into ``codes``) of the rows of ``pieces``, a list of ``(offsets, wide, data,
    valid, first, row0, lo, hi)``: rows lo..hi of one Arrow string array whose row 0 is row
    ``row0`` of the column (buffer addresses; ``wide``: 64-bit offsets). ``n_rows`` is
    their total. Returns the table, its bits, and the uniques in order of first appearance:
    their hashes, entries, first rows, and the arena holding the entries."""
    cdef int64_t bits = 4
    while bits < _STRING_BITS and (<int64_t>1 << bits) < n_rows:
        bits += 1
    cdef _Range r = _Range(bits, 64 << bits)
    cdef _Strings s
    cdef int64_t j, hi, n = 0
    cdef int64_t[::1] v_table
    cdef const unsigned char* p
    for piece in pieces:
        s = _strings(piece)
        j, hi = piece[6], piece[7]
        while True:
            v_table = r.table
            with nogil:
                j = _insert_strings(&s, j, hi, &v_table[0], r.bits, &codes[0], &r.u)
            if j == hi:
                break
            if r.u.k == r.u.cap:
                r.grow_table()
            else:
                _read(&s, j, &p, &n)
                r.grow_arena(_entry_size(n))
    k = r.u.k
    return r.table, r.bits, (r.hashes[:k], r.entries[:k], r.rows[:k], r.arena[: r.u.used])


def _lookup_strings(
    const int64_t[::1] table,
    int64_t bits,
    const unsigned char[::1] arena,
    const uint64_t[::1] key_hashes,
    const int64_t[::1] key_entries,
    const unsigned char[::1] key_arena,
    int64_t lo,
    int64_t hi,
    int64_t[::1] out,
):
    """``out[j]`` = code in ``table`` (its entries in ``arena``) of the string of entry
    ``key_entries[j]`` of ``key_arena`` (hash ``key_hashes[j]``), for j in [lo, hi); -1 if
    absent."""
    cdef int64_t mask = (<int64_t>1 << bits) - 1
    cdef int64_t j, s, e, n
    cdef uint64_t h
    cdef const unsigned char* key
    with nogil:
        for j in range(lo, hi):
            # Slots are prefetched _AHEAD keys ahead, their entries _PEEK keys ahead.
            if j + _AHEAD < hi:
                _prefetch(&table[2 * <int64_t>(key_hashes[j + _AHEAD] >> (64 - bits))])
            if j + _PEEK < hi:
                e = table[2 * <int64_t>(key_hashes[j + _PEEK] >> (64 - bits)) + 1]
                if e >= 0:
                    _prefetch(&arena[0] + e)
            out[j] = -1
            h = key_hashes[j]
            key = &key_arena[0] + key_entries[j]
            n = (<const int64_t*>key)[1]
            s = <int64_t>(h >> (64 - bits))
            while True:
                e = table[2 * s + 1]
                if e < 0:
                    break
                if <uint64_t>table[2 * s] == h and _is_entry(&arena[0] + e, key + 16, n):
                    out[j] = (<const int64_t*>(&arena[0] + e))[0]
                    break
                s = (s + 1) & mask


def first_seen_small(const integral[:] values, int64_t span):
    """Codes (order of first appearance) and uniques of ``values``, all in ``[0, span)``
    or negative (missing: code -1), by a lookup table (a categorical's codes)."""
    cdef int64_t n = values.shape[0]
    lut_a = np.full(span, -1, dtype=np.int64)
    codes_a = np.empty(n, dtype=np.int64)
    uniques_a = np.empty(min(span, n), dtype=np.int64)
    cdef int64_t[::1] lut = lut_a
    cdef int64_t[::1] codes = codes_a
    cdef int64_t[::1] uniques = uniques_a
    cdef int64_t k = 0, i, v, c
    with nogil:
        for i in range(n):
            v = values[i]
            if v < 0:
                codes[i] = -1
                continue
            c = lut[v]
            if c < 0:
                c = k
                lut[v] = k
                uniques[k] = v
                k += 1
            codes[i] = c
    return codes_a, uniques_a[:k]
