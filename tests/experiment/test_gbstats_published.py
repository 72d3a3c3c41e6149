"""gbstats' own test cases (``packages/stats/tests`` of growthbook/growthbook), ported:
the figures its maintainers publish, to their five decimals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.experiment import _inference as inf
from linkstar_funnel.experiment import _moments as mom
from linkstar_funnel.experiment import compare_rates

A = (3407.0, 1396.87, 52377.9767)  # SampleMeanStatistic(n, sum, sum_squares)
B = (3461.0, 2422.7, 134698.29)
A3000 = (3000.0, 1396.87, 52377.9767)


def _mean_effect(a: tuple[float, ...], b: tuple[float, ...], relative: bool) -> mom.Effect:
    arm_a = mom.sample_mean_arm(*(np.array([v]) for v in a))
    arm_b = mom.sample_mean_arm(*(np.array([v]) for v in b))
    return mom.effect(arm_a, arm_b, relative=relative)


def _round(values: dict[str, np.ndarray]) -> dict[str, float]:
    return {k: round(float(v[0]), 5) for k, v in values.items()}


@pytest.mark.parametrize(
    ("relative", "lift", "ci", "p"),
    [
        (True, 0.70732, (-0.03526, 1.44989), 0.06191),  # TestTwoSidedTTest.test_two_sided_ttest
        (False, 0.29, (0.04538, 0.53462), 0.02016),  # .test_two_sided_ttest_absolute
    ],
)
def test_two_sided_ttest(relative: bool, lift: float, ci: tuple[float, float], p: float) -> None:
    e = _mean_effect(A, B, relative)
    got = _round(inf.frequentist(e, 0.05))
    assert round(float(e.estimate[0]), 5) == lift
    assert (got["ci_low"], got["ci_high"], got["p_value"]) == (*ci, p)


def test_two_sided_ttest_binom() -> None:
    counts = pd.DataFrame({"variant": ["a", "b"], "users": [28, 30], "conversions": [14, 16]})
    row = compare_rates(counts, control="a").to_frame().iloc[1]
    assert round(row["lift"], 5) == round((16 / 30 - 0.5) / 0.5, 5)
    assert (round(row["ci_low"], 5), round(row["ci_high"], 5)) == (-0.47767, 0.61101)
    assert round(row["p_value"], 5) == 0.80707


def test_sequential_test_runs() -> None:
    e = _mean_effect(A3000, B, True)
    got = _round(inf.sequential(e, 0.05, 1000.0))
    assert round(float(e.estimate[0]), 5) == 0.50336
    assert (got["ci_low"], got["ci_high"], got["p_value"]) == (-0.55844, 1.56516, 1.0)


def test_sequential_test_runs_prop() -> None:
    counts = pd.DataFrame(
        {"variant": ["a", "b"], "users": [3000, 3461], "conversions": [1396, 2422]}
    )
    res = compare_rates(counts, control="a", method="sequential", weights={"a": 3000, "b": 3461})
    row = res.to_frame().iloc[1]
    assert round(row["lift"], 5) == 0.50386
    assert (round(row["ci_low"], 5), round(row["ci_high"], 5)) == (0.40098, 0.60675)
    assert round(row["p_value"], 5) == 0.0


def test_bayesian_binomial_ab_test() -> None:
    counts = pd.DataFrame({"variant": ["a", "b"], "users": [100, 100], "conversions": [49, 51]})
    row = compare_rates(counts, control="a", method="bayesian").to_frame().iloc[1]
    assert round(row["lift"], 5) == 0.04082
    assert (round(row["ci_low"], 5), round(row["ci_high"], 5)) == (-0.24779, 0.32943)
    assert round(row["chance_to_win"], 5) == 0.60918
    assert (round(row["risk_control"], 5), round(row["risk"], 5)) == (0.0814, 0.04058)


def test_bayesian_gaussian_ab_test() -> None:
    e = _mean_effect((10.0, 100.0, 1002.25), (10.0, 105.0, 1111.5), True)
    got = _round(inf.bayesian(e, 0.05))
    assert round(float(e.estimate[0]), 5) == 0.05
    assert (round(got["ci_low"], 2), round(got["ci_high"], 2)) == (-0.02, 0.12)
    assert got["chance_to_win"] == 0.91923
    assert (got["risk_control"], got["risk"]) == (0.05131, 0.00131)
