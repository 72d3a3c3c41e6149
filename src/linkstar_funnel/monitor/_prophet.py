"""Prophet as a monitor kernel: weekly seasonality, refitted on earlier days only.

prophet is imported inside the functions (importing linkstar_funnel stays cheap), and its
and cmdstanpy's loggers are quietened only around each fit, then restored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._prophet import import_prophet, prophet_call, quiet_prophet
from ..stats import z_value
from ._kernels import DailySeries, FloatArray, IntArray

__all__ = ["prophet_kernel", "quiet_prophet"]

#: Width of prophet's own interval; the scale is read from it assuming normal errors, then
#: widened to the monitor's alpha (tail quantiles from a few hundred samples are too noisy).
_FIT_WIDTH = 0.8
_SAMPLES = 300


def prophet_kernel(
    s: DailySeries, judge: IntArray, *, min_history: int, refit_days: int, seed: int
) -> tuple[FloatArray, FloatArray]:
    """Fit prophet on the usable days before each block of ``refit_days`` judged days, and
    predict the block: expected = ``yhat``, scale = prophet's interval half-width / z.

    For rates with counts the judged day's binomial variance replaces the training days'
    average one, as in the robust kernel (low-volume days get wider ranges).
    """
    Prophet = import_prophet()

    expected = np.full(len(judge), np.nan)
    scale = np.full(len(judge), np.nan)
    z_fit = z_value(1.0 - _FIT_WIDTH)
    k = 0
    while k < len(judge):
        block = judge[k : k + refit_days]
        first = int(block[0])
        train = np.flatnonzero(s.usable[:first])
        if len(train) >= min_history:
            frame = pd.DataFrame({"ds": s.days[train], "y": s.y[train]})
            model = Prophet(
                weekly_seasonality=True,
                daily_seasonality=False,
                yearly_seasonality=False,
                interval_width=_FIT_WIDTH,
                uncertainty_samples=_SAMPLES,
            )
            with prophet_call(seed):
                model.fit(frame)
                fc = model.predict(pd.DataFrame({"ds": s.days[block]}))
            yhat = fc["yhat"].to_numpy(dtype=np.float64)
            half = (fc["yhat_upper"] - fc["yhat_lower"]).to_numpy(dtype=np.float64) / 2.0
            sd = half / z_fit
            if s.trials is not None:
                p = np.clip(yhat, 0.0, 1.0)
                base = float(np.mean(s.y[train] * (1 - s.y[train]) / s.trials[train]))
                own = p * (1.0 - p) / s.trials[block]
                sd = np.sqrt(np.maximum(sd * sd - base, 0.0) + own)
            expected[k : k + len(block)] = yhat
            scale[k : k + len(block)] = np.maximum(sd, 1e-9)
        k += refit_days
    return expected, scale
