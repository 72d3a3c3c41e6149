"""The threaded counting sort of the pass's input equals a plain stable sort."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from linkstar_funnel.engines.memory import _funnel_sort as _sort


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 120),
    st.integers(1, 6),
    st.integers(1, 4),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**32 - 1),
    st.integers(-(2**62), 2**62),
)
def test_prepare_equals_stable_sort(
    n: int,
    n_ent: int,
    threads: int,
    keep_all: bool,
    with_x: bool,
    with_extra: bool,
    with_xextra: bool,
    seed: int,
    t0: int,
) -> None:
    rng = np.random.default_rng(seed)
    ent = rng.integers(0, n_ent, n)
    ts = t0 + rng.integers(0, 5, n)  # few distinct times: ties and out-of-order rows
    ev = rng.integers(0, 4, n)
    lut = np.array([0, 1, 2, 3], dtype=np.int32)  # event 0 matches no stage
    extra = rng.integers(0, 2, n).astype(np.int32) * 4 if with_extra else lut[:0]
    xlut = np.array([1, 0, 0, 0], dtype=np.int32) if with_x else lut[:0]
    # Per-row exclusion bits (a filtered exclusion stage) only come with an exclusion lut.
    xextra = rng.integers(0, 2, n).astype(np.int32) * 2 if with_x and with_xextra else lut[:0]
    seg = rng.integers(0, 3, n)
    starts, ts_s, ms_s, xs_s, seg_s = _sort.prepare(
        ent, n_ent, ts, ev, lut, extra, xlut, xextra, seg, keep_all, threads=threads, t0=t0
    )
    bits = lut[ev] | (extra if with_extra else 0)
    xbits = xlut[ev] | (xextra if len(xextra) else 0) if with_x else np.zeros(n, dtype=np.int32)
    kept = keep_all | (bits != 0) | (xbits != 0)
    order = np.lexsort((ts[kept], ent[kept]))  # by entity, then time; stable (frame order)
    assert (
        starts.tolist()
        == np.concatenate([[0], np.cumsum(np.bincount(ent[kept], minlength=n_ent))]).tolist()
    )
    assert ts_s.tolist() == (ts[kept][order] - t0).tolist()  # relative to t0, no wrap
    assert ms_s.tolist() == bits[kept][order].tolist()
    assert seg_s.tolist() == seg[kept][order].tolist()
    assert xs_s.tolist() == (xbits[kept][order].tolist() if with_x else [])
