"""Evaluating a tree on frames, supplying leaves from other results, and bad inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.kpi import KPITree, KPIValuesResult, NodeSource, mix_rate

mpl.use("Agg")

TREE = KPITree.from_formula(
    "gmv = sessions * cvr * aov\ncvr = orders / sessions\naov = revenue / orders",
    owners={"cvr": "Product"},
)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": ["2024-02", "2024-01", "2024-01", "2024-02"],
            "country": ["UK", "UK", "DE", "DE"],
            "sessions": [1200, 1000, 500, 400],
            "orders": [30, 20, 10, 12],
            "revenue": [1500.0, 1000.0, 600.0, 660.0],
            "other": ["x", "y", "z", "w"],
        }
    )


def test_every_node_per_period_and_segment(frame: pd.DataFrame) -> None:
    v = TREE.evaluate(frame, period="month", by="country")
    wide = v.wide()
    assert list(wide.columns[:2]) == ["month", "country"]
    assert wide["month"].tolist() == ["2024-01", "2024-01", "2024-02", "2024-02"]
    row = wide[(wide["month"] == "2024-02") & (wide["country"] == "UK")].iloc[0]
    assert row["cvr"] == pytest.approx(0.025)
    assert row["aov"] == pytest.approx(50.0)
    assert row["gmv"] == pytest.approx(1500.0)  # gmv = revenue for this tree
    long = v.to_frame()
    assert set(long.columns) == {"month", "country", "node", "value", "owner", "unit"}
    assert len(long) == 4 * len(TREE.names)
    assert long.loc[long["node"] == "cvr", "owner"].unique().tolist() == ["Product"]


def test_inputs_are_never_mutated(frame: pd.DataFrame) -> None:
    copy = frame.copy(deep=True)
    v = TREE.evaluate(frame, period="month", by="country")
    v.decompose("2024-01", "2024-02", method="shapley")
    jan, feb = frame[frame["month"] == "2024-01"], frame[frame["month"] == "2024-02"]
    jan_copy, feb_copy = jan.copy(deep=True), feb.copy(deep=True)
    TREE.decompose(jan, feb, by="country")
    TREE.decompose_structure(jan, feb, by="country", activity="sessions")
    TREE.mix_rate(jan, feb, node="cvr", by="country")
    pd.testing.assert_frame_equal(frame, copy)
    pd.testing.assert_frame_equal(jan, jan_copy)
    pd.testing.assert_frame_equal(feb, feb_copy)


def test_decompose_between_two_evaluated_periods(frame: pd.DataFrame) -> None:
    v = TREE.evaluate(frame, period="month", by="country")
    d = v.decompose("2024-01", "2024-02")
    assert d.total == pytest.approx(1500 + 660 - 1000 - 600)
    assert sum(d.contributions.values()) == pytest.approx(d.total)
    by_seg = d.to_frame(by_segment=True)
    uk = by_seg[(by_seg["country"] == "UK") & (by_seg["level"] == 1)]["contribution"].sum()
    assert uk == pytest.approx(500.0)
    with pytest.raises(
        lf.ParameterError, match=r"must be one of the periods \['2024-01', '2024-02'\]"
    ):
        v.decompose("2024-03", "2024-02")


def test_missing_leaf_column_names_the_leaf_and_suggests(frame: pd.DataFrame) -> None:
    with pytest.raises(lf.ColumnNotFoundError, match="'sesions'") as info:
        TREE.evaluate(frame, period="month", by="country", columns={"sessions": "sesions"})
    assert "did you mean" in str(info.value)
    assert "sessions" in str(info.value)


def test_duplicate_rows_ask_to_aggregate(frame: pd.DataFrame) -> None:
    with pytest.raises(lf.SchemaError, match=r"(?s)several rows for .*aggregate first"):
        TREE.evaluate(frame, period="month")


def test_division_by_a_zero_node_names_node_and_row(frame: pd.DataFrame) -> None:
    bad = frame.assign(orders=[30, 0, 10, 12])
    with pytest.raises(lf.ParameterError) as info:
        TREE.evaluate(bad, period="month", by="country")
    text = str(info.value)
    assert "'aov' (aov = revenue / orders) divides by zero" in text
    assert "'orders' is 0 in 1 of 4 rows" in text
    assert "month='2024-01', country='UK'" in text
    v = TREE.evaluate(bad, period="month", by="country", zero_division="nan")
    assert np.isnan(v.arrays["aov"]).sum() == 1


def test_missing_values_are_dropped_and_counted(frame: pd.DataFrame) -> None:
    holes = frame.assign(revenue=[1500.0, np.nan, 600.0, 660.0])
    v = TREE.evaluate(holes, period="month", by="country")
    assert len(v.keys) == 3
    assert v.provenance.rows_dropped == 1
    assert "missing revenue" in str(v.summary())


def test_text_in_a_leaf_column_is_a_schema_error(frame: pd.DataFrame) -> None:
    with pytest.raises(lf.SchemaError, match=r"'other' .* must hold numbers"):
        TREE.evaluate(frame, period="month", by="country", columns={"orders": "other"})


class FunnelLike:
    """Stands in for a funnel result supplying the CVR of each period."""

    def kpi_values(self) -> Mapping[str, Any]:
        return {"cvr": {"2024-01": 0.02, "2024-02": 0.025}}


def test_a_result_can_supply_a_leaf_per_period() -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    traffic = pd.DataFrame(
        {"month": ["2024-01", "2024-02"], "traffic": [1000, 1200], "aov": [50, 48]}
    )
    assert isinstance(FunnelLike(), NodeSource)
    v = tree.evaluate(traffic, period="month", values=FunnelLike())
    assert v.arrays["gmv"] == pytest.approx([1000.0, 1440.0])
    only = tree.evaluate(values={"traffic": {"p1": 10, "p2": 20}, "cvr": 0.5, "aov": 2.0})
    assert only.arrays["gmv"] == pytest.approx([10.0, 20.0])
    with pytest.raises(lf.ParameterError, match="no value for the periods"):
        tree.evaluate(traffic, period="month", values={"cvr": {"2024-01": 0.02}})
    with pytest.raises(lf.ParameterError, match="only leaves are supplied"):
        KPITree.from_formula("g = t * c\nc = o / t").evaluate(traffic, values={"c": 0.1})
    with pytest.raises(lf.ParameterError, match="leaves \\['traffic', 'aov'\\] are not supplied"):
        tree.evaluate(values={"cvr": 0.1})


@pytest.mark.parametrize(
    ("before", "after", "error", "message"),
    [
        ({"traffic": 1, "cvr": 1}, {"traffic": 1, "cvr": 1, "aov": 1}, lf.ParameterError,
         "'before' mapping has no value for the leaf 'aov'"),
        ({"traffic": 1, "cvr": 1, "aov": "x"}, {"traffic": 1, "cvr": 1, "aov": 1}, lf.ParameterError,
         "'before' value of the leaf 'aov' must be a number. Got 'x'"),
        ({"traffic": [1, 2], "cvr": [1, 2, 3], "aov": 1}, {"traffic": 1, "cvr": 1, "aov": 1},
         lf.ParameterError, "arrays of different lengths"),
        ({"traffic": np.nan, "cvr": 1, "aov": 1}, {"traffic": 1, "cvr": 1, "aov": 1},
         lf.ParameterError, "must be finite numbers"),
        ([1, 2, 3], {"traffic": 1, "cvr": 1, "aov": 1}, lf.ParameterError,
         "'before' parameter of KPITree.decompose must be a mapping of leaf values or a DataFrame"),
        ({"traffic": [1, 2], "cvr": 1, "aov": 1}, {"traffic": 1, "cvr": 1, "aov": 1},
         lf.SchemaError, "have 2 and 1 rows"),
    ],
)  # fmt: skip
def test_bad_decomposition_inputs(before: Any, after: Any, error: type, message: str) -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    with pytest.raises(error, match=message):
        tree.decompose(before, after)


def test_series_inputs_align_on_their_index() -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr")
    before = {"traffic": pd.Series({"UK": 10.0, "DE": 5.0}), "cvr": 0.1}
    after = {"traffic": pd.Series({"DE": 6.0, "UK": 10.0}), "cvr": 0.1}
    d = tree.decompose(before, after)
    with pytest.warns(lf.DataQualityWarning, match="share is NaN in 3 rows"):  # UK unchanged
        seg = d.to_frame(by_segment=True)
    de = seg[(seg["segment"] == "DE") & (seg["node"] == "traffic")]["contribution"]
    assert de.iloc[0] == pytest.approx(0.1)


def test_frames_without_keys_match_by_position_and_with_keys_by_segment() -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr")
    b = pd.DataFrame({"c": ["UK", "DE"], "traffic": [10.0, 5.0], "cvr": [0.1, 0.2]})
    a = pd.DataFrame({"c": ["DE", "UK"], "traffic": [5.0, 20.0], "cvr": [0.2, 0.1]})
    by_position = tree.decompose(b[["traffic", "cvr"]], b[["traffic", "cvr"]].assign(cvr=0.2))
    assert len(by_position.keys) == 2
    assert by_position.contributions["cvr"] == pytest.approx(1.0 + 0.0)
    keyed = tree.decompose(b, a, by="c")
    assert keyed.contributions["cvr"] == pytest.approx(0.0)
    assert keyed.total == pytest.approx(1.0)
    with pytest.raises(lf.SchemaError, match="several rows for the segment"):
        tree.decompose(pd.concat([b, b]), a, by="c")
    with pytest.raises(lf.ColumnNotFoundError, match="'country'"):
        tree.decompose(b, a, by="country")


def test_mix_rate_flags_one_period_segments_and_checks_nodes() -> None:
    before = pd.DataFrame({"d": ["m", "w"], "weight": [60, 40], "rate": [0.01, 0.03]})
    after = pd.DataFrame({"d": ["m", "w", "t"], "weight": [60, 30, 10], "rate": [0.01, 0.03, 0.02]})
    with pytest.warns(lf.DataQualityWarning, match=r"weight in one period only \(t\)"):
        r = mix_rate(before, after, by="d")
    assert r.one_period.tolist() == [False, False, True]
    assert r.to_frame()["rate"].iloc[2] == 0.0
    assert r.mix + r.rate == pytest.approx(r.total)
    assert "present in one period only" in str(r.summary())
    with pytest.raises(lf.ParameterError, match="must name a ratio node"):
        TREE.mix_rate(before, after, node="gmv", by="d")
    with pytest.raises(lf.ParameterError, match="negative weights"):
        mix_rate(before.assign(weight=[-1, 2]), after, by="d")


def test_results_are_results(frame: pd.DataFrame) -> None:
    v = TREE.evaluate(frame, period="month", by="country")
    jan, feb = v.period_frame("2024-01"), v.period_frame("2024-02")
    results = [
        v,
        TREE.decompose(jan, feb, by="country"),
        TREE.decompose_structure(jan, feb, by="country", activity="sessions"),
        TREE.mix_rate(jan, feb, node="cvr", by="country"),
        TREE.target(3_000, driver="cvr", at=jan.iloc[[0]].drop(columns="country")),
        TREE.sensitivity({"sessions": 100, "orders": 2, "revenue": 100}),
    ]
    for r in results:
        assert isinstance(r, lf.Result)
        assert isinstance(r.to_frame(), pd.DataFrame)
        assert "<" in r._repr_html_()  # type: ignore[attr-defined]
        assert str(r)
        ax = r.plot()
        assert ax.get_title(loc="left")
        mpl.pyplot.close("all")
    assert isinstance(v, KPIValuesResult)
