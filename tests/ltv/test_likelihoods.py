"""Vectorised log-likelihoods against the plain-Python references; MLE failure rules."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel.errors import ConvergenceError, ConvergenceWarning
from linkstar_funnel.ltv._betageo import bgnbd_log_likelihood
from linkstar_funnel.ltv._gammagamma import gamma_gamma_log_likelihood
from linkstar_funnel.ltv._mle import fit_mle
from linkstar_funnel.ltv._pareto import pareto_log_likelihood

from . import reference

positive = st.floats(0.05, 20.0, allow_nan=False, allow_infinity=False)


@st.composite
def customers(draw: st.DrawFn) -> tuple[int, float, float]:
    T = draw(st.floats(0.5, 80.0))
    x = draw(st.integers(0, 25))
    tx = 0.0 if x == 0 else draw(st.floats(0.0, 1.0)) * T
    return x, tx, T


@given(r=positive, alpha=positive, a=positive, b=positive, cust=customers())
@settings(max_examples=200, deadline=None)
def test_bgnbd_matches_reference(
    r: float, alpha: float, a: float, b: float, cust: tuple[int, float, float]
) -> None:
    x, tx, T = cust
    got = bgnbd_log_likelihood(
        np.array([r, alpha, a, b]), np.array([float(x)]), np.array([tx]), np.array([T])
    )[0]
    assert got == pytest.approx(reference.bgnbd_ll(r, alpha, a, b, x, tx, T), rel=1e-9, abs=1e-9)


@given(r=positive, alpha=positive, s=positive, beta=positive, cust=customers())
@settings(max_examples=150, deadline=None)
def test_pareto_matches_reference(
    r: float, alpha: float, s: float, beta: float, cust: tuple[int, float, float]
) -> None:
    x, tx, T = cust
    got = pareto_log_likelihood(
        np.array([r, alpha, s, beta]), np.array([float(x)]), np.array([tx]), np.array([T])
    )[0]
    assert got == pytest.approx(
        reference.pareto_ll(r, alpha, s, beta, x, tx, T), rel=1e-6, abs=1e-6
    )


@given(p=positive, q=positive, v=positive, x=st.integers(1, 30), m=st.floats(0.01, 1e4))
@settings(max_examples=150, deadline=None)
def test_gamma_gamma_matches_reference(p: float, q: float, v: float, x: int, m: float) -> None:
    got = gamma_gamma_log_likelihood(np.array([p, q, v]), np.array([float(x)]), np.array([m]))[0]
    assert got == pytest.approx(reference.gamma_gamma_ll(p, q, v, x, m), rel=1e-9, abs=1e-9)


def test_fit_never_returns_nan_parameters() -> None:
    with pytest.raises(ConvergenceError, match="did not converge"):
        fit_mle(lambda _p: np.full(3, np.nan), {"a": 1.0}, weights=np.ones(3), owner="Toy")


def test_early_stop_warns_with_usable_result(cdnow: pd.DataFrame) -> None:
    with pytest.warns(ConvergenceWarning, match="stopped before converging"):
        fit = lf.ltv.BetaGeo(maxiter=2).fit(cdnow, unit="W")
    assert all(np.isfinite(v) and v > 0 for v in fit.params.values())


def test_params_frame_intervals_follow_alpha(cdnow: pd.DataFrame) -> None:
    fit = lf.ltv.BetaGeo().fit(cdnow, unit="W")
    wide, narrow = fit.params_frame(alpha=0.01), fit.params_frame(alpha=0.2)
    assert (wide["lower"] < narrow["lower"]).all()
    assert (wide["upper"] > narrow["upper"]).all()
    assert ((narrow["lower"] < narrow["estimate"]) & (narrow["estimate"] < narrow["upper"])).all()


def test_row_order_and_zero_purchase_customers(cdnow: pd.DataFrame) -> None:
    fit = lf.ltv.BetaGeo().fit(cdnow, unit="W")
    shuffled = lf.ltv.BetaGeo().fit(cdnow.sample(frac=1.0, random_state=1), unit="W")
    assert shuffled.params == pytest.approx(fit.params, rel=1e-6)
    zeros = cdnow[cdnow["frequency"] == 0]
    assert (fit.p_alive(zeros) == 1.0).all()  # BG/NBD: no purchase, no chance to drop out
    e = fit.conditional_expected_purchases("39W", zeros)
    older = zeros.assign(T=zeros["T"] + 10)
    assert (fit.conditional_expected_purchases("39W", older) < e).all()


@pytest.mark.parametrize("model", [lf.ltv.BetaGeo(), lf.ltv.ParetoNBD()])
def test_expected_purchases_non_decreasing_in_horizon(model: object, cdnow: pd.DataFrame) -> None:
    fit = model.fit(cdnow, unit="W")  # type: ignore[attr-defined]
    values = [fit.conditional_expected_purchases(f"{w}W", cdnow) for w in (1, 10, 39, 100)]
    for lo, hi in itertools.pairwise(values):
        assert (hi >= lo - 1e-12).all()
    p = fit.p_alive()
    assert ((p >= 0) & (p <= 1)).all()


def test_clv_units_and_discounting(cdnow: pd.DataFrame) -> None:
    bg = lf.ltv.BetaGeo().fit(cdnow, unit="W")
    gg = lf.ltv.GammaGamma().fit(cdnow)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = lf.ltv.customer_lifetime_value(bg, gg, cdnow, horizon="12M", period="1M")
        disc = lf.ltv.customer_lifetime_value(
            bg, gg, cdnow, horizon="12M", period="1M", annual_discount_rate=0.15
        )
        weekly = lf.ltv.customer_lifetime_value(bg, gg, cdnow, horizon="52W", period="1W")
    assert (disc <= plain + 1e-12).all()
    assert (disc < plain).any()
    # 12 months vs 52 weeks: close (52.18 vs 52 weeks), never off by a factor of 4.3.
    assert plain.sum() == pytest.approx(weekly.sum(), rel=0.01)


@pytest.mark.parametrize("penalizer", [0.01, 0.1, 1.0])
@pytest.mark.parametrize("model", [lf.ltv.BetaGeo, lf.ltv.ParetoNBD])
def test_penalty_does_not_depend_on_the_time_unit(
    cdnow: pd.DataFrame, penalizer: float, model: type
) -> None:
    # The same customers in weeks and in days: the same fit, the same predictions.
    days = cdnow.assign(recency=cdnow["recency"] * 7, T=cdnow["T"] * 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # heavy penalties may sit at a limit
        weekly = model(penalizer=penalizer).fit(cdnow, unit="W")
        daily = model(penalizer=penalizer).fit(days, unit="D")
    np.testing.assert_allclose(
        daily.conditional_expected_purchases("39W", days.iloc[:50]),
        weekly.conditional_expected_purchases("39W", cdnow.iloc[:50]),
        rtol=1e-4,
    )
    assert daily.expected_purchases("52W") == pytest.approx(
        weekly.expected_purchases("52W"), rel=1e-4
    )


@pytest.mark.parametrize("penalizer", [0.0, 0.1])
def test_spend_penalty_does_not_depend_on_the_currency_unit(
    cdnow: pd.DataFrame, penalizer: float
) -> None:
    pence = cdnow.assign(monetary_value=cdnow["monetary_value"] * 100)
    pounds_fit = lf.ltv.GammaGamma(penalizer=penalizer).fit(cdnow)
    pence_fit = lf.ltv.GammaGamma(penalizer=penalizer).fit(pence)
    np.testing.assert_allclose(
        pence_fit.conditional_expected_value().to_numpy(),
        100 * pounds_fit.conditional_expected_value().to_numpy(),
        rtol=1e-4,
    )


def test_spend_without_a_mean_is_nan_and_said(cdnow: pd.DataFrame) -> None:
    import attrs

    from linkstar_funnel.errors import DataQualityWarning

    gg = lf.ltv.GammaGamma().fit(cdnow)
    p, _, v = gg.mle.values  # noqa: PD011 - a tuple, not pandas
    heavy = attrs.evolve(gg, mle=attrs.evolve(gg.mle, values=(p, 0.8, v)))  # q <= 1
    with pytest.warns(DataQualityWarning, match="q = 0.8"):
        value = heavy.conditional_expected_value(cdnow)
    one_time = cdnow["frequency"] == 0
    assert value[one_time].isna().all()  # was negative: p v / (q - 1) < 0
    assert (value[~one_time].dropna() > 0).all()


def test_revenue_until_before_the_cut_is_refused() -> None:
    from linkstar_funnel.errors import ConvergenceWarning, ParameterError

    store = lf.datasets.make_demo_store(n_users=2000, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = lf.ltv.ProbabilisticLTV().fit_orders(store.orders, observation_end="2026-03-01")
    with pytest.raises(ParameterError, match="after the cut"):
        fit.expected_customer_revenue("2026-02-01")  # was 0 for everyone
    assert (fit.expected_customer_revenue("2026-04-01") >= 0).all()
