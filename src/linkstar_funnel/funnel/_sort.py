"""Numba kernel preparing the pass: stage bits, filtering, grouping by entity, time order.

One fused pass replaces a chain of numpy temporaries: each kept row's stage bits come from a
per-event-code lookup table (OR per-row bits for filters that need the frame), rows matching
no stage and no exclusion are dropped, a stable counting sort groups rows by entity (codes
come from hashing in :mod:`linkstar_funnel.schema`, no sort), and only segments whose times
are out of order get sorted (logs usually arrive in time order).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True)
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
) -> tuple[Any, ...]:  # pragma: no cover
    """Return ``starts`` (entity offsets), and time-ordered ``ts``, stage bits, exclusion
    bits and segment codes per kept row. Empty ``extra``/``xextra``/``seg`` mean none."""
    n = ent.shape[0]
    has_extra = extra.shape[0] > 0
    has_x = xlut.shape[0] > 0
    has_xextra = xextra.shape[0] > 0
    has_seg = seg.shape[0] > 0
    starts = np.zeros(n_ent + 1, dtype=np.int64)
    for i in range(n):
        b = lut[ev[i]]
        if has_extra:
            b |= extra[i]
        if has_x:
            b |= xlut[ev[i]]
            if has_xextra:
                b |= xextra[i]
        if keep_all or b != 0:
            starts[ent[i] + 1] += 1
    for e in range(n_ent):
        starts[e + 1] += starts[e]
    m = starts[n_ent]
    ts_s = np.empty(m, dtype=np.int64)
    ms_s = np.empty(m, dtype=lut.dtype)
    xs_s = np.zeros(m if has_x else 0, dtype=xlut.dtype)
    seg_s = np.empty(m if has_seg else 0, dtype=np.int64)
    # Scatter with starts[e] as the fill pointer of entity e - 1... shifted: use starts[e]
    # for entity e, which ends at the old starts[e + 1]; shift back afterwards.
    for i in range(n):
        b = lut[ev[i]]
        if has_extra:
            b |= extra[i]
        x = xlut[ev[i]] if has_x else 0
        if has_xextra:
            x |= xextra[i]
        if keep_all or (b | x) != 0:
            e = ent[i]
            p = starts[e]
            starts[e] = p + 1
            ts_s[p] = ts[i]
            ms_s[p] = b
            if has_x:
                xs_s[p] = x
            if has_seg:
                seg_s[p] = seg[i]
    for e in range(n_ent, 0, -1):
        starts[e] = starts[e - 1]
    starts[0] = 0
    for e in range(n_ent):
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
    return starts, ts_s, ms_s, xs_s, seg_s
