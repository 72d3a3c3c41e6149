"""Extrapolating an age curve's increments with prophet, quietly.

prophet extrapolating a *cumulative* curve overshoots and is not monotone. Here it
forecasts the logarithm of the mean *increment* per customer by age (a decaying series);
increments are positive by construction, so their cumulative sum never decreases, and the
forecast is capped at the recent observed level so a late bump cannot grow without bound.

prophet and cmdstanpy log progress at INFO and prophet triggers pandas deprecation
warnings; ``linkstar_funnel._prophet.prophet_call`` silences both *locally* around the call
and seeds prophet's sampling without touching the caller's random state.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._prophet import import_prophet, prophet_call, quiet_prophet

__all__ = ["IncrementForecast", "forecast_increments", "quiet_prophet", "tail_forecast"]

FloatArray = npt.NDArray[np.float64]
_ORIGIN = pd.Timestamp("2000-01-03")
MIN_AGES = 6


@attrs.frozen(eq=False)
class IncrementForecast:
    """Forecast mean increments for ages ``start..start+len-1`` with a log-scale sd."""

    mean: FloatArray
    log_sd: FloatArray
    method: str


def tail_forecast(
    ages: FloatArray, increments: FloatArray, at_risk: FloatArray, future: FloatArray
) -> IncrementForecast:
    """Power-law extrapolation of increments (``log m = a + b log k``, ``b ≤ 0``).

    Used without prophet and when too few ages are observed. The log-scale sd grows with
    the distance beyond the data, from the fit's residual spread.
    """
    ok = (increments > 0) & (ages > 0) & (at_risk > 0)
    if ok.sum() < 2:
        last = float(increments[ok][-1]) if ok.any() else 0.0
        return IncrementForecast(np.full(len(future), last), np.full(len(future), 0.5), "flat")
    lk, ly, w = np.log(ages[ok]), np.log(increments[ok]), np.sqrt(at_risk[ok])
    design = np.column_stack([np.ones_like(lk), lk]) * w[:, None]
    coef, *_ = np.linalg.lstsq(design, ly * w, rcond=None)
    a, b = float(coef[0]), min(float(coef[1]), 0.0)
    resid = ly - (a + b * lk)
    spread = float(np.sqrt(np.average(resid**2, weights=w))) if len(resid) > 2 else 0.3
    cap = float(np.mean(ly[-3:]))
    mean = np.exp(np.minimum(a + b * np.log(future), cap))
    reach = np.log(future / ages[ok].max())
    return IncrementForecast(mean, spread * (1.0 + np.maximum(reach, 0.0)), "power law")


def forecast_increments(
    ages: FloatArray,
    increments: FloatArray,
    at_risk: FloatArray,
    future: FloatArray,
    *,
    step_days: float,
    min_at_risk: float = 20.0,
) -> IncrementForecast:
    """Forecast mean increments at ages ``future`` with prophet's trend on log increments.

    Ages with fewer than ``min_at_risk`` customers observed are left out (too noisy). With
    fewer than ``MIN_AGES`` usable ages, falls back to :func:`tail_forecast`.
    """
    ok = (ages >= 1) & (increments > 0) & (at_risk >= min_at_risk)
    if ok.sum() < MIN_AGES:
        return tail_forecast(ages, increments, at_risk, future)
    ds = _ORIGIN + pd.to_timedelta(ages[ok] * step_days, unit="D")
    history = pd.DataFrame({"ds": ds, "y": np.log(increments[ok])})
    Prophet = import_prophet()
    model = Prophet(
        growth="linear",
        yearly_seasonality=False,
        weekly_seasonality=False,
        daily_seasonality=False,
        changepoint_range=0.9,
        changepoint_prior_scale=0.05,
        uncertainty_samples=200,
    )
    frame = pd.DataFrame({"ds": _ORIGIN + pd.to_timedelta(future * step_days, unit="D")})
    with prophet_call(seed=12345):
        model.fit(history)
        point = model.predict(frame)["trend"].to_numpy(dtype=np.float64)
        samples = model.predictive_samples(frame)["trend"]
    # The sd of the trend draws (log scale) is the shape uncertainty.
    log_sd = np.asarray(np.std(samples, axis=1), dtype=np.float64)
    cap = float(np.mean(np.log(increments[ok])[-3:]))
    mean = np.exp(np.minimum(point, cap))
    return IncrementForecast(mean, log_sd, "prophet")
