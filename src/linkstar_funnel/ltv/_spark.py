"""Per-segment cohort forecasts fanned out on Spark (``groupBy(...).applyInPandas``).

:class:`~linkstar_funnel.ltv.CohortLTV` forecasts one increment curve per segment node; by
default in a local process pool. Given a Spark session, the nodes' series go to Spark as
one long frame (a row per node and age), each node is forecast by the same function on an
executor, and the forecasts come back as one frame. PySpark is only imported by the
caller's session; this module never imports it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import EngineError
from ._prophet import IncrementForecast

__all__ = ["forecast_on_spark"]

FloatArray = npt.NDArray[np.float64]
Job = tuple[int, int, FloatArray, FloatArray, FloatArray, FloatArray]
ForecastJob = Callable[[tuple[FloatArray, FloatArray, FloatArray, FloatArray], float, bool], Any]

_SCHEMA = "node long, age double, mean double, log_sd double, method string"


def _long_frame(jobs: Sequence[Job]) -> pd.DataFrame:
    """One row per node and age: observed ages with their increment and customers at risk,
    then the future ages to forecast (``observed`` False)."""
    parts = []
    for node, _last, ages, inc, at_risk, future in jobs:
        parts.append(
            pd.DataFrame(
                {
                    "node": node,
                    "observed": np.r_[np.ones(len(ages), bool), np.zeros(len(future), bool)],
                    "age": np.r_[ages, future],
                    "inc": np.r_[inc, np.zeros(len(future))],
                    "at_risk": np.r_[at_risk, np.zeros(len(future))],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _forecast_group(
    group: pd.DataFrame, *, job: ForecastJob, step_days: float, use_prophet: bool
) -> pd.DataFrame:
    """Forecast one node's increments (runs on a Spark executor)."""
    group = group.sort_values("age", kind="stable")
    obs = group[group["observed"]]
    future = group.loc[~group["observed"], "age"].to_numpy(np.float64)
    fc = job(
        (
            obs["age"].to_numpy(np.float64),
            obs["inc"].to_numpy(np.float64),
            obs["at_risk"].to_numpy(np.float64),
            future,
        ),
        step_days,
        use_prophet,
    )
    return pd.DataFrame(
        {
            "node": int(group["node"].iloc[0]),
            "age": future,
            "mean": np.asarray(fc.mean, np.float64),
            "log_sd": np.asarray(fc.log_sd, np.float64),
            "method": fc.method,
        }
    )


def forecast_on_spark(
    session: Any, jobs: Sequence[Job], job: ForecastJob, step_days: float, use_prophet: bool
) -> dict[int, tuple[int, IncrementForecast]]:
    """Run ``job`` for every node on Spark; returns node -> (last observed age, forecast)."""
    frame = session.createDataFrame(_long_frame(jobs))
    fn = functools.partial(_forecast_group, job=job, step_days=step_days, use_prophet=use_prophet)
    out = frame.groupBy("node").applyInPandas(fn, schema=_SCHEMA).toPandas()
    out = out.sort_values(["node", "age"], kind="stable")
    last = {node: lst for node, lst, *_ in jobs}
    result: dict[int, tuple[int, IncrementForecast]] = {}
    for node, part in out.groupby("node", sort=False):
        fc = IncrementForecast(
            part["mean"].to_numpy(np.float64),
            part["log_sd"].to_numpy(np.float64),
            str(part["method"].iloc[0]),
        )
        result[int(node)] = (last[int(node)], fc)
    missing = sorted(set(last) - set(result))
    if missing:
        msg = f"Spark returned no forecast for segment nodes {missing[:5]} of {len(last)}."
        raise EngineError(msg, sql="", backend="pyspark")
    return result
