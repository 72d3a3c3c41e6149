"""Seeded synthetic daily rate series for the monitor tests (clean, or with injected drops)."""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2026-01-05")  # a Monday


def rate_series(
    n_series: int,
    *,
    days: int = 90,
    seed: int = 0,
    overdispersion: float = 0.0,
    drop: float | None = None,
    drop_from: int = 40,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily ``successes``/``trials`` per series with a weekday/weekend pattern.

    Weekdays convert at 30% with ~1,000 trials, weekends at 27% with ~700. With
    ``overdispersion`` > 0 the day's rate gets a logit-normal shock of that s.d. With
    ``drop``, one random day at or after ``drop_from`` per series converts at
    ``(1 - drop)`` times its rate. Returns the long frame and the injected days.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(START, periods=days, freq="D")
    weekend = dates.day_of_week >= 5
    p = np.where(weekend, 0.27, 0.30)
    frames, truth = [], []
    for i in range(n_series):
        n = rng.poisson(np.where(weekend, 700, 1000))
        logit = np.log(p / (1 - p)) + rng.normal(0, overdispersion, days)
        rate = 1 / (1 + np.exp(-logit))
        if drop is not None:
            day = int(rng.integers(drop_from, days))
            rate[day] *= 1 - drop
            truth.append({"series": f"s{i}", "date": dates[day]})
        x = rng.binomial(n, rate)
        frames.append(pd.DataFrame({"date": dates, "series": f"s{i}", "successes": x, "trials": n}))
    return pd.concat(frames, ignore_index=True), pd.DataFrame(truth)
