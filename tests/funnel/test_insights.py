"""FunnelResult insights and wiring: converters vs dropouts, the time-to-convert histogram,
plot kinds, benchmark rate observations and KPI leaf values, each against a plain reference."""

from __future__ import annotations

import math
import warnings
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import odds_ratio

import linkstar_funnel as lf
from linkstar_funnel.benchmark import (
    Benchmark,
    BenchmarkComparisonResult,
    RateSource,
    get_benchmark,
    observations_from_counts,
)
from linkstar_funnel.datasets import make_demo_store
from linkstar_funnel.errors import DataQualityWarning, ParameterError, SchemaError
from linkstar_funnel.funnel import Funnel, FunnelResult
from linkstar_funnel.funnel._drivers import odds_ratio_table
from linkstar_funnel.kpi import KPITree, NodeSource
from linkstar_funnel.stages import Stage

mpl.use("Agg")

DEMO_STAGES = ["visit", "add_to_cart", "checkout", "payment"]
KPI_STAGES = [
    Stage("visit"),
    Stage("click", event="product_view"),
    Stage("cart", event="add_to_cart"),
    Stage("order", event="payment"),
]


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return make_demo_store(n_users=3000, seed=1).events


@pytest.fixture(scope="module")
def result(events: pd.DataFrame) -> FunnelResult:
    return Funnel(DEMO_STAGES).compute(events, by="country")


# ------------------------------------------------------------ converters vs dropouts


def _reference_first_values(events: pd.DataFrame, column: str) -> dict[Any, Any]:
    """Each user's value of ``column`` on their earliest event, by a plain loop."""
    best: dict[Any, tuple[Any, int, Any]] = {}
    for pos, (user, ts, value) in enumerate(
        zip(events["user_id"], events["timestamp"], events[column], strict=True)
    ):
        if user not in best or (ts, pos) < best[user][:2]:
            best[user] = (ts, pos, value)
    return {u: v[2] for u, v in best.items()}


def _reference_table(result: FunnelResult, step: int, labels: dict[Any, Any]) -> pd.DataFrame:
    """Converters/dropouts per value, from ``users()`` and a plain loop."""
    users = result.users()
    rows: dict[str, list[int]] = {}
    for uid, level, excluded in zip(
        users["user_id"], users["level"], users["excluded"], strict=True
    ):
        if excluded or level < step - 1:
            continue
        value = str(labels[uid])
        rows.setdefault(value, [0, 0])[0 if level >= step else 1] += 1
    return pd.DataFrame(
        [(v, c, d) for v, (c, d) in rows.items()], columns=["value", "converters", "dropouts"]
    )


@pytest.mark.parametrize("step", [2, "checkout", 4])
def test_converters_vs_dropouts_matches_plain_reference_and_scipy(
    result: FunnelResult, step: int | str
) -> None:
    s = DEMO_STAGES.index(step) + 1 if isinstance(step, str) else step
    users = result.users()
    labels = dict(zip(users["user_id"], users["country"], strict=True))
    got = result.converters_vs_dropouts(step, min_users=1, alpha=0.1)
    ref = _reference_table(result, s, labels)
    merged = got.merge(ref, on="value", suffixes=("", "_ref"), validate="one_to_one")
    assert len(merged) == len(ref) == len(got)
    assert (merged["column"] == "country").all()
    assert (merged["converters"] == merged["converters_ref"]).all()
    assert (merged["dropouts"] == merged["dropouts_ref"]).all()
    n_conv, n_drop = merged["converters"].sum(), merged["dropouts"].sum()
    for row in merged.itertuples():
        a, b = row.converters, row.dropouts
        c, d = n_conv - a, n_drop - b
        table = np.array([[a, b], [c, d]])
        assert row.conversion_rate == pytest.approx(a / (a + b))
        assert row.share_converters == pytest.approx(a / n_conv)
        assert row.share_dropouts == pytest.approx(b / n_drop)
        if min(a, b, c, d) > 0:
            res = odds_ratio(table, kind="sample")
            ci = res.confidence_interval(confidence_level=0.9)
            assert row.odds_ratio == pytest.approx(res.statistic)
            assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high))
        expected = stats.contingency.expected_freq(table)
        if expected.min() < 5:
            assert row.test == "fisher"
            assert row.p_value == pytest.approx(stats.fisher_exact(table).pvalue)
        else:
            assert row.test == "chi2"
            p = stats.chi2_contingency(table, correction=False).pvalue
            assert row.p_value == pytest.approx(p)
    assert (got["q_value"] >= got["p_value"] - 1e-12).all()
    assert got["odds_ratio"].is_monotonic_decreasing
    assert got.attrs["stage"] == DEMO_STAGES[s - 1]


def test_converters_vs_dropouts_event_columns_use_first_event(
    result: FunnelResult, events: pd.DataFrame
) -> None:
    got = result.converters_vs_dropouts(
        "add_to_cart", columns=["device", "channel"], events=events, min_users=1
    )
    assert set(got["column"]) == {"device", "channel"}
    for col in ("device", "channel"):
        ref = _reference_table(result, 2, _reference_first_values(events, col))
        part = got.loc[got["column"] == col].merge(ref, on="value", suffixes=("", "_ref"))
        assert len(part) == len(ref)
        assert (part["converters"] == part["converters_ref"]).all()
        assert (part["dropouts"] == part["dropouts_ref"]).all()


def test_converters_vs_dropouts_min_users_and_missing_values(events: pd.DataFrame) -> None:
    ev = events.assign(coupon=np.where(events["user_id"] % 3 == 0, None, "yes"))
    res = Funnel(DEMO_STAGES).compute(ev)
    got = res.converters_vs_dropouts(2, columns="coupon", events=ev, min_users=1)
    assert set(got["value"]) == {"(missing)", "yes"}
    # Two complementary values: their odds ratios are reciprocal.
    assert got["odds_ratio"].prod() == pytest.approx(1.0)
    big = res.converters_vs_dropouts(2, columns="coupon", events=ev, min_users=10**6)
    assert big.empty
    assert list(big.columns) == list(got.columns)
    # What min_users leaves out is counted, not lost.
    assert got.attrs["values_below_min_users"] == 0
    assert big.attrs["values_below_min_users"] == 2
    assert big.attrs["users_in_values_below_min_users"] == got["users"].sum()


def test_haldane_correction_on_a_zero_cell() -> None:
    a, b, c, d = (np.array([x], dtype=float) for x in (0, 12, 9, 30))
    out = odds_ratio_table(a, b, c, d, alpha=0.05)
    ha, hb, hc, hd = 0.5, 12.5, 9.5, 30.5
    log_or = math.log(ha * hd / (hb * hc))
    se = math.sqrt(1 / ha + 1 / hb + 1 / hc + 1 / hd)
    z = stats.norm.ppf(0.975)
    assert out["odds_ratio"][0] == pytest.approx(math.exp(log_or))
    assert out["ci_low"][0] == pytest.approx(math.exp(log_or - z * se))
    assert out["ci_high"][0] == pytest.approx(math.exp(log_or + z * se))
    assert out["test"][0] == "fisher"
    assert out["p_value"][0] == pytest.approx(stats.fisher_exact([[0, 12], [9, 30]]).pvalue)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"step": 1}, "'step'"),
        ({"step": "visit"}, "'step'"),
        ({"step": 9}, "'step'"),
        ({"step": "nope"}, "'step'"),
        ({"step": True}, "'step'"),
        ({"step": 2, "columns": 5}, "'columns'"),
        ({"step": 2, "columns": ["country", "country"]}, "'columns'"),
        ({"step": 2, "columns": "device"}, "'events'"),
        ({"step": 2, "alpha": 1.5}, "'alpha'"),
        ({"step": 2, "min_users": 0}, "'min_users'"),
    ],
)
def test_converters_vs_dropouts_bad_input(
    result: FunnelResult, kwargs: dict[str, Any], param: str
) -> None:
    with pytest.raises(ParameterError, match=param):
        result.converters_vs_dropouts(**kwargs)


def test_converters_vs_dropouts_needs_by_or_columns_and_events(events: pd.DataFrame) -> None:
    plain = Funnel(DEMO_STAGES).compute(events)
    with pytest.raises(ParameterError, match="'columns'"):
        plain.converters_vs_dropouts(2)
    with pytest.raises(lf.errors.ColumnNotFoundError, match="devise"):
        plain.converters_vs_dropouts(2, columns="devise", events=events)
    counted = Funnel.from_counts({"visit": 100, "cart": 10})
    with pytest.raises(SchemaError, match="event log"):
        counted.converters_vs_dropouts(2, columns="x", events=events)


# ------------------------------------------------------------ time-to-convert histogram


def test_histogram_counts_every_converter(result: FunnelResult) -> None:
    ttc = result.time_to_convert(quantiles=(0.5,))
    for to_step in (2, 3, 4):
        hist = result.time_to_convert_histogram(to_step=to_step)
        assert hist["users"].sum() == ttc["n"].iloc[to_step - 2]
        assert (hist["bin_end"] > hist["bin_start"]).all()
        assert (hist["bin_start"].iloc[1:].to_numpy() == hist["bin_end"].iloc[:-1].to_numpy()).all()
        assert hist["share"].sum() == pytest.approx(1.0)


def test_histogram_between_later_steps_matches_reach_times(result: FunnelResult) -> None:
    users = result.users()
    gap = (users["payment_time"] - users["add_to_cart_time"]).dropna()
    edges = ["0s", "10min", "1h", "1D", "3D", "7D"]
    hist = result.time_to_convert_histogram("add_to_cart", "payment", bins=edges)
    expected, _ = np.histogram(
        gap.to_numpy(dtype="timedelta64[ns]").astype(np.int64),
        bins=[pd.Timedelta(e).value for e in edges],
    )
    assert hist["users"].tolist() == expected.tolist()
    equal = result.time_to_convert_histogram(2, 4, bins=5)
    assert len(equal) == 5
    assert equal["users"].sum() == len(gap)
    assert equal.attrs == {"from_stage": "add_to_cart", "to_stage": "payment", "n": len(gap)}


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"from_step": 4}, "'from_step'"),
        ({"from_step": "payment", "to_step": "checkout"}, "'from_step'"),
        ({"to_step": 1}, "'to_step'"),
        ({"bins": 0}, "'bins'"),
        ({"bins": "fine"}, "'bins'"),
        ({"bins": ["1h", "0s"]}, "'bins'"),
        ({"bins": ["1h"]}, "'bins'"),
    ],
)
def test_histogram_bad_input(result: FunnelResult, kwargs: dict[str, Any], param: str) -> None:
    with pytest.raises(ParameterError, match=param):
        result.time_to_convert_histogram(**kwargs)


# ------------------------------------------------------------ plots


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"kind": "funnel"},
        {"kind": "trends"},
        {"kind": "trends", "period": "D", "stage": "checkout", "rate": "conversion_from_previous"},
        {"kind": "time_to_convert"},
        {"kind": "time_to_convert", "from_step": 2, "bins": 10},
    ],
)
def test_plot_kinds(result: FunnelResult, kwargs: dict[str, Any]) -> None:
    import matplotlib.pyplot as plt

    ax = result.plot(**kwargs)
    assert ax.get_title(loc="left")
    ax.figure.canvas.draw()
    plt.close("all")


def test_trends_plot_marks_incomplete_periods(events: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    plain = Funnel(DEMO_STAGES).compute(events)
    ax = plain.plot(kind="trends")
    legend = ax.get_legend()
    assert legend is not None
    assert any("incomplete" in t.get_text() for t in legend.get_texts())
    assert any(line.get_linestyle() == "--" for line in ax.get_lines())
    plt.close("all")


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"kind": "pie"}, "'kind'"),
        ({"kind": "trends", "rate": "drop_off"}, "'rate'"),
        ({"kind": "trends", "stage": "visit"}, "'stage'"),
    ],
)
def test_plot_bad_input(result: FunnelResult, kwargs: dict[str, Any], param: str) -> None:
    import matplotlib.pyplot as plt

    with pytest.raises(ParameterError, match=param):
        result.plot(**kwargs)
    plt.close("all")


# ------------------------------------------------------------ benchmarks (issue 7)


def test_rate_observations_are_a_rate_source(result: FunnelResult) -> None:
    assert isinstance(result, RateSource)
    obs = result.rate_observations(value_per_order=40.0)
    ref = observations_from_counts(
        result.to_frame(), stages=DEMO_STAGES, by=["country"], value_per_order=40.0
    )
    pd.testing.assert_frame_equal(obs, ref)
    with pytest.raises(ParameterError, match="'value_per_order'"):
        result.rate_observations(value_per_order=-1.0)


def test_compare_with_shipped_benchmark_end_to_end(result: FunnelResult) -> None:
    cmp = result.compare(get_benchmark("littledata-2019-10"), value_per_order=50.0)
    assert isinstance(cmp, BenchmarkComparisonResult)
    frame = cmp.to_frame()
    assert set(frame["country"]) == set(result.to_frame()["country"])
    assert set(zip(frame["stage"], frame["base"], strict=True)) == {
        ("add_to_cart", "visit"),
        ("payment", "checkout"),
    }
    counts = result.to_frame().set_index(["country", "stage"])["users"]
    for row in frame.itertuples():
        assert row.successes == counts[(row.country, row.stage)]
        assert row.n == counts[(row.country, row.base)]
    same = get_benchmark("littledata-2019-10").compare(result, value_per_order=50.0)
    pd.testing.assert_frame_equal(frame, same.to_frame())
    with pytest.raises(ParameterError, match="'bench'"):
        result.compare({"add_to_cart": 0.05})  # type: ignore[arg-type]


def test_compare_with_from_rates_targets(result: FunnelResult) -> None:
    bench = Benchmark.from_rates({"checkout": 0.5, "payment": 0.7}, source="team", as_of="2026-01")
    frame = result.compare(bench, alpha=0.1).to_frame()
    assert set(frame["stage"]) == {"checkout", "payment"}
    assert (frame["base"].isin(["add_to_cart", "checkout"])).all()


def test_trend_observations_feed_from_history(result: FunnelResult) -> None:
    # Weekly country cells where nobody reached a stage have no downstream rate: said.
    with pytest.warns(DataQualityWarning, match="orders_per_success is NaN"):
        history = result.trend_observations("W")
    assert "period" in history.columns
    assert "complete" not in history.columns
    trends = result.trends("W")
    complete = trends.loc[trends["complete"]]
    assert set(history["period"]) == set(complete["period"])
    visits = complete.loc[complete["stage"] == "visit", "users"].sum()
    carts = history.loc[(history["stage"] == "add_to_cart") & history["step"]]
    assert carts["trials"].sum() == visits
    bench = Benchmark.from_history(history, weeks=8)
    assert {r.kind for r in bench.references} == {"history"}
    cmp = result.compare(bench)
    frame = cmp.to_frame()
    assert set(frame["country"]) == set(result.to_frame()["country"])
    assert frame["verdict"].isin(["below", "above", "in line"]).all()
    with pytest.warns(DataQualityWarning, match="orders_per_success is NaN"):
        everything = result.trend_observations("W", complete_only=False)
    assert everything["period"].nunique() > history["period"].nunique()


def test_trend_observations_without_complete_periods(events: pd.DataFrame) -> None:
    first = events["timestamp"].min()
    short = events.loc[events["timestamp"] < first + pd.Timedelta("3D")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = Funnel(DEMO_STAGES).compute(short)
    with pytest.raises(lf.errors.EmptyFrameError, match="complete_only=False"):
        res.trend_observations()
    assert len(res.trend_observations(complete_only=False))
    with pytest.raises(ParameterError, match="'complete_only'"):
        res.trend_observations(complete_only="yes")  # type: ignore[arg-type]


# ------------------------------------------------------------ KPI composition (issue 5)


@pytest.fixture(scope="module")
def halves(events: pd.DataFrame) -> tuple[FunnelResult, FunnelResult]:
    mid = events["timestamp"].min() + (events["timestamp"].max() - events["timestamp"].min()) / 2
    spec = Funnel(KPI_STAGES)
    return (
        spec.compute(events.loc[events["timestamp"] < mid]),
        spec.compute(events.loc[events["timestamp"] >= mid]),
    )


TREE = KPITree.from_formula("cvr = click_rate * cart_rate * order_rate")


def test_kpi_values_are_step_rates(halves: tuple[FunnelResult, FunnelResult]) -> None:
    res = halves[0]
    assert isinstance(res, NodeSource)
    values = res.kpi_values()
    assert list(values) == ["entrants", "click_rate", "cart_rate", "order_rate", "cvr"]
    users = res.to_frame()["users"].to_numpy(dtype=float)
    assert values["entrants"] == users[0]
    assert values["cart_rate"] == pytest.approx(users[2] / users[1])
    assert values["cvr"] == pytest.approx(users[-1] / users[0])
    prod = values["click_rate"] * values["cart_rate"] * values["order_rate"]
    assert values["cvr"] == pytest.approx(prod)
    assert res.kpi_values(names=["cvr"]) == {"cvr": values["cvr"]}
    with pytest.raises(ParameterError, match="'names'"):
        res.kpi_values(names=["conversion"])


def test_kpi_tree_evaluates_and_lmdi_splits_cvr_change_into_steps(
    halves: tuple[FunnelResult, FunnelResult],
) -> None:
    before, after = halves
    for res in halves:
        wide = TREE.evaluate(values=res.kpi_values(names=TREE.leaves)).wide()
        assert wide["cvr"].iloc[0] == pytest.approx(res.kpi_values()["cvr"])
    d = TREE.decompose(before.kpi_values(), after.kpi_values(), method="lmdi")
    frame = d.to_frame().set_index("node")
    change = after.kpi_values()["cvr"] - before.kpi_values()["cvr"]
    steps = frame.loc[list(TREE.leaves), "contribution"]
    assert steps.sum() == pytest.approx(change, rel=1e-10)
    assert frame.loc["cvr", "contribution"] == pytest.approx(change)


def test_kpi_tree_takes_the_result_itself(result: FunnelResult) -> None:
    tree = KPITree.from_formula("cvr = add_to_cart_rate * checkout_rate * payment_rate")
    wide = tree.evaluate(values=result).wide()
    assert wide["cvr"].iloc[0] == pytest.approx(result.kpi_values()["cvr"])


def test_an_explicit_mapping_with_an_unknown_name_is_still_an_error() -> None:
    tree = KPITree.from_formula("cvr = a_rate * b_rate")
    with pytest.raises(ParameterError, match="'values'"):
        tree.evaluate(values={"a_rate": 0.5, "b_rate": 0.5, "entrants": 10.0})


def test_kpi_values_by_period_and_from_counts(events: pd.DataFrame) -> None:
    res = Funnel(KPI_STAGES).compute(events)
    weekly = res.kpi_values("W")
    assert all(isinstance(v, pd.Series) for v in weekly.values())
    trends = res.trends("W")
    first = trends.loc[trends["step"] == 1].set_index("period")["users"]
    assert (weekly["entrants"] == first.astype(float)).all()
    evaluated = TREE.evaluate(values=res.kpi_values("W", names=TREE.leaves)).wide()
    assert len(evaluated) == len(first)
    np.testing.assert_allclose(evaluated["cvr"], weekly["cvr"].to_numpy())
    counted = Funnel.from_counts({"visit": 1000, "cart": 100, "order": 25}).kpi_values()
    assert counted == {"entrants": 1000.0, "cart_rate": 0.1, "order_rate": 0.25, "cvr": 0.025}
