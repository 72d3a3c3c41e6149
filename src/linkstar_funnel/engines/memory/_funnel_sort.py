"""Preparing the pass: stage bits, filtering, grouping by entity, time order (the compiled
kernels of :mod:`linkstar_funnel._kernels.sort`, driven from a thread pool).

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

from ..._hash_keys import even_ranges
from ..._kernels.sort import _count, _fill_pointers, _order_by_time, _scatter


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
        list(
            pool.map(
                lambda ab: _order_by_time(starts, ab[0], ab[1], ts_s, ms_s, xs_s, seg_s), chunks
            )
        )
    return starts, ts_s, ms_s, xs_s, seg_s
