"""Threaded hash factorizing equals pd.factorize (codes in order of first appearance)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkstar_funnel._hash_keys import hash_factorize
from linkstar_funnel.schema import HASH_MIN_ROWS, validate_events


def _check(values: np.ndarray, threads: int) -> None:
    codes, uniques = hash_factorize(values, threads=threads)
    want_codes, want_uniques = pd.factorize(values)
    np.testing.assert_array_equal(codes, want_codes)
    back = uniques.view(values.dtype) if values.dtype.itemsize == 8 else uniques
    np.testing.assert_array_equal(back.astype(values.dtype), want_uniques)


# Pools of few distinct values (many repeats, shared between the threads' ranges), spread
# over the whole 64-bit range or on multiples of a power of two (colliding hash slots).
POOLS = st.one_of(
    st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=40),
    st.lists(st.integers(-50, 50).map(lambda k: k * 2**40), min_size=1, max_size=40),
)


@settings(max_examples=200, deadline=None)
@given(POOLS, st.data(), st.integers(1, 5))
def test_matches_pandas_factorize(pool: list[int], data: st.DataObject, threads: int) -> None:
    picks = data.draw(st.lists(st.integers(0, len(pool) - 1), min_size=0, max_size=200))
    _check(np.array([pool[i] for i in picks], dtype=np.int64), threads)


@pytest.mark.parametrize("dtype", [np.uint64, np.int32, np.uint16])
def test_other_integer_dtypes(dtype: type[np.integer]) -> None:
    rng = np.random.default_rng(3)
    info = np.iinfo(dtype)
    pool = rng.integers(info.min, info.max, 500, dtype=dtype, endpoint=True)
    _check(pool[rng.integers(0, 500, 5000)], threads=3)


def test_tables_grow_past_their_first_size() -> None:
    # 300k distinct ids: every range's table starts at 2**16 slots and must rehash.
    rng = np.random.default_rng(4)
    ids = rng.integers(-(2**62), 2**62, 300_000)
    _check(ids[rng.integers(0, len(ids), 1_000_000)], threads=2)
    _check(ids, threads=4)


def test_schema_hashes_large_sparse_id_columns() -> None:
    rng = np.random.default_rng(6)
    ids = rng.choice(10**12, 50_000, replace=False)
    n = HASH_MIN_ROWS
    events = pd.DataFrame(
        {
            "user_id": ids[rng.integers(0, len(ids), n)],
            "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n), unit="s"),
            "event": "view",
        }
    )
    table = validate_events(events)
    codes, uniques = pd.factorize(events["user_id"])
    np.testing.assert_array_equal(table.codes["user"], codes)
    assert table.labels["user"].equals(pd.Index(uniques))
    assert table.labels["user"].dtype == np.int64
