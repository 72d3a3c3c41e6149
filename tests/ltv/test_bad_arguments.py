"""Every LTV entry point refuses a bad argument with a typed error naming it."""

# ruff: noqa: ARG005 - every case takes the same three fixtures, most use one

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.errors import (
    ColumnNotFoundError,
    EmptyFrameError,
    LinkstarError,
    ParameterError,
    SchemaError,
)

COHORT = lf.ltv.CohortLTV(horizon="56D", use_prophet=False)


@pytest.fixture(scope="module")
def orders(store: lf.datasets.DemoStore) -> pd.DataFrame:
    return store.orders


@pytest.fixture(scope="module")
def fits(cdnow: pd.DataFrame) -> tuple[lf.ltv.BetaGeoResult, lf.ltv.GammaGammaResult]:
    return lf.ltv.BetaGeo().fit(cdnow, unit="W"), lf.ltv.GammaGamma().fit(cdnow)


Case = Callable[
    [pd.DataFrame, pd.DataFrame, tuple[lf.ltv.BetaGeoResult, lf.ltv.GammaGammaResult]], object
]

CASES: dict[str, tuple[Case, type[LinkstarError], str]] = {
    "observation_end='soon'": (
        lambda o, c, f: lf.ltv.rfm_summary(o, observation_end="soon"),
        ParameterError,
        "'observation_end' parameter of rfm_summary",
    ),
    "observation_end=5": (
        lambda o, c, f: lf.ltv.rfm_summary(o, observation_end=5),
        ParameterError,
        "'observation_end'",
    ),
    "every order a refund": (
        lambda o, c, f: lf.ltv.rfm_summary(o.assign(revenue=-o["revenue"].abs())),
        EmptyFrameError,
        "No purchases",
    ),
    "every order a refund (cohorts)": (
        lambda o, c, f: COHORT.fit(o.assign(revenue=-o["revenue"].abs())),
        EmptyFrameError,
        "No purchases",
    ),
    "empty orders": (lambda o, c, f: lf.ltv.rfm_summary(o.iloc[:0]), EmptyFrameError, "empty"),
    "all-NaN revenue": (
        lambda o, c, f: lf.ltv.rfm_summary(o.assign(revenue=np.nan)),
        EmptyFrameError,
        "revenue",
    ),
    "customer=5": (
        lambda o, c, f: lf.ltv.rfm_summary(o, customer=5),
        ParameterError,
        "'customer'",
    ),
    "exclude_status=5": (
        lambda o, c, f: lf.ltv.rfm_summary(o, status="status", exclude_status=5),
        ParameterError,
        "'exclude_status'",
    ),
    "calibration_end='soon'": (
        lambda o, c, f: lf.ltv.calibration_holdout(o, calibration_end="soon"),
        ParameterError,
        "'calibration_end' parameter of calibration_holdout",
    ),
    "penalizer=inf": (
        lambda o, c, f: lf.ltv.BetaGeo(penalizer=float("inf")),
        ParameterError,
        "'penalizer'",
    ),
    "maxiter='x'": (lambda o, c, f: lf.ltv.ParetoNBD(maxiter="x"), ParameterError, "'maxiter'"),
    "text frequency": (
        lambda o, c, f: lf.ltv.BetaGeo().fit(c.assign(frequency="a"), unit="W"),
        SchemaError,
        "'frequency'",
    ),
    "inf T": (
        lambda o, c, f: lf.ltv.BetaGeo().fit(c.assign(T=np.inf), unit="W"),
        SchemaError,
        "'T'",
    ),
    "negative repeat value": (
        lambda o, c, f: f[1].conditional_expected_value(c.assign(monetary_value=-5.0)),
        SchemaError,
        "monetary_value",
    ),
    "margin='0.4'": (
        lambda o, c, f: lf.ltv.customer_lifetime_value(*f, c, margin="0.4"),
        ParameterError,
        "'margin' parameter of customer_lifetime_value",
    ),
    "purchases='bg'": (
        lambda o, c, f: lf.ltv.customer_lifetime_value("bg", f[1], c),
        ParameterError,
        "'purchases'",
    ),
    "ProbabilisticLTV(purchases='x')": (
        lambda o, c, f: lf.ltv.ProbabilisticLTV(purchases="x"),
        ParameterError,
        "'purchases'",
    ),
    "fit_orders(observation_end='soon')": (
        lambda o, c, f: lf.ltv.ProbabilisticLTV().fit_orders(o, observation_end="soon"),
        ParameterError,
        "'observation_end'",
    ),
    "fit_orders on a missing column": (
        lambda o, c, f: lf.ltv.ProbabilisticLTV().fit_orders(
            o, time="nope", observation_end="2026-03-01"
        ),
        ColumnNotFoundError,
        "nope",
    ),
    "pooling_strength=inf": (
        lambda o, c, f: lf.ltv.CohortLTV(pooling_strength=float("inf")),
        ParameterError,
        "'pooling_strength'",
    ),
    "use_prophet='no'": (
        lambda o, c, f: lf.ltv.CohortLTV(use_prophet="no"),
        ParameterError,
        "'use_prophet'",
    ),
    "CohortLTV.fit(by=5)": (lambda o, c, f: COHORT.fit(o, by=5), ParameterError, "'by'"),
    "backtest(by=5)": (
        lambda o, c, f: lf.ltv.backtest(COHORT, o, cutoff="2026-03-01", end="2026-03-29", by=5),
        ParameterError,
        "'by' parameter of backtest",
    ),
    "backtest([1])": (
        lambda o, c, f: lf.ltv.backtest([1], o, cutoff="2026-03-01", end="2026-03-29"),
        ParameterError,
        "'models'",
    ),
    "backtest(period='Q')": (
        lambda o, c, f: lf.ltv.backtest(
            COHORT, o, cutoff="2026-03-01", end="2026-03-29", period="Q"
        ),
        ParameterError,
        "'period' parameter of backtest",
    ),
    "gini of text": (
        lambda o, c, f: lf.ltv.normalized_gini("ab", [1, 2]),
        ParameterError,
        "'actual'",
    ),
    "gini with NaN": (
        lambda o, c, f: lf.ltv.normalized_gini([1.0, np.nan], [1, 2]),
        ParameterError,
        "finite",
    ),
    "decile lengths": (
        lambda o, c, f: lf.ltv.decile_mape([1, 2, 3], [1, 2]),
        ParameterError,
        "same length",
    ),
    "groups=0": (
        lambda o, c, f: lf.ltv.decile_mape([1, 2], [1, 2], groups=0),
        ParameterError,
        "'groups'",
    ),
    "Span('x', 'W')": (lambda o, c, f: lf.ltv.Span("x", "W"), ParameterError, "'value'"),
    "check_ltv_model('x')": (
        lambda o, c, f: lf.ltv.check_ltv_model("x"),
        ParameterError,
        "'model'",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_argument_is_a_typed_error(
    name: str,
    orders: pd.DataFrame,
    cdnow: pd.DataFrame,
    fits: tuple[lf.ltv.BetaGeoResult, lf.ltv.GammaGammaResult],
) -> None:
    call, error, words = CASES[name]
    before = orders.copy()
    with pytest.raises(error, match=words):
        call(orders, cdnow, fits)
    pd.testing.assert_frame_equal(orders, before)  # never mutated


def test_probabilistic_fit_without_a_cut_uses_every_order() -> None:
    # observation_end=None was read as NaT and refused as "the orders frame is empty".
    orders = lf.datasets.online_retail_orders()
    orders = orders[orders["timestamp"] < pd.Timestamp("2011-04-01", tz="Europe/London")]
    model = lf.ltv.ProbabilisticLTV()
    with pytest.warns(lf.ConvergenceWarning):  # three months of data: the NBD limit
        everything = model.fit_orders(orders)
    last = orders["timestamp"].max()
    with pytest.warns(lf.ConvergenceWarning):
        explicit = model.fit_orders(orders, observation_end=(last + pd.Timedelta("1D")).floor("D"))
    assert everything.observation_end == last + pd.Timedelta(1, "ns")
    assert everything.purchases.params == pytest.approx(explicit.purchases.params, nan_ok=True)
    assert everything.spend.params == pytest.approx(explicit.spend.params)
