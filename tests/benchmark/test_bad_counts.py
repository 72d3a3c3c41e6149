"""Bad counts never turn into numbers: typed errors naming the column or parameter."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.benchmark import (
    Benchmark,
    observations_from_counts,
    validate_observations,
)
from linkstar_funnel.errors import DataQualityWarning, ParameterError, SchemaError

BENCH = Benchmark.from_rates({"cart": 0.1}, source="x", as_of="2026")


def obs(successes: Any, trials: Any) -> pd.DataFrame:
    return pd.DataFrame(
        {"stage": ["cart"] * len(successes), "successes": successes, "trials": trials}
    )


@pytest.mark.parametrize(
    ("successes", "trials", "match"),
    [
        ([1e19], [1e20], "'successes' of the observations frame must hold non-negative whole"),
        ([5], [2.0**63], "'trials' .* up to 2\\*\\*53"),
        ([np.nan, 3], [10, 10], "'successes' .* 1 missing value"),
        ([1], [np.inf], "'trials' .* infinite"),
        (pd.array([None, 3], dtype="Int64"), [10, 10], "'successes' .* missing"),
        ([1.5], [10], "whole numbers"),
        ([-1], [10], "whole numbers"),
        ([11], [10], "must not exceed 'trials'"),
    ],
)
def test_bad_observation_counts_are_schema_errors(successes: Any, trials: Any, match: str) -> None:
    frame = obs(successes, trials)
    before = frame.copy(deep=True)
    with pytest.raises(SchemaError, match=match):
        BENCH.compare(frame)
    with pytest.raises(SchemaError, match=match):
        validate_observations(frame)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("dtype", ["Int64", "int64[pyarrow]", "Float64", "uint32"])
def test_nullable_and_arrow_counts_give_the_numpy_result(dtype: str) -> None:
    plain = BENCH.compare(obs([30, 9], [200, 100])).to_frame()
    other = BENCH.compare(
        obs(pd.array([30, 9], dtype=dtype), pd.array([200, 100], dtype=dtype))
    ).to_frame()
    pd.testing.assert_frame_equal(other, plain)


def test_step_and_value_columns_are_read_not_guessed() -> None:
    with pytest.raises(SchemaError, match=r"'step' .* True or False"):
        validate_observations(obs([1], [2]).assign(step=["False"]))
    with pytest.raises(SchemaError, match=r"'orders_per_success' .* must hold numbers"):
        validate_observations(obs([1], [2]).assign(orders_per_success=["0.3"]))
    with pytest.raises(SchemaError, match=r"'step' .* True or False"):  # was a raw ValueError
        validate_observations(obs([1, 1], [2, 2]).assign(step=pd.array([True, None], "boolean")))
    assert validate_observations(obs([1], [2]).assign(step=[False]))["step"].tolist() == [False]


@pytest.mark.parametrize(
    ("users", "match"),
    [
        ([1e20, 5], "'users' .* whole numbers"),
        ([np.nan, 5], "'users' .* missing"),  # was summed as 0 trials
        ([10, 50], "rises down the funnel: 50 at 'c' > 10 at 'v'"),
        ([10.5, 5], "whole numbers"),
        ([-10, 5], "whole numbers"),
        (["10", "5"], "must hold numbers"),
        ([np.inf, 5], "infinite"),
    ],
)
def test_observations_from_counts_refuses_bad_counts(users: list[object], match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        observations_from_counts(pd.DataFrame({"stage": ["v", "c"], "users": users}))


def test_observations_from_counts_segments_and_shapes() -> None:
    one = pd.DataFrame({"stage": ["v"], "users": [10]})
    with pytest.raises(SchemaError, match="one stage"):
        observations_from_counts(one)
    gap = pd.DataFrame({"device": ["m", "m", "d"], "stage": ["v", "c", "v"], "users": [9, 3, 5]})
    with pytest.raises(SchemaError, match="no row for stage 'c' for \\{'device': 'd'\\}"):
        observations_from_counts(gap, by=["device"])
    by_text = observations_from_counts(gap.iloc[:2], by="device")  # a string is one column
    assert by_text["device"].tolist() == ["m"]
    unlabeled = gap.assign(device=["m", "m", None])
    with pytest.raises(SchemaError, match="'device' of the counts frame has missing labels"):
        observations_from_counts(unlabeled, by=["device"])
    with pytest.raises(ParameterError, match="'stages' parameter"):
        observations_from_counts(one, stages="v")
    with pytest.raises(ParameterError, match="'value_per_order' parameter"):
        observations_from_counts(one, value_per_order=-1.0)


def test_unknown_impact_warns() -> None:
    counts = pd.DataFrame({"stage": ["visit", "cart", "order"], "users": [100, 0, 0]})
    bench = Benchmark.from_rates({"cart": 0.1}, source="x", as_of="2026", base="visit")
    with pytest.warns(DataQualityWarning, match="orders_per_success is NaN in 3 of 3"):
        obs = observations_from_counts(counts)
    with pytest.warns(DataQualityWarning, match="impact of 1 row"):
        out = bench.compare(obs).to_frame()
    assert np.isnan(out["impact"].item())
