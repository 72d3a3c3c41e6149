"""Entry counts: what :meth:`FunnelResult.trends` needs, from any engine.

Trends count entities by the period in which they entered the funnel (first reached step
1). The in-memory engine has every entity's entry time (weight 1 each); the SQL engine
returns counts per (level, segment, entry quarter-hour) instead, from a query it runs only
when trends are first asked for, so trends in any time zone need no further query (exact
for every UTC offset in use since 1972, all multiples of 15 minutes; entries before then in
zones on local mean time may fall in the next period).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ParameterError
from ..schema import TimeValues

__all__ = ["EntryCounts", "LazyEntries", "trends_frame"]

IntArray = npt.NDArray[np.int64]


@attrs.frozen(eq=False)
class EntryCounts:
    """``n[i]`` entities entered at ``entry_ns[i]`` in segment ``segment[i]`` and reached
    level ``level[i]`` (≥ 0)."""

    entry_ns: IntArray
    segment: IntArray
    level: IntArray
    n: IntArray
    segment_labels: pd.DataFrame
    tz: str | dt.tzinfo | None
    data_end_ns: int
    window_ns: int


class LazyEntries:
    """:class:`EntryCounts` computed on first use, then kept (an engine may need a query)."""

    __slots__ = ("_compute", "_value")

    def __init__(self, compute: Callable[[], EntryCounts]) -> None:
        self._compute = compute
        self._value: EntryCounts | None = None

    def __call__(self) -> EntryCounts:
        if self._value is None:
            self._value = self._compute()
        return self._value


def trends_frame(
    stages: Sequence[str], by: Sequence[str], e: EntryCounts, period: str, tz: str | None
) -> pd.DataFrame:
    """See :meth:`FunnelResult.trends`."""
    from ._result import counts_frame  # the result module imports this one

    if period not in ("D", "W", "M"):
        msg = f"The 'period' parameter of trends must be 'D', 'W' or 'M'. Got {period!r} instead."
        raise ParameterError(msg)
    periods = TimeValues(e.entry_ns, e.tz, "entry").bucket(period, tz)
    codes, uniq = pd.factorize(periods, sort=True)
    seg_labels = e.segment_labels
    g_n = max(len(seg_labels), 1)
    k_n = len(stages)
    combined = codes.astype(np.int64) * g_n + e.segment
    frame = counts_frame(
        stages, pd.DataFrame(index=range(len(uniq) * g_n)), combined, e.level, weights=e.n
    )
    frame.insert(0, "period", np.repeat(np.asarray(uniq), g_n * k_n))
    for i, b in enumerate(by):
        labels = seg_labels[b].to_numpy(dtype=object)
        frame.insert(1 + i, b, np.tile(np.repeat(labels, k_n), len(uniq)))
    nxt = {"D": pd.DateOffset(days=1), "W": pd.DateOffset(weeks=1), "M": pd.DateOffset(months=1)}
    ends = pd.DatetimeIndex(uniq) + nxt[period]
    last = TimeValues(np.array([e.data_end_ns]), e.tz, "end").local(tz)[0]
    complete = ends + pd.Timedelta(e.window_ns, unit="ns") <= last
    frame["complete"] = np.repeat(np.asarray(complete), g_n * k_n)
    return frame[
        frame.groupby(["period", *by], sort=False, dropna=False)["users"].transform("max") > 0
    ].reset_index(drop=True)
