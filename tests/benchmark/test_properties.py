"""Property tests of the rate statistics against slow plain-Python references."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkstar_funnel import stats as _stats
from linkstar_funnel.benchmark import Benchmark
from linkstar_funnel.errors import DataQualityWarning

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


_MIRROR = {"below": "above", "above": "below", "in line": "in line"}


@given(
    st.lists(st.tuples(counts(max_n=3_000), RATES), min_size=1, max_size=6),
    st.sampled_from(["score", "exact"]),
)
def test_verdicts_flip_symmetrically(rows: list[tuple[tuple[int, int], float]], test: str) -> None:
    stages = [f"s{i}" for i in range(len(rows))]
    obs = pd.DataFrame(
        {"stage": stages, "successes": [c[0] for c, _ in rows], "trials": [c[1] for c, _ in rows]}
    )
    flipped = obs.assign(successes=obs["trials"] - obs["successes"])
    rates = {s: r for s, (_, r) in zip(stages, rows, strict=True)}
    bench = Benchmark.from_rates(rates, source="t", as_of="2026")
    mirror = Benchmark.from_rates({s: 1 - r for s, r in rates.items()}, source="t", as_of="2026")
    a = bench.compare(obs, test=test).to_frame()  # type: ignore[arg-type]
    b = mirror.compare(flipped, test=test).to_frame()  # type: ignore[arg-type]
    np.testing.assert_allclose(a["p_value"], b["p_value"], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(a["difference"], -b["difference"], atol=1e-12)
    np.testing.assert_allclose(a["ci_low"], 1 - b["ci_high"], atol=1e-9)
    near = np.isclose(a["q_value"], 0.05, rtol=1e-6)  # a knife-edge q can round either way
    assert [_MIRROR[v] for v in a["verdict"][~near]] == list(b["verdict"][~near])


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
