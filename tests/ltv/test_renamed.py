"""Former LTV names keep working for one release, each with a DeprecationWarning naming the
new one."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import linkstar_funnel as lf

FAST = lf.ltv.CohortLTV(horizon="56D", use_prophet=False)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("BetaGeoFit", "BetaGeoResult"),
        ("CalibrationHoldout", "CalibrationHoldoutResult"),
        ("CohortForecast", "CohortForecastResult"),
        ("CohortLTVFit", "CohortLTVResult"),
        ("CountModelFit", "CountModelResult"),
        ("GammaGammaFit", "GammaGammaResult"),
        ("ParetoNBDFit", "ParetoNBDResult"),
        ("ProbabilisticLTVFit", "ProbabilisticLTVResult"),
        ("RFMSummary", "RFMResult"),
        ("UnitEconomics", "UnitEconomicsResult"),
    ],
)
def test_former_result_names(old: str, new: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"'?{new}'?"):
        cls = getattr(lf.ltv, old)
    assert cls is getattr(lf.ltv, new)
    assert old not in lf.ltv.__all__


def test_observed_until_is_observation_end(store: lf.datasets.DemoStore) -> None:
    new = FAST.fit(store.orders, observation_end="2026-03-01")
    with pytest.warns(DeprecationWarning, match="'observation_end'"):
        old = FAST.fit(store.orders, observed_until="2026-03-01")
    pd.testing.assert_frame_equal(old.to_frame(), new.to_frame())
    with pytest.warns(DeprecationWarning, match="observation_end"):
        assert old.observed_until == new.observation_end
    forecast = new.predict(at="28D")
    with pytest.warns(DeprecationWarning, match="observation_end"):
        assert forecast.observed_until == forecast.observation_end
    with pytest.warns(DeprecationWarning, match="'observation_end'"):
        FAST.fit_orders(store.orders, observed_until="2026-03-01")
    with pytest.raises(lf.errors.ParameterError, match="'observation_end'"):
        FAST.fit(store.orders, observed_until="2026-03-01", observation_end="2026-03-01")


def test_cohort_granularity_is_period() -> None:
    with pytest.warns(DeprecationWarning, match="'period'"):
        spec = lf.ltv.CohortLTV(cohort="W")
    assert spec.period == "W"


def test_freq_is_period() -> None:
    orders = lf.datasets.online_retail_orders()
    new = lf.ltv.rfm_summary(orders, period="M")
    with pytest.warns(DeprecationWarning, match="'period'"):
        old = lf.ltv.rfm_summary(orders, freq="M")
    pd.testing.assert_frame_equal(old.to_frame(), new.to_frame())
    with pytest.warns(DeprecationWarning, match="'period'"):
        split = lf.ltv.calibration_holdout(orders, calibration_end="2011-09-30", freq="M")
    assert split.calibration.unit == new.unit
    with pytest.warns(DeprecationWarning, match="'period'"):
        assert lf.ltv.ProbabilisticLTV(freq="D").period == lf.ltv.TimeUnit("D")


def test_clv_step_is_period() -> None:
    orders = lf.datasets.online_retail_orders()
    rfm = lf.ltv.rfm_summary(orders, period="W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.ConvergenceWarning)  # not under test here
        bg = lf.ltv.BetaGeo().fit(rfm)
    gg = lf.ltv.GammaGamma().fit(rfm)
    new = lf.ltv.customer_lifetime_value(bg, gg, rfm, horizon="6M", period="1M")
    with pytest.warns(DeprecationWarning, match="'period'"):
        old = lf.ltv.customer_lifetime_value(bg, gg, rfm, horizon="6M", step="1M")
    pd.testing.assert_series_equal(old, new)


def test_backtest_cohort_is_period(store: lf.datasets.DemoStore) -> None:
    kw = {"cutoff": "2026-03-01", "end": "2026-03-29"}
    new = lf.ltv.backtest({"c": FAST}, store.orders, period="W", **kw)
    with pytest.warns(DeprecationWarning, match="'period'"):
        old = lf.ltv.backtest({"c": FAST}, store.orders, cohort="W", **kw)
    pd.testing.assert_frame_equal(old.cohorts, new.cohorts)


class _OldModel:
    """A third-party LTVModel written for the former protocol (``observed_until``)."""

    def fit_orders(
        self,
        orders: pd.DataFrame,
        *,
        customer: str,
        time: str,
        value: str,  # noqa: ARG002 - the protocol's signature
        observed_until: object,
        by: object = None,  # noqa: ARG002 - the protocol's signature
    ) -> _OldModel:
        cut = pd.Timestamp(observed_until)  # type: ignore[arg-type]
        self.ids = orders.loc[orders[time] < cut, customer].unique()
        self.cut = cut
        return self

    def expected_customer_revenue(self, until: object) -> pd.Series:
        days = (pd.Timestamp(until) - self.cut).days  # type: ignore[arg-type]
        return pd.Series(float(days), index=self.ids)


def test_models_of_the_former_protocol_still_run(store: lf.datasets.DemoStore) -> None:
    with pytest.warns(DeprecationWarning, match="'observation_end'"):
        lf.ltv.check_ltv_model(_OldModel())  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match="'observation_end'"):
        res = lf.ltv.backtest(_OldModel(), store.orders, cutoff="2026-03-01", end="2026-03-29")  # type: ignore[arg-type]
    assert (res.customers["predicted"] == 28.0).all()
