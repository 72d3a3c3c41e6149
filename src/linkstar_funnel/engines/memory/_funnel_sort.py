"""Preparing the pass: stage bits, filtering, grouping by entity, time order (numba kernels).

Fused passes replace a chain of numpy temporaries: each kept row's stage bits come from a
per-event-code lookup table (OR per-row bits for filters that need the frame), rows matching
no stage and no exclusion are dropped, a stable counting sort groups rows by entity (codes
come from hashing in :mod:`linkstar_funnel.schema`, no sort), and only entities whose times
are out of order get sorted (logs usually arrive in time order).

The counting sort runs in threads over contiguous row ranges: each range counts its rows
per entity, the counts become one fill pointer per (range, entity) with range 0's rows first,
and each range scatters its own rows. The order within an entity is the frame order, exactly
as a serial stable sort gives.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numba import njit

from ..._hash_keys import even_ranges


@njit(cache=True, nogil=True)
def _count(
    lo: int,
    hi: int,
    ent: Any,
    ev: Any,
    lut: Any,
    extra: Any,
    xlut: Any,
    xextra: Any,
    keep_all: bool,
    counts: Any,
) -> None:  # pragma: no cover
    """``counts[e]`` = kept rows of entity ``e`` among rows [lo, hi): rows matching a stage
    or an exclusion (stage bits from ``lut`` per event code OR ``extra`` per row, exclusion
    bits likewise from ``xlut`` and ``xextra``; empty arrays mean none)."""
    has_extra = extra.shape[0] > 0
    has_x = xlut.shape[0] > 0
    has_xextra = xextra.shape[0] > 0
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


@njit(cache=True, nogil=True)
def _fill_pointers(counts: Any) -> Any:  # pragma: no cover
    """Entity offsets; turns ``counts[p, e]`` into where range p writes entity e's rows."""
    n_parts, n_ent = counts.shape
    starts = np.empty(n_ent + 1, dtype=np.int64)
    at = 0
    for e in range(n_ent):
        starts[e] = at
        for p in range(n_parts):
            c = counts[p, e]
            counts[p, e] = at
            at += c
    starts[n_ent] = at
    return starts


@njit(cache=True, nogil=True)
def _scatter(
    lo: int,
    hi: int,
    ent: Any,
    ts: Any,
    ev: Any,
    lut: Any,
    extra: Any,
    xlut: Any,
    xextra: Any,
    seg: Any,
    keep_all: bool,
    t0: int,
    fill: Any,
    ts_s: Any,
    ms_s: Any,
    xs_s: Any,
    seg_s: Any,
) -> None:  # pragma: no cover
    """Rows [lo, hi) to their entity's slots, ``fill[e]`` being the next slot of entity e;
    times are written relative to ``t0``."""
    has_extra = extra.shape[0] > 0
    has_x = xlut.shape[0] > 0
    has_xextra = xextra.shape[0] > 0
    has_seg = seg_s.shape[0] > 0
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
            fill[e] = p + 1
            ts_s[p] = ts[i] - t0
            ms_s[p] = b
            if has_x:
                xs_s[p] = x
            if has_seg:
                seg_s[p] = seg[i]


@njit(cache=True, nogil=True)
def _order_by_time(
    starts: Any, e_lo: int, e_hi: int, ts_s: Any, ms_s: Any, xs_s: Any, seg_s: Any
) -> None:  # pragma: no cover
    """Stable-sort by time the rows of entities [e_lo, e_hi) that are out of order."""
    has_x = xs_s.shape[0] > 0
    has_seg = seg_s.shape[0] > 0
    for e in range(e_lo, e_hi):
        lo, hi = starts[e], starts[e + 1]
        ordered = True
        for k in range(lo + 1, hi):
            if ts_s[k] < ts_s[k - 1]:
                ordered = False
                break
        if ordered:
            continue
        idx = np.argsort(ts_s[lo:hi], kind="mergesort") + lo
        ts_s[lo:hi] = ts_s[idx]
        ms_s[lo:hi] = ms_s[idx]
        if has_x:
            xs_s[lo:hi] = xs_s[idx]
        if has_seg:
            seg_s[lo:hi] = seg_s[idx]


def prepare(
    ent: Any,
    n_ent: int,
    ts: Any,
    ev: Any,
    lut: Any,
    extra: Any,
    xlut: Any,
    xextra: Any,
    seg: Any,
    keep_all: bool,
    threads: int = 1,
    t0: int = 0,
) -> tuple[Any, ...]:
    """Return ``starts`` (entity offsets), and time-ordered ``ts`` (minus ``t0``), stage
    bits, exclusion bits and segment codes per kept row. Empty ``extra``/``xextra``/``seg``
    mean none; ``keep_all`` keeps rows matching no stage (strict mode's "any event
    breaks"). Times are shifted while they are scattered: no extra copy of the column."""
    rows = [(a, b) for a, b in even_ranges(len(ent), max(1, threads)) if b > a]
    # Per (range, entity) counts, then fill positions: int32 while the rows fit.
    small = len(ent) < np.iinfo(np.int32).max
    counts = np.zeros((max(1, len(rows)), n_ent), dtype=np.int32 if small else np.int64)
    with ThreadPoolExecutor(max_workers=max(1, len(rows))) as pool:

        def count(p: int) -> None:
            _count(*rows[p], ent, ev, lut, extra, xlut, xextra, keep_all, counts[p])

        list(pool.map(count, range(len(rows))))
        starts = _fill_pointers(counts)
        m = int(starts[n_ent])
        ts_s = np.empty(m, dtype=np.int64)
        ms_s = np.empty(m, dtype=lut.dtype)
        xs_s = np.zeros(m if len(xlut) else 0, dtype=xlut.dtype)
        seg_s = np.empty(m if len(seg) else 0, dtype=np.int64)

        def scatter(p: int) -> None:
            _scatter(*rows[p], ent, ts, ev, lut, extra, xlut, xextra, seg, keep_all, t0,
                     counts[p], ts_s, ms_s, xs_s, seg_s)  # fmt: skip

        list(pool.map(scatter, range(len(rows))))
        cuts = np.searchsorted(starts, np.linspace(0, m, len(rows) + 1))
        bounds = np.minimum(cuts, n_ent).tolist()
        bounds[0], bounds[-1] = 0, n_ent
        chunks = [(a, b) for a, b in itertools.pairwise(bounds) if b > a]
        order: Any = _order_by_time  # numba's Dispatcher stub does not see the signature
        list(pool.map(lambda ab: order(starts, *ab, ts_s, ms_s, xs_s, seg_s), chunks))
    return starts, ts_s, ms_s, xs_s, seg_s
