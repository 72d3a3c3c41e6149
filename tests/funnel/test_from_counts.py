"""Funnel.from_counts: exact integer counts, typed errors naming the stage, schema layer."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import (
    ColumnNotFoundError,
    EmptyFrameError,
    ParameterError,
    SchemaError,
)
from linkstar_funnel.funnel import Funnel

_MAX = int(np.iinfo(np.int64).max)


@pytest.mark.parametrize(
    "bad",
    [1e20, float("inf"), float("nan"), -1, 2.5, 2**63, np.uint64(2**63), None, "10", True],
)
def test_a_count_that_is_not_a_whole_int64_is_refused_naming_the_stage(bad: object) -> None:
    # 1e20 and inf used to be cast to garbage (-9223372036854775808 users).
    with pytest.raises(ParameterError, match="The count of stage 'visit' must be a whole number"):
        Funnel.from_counts({"visit": bad, "cart": 0})


@pytest.mark.parametrize(
    "column",
    [
        pd.array([1e20, 1.0], dtype="Float64"),
        pd.array([None, 1], dtype="Int64"),
        np.array([np.nan, 1.0]),
        np.array([2**63, 1], dtype=np.uint64),
        np.array([np.inf, 1.0]),
    ],
)
def test_bad_counts_in_a_frame_are_refused(column: object) -> None:
    frame = pd.DataFrame({"stage": ["visit", "cart"], "count": column})
    with pytest.raises(ParameterError, match="stage 'visit'"):
        Funnel.from_counts(frame)


@settings(max_examples=100, deadline=None)
@given(
    counts=st.lists(st.integers(1, _MAX), min_size=2, max_size=6).map(
        lambda xs: sorted(xs, reverse=True)
    ),
    as_float=st.booleans(),
)
def test_whole_counts_are_kept_exactly(counts: list[int], as_float: bool) -> None:
    if as_float:  # whole floats within int64 are fine, read exactly
        counts = [int(float(c)) if float(c) < 2.0**63 else 2**62 for c in counts]
        counts = sorted(counts, reverse=True)
        given_counts: list[object] = [float(c) for c in counts]
    else:
        given_counts = list(counts)
    stages = [f"s{i}" for i in range(len(counts))]
    out = Funnel.from_counts(dict(zip(stages, given_counts, strict=True))).to_frame()
    assert out["users"].tolist() == counts
    assert out["drop_off"].tolist() == [0, *(a - b for a, b in itertools.pairwise(counts))]


def test_integer_dtypes_are_read_exactly() -> None:
    for dtype in ["int8", "int32", "uint16", "uint64", "Int64"]:
        frame = pd.DataFrame({"stage": ["a", "b"], "count": pd.array([100, 7], dtype=dtype)})
        assert Funnel.from_counts(frame).to_frame()["users"].tolist() == [100, 7]
    big = pd.DataFrame({"stage": ["a", "b"], "count": np.array([_MAX, _MAX - 1])})
    assert Funnel.from_counts(big).to_frame()["users"].tolist() == [_MAX, _MAX - 1]


def test_segment_sums_beyond_int64_are_refused() -> None:
    frame = pd.DataFrame({"seg": ["x", "x", "x"], "stage": ["a", "a", "b"], "count": [_MAX, 5, 1]})
    with pytest.raises(ParameterError, match="stage 'a' \\(column 'count'\\) add up to more than"):
        Funnel.from_counts(frame, by="seg")


def test_counts_frames_go_through_the_schema_layer() -> None:
    with pytest.raises(EmptyFrameError):
        Funnel.from_counts({})
    with pytest.raises(EmptyFrameError):
        Funnel.from_counts(pd.DataFrame({"stage": [], "count": []}))
    with pytest.raises(ColumnNotFoundError, match="count column 'n'"):
        Funnel.from_counts(pd.DataFrame({"stage": ["a", "b"], "count": [2, 1]}), count="n")
    with pytest.raises(ColumnNotFoundError, match="stage column 'step'"):
        Funnel.from_counts(pd.DataFrame({"stage": ["a", "b"], "count": [2, 1]}), stage="step")
    with pytest.raises(SchemaError):
        Funnel.from_counts([("a", 1)])  # type: ignore[arg-type]
    dup = pd.DataFrame([["a", 2, "x"], ["b", 1, "y"]], columns=["stage", "count", "stage"])
    with pytest.raises(SchemaError):
        Funnel.from_counts(dup)


def test_a_row_without_a_stage_is_dropped_and_counted() -> None:
    frame = pd.DataFrame({"stage": ["a", None, "b"], "count": [5, 4, 3]})
    result = Funnel.from_counts(frame)
    assert result.to_frame()["users"].tolist() == [5, 3]
    (accounting,) = result.provenance.inputs.values()
    assert (accounting.rows_in, accounting.rows_used) == (3, 2)


def test_a_missing_segment_value_is_a_segment_of_its_own() -> None:
    frame = pd.DataFrame(
        {"seg": ["x", "x", None, None], "stage": ["a", "b", "a", "b"], "count": [5, 2, 4, 1]}
    )
    before = frame.copy(deep=True)
    out = Funnel.from_counts(frame, by="seg").to_frame()
    assert out["users"].sum() == 12
    assert out.loc[out["seg"].isna(), "users"].tolist() == [4, 1]
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"by": 5}, "'by' parameter of Funnel.from_counts"),
        ({"stage": 5}, "'stage' parameter of Funnel.from_counts"),
        ({"count": ""}, "'count' parameter of Funnel.from_counts"),
    ],
)
def test_from_counts_bad_parameters(kwargs: dict[str, object], match: str) -> None:
    frame = pd.DataFrame({"stage": ["a", "b"], "count": [2, 1]})
    with pytest.raises(ParameterError, match=match):
        Funnel.from_counts(frame, **kwargs)  # type: ignore[arg-type]


def test_a_rate_after_a_stage_nobody_reached_is_zero_not_nan() -> None:
    # 0 of 0 used to be NaN, with no warning saying why: nobody converted, the rate is 0.
    out = Funnel.from_counts({"visit": 5, "cart": 0, "order": 0}).to_frame()
    assert out["conversion_from_previous"].tolist() == [1.0, 0.0, 0.0]
    out = Funnel.from_counts({"visit": 0, "cart": 0}).to_frame()
    assert out["conversion_from_start"].tolist() == [0.0, 0.0]
