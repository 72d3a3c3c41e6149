"""Issue 12 for attribution: no silently wrong number, one typed error for every bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel.attribution as la
from linkstar_funnel.errors import DataQualityWarning, EmptyFrameError, ParameterError, SchemaError

T0 = pd.Timestamp("2026-01-01")


def touches(users: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": users,
            "timestamp": [T0 + pd.Timedelta(days=i) for i in range(len(users))],
            "channel": [f"c{i % 2}" for i in range(len(users))],
        }
    )


def orders(users: list[object], day: int = 5) -> pd.DataFrame:
    return pd.DataFrame({"user_id": users, "timestamp": [T0 + pd.Timedelta(days=day)] * len(users)})


def paths(rows: dict[str, list[object]]) -> la.Journeys:
    kw = {"value": "value"} if "value" in rows else {}
    return la.Journeys.from_paths(pd.DataFrame(rows), conversions="conv", **kw)


# --------------------------------------------------------------------------- user keys


@pytest.mark.parametrize(
    ("t_users", "c_users"),
    [
        ([1, 2], ["1", "2"]),
        (["1", "2"], [1, 2]),
        (pd.array([1, 2], dtype="Int64"), pd.array(["1", "2"], dtype="string")),
        ([1.0, 2.0], ["1", "2"]),
    ],
)
def test_user_ids_of_different_kinds_are_refused(t_users, c_users) -> None:
    with pytest.raises(SchemaError, match=r"'user_id'.*'user_id'.*\n.*Hint: cast") as info:
        la.Journeys.from_touchpoints(touches(list(t_users)), orders(list(c_users)))
    assert "touchpoints" in str(info.value)
    assert "conversions" in str(info.value)


def test_integer_and_float_ids_still_match() -> None:
    j = la.Journeys.from_touchpoints(touches([1, 2]), orders([1.0, 2.0]))
    assert la.DIRECT_NONE not in j.channels


def test_conversions_without_touches_are_counted_and_reported() -> None:
    j = la.Journeys.from_touchpoints(touches(["u1", "u2"]), orders(["u1", "u9"]))
    assert j.conversions.sum() == 2
    notes = " ".join(j.notes)
    assert "1 conversions without a touch" in notes
    assert "1 conversions by users with no touchpoint at all" in notes


# --------------------------------------------------------------------------- position based


def ref_position(n: int, first: float, last: float) -> list[float]:
    """Per-touch weights, case by case (the rule written in PositionBased's docstring)."""
    if n == 1:
        return [1.0]
    if n == 2:
        if first + last == 0:
            return [0.5, 0.5]
        return [first / (first + last), last / (first + last)]
    return [first] + [(1 - first - last) / (n - 2)] * (n - 2) + [last]


@settings(max_examples=60, deadline=None)
@given(
    first=st.floats(0, 1),
    share=st.floats(0, 1),
    rows=st.lists(
        st.tuples(
            st.lists(st.sampled_from("abcd"), min_size=1, max_size=5),
            st.floats(0, 10, allow_nan=False),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_position_based_matches_reference(first: float, share: float, rows) -> None:
    last = (1 - first) * share
    model = la.PositionBased(first=first, last=last)
    j = paths({"path": [" > ".join(p) for p, _ in rows], "conv": [c for _, c in rows]})
    want: dict[str, float] = {}
    for p, c in rows:
        for ch, w in zip(p, ref_position(len(p), first, last), strict=True):
            want[ch] = want.get(ch, 0.0) + w * c
    got = model.attribute(j).credit()
    for ch in j.channels:
        assert got[ch] == pytest.approx(want.get(ch, 0.0), rel=1e-9, abs=1e-9)


def test_position_based_two_touches_follow_the_weights() -> None:
    j = paths({"path": ["a > b"], "conv": [10]})
    got = la.PositionBased(first=0.3, last=0.7).attribute(j).credit().to_dict()
    assert got == pytest.approx({"a": 3.0, "b": 7.0})
    assert la.PositionBased().attribute(j).credit().to_dict() == pytest.approx({"a": 5.0, "b": 5.0})


# --------------------------------------------------------------------------- overflow

MODELS = [
    la.FirstTouch(),
    la.LastTouch(),
    la.LastNonDirect(),
    la.Linear(),
    la.PositionBased(),
    la.TimeDecay(),
    la.Markov(),
    la.Markov(order=2),
    la.Shapley(),
]


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_huge_values_give_finite_credit(model) -> None:
    j = paths({"path": ["a > b", "b > c", "a"], "conv": [1e308, 5e307, 1.0],
               "value": [8e307, 1e307, 8e307]})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = model.attribute(j)
    for metric in ("conversions", "value"):
        credit = res.credit(metric)
        assert np.isfinite(credit).all()
        total = j.total_conversions if metric == "conversions" else j.total_value
        assert credit.sum() == pytest.approx(total, rel=1e-9)


@pytest.mark.parametrize("column", ["conv", "value"])
def test_totals_beyond_float_range_are_refused(column: str) -> None:
    rows = {"path": ["a > b", "b"], "conv": [1.0, 1.0], "value": [1.0, 1.0]}
    rows[column] = [1.5e308, 1.5e308]
    with pytest.raises(SchemaError, match=rf"Column {column!r}.*largest"):
        paths(rows)


def test_time_decay_with_a_tiny_half_life_has_no_overflow_warning() -> None:
    j = paths({"path": ["a > b > c > d"], "conv": [1.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = la.TimeDecay(position_half_life=1e-308).attribute(j).credit()
    assert got.to_dict() == {"a": 0.0, "b": 0.0, "c": 0.0, "d": 1.0}


# --------------------------------------------------------------------------- economics


def test_channel_map_must_be_a_mapping() -> None:
    with pytest.raises(
        ParameterError, match=r"'channel_map' parameter of Journeys\.from_touchpoints"
    ):
        la.Journeys.from_touchpoints(touches(["u1"]), orders(["u1"]), channel_map=["c0"])
    res = la.LastTouch().attribute(paths({"path": ["a"], "conv": [1]}))
    with pytest.raises(ParameterError, match="'channel_map' parameter of channel_economics"):
        la.channel_economics(res, {"a": 1.0}, channel_map=["a"])


def test_cpa_is_nan_without_spend_and_says_why() -> None:
    j = paths({"path": ["ads > email", "ads", "seo"], "conv": [2, 2, 1]})
    with pytest.warns(DataQualityWarning, match="no spend"):
        econ = la.LastTouch().attribute(j).economics({"ads": 30.0, "tv": 5.0})
    t = econ.to_frame().set_index("channel")
    assert t.loc["ads", "cpa"] == 15.0
    assert math.isnan(t.loc["email", "cpa"])
    assert math.isnan(t.loc["seo", "cpa"])
    assert math.isnan(t.loc["tv", "cpa"])  # spend, no conversions
    notes = " ".join(econ.provenance.notes)
    assert "no spend" in notes
    assert "email" in notes
    assert "seo" in notes
    assert "no attributed conversions" in notes
    assert "tv" in notes


# --------------------------------------------------------------------------- found beyond the list


def test_touch_centuries_before_is_outside_the_lookback() -> None:
    # The age (conversion - touch) passes int64 nanoseconds and wrapped round to negative:
    # the 349-year-old touch was kept inside a 273-year lookback.
    t = pd.DataFrame(
        {
            "user_id": ["u1", "u1"],
            "timestamp": [pd.Timestamp.min + pd.Timedelta(days=1), T0],
            "channel": ["old", "new"],
        }
    )
    j = la.Journeys.from_touchpoints(t, orders(["u1"]), lookback="100000D")
    assert j.path_strings() == ["new"]
    assert j.inputs["touchpoints"].rows_dropped == 1


@pytest.mark.parametrize("mapped", [1, None, np.nan, " "])
def test_channel_map_values_must_be_channel_names(mapped) -> None:
    with pytest.raises(ParameterError, match=r"'channel_map'.*non-empty strings"):
        la.Journeys.from_touchpoints(touches(["u1"]), orders(["u1"]), channel_map={"c0": mapped})


@pytest.mark.parametrize(
    ("field", "bad"),
    [("channels", 5), ("offsets", [[0, 1]]), ("touches", [0.5]), ("conversions", ["x"])],
)
def test_journeys_constructor_refuses_bad_arrays(field: str, bad) -> None:
    args = {
        "channels": ("a",),
        "offsets": [0, 1],
        "touches": [0],
        "conversions": [1.0],
        "value": [1.0],
        "nulls": [0.0],
    }
    args[field] = bad
    with pytest.raises(ParameterError, match=f"'{field}' parameter of Journeys"):
        la.Journeys(**args)


def test_economics_refuses_non_numeric_spend_and_warns_on_overflow() -> None:
    res = la.Linear().attribute(paths({"path": ["a"], "conv": [1e-310]}))
    with pytest.raises(ParameterError, match="'spend' parameter of channel_economics"):
        res.economics({"a": "10"})
    with pytest.raises(SchemaError, match="spend mapping sums"):
        res.economics({"a": 1e308, "b": 1e308})
    with pytest.warns(DataQualityWarning, match="cpa is beyond the largest float64"):
        table = res.economics({"a": 1e10}).to_frame()
    assert np.isinf(table["cpa"]).all()


def test_markov_order_beyond_the_longest_path_is_that_path() -> None:
    j = paths({"path": ["a > b > c", "b", "c > a"], "conv": [1, 2, 1]})
    huge = la.Markov(order=10**9).attribute(j).credit()
    pd.testing.assert_series_equal(huge, la.Markov(order=3).attribute(j).credit())


def test_paths_all_dropped_is_an_empty_frame() -> None:
    frame = pd.DataFrame({"path": [None, " "], "conv": [1, 2]})
    with pytest.raises(EmptyFrameError, match="No rows of the paths frame are usable"):
        la.Journeys.from_paths(frame, conversions="conv", empty="drop")
