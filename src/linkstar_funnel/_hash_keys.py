"""Factorizing large integer id columns by hashing, in parallel threads (the compiled
kernels of :mod:`linkstar_funnel._kernels.keys`).

``pd.factorize`` hashes one value at a time into a khash table whose flags, keys and
values live in three arrays: three cache misses per row once the table outgrows the cache,
on one core. Here the rows are cut into contiguous ranges, one per thread; each thread
numbers its range's values in order of first appearance in its own open-addressing table
(key and code side by side: one cache line per probe). The ranges are then chained in
order: a value's code is its code in the first range holding it, so the codes and uniques
are exactly ``pd.factorize``'s (order of first appearance over the whole column).

Used for integer ids too sparse for :mod:`linkstar_funnel._dense_keys` (random 64-bit
ids, hashed ids).
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from ._kernels.keys import _lookup, _number_range, _renumber

__all__ = ["even_ranges", "hash_factorize"]

#: At most this many threads (ranges); each holds a table of its range's distinct values
#: (its first size and growth are set in :mod:`linkstar_funnel._kernels.keys`).
MAX_THREADS = 4


def even_ranges(n: int, parts: int) -> list[tuple[int, int]]:
    """``[0, n)`` cut into ``parts`` contiguous ranges of about equal length."""
    edges = np.linspace(0, n, parts + 1).astype(np.int64)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def hash_factorize(
    values: npt.NDArray[np.integer[Any]], *, threads: int | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
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
    n_threads = max(1, min(MAX_THREADS, threads or os.cpu_count() or 1, n // 2))
    codes = np.empty(n, dtype=np.int64)
    ranges = even_ranges(n, n_threads)
    with ThreadPoolExecutor(max_workers=n_threads) as pool:

        def number(ab: tuple[int, int]) -> tuple[Any, int, npt.NDArray[np.int64]]:
            return _number_range(keys, ab[0], ab[1], codes)

        parts = list(pool.map(number, ranges))
        tables = [(t, bits) for t, bits, _ in parts[:-1]]  # the last range's is never searched
        locals_ = [u for _, _, u in parts]
        del parts
        uniques = [locals_[0]]
        remaps = [np.arange(len(uniques[0]), dtype=np.int64)]
        total = len(uniques[0])
        for p in range(1, len(locals_)):
            local = locals_[p]
            remap = np.full(len(local), -1, dtype=np.int64)
            for q in range(p):  # the earliest range holding a value gives its code
                found = _search(pool, *tables[q], local, n_threads)
                hit = (found >= 0) & (remap < 0)
                remap[hit] = remaps[q][found[hit]]
            new = remap < 0
            remap[new] = np.arange(total, total + int(new.sum()), dtype=np.int64)
            total += int(new.sum())
            uniques.append(local[new])
            remaps.append(remap)
        del tables
        tasks = [
            (a + lo, a + hi, remaps[p])
            for p, (a, b) in enumerate(ranges)
            if p > 0
            for lo, hi in even_ranges(b - a, n_threads)
        ]
        list(pool.map(lambda t: _renumber(codes, *t), tasks))
    return codes, np.concatenate(uniques)


def _search(
    pool: ThreadPoolExecutor, table: Any, bits: int, keys: npt.NDArray[np.int64], n_threads: int
) -> npt.NDArray[np.int64]:
    """Code of each key in ``table`` (-1: absent), in parallel chunks."""
    found = np.empty(len(keys), dtype=np.int64)
    chunks = even_ranges(len(keys), n_threads)
    list(pool.map(lambda ab: _lookup(table, bits, keys, ab[0], ab[1], found), chunks))
    return found
