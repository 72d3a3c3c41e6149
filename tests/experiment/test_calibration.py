"""Calibration under A/A data (seeded): the fixed test rejects about alpha of the time; the
sequential test stays at or below alpha even when looked at every day for 30 days."""

from __future__ import annotations

import numpy as np

from linkstar_funnel.experiment import _inference as inf
from linkstar_funnel.experiment import _moments as mom

ALPHA = 0.05


def _p_values(n: np.ndarray, x_a: np.ndarray, x_b: np.ndarray, method: str) -> np.ndarray:
    e = mom.effect(mom.proportion_arm(n, x_a), mom.proportion_arm(n, x_b), relative=True)
    if method == "sequential":
        return inf.sequential(e, ALPHA, 5000.0)["p_value"]
    return inf.frequentist(e, ALPHA)["p_value"]


def test_the_fixed_test_rejects_alpha_of_aa_tests() -> None:
    rng = np.random.default_rng(11)
    k, n = 4_000, 5_000
    x = rng.binomial(n, 0.05, (2, k)).astype(float)
    p = _p_values(np.full(k, float(n)), x[0], x[1], "frequentist")
    rate = float((p < ALPHA).mean())
    se = np.sqrt(ALPHA * (1 - ALPHA) / k)
    assert abs(rate - ALPHA) < 3 * se, rate


def test_daily_peeking_keeps_the_sequential_test_at_alpha() -> None:
    rng = np.random.default_rng(12)
    k, days, per_day = 2_000, 30, 400
    daily = rng.binomial(per_day, 0.05, (2, k, days)).astype(float)
    x = daily.cumsum(axis=2).reshape(2, -1)
    n = np.tile(per_day * np.arange(1.0, days + 1), k)
    seq = _p_values(n, x[0], x[1], "sequential").reshape(k, days)
    fixed = _p_values(n, x[0], x[1], "frequentist").reshape(k, days)
    seq_rate = float((seq < ALPHA).any(axis=1).mean())
    fixed_rate = float((fixed < ALPHA).any(axis=1).mean())
    se = np.sqrt(ALPHA * (1 - ALPHA) / k)
    assert seq_rate <= ALPHA + 2 * se, seq_rate
    # Peeking at the fixed test every day inflates its false positives several-fold.
    assert fixed_rate > 2 * ALPHA, fixed_rate
