"""Scorecards (pacing, status, driver of the gap) and baselines, by hand and by invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel.kpi import KPITree
from linkstar_funnel.results import check_result

TREE = KPITree.from_formula(
    "gmv = sessions * cvr * aov; cvr = orders / sessions; aov = revenue / orders",
    owners={"sessions": "Growth", "cvr": "Product", "aov": "Merchandising", "gmv": "CEO"},
)


def _days(start: str, end: str, **leaves: float) -> pd.DataFrame:
    days = pd.date_range(start, end, freq="D")
    return pd.DataFrame({"date": days, **{k: float(v) for k, v in leaves.items()}})


def test_pacing_by_elapsed_days_attainment_gap_and_status_by_hand() -> None:
    actual = _days("2026-03-01", "2026-03-31", sessions=1000, orders=20, revenue=1000)
    targets = {"gmv": 62_000.0, "sessions": 31_000.0, "cvr": 0.025, "aov": 50.0}
    card = TREE.scorecard(actual, targets, period="M", as_of="2026-03-18")
    t = card.to_frame().set_index("node")
    share = 18 / 31
    assert card.elapsed == pytest.approx(share)
    assert t.loc["gmv", "actual"] == pytest.approx(18 * 1000.0)
    assert t.loc["gmv", "attainment"] == pytest.approx(18_000 / 62_000)
    assert t.loc["gmv", "expected_by_now"] == pytest.approx(62_000 * share)  # an amount
    assert t.loc["cvr", "expected_by_now"] == pytest.approx(0.025)  # a rate: no pacing
    assert t.loc["aov", "expected_by_now"] == pytest.approx(50.0)
    assert t.loc["gmv", "gap"] == pytest.approx(18_000 - 62_000 * share)
    assert t.loc["gmv", "status"] == "off track"  # pace 0.5
    assert t.loc["cvr", "status"] == "off track"  # 0.02 / 0.025 = 0.8
    assert t.loc["sessions", "status"] == "on track"
    assert t.loc["aov", "status"] == "on track"
    # the gap of gmv is explained by cvr (owner Product); cvr's by its orders
    assert t.loc["gmv", "driver_of_gap"] == "cvr"
    assert t.loc["gmv", "driver_owner"] == "Product"
    assert t.loc["cvr", "driver_of_gap"] == "orders"
    assert t.loc["sessions", "driver_of_gap"] == "sessions"  # a leaf is its own driver
    assert list(card.to_frame().columns) == [
        "node", "owner", "actual", "target", "attainment", "expected_by_now", "gap",
        "status", "driver_of_gap", "driver_owner",
    ]  # fmt: skip
    assert card.to_frame()["status"].iloc[0] == "off track"  # worst first
    check_result(card)


def test_status_thresholds_are_parameters() -> None:
    actual = _days("2026-03-01", "2026-03-10", sessions=1000, orders=20, revenue=1000)
    targets = {"sessions": 10_000 / 0.95}  # pace 0.95 on the last day of a 10-day week
    kw = {"period": "M", "as_of": "2026-03-10"}
    base = TREE.scorecard(actual, {"sessions": 31_000 / 0.95}, **kw).to_frame()
    assert base["status"].iloc[0] == "at risk"
    loose = TREE.scorecard(actual, {"sessions": 31_000 / 0.95}, on_track=0.9, **kw).to_frame()
    assert loose["status"].iloc[0] == "on track"
    tight = TREE.scorecard(actual, {"sessions": 31_000 / 0.95}, off_track=0.96, **kw).to_frame()
    assert tight["status"].iloc[0] == "off track"
    assert targets  # the pace used above
    with pytest.raises(lf.ParameterError, match="off_track"):
        TREE.scorecard(actual, {"sessions": 1.0}, on_track=0.8, off_track=0.9)


def test_weekday_profile_from_history_paces_a_weekend_heavy_week() -> None:
    hist = _days("2026-01-05", "2026-02-01", sessions=1000, orders=20, revenue=1000)
    weekend = hist["date"].dt.day_of_week >= 5
    hist.loc[weekend, ["sessions", "orders", "revenue"]] *= 3  # weekends sell 3x
    actual = _days("2026-03-02", "2026-03-06", sessions=1000, orders=20, revenue=1000)  # Mon-Fri
    card = TREE.scorecard(actual, {"gmv": 11_000.0}, period="W", history=hist)
    # weights: 5 weekdays of 1 and 2 weekend days of 3 -> 5 / 11 of the week is done
    assert card.elapsed == pytest.approx(5 / 11)
    row = card.to_frame().iloc[0]
    assert row["expected_by_now"] == pytest.approx(5_000.0)
    assert row["status"] == "on track"
    flat = TREE.scorecard(actual, {"gmv": 11_000.0}, period="W")
    assert flat.elapsed == pytest.approx(5 / 7)
    assert flat.to_frame()["status"].iloc[0] == "off track"


def test_segments_targets_with_owner_override_and_unmatched_segments_counted() -> None:
    uk = _days("2026-03-01", "2026-03-14", sessions=1000, orders=20, revenue=1000).assign(
        country="UK"
    )
    de = _days("2026-03-01", "2026-03-14", sessions=500, orders=5, revenue=300).assign(country="DE")
    actual = pd.concat([uk, de], ignore_index=True)
    targets = pd.DataFrame(
        {
            "country": ["UK", "DE", "FR"],
            "node": ["gmv", "gmv", "gmv"],
            "target": [28_000.0, 8_400.0, 1_000.0],
            "owner": ["UK lead", None, None],
        }
    )
    card = TREE.scorecard(actual, targets, period="W", as_of="2026-03-14", by="country")
    t = card.to_frame().set_index("country")
    assert t.loc["UK", "owner"] == "UK lead"
    assert t.loc["DE", "owner"] == "CEO"  # the tree's owner where the frame has none
    assert t.loc["UK", "actual"] == pytest.approx(6 * 1000.0)  # Mon 9 .. Sat 14 March
    assert card.provenance.inputs["targets"].rows_dropped == 1  # FR has no actual rows
    assert card.provenance.inputs["actual"].rows_dropped == 16  # 1-8 March, both countries
    assert t.loc["DE", "driver_of_gap"] in {"sessions", "cvr", "aov"}


def test_zero_and_unknown_targets_are_typed_errors() -> None:
    actual = _days("2026-03-01", "2026-03-05", sessions=1, orders=1, revenue=1)
    with pytest.raises(lf.ParameterError, match="finite number > 0"):
        TREE.scorecard(actual, {"gmv": 0.0})
    with pytest.raises(lf.ParameterError, match=r"node 'gvm'.*\n.*'gmv'"):
        TREE.scorecard(actual, {"gvm": 10.0})
    with pytest.raises(lf.ParameterError, match="'as_of'"):
        TREE.scorecard(actual, {"gmv": 10.0}, as_of="someday")
    with pytest.raises(lf.EmptyFrameError, match="after as_of"):
        TREE.scorecard(actual, {"gmv": 10.0}, as_of="2026-02-27")
    dup = pd.DataFrame({"node": ["gmv", "gmv"], "target": [1.0, 2.0]})
    with pytest.raises(lf.SchemaError, match="several targets"):
        TREE.scorecard(actual, dup)


def test_lower_is_better_inverts_the_pace() -> None:
    tree = KPITree.from_formula("cost = paid_cost + fees", owners={"fees": "Finance"})
    actual = _days("2026-03-01", "2026-03-31", paid_cost=100, fees=10)
    card = tree.scorecard(actual, {"cost": 2_000.0}, lower_is_better=["cost"], as_of="2026-03-31")
    row = card.to_frame().iloc[0]
    assert row["actual"] == pytest.approx(3_410.0)
    assert row["status"] == "off track"  # 2000 / 3410 < 0.9
    assert row["driver_of_gap"] == "paid_cost"


SUM_TREE = KPITree.from_formula("traffic = paid + organic + direct")


@settings(max_examples=25, deadline=None)
@given(
    actual=st.lists(st.floats(0, 1e4, allow_subnormal=False), min_size=3, max_size=3),
    targets=st.lists(st.floats(1.0, 1e4), min_size=3, max_size=3),
    day=st.integers(1, 30),
)
def test_attainment_of_a_sum_is_the_target_weighted_attainment_of_its_terms(
    actual: list[float], targets: list[float], day: int
) -> None:
    frame = _days("2026-04-01", f"2026-04-{day:02d}", paid=0, organic=0, direct=0)
    for leaf, value in zip(("paid", "organic", "direct"), actual, strict=True):
        frame[leaf] = value / day
    goal = dict(zip(("paid", "organic", "direct"), targets, strict=True))
    goal["traffic"] = sum(targets)
    t = SUM_TREE.scorecard(frame, goal).to_frame().set_index("node")
    weights = np.array(targets) / sum(targets)
    parts = t.loc[["paid", "organic", "direct"], "attainment"].to_numpy()
    assert t.loc["traffic", "attainment"] == pytest.approx(float(weights @ parts), rel=1e-9)
    assert t.loc["traffic", "gap"] == pytest.approx(
        t.loc[["paid", "organic", "direct"], "gap"].sum(), abs=1e-6
    )


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.floats(1, 1e4), min_size=3, max_size=12),
    periods=st.integers(1, 10),
)
def test_baseline_median_and_spread_match_numpy_on_the_last_complete_periods(
    values: list[float], periods: int
) -> None:
    tree = KPITree.from_formula("gmv = orders * aov; aov = revenue / orders")
    n = len(values)
    days = pd.date_range("2026-01-05", periods=7 * n, freq="D")  # whole weeks from a Monday
    frame = pd.DataFrame({"date": days, "orders": np.repeat(values, 7) / 7, "revenue": 2.0})
    base = tree.baseline(frame, periods=periods, period="W").to_frame().set_index("node")
    last = np.array(values[-periods:])
    assert base.loc["orders", "median"] == pytest.approx(float(np.median(last)))
    q25, q75 = np.percentile(last, [25, 75])
    assert base.loc["orders", "iqr"] == pytest.approx(q75 - q25, abs=1e-9)
    assert base.loc["orders", "periods"] == min(periods, n)


def test_baseline_leaves_out_the_incomplete_period_and_gives_targets() -> None:
    hist = _days("2026-01-05", "2026-03-04", sessions=1000, orders=20, revenue=1000)
    base = TREE.baseline(hist, periods=4, period="W")
    t = base.to_frame().set_index("node")
    assert t.loc["gmv", "median"] == pytest.approx(7 * 1000.0)
    assert t.loc["cvr", "median"] == pytest.approx(0.02)
    assert t.loc["gmv", "periods"] == 4
    assert base.provenance.inputs["history"].rows_dropped == 3 + 4 * 7  # Mon-Wed, 4 weeks
    targets = base.targets(lift=0.1).set_index("node")
    assert targets.loc["gmv", "target"] == pytest.approx(7_700.0)
    card = TREE.scorecard(
        _days("2026-03-02", "2026-03-04", sessions=1000, orders=20, revenue=1000),
        base.targets(lift=0.1), period="W",
    )  # fmt: skip
    assert set(card.to_frame()["node"]) == set(TREE.names)
    check_result(base)


def test_a_ratio_with_no_denominator_so_far_is_no_data_with_a_warning() -> None:
    actual = _days("2026-03-01", "2026-03-03", sessions=100, orders=0, revenue=0)
    with pytest.warns(lf.DataQualityWarning, match="actual is NaN for 'aov'"):
        card = TREE.scorecard(actual, {"aov": 50.0, "gmv": 100.0})
    t = card.to_frame().set_index("node")
    assert t.loc["aov", "status"] == "no data"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "no data" in str(card.summary())


@settings(max_examples=25, deadline=None)
@given(
    leaves=st.tuples(st.floats(10, 1e4), st.floats(1, 100), st.floats(10, 1e4)),
    goals=st.dictionaries(
        st.sampled_from(["gmv", "sessions", "cvr", "aov", "orders"]),
        st.floats(0.5, 2.0),
        max_size=3,
    ),
)
def test_the_plan_meets_every_target_and_keeps_every_formula(
    leaves: tuple[float, float, float], goals: dict[str, float]
) -> None:
    from linkstar_funnel.kpi._compute import compute_nodes
    from linkstar_funnel.kpi._scorecard import _plan, unreconciled

    sessions, orders, revenue = leaves
    actual = compute_nodes(
        TREE, {"sessions": np.array([sessions]), "orders": np.array([orders]),
               "revenue": np.array([revenue])},
    )  # fmt: skip
    act = {k: float(v[0]) for k, v in actual.items()}
    targets = {k: act[k] * f for k, f in goals.items()}
    if {"gmv", "sessions", "cvr", "aov"} <= set(targets):
        return  # over-determined: gmv is then fixed by its three factors
    plan = _plan(TREE, targets, act)
    for name, value in targets.items():
        assert plan[name] == pytest.approx(value)
    loose = unreconciled(TREE, plan, targets)
    if len(targets) == 1:
        assert not loose  # one target is always met through its inputs
    for name in TREE.names:
        node = TREE.node(name)
        if node.kind != "leaf" and name not in loose:
            computed = node.compute([np.array([plan[c]]) for c in node.inputs])[0]
            assert computed == pytest.approx(plan[name], rel=1e-9), name


def test_the_driver_follows_the_chosen_decomposition() -> None:
    actual = _days("2026-03-01", "2026-03-31", sessions=1000, orders=20, revenue=1000)
    targets = {"gmv": 38_750.0, "sessions": 31_000.0, "cvr": 0.025}
    for method in ("lmdi", "shapley", lf.kpi.Shapley()):
        card = TREE.scorecard(actual, targets, as_of="2026-03-31", method=method)
        t = card.to_frame().set_index("node")
        assert t.loc["gmv", "driver_of_gap"] == "cvr"
        assert t.loc["gmv", "driver_owner"] == "Product"
    with pytest.raises(lf.ParameterError, match="method"):
        TREE.scorecard(actual, targets, method="no_such_method")
