"""Direct-address factorizing equals pd.factorize (codes in order of first appearance)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from linkstar_funnel._dense_keys import MAX_SPAN_PER_ROW, dense_factorize

INT_DTYPES = st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32])


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(INT_DTYPES, st.integers(1, 60), elements={"min_value": 0, "max_value": 100}),
    st.integers(-50, 50),
)
def test_matches_pandas_factorize(values: np.ndarray, shift: int) -> None:
    if values.dtype.kind == "i":
        values = values + np.asarray(shift, dtype=values.dtype)
    out = dense_factorize(values, min_rows=0)
    codes, uniques = pd.factorize(values)
    if out is None:
        # Only refused when the ids are spread too thin for a lookup table.
        assert int(values.max()) - int(values.min()) + 1 > MAX_SPAN_PER_ROW * values.size
        return
    assert out[0].tolist() == codes.tolist()
    assert out[1].tolist() == uniques.tolist()


def test_refuses_small_sparse_and_huge_unsigned_inputs() -> None:
    assert dense_factorize(np.arange(10)) is None  # below MIN_ROWS
    assert dense_factorize(np.array([0, 10**12]), min_rows=0) is None  # too sparse
    huge = np.array([2**64 - 1, 2**64 - 2], dtype=np.uint64)
    assert dense_factorize(huge, min_rows=0) is None
    assert dense_factorize(np.array([], dtype=np.int64), min_rows=0) is None


def test_large_frames_use_it_and_agree_with_pandas() -> None:
    rng = np.random.default_rng(5)
    ids = rng.integers(-1_000, 400_000, 1_000_000)
    out = dense_factorize(ids)
    assert out is not None
    codes, uniques = pd.factorize(ids)
    np.testing.assert_array_equal(out[0], codes)
    np.testing.assert_array_equal(out[1], uniques)
