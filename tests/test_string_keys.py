"""String ids factorized by hashing Arrow's buffers equal pd.factorize (codes in order of
first appearance, missing values -1), whatever the Arrow layout: string or large_string,
chunked, sliced (offsets into the buffers and the validity bits), with nulls."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkstar_funnel._hash_keys import hash_factorize_strings
from linkstar_funnel.schema import validate_events


def reference(values: list[str | None]) -> tuple[list[int], list[int]]:
    """Codes and first rows, one value at a time with a dict."""
    seen: dict[str, int] = {}
    codes, first = [], []
    for i, v in enumerate(values):
        if v is None:
            codes.append(-1)
            continue
        if v not in seen:
            seen[v] = len(first)
            first.append(i)
        codes.append(seen[v])
    return codes, first


def _check(column: pa.Array | pa.ChunkedArray, values: list[str | None], threads: int) -> None:
    codes, first = hash_factorize_strings(column, threads=threads)
    want_codes, want_first = reference(values)
    assert codes.tolist() == want_codes
    assert first.tolist() == want_first
    # The external reference: pandas on the same values (as objects).
    pd_codes, pd_uniques = pd.factorize(np.array(values, dtype=object))
    np.testing.assert_array_equal(codes, pd_codes)
    assert [values[i] for i in first] == list(pd_uniques)


# Few distinct values (many repeats, shared between the threads' ranges): empty, ASCII,
# non-ASCII, long (past several 8-byte words), and prefixes of one another.
STRINGS = st.one_of(
    st.text(max_size=3),
    st.text(alphabet="aé€😀", min_size=1, max_size=12),
    st.text(alphabet="ab", min_size=20, max_size=70),
    st.sampled_from(["", "a", "a\x00", "ab" * 8, "ab" * 8 + "c", "ab" * 9]),
)


@settings(max_examples=40, deadline=None)
@given(
    pool=st.lists(STRINGS, min_size=1, max_size=30, unique=True),
    data=st.data(),
    large=st.booleans(),
    threads=st.integers(1, 4),
)
def test_matches_pandas_factorize_on_any_arrow_layout(
    pool: list[str], data: st.DataObject, large: bool, threads: int
) -> None:
    picks = data.draw(st.lists(st.integers(-1, len(pool) - 1), max_size=150))
    values = [None if i < 0 else pool[i] for i in picks]
    kind = pa.large_string() if large else pa.string()
    # The values sit inside a larger array (a slice: offsets and validity bits shifted by
    # any count, not only whole bytes), then are cut into chunks at random rows.
    before = data.draw(st.lists(st.sampled_from([None, "x", "pad"]), max_size=11))
    after = data.draw(st.lists(st.sampled_from([None, "y"]), max_size=5))
    whole = pa.array(before + values + after, type=kind)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(values)), max_size=4)))
    edges = [0, *cuts, len(values)]
    chunks = [whole.slice(len(before) + a, b - a) for a, b in itertools.pairwise(edges)]
    _check(pa.chunked_array(chunks, type=kind), values, threads)
    _check(whole.slice(len(before), len(values)), values, threads)


def test_tables_and_arenas_grow_past_their_first_size() -> None:
    # 40k distinct ids of 100 to 300 bytes in random order: every range's table and arena
    # start small and must grow several times.
    rng = np.random.default_rng(5)
    ids = [f"{x:010x}" * (10 + x % 21) for x in rng.choice(2**40, 40_000, replace=False)]
    values = [ids[i] for i in rng.integers(0, len(ids), 60_000)]
    for threads in (1, 3):
        _check(pa.array(values, type=pa.large_string()), values, threads)


def test_very_long_strings_differing_in_one_byte() -> None:
    base = "é" * 50_000
    values = [base + "a", base + "b", base + "a", base, None, base + "b"]
    _check(pa.chunked_array([values[:2], values[2:]]), values, threads=2)


def test_all_null_and_empty_columns() -> None:
    for values in ([None, None], [], ["", None, ""]):
        _check(pa.array(values, type=pa.string()), values, threads=2)


def test_rejects_other_arrow_types() -> None:
    with pytest.raises(TypeError, match="string or binary"):
        hash_factorize_strings(pa.array([1, 2]))


# ----------------------------------------------------------------------------- schema


def _missing_users(table: object) -> int:
    return sum(d.count for d in table.accounting.dropped if d.reason == "missing user")  # type: ignore[attr-defined]


def _events(user: object) -> pd.DataFrame:
    n = len(user)  # type: ignore[arg-type]
    return pd.DataFrame(
        {
            "user_id": user,
            "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n), unit="s"),
            "event": pd.array(["view", "cart"] * (n // 2) + ["view"] * (n % 2), dtype="str"),
        }
    )


USER_COLUMNS = {
    "str": pd.array(["u2", "u1", None, "ü9", "u2", ""], dtype="str"),
    "string[pyarrow]": pd.array(["u2", "u1", None, "ü9", "u2", ""], dtype="string[pyarrow]"),
    "arrow large_string": pd.array(
        ["u2", "u1", None, "ü9", "u2", ""], dtype=pd.ArrowDtype(pa.large_string())
    ),
    "string[python]": pd.array(["u2", "u1", None, "ü9", "u2", ""], dtype="string[python]"),
    "object": np.array(["u2", "u1", np.nan, "ü9", "u2", ""], dtype=object),
    "object mixed": np.array(["u2", 1, None, b"u2", "u2", ""], dtype=object),
}


@pytest.mark.parametrize("name", list(USER_COLUMNS))
def test_schema_codes_equal_pandas_and_count_missing_ids(name: str) -> None:
    events = _events(USER_COLUMNS[name])
    table = validate_events(events)
    codes, uniques = pd.factorize(events["user_id"])
    kept = codes >= 0
    np.testing.assert_array_equal(table.codes["user"], codes[kept])
    assert table.labels["user"].equals(pd.Index(uniques))
    assert table.labels["user"].dtype == pd.Index(uniques).dtype
    assert table.accounting.rows_used == int(kept.sum())
    assert _missing_users(table) == int((~kept).sum())
    # The event names (strings) too, in order of first appearance.
    assert list(table.labels["event"]) == ["view", "cart"]


def test_schema_numbers_categorical_ids_in_order_of_first_appearance() -> None:
    users = pd.Categorical(["u3", None, "u1", "u3", "u2"], categories=["u1", "u2", "u3", "unused"])
    table = validate_events(_events(users))
    codes, uniques = pd.factorize(users)
    np.testing.assert_array_equal(table.codes["user"], codes[codes >= 0])
    assert list(table.labels["user"]) == list(uniques) == ["u3", "u1", "u2"]
    assert _missing_users(table) == 1


def test_schema_keeps_text_and_bytes_apart_past_the_sample() -> None:
    # The first thousand values are text: the column is converted to Arrow, which makes
    # it binary for the bytes further down (b"u1" is not "u1"), so pd.factorize numbers it.
    users = np.array(["u1", "u2"] * 600 + [b"u1", "u2", b"u1"], dtype=object)
    table = validate_events(_events(users))
    codes, uniques = pd.factorize(users)
    np.testing.assert_array_equal(table.codes["user"], codes)
    assert list(table.labels["user"]) == ["u1", "u2", b"u1"] == list(uniques)
