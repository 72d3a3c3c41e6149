"""Interval and test values against statsmodels on fixed cases.

Reference values computed with statsmodels 0.15.0 (scipy 1.17.1) in a separate
environment: ``proportion_confint(x, n, alpha=a, method="wilson")``,
``proportions_ztest(x, n, value=p0, prop_var=p0)``, ``binom_test(x, n, p0)``,
``proportions_ztest([x1, x2], [n1, n2])``, ``confint_proportions_2indep(x1, n1, x2, n2,
method="newcomb", compare="diff", alpha=0.05)`` and ``multipletests(p, method="fdr_bh")``.
"""

from __future__ import annotations

import numpy as np
import pytest

from linkstar_funnel import stats as _stats

WILSON = [
    (12, 400, 0.05, 0.017243020965143047, 0.051698535709095675),
    (12, 400, 0.01, 0.01456850980120919, 0.060769088759790174),
    (0, 50, 0.05, 0.0, 0.07134759913335874),
    (0, 50, 0.01, 0.0, 0.11715209171762801),
    (50, 50, 0.05, 0.9286524008666412, 1.0),
    (50, 50, 0.01, 0.882847908282372, 1.0),
    (380, 10000, 0.05, 0.0344265516422164, 0.04192826285228877),
    (380, 10000, 0.01, 0.03337355252759369, 0.04323910542612319),
    (7, 20, 0.05, 0.18119182410108203, 0.5671457233147638),
    (7, 20, 0.01, 0.14639344137693883, 0.6283381789526872),
    (1, 3, 0.05, 0.06149194472039626, 0.7923403991979523),
    (1, 3, 0.01, 0.04042662929608465, 0.855783984952333),
]
# x, n, p0, score-test p (prop_var=p0), exact binomial p
ONE_SAMPLE = [
    (12, 400, 0.052, 0.04750826579160823, 0.054150330209856844),
    (0, 50, 0.1, 0.018422125454099002, 0.008373696343230033),
    (50, 50, 0.9, 0.018422125454099027, 0.008373696343230024),
    (380, 10000, 0.052, 2.87193237568959e-10, 4.576701875736281e-11),
    (7, 20, 0.452, 0.35937903610546484, 0.38095384727979964),
    (1, 3, 0.5, 0.5637028616507731, 1.0),
]
# x1, n1, x2, n2, pooled z-test p, Newcombe low, high (alpha 0.05)
TWO_SAMPLE = [
    (30, 500, 260, 4000, 0.6677118767112784, -0.02440676565803524, 0.02041134479535612),
    (0, 40, 5, 60, 0.06104468950598921, -0.18068942018334413, 0.01619857474467877),
    (45, 100, 40, 100, 0.4744863711713392, -0.0856914983683418, 0.18313490890012601),
    (380, 10000, 4800, 80000, 5.298303997746158e-19, -0.025943103411198088, -0.01774903540898981),
]


@pytest.mark.parametrize(("x", "n", "alpha", "low", "high"), WILSON)
def test_wilson_equals_statsmodels(x: int, n: int, alpha: float, low: float, high: float) -> None:
    lo, hi = _stats.wilson_interval(x, n, alpha=alpha)
    assert float(lo) == pytest.approx(low, abs=1e-12)
    assert float(hi) == pytest.approx(high, abs=1e-12)


def test_wilson_vectorised_equals_scalar() -> None:
    x = np.array([c[0] for c in WILSON[::2]])
    n = np.array([c[1] for c in WILSON[::2]])
    lo, hi = _stats.wilson_interval(x, n, alpha=0.05)
    np.testing.assert_allclose(lo, [c[3] for c in WILSON[::2]], atol=1e-12)
    np.testing.assert_allclose(hi, [c[4] for c in WILSON[::2]], atol=1e-12)


@pytest.mark.parametrize(("x", "n", "p0", "score_p", "exact_p"), ONE_SAMPLE)
def test_one_sample_tests_equal_statsmodels(
    x: int, n: int, p0: float, score_p: float, exact_p: float
) -> None:
    assert float(_stats.score_test(x, n, p0)) == pytest.approx(score_p, rel=1e-9)
    assert float(_stats.binomial_test(x, n, p0)) == pytest.approx(exact_p, rel=1e-9)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "z_p", "low", "high"), TWO_SAMPLE)
def test_two_sample_equals_statsmodels(
    x1: int, n1: int, x2: int, n2: int, z_p: float, low: float, high: float
) -> None:
    assert float(_stats.two_proportion_test(x1, n1, x2, n2)) == pytest.approx(z_p, rel=1e-9)
    lo, hi = _stats.newcombe_interval(x1, n1, x2, n2, alpha=0.05)
    assert float(lo) == pytest.approx(low, abs=1e-12)
    assert float(hi) == pytest.approx(high, abs=1e-12)


def test_bh_equals_statsmodels() -> None:
    p = [0.01, 0.04, 0.03, 0.2, 0.5, 0.001, 0.04]
    expected = [0.035, 0.056, 0.056, 0.23333333333333336, 0.5, 0.007, 0.056]
    np.testing.assert_allclose(_stats.bh_qvalues(p), expected, rtol=1e-12)


def test_score_test_uses_reference_variance_not_observed() -> None:
    # 0 of 50 against 10%: the Wald test (observed variance 0) is undefined; ours is not.
    assert 0.0 < float(_stats.score_test(0, 50, 0.1)) < 0.05


def test_degenerate_reference() -> None:
    assert float(_stats.score_test(10, 10, 1.0)) == 1.0
    assert float(_stats.score_test(9, 10, 1.0)) == 0.0


def test_jeffreys_probability_is_beta_cdf() -> None:
    # Beta(0.5, 0.5) posterior of 0 of 0... use 1 of 1: Beta(1.5, 0.5); P(p < 0.5) closed form
    # F(t) = I_t(1.5, 0.5); at t = 0.5 it is 1/2 - 1/pi.
    assert float(_stats.prob_below(1, 1, 0.5)) == pytest.approx(0.5 - 1 / np.pi, abs=1e-12)


def test_prob_below_two_monte_carlo() -> None:
    rng = np.random.default_rng(7)
    a = rng.beta(30.5, 470.5, 400_000)
    b = rng.beta(260.5, 3740.5, 400_000)
    expected = float(np.mean(a < b))
    assert float(_stats.prob_below_two(30, 500, 260, 4000)) == pytest.approx(expected, abs=4e-3)
