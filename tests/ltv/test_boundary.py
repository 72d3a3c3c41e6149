"""BG/NBD at its NBD limit (a -> 0): likelihood limit, finite and continuous predictions,
and a fit whose choice between BG/NBD and NBD does not depend on the optimiser's path."""

from __future__ import annotations

import warnings

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel.errors import ConvergenceWarning
from linkstar_funnel.ltv import _betageo
from linkstar_funnel.ltv._bgnbd_math import (
    bgnbd_gradient,
    bgnbd_log_likelihood,
    expected_while_alive,
    nbd_gradient,
    nbd_log_likelihood,
)

from . import reference

positive = st.floats(0.05, 20.0)
tiny = st.floats(1e-12, 1e-6)


@st.composite
def customers(draw: st.DrawFn) -> tuple[int, float, float]:
    T = draw(st.floats(0.5, 80.0))
    x = draw(st.integers(0, 40))
    tx = 0.0 if x == 0 else draw(st.floats(0.0, 1.0)) * T
    return x, tx, T


def _arrays(c: tuple[int, float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, tx, T = c
    return np.array([float(x)]), np.array([tx]), np.array([T])


@given(r=positive, alpha=positive, b=positive, cust=customers())
@settings(max_examples=150, deadline=None)
def test_nbd_likelihood_is_the_bgnbd_limit(
    r: float, alpha: float, b: float, cust: tuple[int, float, float]
) -> None:
    x, tx, T = _arrays(cust)
    nbd = nbd_log_likelihood(np.array([r, alpha]), x, tx, T)[0]

    def gap(a: float) -> float:
        return float(bgnbd_log_likelihood(np.array([r, alpha, a, b]), x, tx, T)[0] - nbd)

    assert abs(gap(1e-250)) <= 1e-12 * (1 + abs(nbd))
    # Once a is small next to the drop-out odds' scale, the gap is O(a).
    x0, tx0, T0 = cust
    a0 = 1e-6 / (1.0 + ((alpha + T0) / (alpha + tx0)) ** (r + x0) / b)
    assume(a0 > 1e-200)
    assert abs(gap(a0 * 1e-3)) <= 2e-3 * abs(gap(a0)) + 1e-12


@given(r=positive, alpha=positive, a=st.floats(1e-8, 20.0), b=positive, cust=customers())
@settings(max_examples=150, deadline=None)
def test_gradients_match_finite_differences(
    r: float, alpha: float, a: float, b: float, cust: tuple[int, float, float]
) -> None:
    x, tx, T = _arrays(cust)
    for ll, grad, p in (
        (bgnbd_log_likelihood, bgnbd_gradient, np.array([r, alpha, a, b])),
        (nbd_log_likelihood, nbd_gradient, np.array([r, alpha])),
    ):
        got = grad(p, x, tx, T)[0]
        for i in range(len(p)):
            h = 1e-6 * p[i]
            up, down = p.copy(), p.copy()
            up[i] += h
            down[i] -= h
            fd = (ll(up, x, tx, T)[0] - ll(down, x, tx, T)[0]) / (2 * h)
            assert got[i] == pytest.approx(fd, rel=1e-4, abs=1e-4 / p[i])


@given(
    a=st.one_of(tiny, st.floats(1e-6, 5.0)),
    B=st.floats(0.01, 50.0),
    A=st.floats(0.2, 500.0),
    R=st.floats(0.05, 800.0),
    t=st.floats(0.1, 300.0),
)
@settings(max_examples=300, deadline=None)
def test_expected_while_alive_matches_the_slow_reference(
    a: float, B: float, A: float, R: float, t: float
) -> None:
    got = expected_while_alive(a, np.array([B]), np.array([A]), np.array([R]), t)[0]
    assert np.isfinite(got)
    assert got == pytest.approx(reference.bgnbd_expected_alive(a, B, A, R, t), rel=1e-6)


@given(
    a=st.floats(1e-12, 50.0),
    B=st.floats(0.01, 2000.0),
    A=st.floats(0.05, 500.0),
    R=st.floats(0.05, 2000.0),
    t=st.floats(0.01, 500.0),
)
@settings(max_examples=300, deadline=None)
def test_expected_while_alive_stays_within_its_bounds(
    a: float, B: float, A: float, R: float, t: float
) -> None:
    # Where the reference's own quadrature is unreliable (large a and B): bounds only.
    # g(p) = (1 - (1 + p t / A) ** -R) / p lies between g(1) and g(0) = R t / A, and below
    # 1 / p, whose mean is (a + B - 1) / (a - 1) when a > 1.
    got = expected_while_alive(a, np.array([B]), np.array([A]), np.array([R]), t)[0]
    assert np.isfinite(got)
    assert -np.expm1(-R * np.log1p(t / A)) * (1 - 1e-9) <= got <= R * t / A * (1 + 1e-9)
    if a > 1.01:
        assert got <= (a + B - 1) / (a - 1) * (1 + 1e-9)


@given(B=st.floats(0.01, 500.0), A=st.floats(0.2, 500.0), R=st.floats(0.05, 800.0))
@settings(max_examples=100, deadline=None)
def test_expected_while_alive_is_continuous_at_the_nbd_limit(B: float, A: float, R: float) -> None:
    t = 26.0
    limit = expected_while_alive(0.0, np.array([B]), np.array([A]), np.array([R]), t)[0]
    assert limit == pytest.approx(R * t / A)
    for a in (1e-6, 1e-9, 1e-12):
        near = expected_while_alive(a, np.array([B]), np.array([A]), np.array([R]), t)[0]
        assert near == pytest.approx(limit, rel=1e-6 + 1e3 * a)


def _fit_with(
    fit: lf.ltv.BetaGeoResult, r: float, alpha: float, a: float, b: float
) -> lf.ltv.BetaGeoResult:
    return attrs.evolve(fit, mle=attrs.evolve(fit.mle, values=(r, alpha, a, b)))


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: pd.DataFrame) -> lf.ltv.BetaGeoResult:
    return lf.ltv.BetaGeo().fit(cdnow, unit="W")


@given(r=positive, alpha=positive, b=st.floats(0.05, 500.0))
@settings(max_examples=40, deadline=None)
def test_every_prediction_is_finite_and_continuous_as_a_goes_to_zero(
    cdnow_fit: lf.ltv.BetaGeoResult, cdnow: pd.DataFrame, r: float, alpha: float, b: float
) -> None:
    limit = _fit_with(cdnow_fit, r, alpha, 0.0, float("nan"))
    gg = lf.ltv.GammaGamma().fit(cdnow)
    data = cdnow.iloc[::20]

    def predictions(fit: lf.ltv.BetaGeoResult) -> list[np.ndarray]:
        pred = fit.predict("39W", data)
        clv = lf.ltv.customer_lifetime_value(fit, gg, data, horizon="12M", period="1M")
        return [pred.to_numpy(), clv.to_numpy(), np.array([fit.expected_purchases("52W")])]

    at_limit = predictions(limit)
    assert all(np.isfinite(v).all() for v in at_limit)
    assert all(np.isfinite(v).all() for v in predictions(_fit_with(cdnow_fit, r, alpha, 1e-10, b)))
    # The approach to the limit is not uniform (a customer with many early purchases and
    # none since has drop-out odds a / b * ((alpha + T) / (alpha + t_x)) ** (r + x)), but
    # it is reached: every prediction converges.
    for got, want in zip(
        predictions(_fit_with(cdnow_fit, r, alpha, 1e-250, b)), at_limit, strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # The limit itself: nobody drops out, purchases at rate r / alpha.
    assert (limit.p_alive(data) == 1.0).all()
    assert limit.expected_purchases("52W") == pytest.approx(r / alpha * 52)


@given(a=st.floats(1e-6, 5.0), b=st.floats(0.05, 50.0), cust=customers())
@settings(max_examples=100, deadline=None)
def test_predictions_match_the_slow_reference(
    cdnow_fit: lf.ltv.BetaGeoResult, a: float, b: float, cust: tuple[int, float, float]
) -> None:
    r, alpha = 0.5, 5.0
    fit = _fit_with(cdnow_fit, r, alpha, a, b)
    x, tx, T = cust
    one = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    alive = reference.bgnbd_p_alive(r, alpha, a, b, x, tx, T)
    assert fit.p_alive(one).iloc[0] == pytest.approx(alive, rel=1e-9)
    want = alive * reference.bgnbd_expected_alive(a, b + x, alpha + T, r + x, 39.0)
    assert fit.conditional_expected_purchases("39W", one).iloc[0] == pytest.approx(want, rel=1e-6)


@pytest.fixture(scope="module")
def no_dropout() -> lf.ltv.RFMResult:
    """Online Retail to the end of June 2011: no drop-out the BG/NBD can use."""
    orders = lf.datasets.online_retail_orders()
    return lf.ltv.rfm_summary(orders, period="W", observation_end="2011-06-30")


@pytest.mark.parametrize("starts", [((1.0, 1.0),), ((0.01, 10.0),), ((3.0, 30.0),), ((0.5, 0.5),)])
def test_the_choice_does_not_depend_on_where_the_optimiser_starts(
    monkeypatch: pytest.MonkeyPatch,
    cdnow: pd.DataFrame,
    no_dropout: lf.ltv.RFMResult,
    starts: tuple[tuple[float, float], ...],
) -> None:
    monkeypatch.setattr(_betageo, "_STARTS", starts)
    # Data with visible drop-out: BG/NBD, the published optimum from any start.
    fit = lf.ltv.BetaGeo().fit(cdnow, unit="W")
    assert not fit.at_boundary
    assert fit.params["a"] == pytest.approx(0.793, abs=5e-3)
    # Data without: the NBD limit, one warning, the same numbers from any start.
    with pytest.warns(ConvergenceWarning, match="NBD limit") as caught:
        nbd = lf.ltv.BetaGeo().fit(no_dropout)
    assert len(caught) == 1
    assert nbd.at_boundary
    assert nbd.model == "NBD (BG/NBD limit a → 0)"
    assert nbd.params["a"] == 0.0
    assert np.isnan(nbd.params["b"])
    assert (nbd.p_alive() == 1.0).all()


def test_nbd_limit_estimates_are_the_nbd_mle(no_dropout: lf.ltv.RFMResult) -> None:
    rfm = no_dropout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = lf.ltv.BetaGeo().fit(rfm)
    f = rfm.to_frame()
    x, T = f["frequency"].to_numpy(float), f["T"].to_numpy()
    r, alpha = fit.params["r"], fit.params["alpha"]
    # NBD score equations: d/d alpha = 0 gives r / alpha = mean((r + x) / (alpha + T)).
    assert r / alpha == pytest.approx(np.mean((r + x) / (alpha + T)), rel=1e-6)
    assert fit.log_likelihood == pytest.approx(
        nbd_log_likelihood(np.array([r, alpha]), x, x * 0, T).sum(), rel=1e-12
    )
    se = fit.standard_errors
    assert se["r"] > 0
    assert se["alpha"] > 0
    assert "NBD limit" in fit.mle.message
