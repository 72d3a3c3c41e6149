"""The Kaplan-Meier estimate: a published table, SciPy's estimate, and plain quantiles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from linkstar_funnel.orders._km import kaplan_meier, km_quantiles

# Freireich et al. (1963) 6-MP arm, weeks of remission (Gehan 1965); Kleinbaum & Klein,
# "Survival Analysis: A Self-Learning Text", 3rd ed. (2012), chapter 2: S(t) = .8571 (6),
# .8067 (7), .7529 (10), .6902 (13), .6275 (16), .5378 (22), .4482 (23); median 23 weeks.
EVENTS_6MP = [6, 6, 6, 7, 10, 13, 16, 22, 23]
CENSORED_6MP = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]


def _six_mp() -> tuple[np.ndarray, np.ndarray]:
    d = np.array(EVENTS_6MP + CENSORED_6MP, dtype=np.int64)
    e = np.array([True] * len(EVENTS_6MP) + [False] * len(CENSORED_6MP))
    return d, e


def test_the_published_6mp_table() -> None:
    times, surv = kaplan_meier(*_six_mp())
    assert times.tolist() == [6, 7, 10, 13, 16, 22, 23]
    assert surv.round(4).tolist() == [0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482]
    values, known = km_quantiles(*_six_mp(), (0.5, 0.9))
    assert (values[0], known[0]) == (23, True)
    assert not known[1]  # S never falls to 0.1: the 90th percentile is unknown


def _reference_km(d: np.ndarray, e: np.ndarray) -> dict[int, float]:
    """A loop over event times: S(t) = prod (1 - deaths / at risk)."""
    s, out = 1.0, {}
    for t in sorted(set(d[e].tolist())):
        at_risk = int((d >= t).sum())
        deaths = int(((d == t) & e).sum())
        s *= 1 - deaths / at_risk
        out[t] = s
    return out


censored_samples = st.lists(
    st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=40
).map(lambda rows: (np.array([r[0] for r in rows]), np.array([r[1] for r in rows])))


@settings(max_examples=60, deadline=None)
@given(sample=censored_samples)
def test_equal_to_a_loop_and_to_scipy(sample: tuple[np.ndarray, np.ndarray]) -> None:
    d, e = sample
    times, surv = kaplan_meier(d, e)
    ref = _reference_km(d, e)
    assert times.tolist() == list(ref)
    np.testing.assert_allclose(surv, list(ref.values()), atol=1e-12)
    if e.any():
        data = stats.CensoredData(uncensored=d[e].astype(float), right=d[~e].astype(float))
        peer = stats.ecdf(data).sf
        np.testing.assert_allclose(peer.evaluate(times.astype(float)), surv, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(d=st.lists(st.integers(0, 10**6), min_size=1, max_size=40))
def test_without_censoring_the_quantiles_are_the_empirical_ones(d: list[int]) -> None:
    values, known = km_quantiles(np.array(d), np.ones(len(d), bool), (0.5, 0.75, 0.9))
    assert known.all()
    expected = np.quantile(np.array(d), [0.5, 0.75, 0.9], method="inverted_cdf")
    assert values.tolist() == expected.astype(np.int64).tolist()


def test_empty_input() -> None:
    times, surv = kaplan_meier(np.array([], dtype=np.int64), np.array([], dtype=bool))
    assert times.size == surv.size == 0
    assert not km_quantiles(np.array([], dtype=np.int64), np.array([], bool), (0.5,))[1].any()


@pytest.mark.parametrize("p", [0.5, 0.75])
def test_censoring_raises_the_quantile_above_the_completed_ones(p: float) -> None:
    # 4 done at 1..4 days, 6 still open at 10: naive median of completed is 2.5, KM's 10+
    d = np.array([1, 2, 3, 4] + [10] * 6)
    e = np.array([True] * 4 + [False] * 6)
    assert not km_quantiles(d, e, (p,))[1][0]
