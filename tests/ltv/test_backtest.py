"""Backtests, the LTVModel protocol and its conformance kit, LTV:CAC."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.errors import ConvergenceWarning, DataQualityWarning, LinkstarWarning
from linkstar_funnel.ltv import decile_mape, normalized_gini

FAST = lf.ltv.CohortLTV(horizon="120D", use_prophet=False)


def test_metrics_on_known_values() -> None:
    actual = np.array([0.0, 1.0, 5.0, 10.0])
    assert normalized_gini(actual, actual) == pytest.approx(1.0)
    assert normalized_gini(actual, actual * 3 + 1) == pytest.approx(1.0)
    assert decile_mape(actual, actual * 1.1, groups=2) == pytest.approx(0.1)


@pytest.mark.parametrize("model", [FAST, lf.ltv.ProbabilisticLTV()])
def test_builtins_pass_the_conformance_kit(model: lf.ltv.LTVModel) -> None:
    assert isinstance(model, lf.ltv.LTVModel)
    with warnings.catch_warnings():
        # The kit's synthetic buyers are homogeneous: BG/NBD rightly reports a boundary
        # estimate (ConvergenceWarning); the contract under test is the output.
        warnings.simplefilter("ignore", ConvergenceWarning)
        lf.ltv.check_ltv_model(model)


def test_conformance_kit_catches_a_broken_model() -> None:
    class Negative:
        def fit_orders(self, orders: pd.DataFrame, **kw: object) -> Negative:
            self.ids = orders[orders["timestamp"] < kw["observation_end"]]["customer_id"].unique()
            return self

        def expected_customer_revenue(self, until: object) -> pd.Series:  # noqa: ARG002
            return pd.Series(-1.0, index=self.ids)

    with pytest.raises(AssertionError, match="≥ 0"):
        lf.ltv.check_ltv_model(Negative())  # type: ignore[arg-type]


def test_conformance_kit_lists_every_broken_rule() -> None:
    class TwoFaults:
        """Predicts for one customer too many, and less for a later ``until``."""

        def fit_orders(self, orders: pd.DataFrame, **kw: object) -> TwoFaults:
            seen = orders[orders["timestamp"] < kw["observation_end"]]["customer_id"].unique()
            self.ids = [*seen, "stranger"]
            self.cut = pd.Timestamp(kw["observation_end"])  # type: ignore[arg-type]
            return self

        def expected_customer_revenue(self, until: object) -> pd.Series:
            days = (pd.Timestamp(until) - self.cut).days  # type: ignore[arg-type]
            return pd.Series(1000.0 / days, index=self.ids)

    with pytest.raises(lf.errors.ConformanceError) as caught:
        lf.ltv.check_ltv_model(TwoFaults())  # type: ignore[arg-type]
    message = str(caught.value)
    assert "2 of the LTVModel checks" in message
    assert "customers seen before the cut" in message
    assert "must not decrease with until" in message
    assert isinstance(caught.value, AssertionError)


def test_backtest_compares_models_per_cohort(store: lf.datasets.DemoStore) -> None:
    # The demo store's buyers never drop out before the cut: the NBD limit, said once; one
    # small cohort spent nothing in the holdout: its APE is NaN, said once.
    with pytest.warns(LinkstarWarning) as caught:
        res = backtest_demo(store)
    said = sorted((type(w.message).__name__, str(w.message)[:30]) for w in caught)
    assert said == [
        ("ConvergenceWarning", "BetaGeo.fit: the likelihood is"),
        ("DataQualityWarning", "backtest: APE is undefined (Na"),
    ]
    assert res.to_frame()["ape"].isna().sum() == 2  # email, Jan 2026: actual 0
    assert any("APE is undefined" in n for n in res.provenance.lines())
    _check_backtest(res)


def backtest_demo(store: lf.datasets.DemoStore) -> lf.ltv.BacktestResult:
    return lf.ltv.backtest(
        {"cohort": FAST, "bgnbd+gg": lf.ltv.ProbabilisticLTV()},
        store.orders,
        cutoff="2026-03-01",
        end="2026-03-29",
        by="channel",
    )


def _check_backtest(res: lf.ltv.BacktestResult) -> None:
    assert set(res.metrics["model"]) == {"cohort", "bgnbd+gg"}
    c = res.to_frame()
    assert {"model", "cohort", "channel", "customers", "actual", "predicted", "ape"} <= set(
        c.columns
    )
    totals = c.groupby("model")["actual"].sum()
    assert totals.min() == totals.max()  # same truth for every model
    best = res.best()
    assert set(best["channel"]) == set(c["channel"])
    assert "LTV backtest" in str(res.summary())


def test_unit_economics_per_channel(store: lf.datasets.DemoStore) -> None:
    fit = FAST.fit(store.orders, by="channel")
    with pytest.warns(DataQualityWarning, match="'direct', 'organic'"):
        econ = lf.ltv.unit_economics(fit, store.spend, at="84D", margin=0.5)
    f = econ.to_frame().set_index("channel")
    paid = f.loc["paid_search"]
    assert paid["cac"] == pytest.approx(paid["spend"] / paid["customers"])
    assert paid["ltv_cac"] == pytest.approx(paid["ltv"] / paid["cac"])
    assert paid["ltv_lower"] <= paid["ltv"] <= paid["ltv_upper"]
    # Channels without spend (organic, direct) have no CAC and no ratio.
    assert np.isnan(f.loc["organic", "ltv_cac"])
    with pytest.warns(DataQualityWarning, match="no acquired customers"):
        acq = lf.ltv.unit_economics(fit, store.spend, acquisitions={"paid_search": 10.0}, at="84D")
    assert acq.to_frame().set_index("channel").loc["paid_search", "customers"] == 10.0


@pytest.mark.slow
def test_online_retail_backtest_against_bgnbd() -> None:
    orders = lf.datasets.online_retail_orders()
    # Cut at 2011-07-01 the data show no drop-out: the BG/NBD fit is its NBD limit.
    with pytest.warns(ConvergenceWarning, match="NBD limit"):
        res = _online_retail(orders)
    m = res.metrics.set_index("model")
    assert m.loc["cohort", "ape"] < m.loc["bgnbd+gg", "ape"]
    assert m.loc["cohort", "mean_cohort_ape"] < m.loc["bgnbd+gg", "mean_cohort_ape"]


def _online_retail(orders: pd.DataFrame) -> lf.ltv.BacktestResult:
    return lf.ltv.backtest(
        {"cohort": lf.ltv.CohortLTV(horizon="365D"), "bgnbd+gg": lf.ltv.ProbabilisticLTV()},
        orders,
        cutoff="2011-07-01",
        end="2011-12-10",
    )


def test_backtest_plot_sums_segments_per_cohort(store: lf.datasets.DemoStore) -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    with pytest.warns(DataQualityWarning, match="APE is undefined"):
        res = lf.ltv.backtest(
            {"cohort": FAST}, store.orders, cutoff="2026-03-01", end="2026-03-29", by="channel"
        )
    ax = res.plot()  # segments repeat each cohort: the bars must add them up
    per_cohort = res.cohorts.groupby("cohort", sort=False)[["actual", "predicted"]].sum()
    bars = [p.get_height() for p in ax.patches]
    n = len(per_cohort)
    np.testing.assert_allclose(bars[:n], per_cohort["actual"].to_numpy())
    np.testing.assert_allclose(bars[n : 2 * n], per_cohort["predicted"].to_numpy())
    plt.close(ax.figure)


def test_undefined_metrics_say_so() -> None:
    with pytest.warns(DataQualityWarning, match="normalized_gini is undefined"):
        assert np.isnan(normalized_gini([0.0, 0.0], [1.0, 2.0]))
    with pytest.warns(DataQualityWarning, match="decile_mape is undefined"):
        assert np.isnan(decile_mape([0.0, 0.0], [1.0, 2.0], groups=2))
