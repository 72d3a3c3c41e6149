"""Factorizing large id columns by hashing, in parallel threads (the compiled kernels of
:mod:`linkstar_funnel._kernels.keys`): integers by value, strings straight from Arrow's
buffers.

``pd.factorize`` hashes one value at a time into a khash table whose flags, keys and
values live in three arrays: three cache misses per row once the table outgrows the cache,
on one core; strings it reads as Python objects first. Here the rows are cut into
contiguous ranges, one per thread; each thread numbers its range's values in order of
first appearance in its own open-addressing table (key or hash and code side by side: one
cache line per probe). The ranges are then chained in order: a value's code is its code
in the first range holding it, so the codes and uniques are exactly ``pd.factorize``'s
(order of first appearance over the whole column).

Used for integer ids too sparse for :mod:`linkstar_funnel._dense_keys` (random 64-bit
ids, hashed ids) and for string ids (Arrow ``string`` or ``large_string`` arrays, chunked
or sliced, with nulls: code -1).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ._kernels.keys import _lookup, _lookup_strings, _number_range, _number_strings, _renumber

__all__ = ["even_ranges", "hash_factorize", "hash_factorize_strings"]

#: At most this many threads (ranges); each holds a table of its range's distinct values
#: (its first size and growth are set in :mod:`linkstar_funnel._kernels.keys`).
MAX_THREADS = 4
#: A string column gets one thread per this many rows (at most ``MAX_THREADS``).
STRING_ROWS_PER_THREAD = 250_000

IntArray = npt.NDArray[np.int64]
#: A range's numbering: its table, the table's bits, and its uniques (kernel-specific).
_Part = tuple[Any, int, Any]


def even_ranges(n: int, parts: int) -> list[tuple[int, int]]:
    """``[0, n)`` cut into ``parts`` contiguous ranges of about equal length."""
    edges = np.linspace(0, n, parts + 1).astype(np.int64)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def _threads(threads: int | None, cap: int) -> int:
    return max(1, min(MAX_THREADS, threads or os.cpu_count() or 1, cap))


def hash_factorize(
    values: npt.NDArray[np.integer[Any]], *, threads: int | None = None
) -> tuple[IntArray, IntArray]:
    """Codes and uniques (as int64) like ``pd.factorize(values)``, on up to ``threads``
    threads (default: the CPU count, at most ``MAX_THREADS``). 64-bit values are hashed by
    bit pattern: view the uniques back as the input dtype.

    Examples
    --------
    >>> codes, uniques = hash_factorize(np.array([7, -5, 7, 10**15]), threads=2)
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, 0, 2], [7, -5, 1000000000000000])
    """
    n = values.size
    keys = values.view(np.int64) if values.dtype.itemsize == 8 else values.astype(np.int64)
    keys = np.ascontiguousarray(keys)
    n_threads = _threads(threads, n // 2)
    codes = np.empty(n, dtype=np.int64)

    def number(ab: tuple[int, int]) -> _Part:
        return _number_range(keys, ab[0], ab[1], codes)

    def search(part: _Part, local: IntArray, lo: int, hi: int, out: IntArray) -> None:
        _lookup(part[0], part[1], local, lo, hi, out)

    locals_, new = _chain(codes, n_threads, number, search, len)
    return codes, np.concatenate([u[m] for u, m in zip(locals_, new, strict=True)])


def hash_factorize_strings(
    values: pa.Array | pa.ChunkedArray, *, threads: int | None = None
) -> tuple[IntArray, npt.NDArray[np.intp]]:
    """Codes like ``pd.factorize`` of an Arrow string column (``string`` or
    ``large_string``; binary too), nulls coded -1, and the row where each unique first
    appears (take them from the column for the uniques). Hashes the bytes in Arrow's
    buffers on up to ``threads`` threads (default: the CPU count, at most
    ``MAX_THREADS`` and one per ``STRING_ROWS_PER_THREAD`` rows).

    Examples
    --------
    >>> ids = pa.chunked_array([["b", None, "é"], ["", "b", "é"]])
    >>> codes, first = hash_factorize_strings(ids, threads=2)
    >>> codes.tolist(), first.tolist()
    ([0, -1, 1, 2, 0, 1], [0, 2, 3])
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    n = sum(len(c) for c in chunks)
    n_threads = _threads(threads, n // 2 if threads else n // STRING_ROWS_PER_THREAD)
    codes = np.empty(n, dtype=np.int64)
    spans = _chunk_buffers(chunks)

    def number(ab: tuple[int, int]) -> _Part:
        return _number_strings(_pieces(spans, *ab), ab[1] - ab[0], codes)

    def search(part: _Part, local: Any, lo: int, hi: int, out: IntArray) -> None:
        table, bits, (_, _, _, arena) = part
        _lookup_strings(table, bits, arena, local[0], local[1], local[3], lo, hi, out)

    locals_, new = _chain(codes, n_threads, number, search, lambda u: len(u[0]))
    first = np.concatenate([u[2][m] for u, m in zip(locals_, new, strict=True)])
    return codes, first.astype(np.intp, copy=False)


#: One Arrow chunk's buffers as the string kernel reads them: offsets' address, 64-bit
#: offsets or not, data's and validity bits' addresses (0: none), the chunk's own offset
#: into its buffers, its first row in the column and its length.
_Span = tuple[int, bool, int, int, int, int, int]


def _chunk_buffers(chunks: Sequence[pa.Array]) -> list[_Span]:
    spans = []
    row0 = 0
    for chunk in chunks:
        t = chunk.type
        wide = pa.types.is_large_string(t) or pa.types.is_large_binary(t)
        if not (wide or pa.types.is_string(t) or pa.types.is_binary(t)):
            msg = f"hash_factorize_strings reads string or binary arrays, not {t}."
            raise TypeError(msg)
        valid, offsets, data = chunk.buffers()
        spans.append(
            (
                offsets.address if offsets is not None else 0,
                wide,
                data.address if data is not None else 0,
                valid.address if valid is not None and chunk.null_count else 0,
                chunk.offset,
                row0,
                len(chunk),
            )
        )
        row0 += len(chunk)
    return spans


def _pieces(spans: Sequence[_Span], a: int, b: int) -> list[tuple[Any, ...]]:
    """The chunks' parts covering rows [a, b): buffers, then their local rows lo..hi."""
    out = []
    for span in spans:
        row0, length = span[5], span[6]
        lo, hi = max(a, row0), min(b, row0 + length)
        if lo < hi:
            out.append((*span[:6], lo - row0, hi - row0))
    return out


def _chain(
    codes: IntArray,
    n_threads: int,
    number: Callable[[tuple[int, int]], _Part],
    search: Callable[[_Part, Any, int, int, IntArray], None],
    size: Callable[[Any], int],
) -> tuple[list[Any], list[npt.NDArray[np.bool_]]]:
    """Number each range of ``codes``' rows in a thread, then chain the ranges in order:
    renumber each range's codes so that a value's code is its code in the first range
    holding it. Returns each range's uniques and which of them are new (the uniques of the
    column are the new ones, range after range)."""
    n = len(codes)
    ranges = even_ranges(n, n_threads)
    if n_threads == 1:
        _, _, local = number(ranges[0])
        return [local], [np.ones(size(local), dtype=bool)]
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        parts = list(pool.map(number, ranges))
        locals_ = [u for _, _, u in parts]
        parts[-1] = (None, 0, None)  # the last range's table is never searched
        first = size(locals_[0])
        remaps = [np.arange(first, dtype=np.int64)]
        new_masks = [np.ones(first, dtype=bool)]
        total = first
        for p in range(1, len(parts)):
            local = locals_[p]
            remap = np.full(size(local), -1, dtype=np.int64)
            for q in range(p):  # the earliest range holding a value gives its code
                found = np.empty(len(remap), dtype=np.int64)
                chunks = even_ranges(len(remap), n_threads)
                part = parts[q]
                list(pool.map(lambda ab: search(part, local, ab[0], ab[1], found), chunks))  # noqa: B023 - used at once
                hit = (found >= 0) & (remap < 0)
                remap[hit] = remaps[q][found[hit]]
            new = remap < 0
            n_new = int(new.sum())
            remap[new] = np.arange(total, total + n_new, dtype=np.int64)
            total += n_new
            remaps.append(remap)
            new_masks.append(new)
        parts.clear()  # the tables are no longer needed
        tasks = [
            (a + lo, a + hi, remaps[p])
            for p, (a, b) in enumerate(ranges)
            if p > 0
            for lo, hi in even_ranges(b - a, n_threads)
        ]
        list(pool.map(lambda t: _renumber(codes, *t), tasks))
    return locals_, new_masks
