"""MBG/NBD: published CDNOW values (lifetimes' own tests, BTYDplus), and properties.

Ported from lifetimes ``tests/test_estimation.py`` (TestModifiedBetaGammaFitter): the
parameters match BTYDplus to 3 decimals, the expectations Hardie's BG/NBD sheet within 5%,
the conditional expectation 1.226 within 0.05, P(alive) < 1 without repeat purchases.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
import linkstar_funnel.ltv  # binds lf.ltv until the package root exports it
from linkstar_funnel.ltv._mbgnbd import mbgnbd_log_likelihood


@pytest.fixture(scope="module")
def mbg(cdnow: pd.DataFrame) -> lf.ltv.ModifiedBetaGeoResult:
    return lf.ltv.ModifiedBetaGeo().fit(cdnow, unit="W")


def test_params_match_btydplus(mbg: lf.ltv.ModifiedBetaGeoResult) -> None:
    got = [mbg.params[k] for k in ("r", "alpha", "a", "b")]
    np.testing.assert_array_almost_equal(got, [0.525, 6.183, 0.891, 1.614], decimal=3)
    assert mbg.model == "MBG/NBD"


def test_expectations_match_lifetimes_cases(mbg: lf.ltv.ModifiedBetaGeoResult) -> None:
    times = [0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00]
    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    got = [mbg.expected_purchases(lf.ltv.Span(t, "W")) for t in times]
    np.testing.assert_allclose(got, expected, rtol=0.05)
    one = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    assert abs(mbg.conditional_expected_purchases("39W", one).iloc[0] - 1.226) < 0.05


def test_p_alive_below_one_without_repeat_and_between_0_and_1(
    mbg: lf.ltv.ModifiedBetaGeoResult,
) -> None:
    none = pd.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [1.0]})
    assert mbg.p_alive(none).iloc[0] < 1.0
    x, tx, T = np.meshgrid(np.arange(0, 100, 10.0), np.arange(0, 100, 10.0), [99.0])
    grid = pd.DataFrame(
        {"frequency": x.ravel(), "recency": np.where(x.ravel() > 0, tx.ravel(), 0), "T": T.ravel()}
    )
    p = mbg.p_alive(grid)
    assert ((p >= 0) & (p <= 1)).all()


def _reference_loglik(r: float, alpha: float, a: float, b: float, x: int, tx: float, T: float):
    """lifetimes' formula term by term, with plain gamma/beta functions (small x only)."""
    beta = math.gamma(a) * math.gamma(b) / math.gamma(a + b)
    beta_x = math.gamma(a) * math.gamma(b + x + 1) / math.gamma(a + b + x + 1)
    lead = math.gamma(r + x) / math.gamma(r) * alpha**r * beta_x / beta / (alpha + T) ** (r + x)
    return math.log(lead * (1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x)))


pos = st.floats(0.2, 5.0)


@settings(max_examples=40, deadline=None)
@given(pos, pos, pos, pos, st.integers(0, 6), st.floats(0.0, 1.0), st.floats(0.5, 40.0))
def test_log_likelihood_matches_the_plain_formula(
    r: float, alpha: float, a: float, b: float, x: int, share: float, T: float
) -> None:
    tx = share * T if x > 0 else 0.0
    got = mbgnbd_log_likelihood(
        np.array([r, alpha, a, b]), np.array([float(x)]), np.array([tx]), np.array([T])
    )[0]
    assert got == pytest.approx(_reference_loglik(r, alpha, a, b, x, tx, T), rel=1e-9, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.floats(0.5, 60.0))
def test_purchase_count_distribution_sums_to_one_and_to_the_mean(
    mbg: lf.ltv.ModifiedBetaGeoResult, t: float
) -> None:
    span = lf.ltv.Span(t, "W")
    probs = np.array([mbg.probability_of_purchases(span, n) for n in range(400)])
    assert (probs >= -1e-12).all()
    assert probs.sum() == pytest.approx(1.0, abs=1e-6)
    assert float(np.arange(400) @ probs) == pytest.approx(mbg.expected_purchases(span), rel=1e-5)


def test_result_keeps_the_conventions(mbg: lf.ltv.ModifiedBetaGeoResult) -> None:
    lf.check_result(mbg)
    assert mbg.predict("39W")["expected_purchases"].ge(0).all()
