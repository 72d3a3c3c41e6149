"""Shared pieces of the order results: segment groups, rate observations, periods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import Options, Satisfies
from .._times import TimeValues, check_time_zone
from ..errors import EmptyFrameError

__all__ = [
    "BENCHMARK",
    "MISSING",
    "PERIOD",
    "groups",
    "label_ranks",
    "observations",
    "period_start",
    "to_times",
]

#: How a missing segment label reads in rate observations (as in a funnel's).
MISSING = "(missing)"
PERIOD = Options("D", "W", "M")


def _is_benchmark(value: object) -> bool:
    from ..benchmark import Benchmark  # a domain package: imported when used

    return isinstance(value, Benchmark)


BENCHMARK = Satisfies(_is_benchmark, "a Benchmark")


def groups(
    segments: pd.DataFrame, by: Sequence[str], n: int
) -> list[tuple[tuple[Any, ...], npt.NDArray[np.intp]]]:
    """``(labels, positions)`` per segment of ``n`` rows, sorted by label; one group
    without ``by``."""
    if not by:
        return [((), np.arange(n))]
    keys = list(by)
    grouped = segments[keys].groupby(keys, dropna=False, sort=True, observed=True)
    out = []
    for label, positions in grouped.indices.items():
        labels = label if isinstance(label, tuple) else (label,)
        out.append((labels, np.asarray(positions, dtype=np.intp)))
    return out


def label_ranks(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Each label's rank among the distinct labels (-1 where missing): an order of the
    labels that does not depend on the rows' order. Labels are compared as they are
    (numbers as numbers, categories in their categories' order), or as text when they
    cannot be compared (mixed types)."""
    series = pd.Series(values, copy=False)
    try:
        codes, _ = pd.factorize(series, sort=True, use_na_sentinel=True)
    except TypeError:
        text = series.astype(object).where(series.notna(), None).map(str, na_action="ignore")
        codes, _ = pd.factorize(text, sort=True, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


def to_times(ns: npt.NDArray[np.int64], tz: Any) -> pd.DatetimeIndex:
    """Nanoseconds back to times in the input's zone (or naive)."""
    return TimeValues(ns, tz, "time").to_index()


def period_start(
    ns: npt.NDArray[np.int64], tz: Any, period: str, zone: str | None
) -> pd.DatetimeIndex:
    """The start of each time's day, week or month, in ``zone`` (default: the data's)."""
    return TimeValues(ns, tz, "time").bucket(period, check_time_zone(zone))


def observations(frame: pd.DataFrame, by: Sequence[str], what: str) -> pd.DataFrame:
    """A rate-observation frame: segment labels as text, ``(missing)`` where absent."""
    if frame.empty:
        msg = f"There are no {what} to observe."
        raise EmptyFrameError(msg)
    out = frame.copy()
    for k in by:
        out[k] = out[k].astype(object).where(out[k].notna(), MISSING)
    out["successes"] = out["successes"].astype(np.int64)
    out["trials"] = out["trials"].astype(np.int64)
    return out.reset_index(drop=True)
