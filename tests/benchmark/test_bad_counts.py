"""Bad counts never turn into numbers: typed errors naming the column or parameter."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkstar_funnel._counts import MAX_COUNT, count_pair
from linkstar_funnel.benchmark import (
    Benchmark,
    bh_qvalues,
    binomial_test,
    newcombe_interval,
    observations_from_counts,
    prob_below,
    score_test,
    two_proportion_test,
    validate_observations,
    wilson_interval,
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


TWO = [two_proportion_test, newcombe_interval]
ONE_REF = [score_test, binomial_test, prob_below]


@pytest.mark.parametrize(
    ("x", "n", "param"),
    [
        (5, 3, "'successes' parameter of {f} must be at most 'trials'"),
        (-1, 3, "'successes' parameter of {f} must be non-negative whole"),
        (np.nan, 3, "'successes' parameter"),
        (1.5, 3, "'successes' parameter"),
        (1, np.inf, "'trials' parameter"),
        (1e19, 1e20, "'successes' parameter"),
        (0, 0, "'trials' parameter of {f} must be positive"),
        ("a", 3, "'successes' parameter"),
        (True, 3, "'successes' parameter"),
        ([1, 2], [3, 4, 5], "'successes' parameter .* shape"),
    ],
)
def test_statistics_refuse_bad_counts(x: Any, n: Any, param: str) -> None:
    calls: list[tuple[str, Any]] = [
        ("wilson_interval", lambda: wilson_interval(x, n)),
        *[(f.__name__, lambda f=f: f(x, n, 0.5)) for f in ONE_REF],
        *[(f.__name__, lambda f=f: f(x, n, 1, 3)) for f in TWO],
        *[(f.__name__, lambda f=f: f(1, 3, x, n)) for f in TWO],
    ]
    for name, call in calls:
        pattern = param.format(f=name)
        with pytest.raises(ParameterError) as info:
            call()
        message = (
            str(info.value).replace("ref_successes", "successes").replace("ref_trials", "trials")
        )
        assert re.search(pattern, message), (name, message)


def test_statistics_refuse_bad_rates_and_alpha() -> None:
    with pytest.raises(ParameterError, match="'reference' parameter of score_test"):
        score_test(1, 10, 1.5)
    with pytest.raises(ParameterError, match="'reference' parameter of binomial_test"):
        binomial_test(1, 10, np.nan)
    with pytest.raises(ParameterError, match="'alpha' parameter of wilson_interval"):
        wilson_interval(1, 10, alpha=1.0)
    with pytest.raises(ParameterError, match="'alpha' parameter of newcombe_interval"):
        newcombe_interval(1, 10, 1, 10, alpha=0)
    with pytest.raises(ParameterError, match="'p_values' parameter of bh_qvalues"):
        bh_qvalues([0.5, 2.0])
    with pytest.warns(DataQualityWarning, match="1 of 1 p-value"):
        assert np.isnan(bh_qvalues([np.nan])).all()


@st.composite
def any_pair(draw: st.DrawFn) -> tuple[float, float]:
    values = st.one_of(
        st.integers(-3, 10**6),
        st.integers(MAX_COUNT - 2, MAX_COUNT + 2),
        st.floats(allow_nan=True, allow_infinity=True),
    )
    return draw(values), draw(values)


def _valid(x: float, n: float) -> bool:
    """Plain-Python statement of a valid pair of counts."""
    ok = all(not isinstance(v, float) or (math.isfinite(v) and v == int(v)) for v in (x, n))
    return ok and 0 <= x <= n and 1 <= n <= MAX_COUNT


@given(any_pair())
def test_count_pair_accepts_exactly_the_valid_pairs(pair: tuple[float, float]) -> None:
    x, n = pair
    if _valid(x, n):
        got = count_pair(x, n, owner="t")
        assert (float(got[0]), float(got[1])) == (float(x), float(n))
    else:
        with pytest.raises(ParameterError):
            count_pair(x, n, owner="t")
