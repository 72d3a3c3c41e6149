"""``linkstar_funnel.stats``: values against statsmodels, properties against plain Python.

Fixed cases: interval and test values against statsmodels.

Reference values computed with statsmodels 0.15.0 (scipy 1.17.1) in a separate
environment: ``proportion_confint(x, n, alpha=a, method="wilson")``,
``proportions_ztest(x, n, value=p0, prop_var=p0)``, ``binom_test(x, n, p0)``,
``proportions_ztest([x1, x2], [n1, n2])``, ``confint_proportions_2indep(x1, n1, x2, n2,
method="newcomb", compare="diff", alpha=0.05)`` and ``multipletests(p, method="fdr_bh")``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import linkstar_funnel.benchmark as bm
from linkstar_funnel import stats as _stats
from linkstar_funnel._counts import MAX_COUNT, count_pair
from linkstar_funnel.errors import DataQualityWarning, ParameterError

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


# Properties against slow plain-Python references.

ALPHAS = st.sampled_from([0.2, 0.1, 0.05, 0.01, 0.001])
RATES = st.floats(0.001, 0.999, allow_nan=False)


@st.composite
def counts(draw: st.DrawFn, max_n: int = 5_000) -> tuple[int, int]:
    n = draw(st.integers(1, max_n))
    return draw(st.integers(0, n)), n


def _z(alpha: float) -> float:
    # Plain bisection on the normal tail via math.erfc: no scipy in the reference.
    lo, hi = 0.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if math.erfc(mid / math.sqrt(2)) > alpha:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def wilson_reference(x: int, n: int, alpha: float) -> tuple[float, float]:
    z = _z(alpha)
    p = x / n
    centre = (x + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(n * p * (1 - p) + z * z / 4)
    return max(0.0, centre - half), min(1.0, centre + half)


def score_reference(x: int, n: int, p0: float) -> float:
    z = abs(x / n - p0) / math.sqrt(p0 * (1 - p0) / n)
    return math.erfc(z / math.sqrt(2))


def bh_reference(p: list[float]) -> list[float]:
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    q = [0.0] * m
    for rank, i in enumerate(order):
        q[i] = min(1.0, *(m * p[order[j]] / (j + 1) for j in range(rank, m)))
    return q


@given(counts(), ALPHAS)
def test_wilson_matches_plain_reference_and_contains_estimate(
    c: tuple[int, int], alpha: float
) -> None:
    x, n = c
    lo, hi = _stats.wilson_interval(x, n, alpha=alpha)
    ref_lo, ref_hi = wilson_reference(x, n, alpha)
    assert math.isclose(float(lo), ref_lo, abs_tol=1e-9)
    assert math.isclose(float(hi), ref_hi, abs_tol=1e-9)
    assert float(lo) - 1e-12 <= x / n <= float(hi) + 1e-12
    assert 0.0 <= float(lo) <= float(hi) <= 1.0


@given(counts(max_n=2_000), st.integers(2, 50), ALPHAS)
def test_wilson_narrows_with_n(c: tuple[int, int], k: int, alpha: float) -> None:
    x, n = c
    lo1, hi1 = _stats.wilson_interval(x, n, alpha=alpha)
    lo2, hi2 = _stats.wilson_interval(k * x, k * n, alpha=alpha)
    assert float(hi2 - lo2) <= float(hi1 - lo1) + 1e-12


@st.composite
def wide_counts(draw: st.DrawFn) -> tuple[int, int]:
    """Counts from 1 trial to MAX_COUNT, edges (0, 1, n - 1, n successes) drawn often."""
    n = draw(st.one_of(st.integers(1, 5_000), st.integers(1, MAX_COUNT)))
    x = draw(st.one_of(st.sampled_from([0, min(1, n), n - 1, n]), st.integers(0, n)))
    return x, n


@given(wide_counts(), st.sampled_from([0.5, 0.05, 0.001, 1e-9]))
def test_wilson_edges_are_exact(c: tuple[int, int], alpha: float) -> None:
    x, n = c
    lo, hi = (float(v) for v in _stats.wilson_interval(x, n, alpha=alpha))
    assert 0.0 <= lo <= hi <= 1.0
    assert (lo == 0.0) == (x == 0)
    assert (hi == 1.0) == (x == n)
    assert lo <= x / n <= hi


def test_wilson_edges_are_exact_vectorised() -> None:
    # Before the edges were set, these gave 2.2e-19 and 0.9999999999999998.
    lo, hi = _stats.wilson_interval([0, 1_000, 0, 7], [1_000, 1_000, 1, 7], alpha=0.05)
    assert lo.tolist()[0::2] == [0.0, 0.0]
    assert hi.tolist()[1::2] == [1.0, 1.0]
    assert lo.tolist()[1] > 0.0
    assert hi.tolist()[0] < 1.0
    # n - 1 of n near 2**53: the upper bound's sum rounds below the rate.
    x, n = 8_783_515_328_219_069, 8_783_515_328_219_070
    lo, hi = _stats.wilson_interval(x, n, alpha=0.001)
    assert float(lo) <= x / n <= float(hi) < 1.0


@given(counts(), ALPHAS, ALPHAS)
def test_wilson_widens_with_confidence(c: tuple[int, int], a1: float, a2: float) -> None:
    x, n = c
    small, large = max(a1, a2), min(a1, a2)
    lo1, hi1 = _stats.wilson_interval(x, n, alpha=small)
    lo2, hi2 = _stats.wilson_interval(x, n, alpha=large)
    assert float(lo2) <= float(lo1) + 1e-12
    assert float(hi2) >= float(hi1) - 1e-12


@given(counts(), RATES)
def test_score_test_matches_plain_reference(c: tuple[int, int], p0: float) -> None:
    x, n = c
    assert math.isclose(
        float(_stats.score_test(x, n, p0)), score_reference(x, n, p0), rel_tol=1e-9, abs_tol=1e-300
    )


@given(st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=40))
def test_bh_matches_reference_dominates_p_and_is_monotone(p: list[float]) -> None:
    q = _stats.bh_qvalues(p)
    np.testing.assert_allclose(q, bh_reference(p), rtol=1e-12, atol=1e-15)
    arr = np.asarray(p)
    assert np.all(q >= arr - 1e-15)
    assert np.all(q <= 1.0)
    order = np.argsort(arr, kind="stable")
    assert np.all(np.diff(q[order]) >= -1e-15)


@given(st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=20))
def test_bh_ignores_missing(p: list[float]) -> None:
    with pytest.warns(DataQualityWarning, match="1 of .* missing"):
        with_nan = _stats.bh_qvalues([*p, float("nan")])
    assert np.isnan(with_nan[-1])
    np.testing.assert_allclose(with_nan[:-1], _stats.bh_qvalues(p))


@given(counts(max_n=3_000), RATES)
def test_jeffreys_probability_is_complementary(c: tuple[int, int], p0: float) -> None:
    x, n = c
    p_below = float(_stats.prob_below(x, n, p0))
    p_mirror = float(_stats.prob_below(n - x, n, 1 - p0))
    assert math.isclose(p_below, 1 - p_mirror, abs_tol=1e-9)


@given(counts(max_n=500), counts(max_n=500))
def test_newcombe_contains_difference(c1: tuple[int, int], c2: tuple[int, int]) -> None:
    (x1, n1), (x2, n2) = c1, c2
    lo, hi = _stats.newcombe_interval(x1, n1, x2, n2, alpha=0.05)
    d = x1 / n1 - x2 / n2
    assert float(lo) - 1e-12 <= d <= float(hi) + 1e-12
    assert float(lo) >= -1.0 - 1e-12
    assert float(hi) <= 1.0 + 1e-12


# Bad counts and rates: typed errors naming the parameter.

TWO = [_stats.two_proportion_test, _stats.newcombe_interval]
ONE_REF = [_stats.score_test, _stats.binomial_test, _stats.prob_below]


@pytest.mark.parametrize(
    ("x", "n", "param"),
    [
        (5, 3, "'successes' parameter of {f} must be at most 'trials'"),
        (-1, 3, "'successes' parameter of {f} must be non-negative whole"),
        (np.nan, 3, "'successes' parameter"),
        (1.5, 3, "'successes' parameter"),
        (1, np.inf, "'trials' parameter"),
        (1e19, 1e20, "'successes' parameter"),
        (0, 0, "'trials' parameter of {f} must be positive"),
        ("a", 3, "'successes' parameter"),
        (True, 3, "'successes' parameter"),
        ([1, 2], [3, 4, 5], "'successes' parameter .* shape"),
    ],
)
def test_statistics_refuse_bad_counts(x: Any, n: Any, param: str) -> None:
    calls: list[tuple[str, Any]] = [
        ("wilson_interval", lambda: _stats.wilson_interval(x, n)),
        *[(f.__name__, lambda f=f: f(x, n, 0.5)) for f in ONE_REF],
        *[(f.__name__, lambda f=f: f(x, n, 1, 3)) for f in TWO],
        *[(f.__name__, lambda f=f: f(1, 3, x, n)) for f in TWO],
    ]
    for name, call in calls:
        pattern = param.format(f=name)
        with pytest.raises(ParameterError) as info:
            call()
        message = (
            str(info.value).replace("ref_successes", "successes").replace("ref_trials", "trials")
        )
        assert re.search(pattern, message), (name, message)


def test_statistics_refuse_bad_rates_and_alpha() -> None:
    with pytest.raises(ParameterError, match="'reference' parameter of score_test"):
        _stats.score_test(1, 10, 1.5)
    with pytest.raises(ParameterError, match="'reference' parameter of binomial_test"):
        _stats.binomial_test(1, 10, np.nan)
    with pytest.raises(ParameterError, match="'alpha' parameter of wilson_interval"):
        _stats.wilson_interval(1, 10, alpha=1.0)
    with pytest.raises(ParameterError, match="'alpha' parameter of newcombe_interval"):
        _stats.newcombe_interval(1, 10, 1, 10, alpha=0)
    with pytest.raises(ParameterError, match="'p_values' parameter of bh_qvalues"):
        _stats.bh_qvalues([0.5, 2.0])
    with pytest.warns(DataQualityWarning, match="1 of 1 p-value"):
        assert np.isnan(_stats.bh_qvalues([np.nan])).all()


@st.composite
def any_pair(draw: st.DrawFn) -> tuple[float, float]:
    values = st.one_of(
        st.integers(-3, 10**6),
        st.integers(MAX_COUNT - 2, MAX_COUNT + 2),
        st.floats(allow_nan=True, allow_infinity=True),
    )
    return draw(values), draw(values)


def _valid(x: float, n: float) -> bool:
    """Plain-Python statement of a valid pair of counts."""
    ok = all(not isinstance(v, float) or (math.isfinite(v) and v == int(v)) for v in (x, n))
    return ok and 0 <= x <= n and 1 <= n <= MAX_COUNT


@given(any_pair())
def test_count_pair_accepts_exactly_the_valid_pairs(pair: tuple[float, float]) -> None:
    x, n = pair
    if _valid(x, n):
        got = count_pair(x, n, owner="t")
        assert (float(got[0]), float(got[1])) == (float(x), float(n))
    else:
        with pytest.raises(ParameterError):
            count_pair(x, n, owner="t")


def test_z_value_matches_plain_reference() -> None:
    for alpha in (0.2, 0.05, 0.001, 1e-6):
        assert math.isclose(_stats.z_value(alpha), _z(alpha), rel_tol=1e-9)
    with pytest.raises(ParameterError, match="'alpha' parameter of z_value"):
        _stats.z_value(0.0)


def test_benchmark_reexports_are_the_shared_functions() -> None:
    for name in ("wilson_interval", "score_test", "bh_qvalues", "newcombe_interval"):
        assert getattr(bm, name) is getattr(_stats, name)


def test_every_public_function_has_a_runnable_example() -> None:
    for name in _stats.__all__:
        obj = getattr(_stats, name)
        if callable(obj):
            assert ">>> " in (obj.__doc__ or ""), name
