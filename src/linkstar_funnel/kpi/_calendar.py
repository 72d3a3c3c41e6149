"""Dated leaf values for scorecards and baselines: rows read by day, calendar periods,
and a weekday profile learnt from history.

Leaves are *summed* over the days of a period, so they must be amounts and counts
(sessions, orders, revenue), never rates: a rate is a ratio node of the tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import EmptyFrameError, ParameterError
from ..schema import Column, RowAccounting, validate

if TYPE_CHECKING:
    from ._tree import KPITree

__all__ = ["Daily", "degrees", "period_bounds", "read_daily", "weekday_profile"]

FloatArray = npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class Daily:
    """Leaf values per row, with the row's day (naive wall clock) and segment keys."""

    day: pd.DatetimeIndex
    keys: pd.DataFrame
    leaves: Mapping[str, FloatArray]
    accounting: RowAccounting


def read_daily(
    tree: KPITree,
    frame: object,
    *,
    time: str,
    by: Sequence[str],
    columns: Mapping[str, str] | None,
    frame_name: str,
) -> Daily:
    """Read the time, segment and leaf columns; rows with a missing value are counted."""
    columns = dict(columns or {})
    cols = [Column("time", time, "time")]
    cols += [Column(f"segment {s}", s, "category") for s in by]
    cols += [Column(leaf, columns.get(leaf, leaf), "number") for leaf in tree.leaves]
    table = validate(frame, cols, frame_name=frame_name)
    day = table.times["time"].local().floor("D")
    keys = pd.DataFrame(
        {
            s: np.asarray(
                table.labels[f"segment {s}"].take(table.codes[f"segment {s}"]), dtype=object
            )
            for s in by
        },
        index=pd.RangeIndex(table.n_rows),
    )
    for leaf in tree.leaves:
        if not np.isfinite(table.numbers[leaf]).all():
            msg = f"The {leaf!r} column of the {frame_name} frame must hold finite numbers."
            raise ParameterError(msg)
    leaves = {leaf: table.numbers[leaf] for leaf in tree.leaves}
    return Daily(pd.DatetimeIndex(day), keys, leaves, table.accounting)


def period_bounds(as_of: pd.Timestamp, period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First day and the day after the last of the calendar period holding ``as_of``.

    Weeks start on Monday, months on the 1st.

    Examples
    --------
    >>> period_bounds(pd.Timestamp("2026-03-18"), "M")
    (Timestamp('2026-03-01 00:00:00'), Timestamp('2026-04-01 00:00:00'))
    >>> period_bounds(pd.Timestamp("2026-03-18"), "W")
    (Timestamp('2026-03-16 00:00:00'), Timestamp('2026-03-23 00:00:00'))
    """
    day = as_of.normalize()
    if period == "D":
        return day, day + pd.Timedelta(days=1)
    if period == "W":
        start = day - pd.Timedelta(days=day.day_of_week)
        return start, start + pd.Timedelta(days=7)
    start = day.replace(day=1)
    return start, start + pd.offsets.MonthBegin(1)


def period_starts(days: pd.DatetimeIndex, period: str) -> pd.DatetimeIndex:
    """The first day of each day's calendar period."""
    if period == "D":
        return days
    if period == "W":
        return days - pd.to_timedelta(days.day_of_week, unit="D")
    return days.to_period("M").to_timestamp().as_unit(days.unit)


def degrees(tree: KPITree) -> dict[str, int]:
    """How each node scales with the length of the period: 1 for amounts and counts
    (leaves, their sums, an amount times rates), 0 for rates (amount / amount).

    Examples
    --------
    >>> from linkstar_funnel.kpi import KPITree
    >>> degrees(KPITree.from_formula("gmv = sessions * cvr * aov; cvr = orders / sessions"))
    {'sessions': 1, 'orders': 1, 'cvr': 0, 'aov': 1, 'gmv': 2}
    """
    out: dict[str, int] = {}
    for name in tree.order:
        node = tree.node(name)
        if node.kind == "leaf":
            out[name] = 1
        elif node.kind == "sum":
            out[name] = max(out[c] for c in node.inputs)
        else:
            out[name] = sum(w * out[c] for c, w in zip(node.inputs, node.weights, strict=True))
    return out


def weekday_profile(daily_root: pd.Series) -> FloatArray:
    """Weekday weights (Monday first) from a series of the root's value per day, mean 1.

    Raises
    ------
    ParameterError
        Fewer than two weeks of history, or a weekday whose mean is not positive.
    """
    if daily_root.index.nunique() < 14:
        msg = (
            "The 'history' frame must cover at least 14 days to learn a weekday profile. Got "
            f"{daily_root.index.nunique()} day(s)."
        )
        raise ParameterError(msg)
    per_day = daily_root.groupby(level=0).sum()
    means = per_day.groupby(pd.DatetimeIndex(per_day.index).day_of_week).mean()
    means = means.reindex(range(7))
    if means.isna().any() or not (means > 0).all() or not np.isfinite(means).all():
        msg = (
            "The weekday profile needs a positive finite mean root value on every weekday of "
            f"the history. Got {means.round(3).tolist()} (Monday first)."
        )
        raise ParameterError(msg)
    weights = means.to_numpy(dtype=np.float64)
    out: FloatArray = weights / weights.mean()
    return out


def elapsed_share(
    start: pd.Timestamp, end: pd.Timestamp, as_of: pd.Timestamp, profile: FloatArray | None
) -> float:
    """Share of the period done by the end of ``as_of``: days, or weekday weights."""
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    done = days <= as_of
    weights = np.ones(len(days)) if profile is None else profile[days.day_of_week]
    return float(weights[done].sum() / weights.sum())


def no_rows(accounting: RowAccounting, frame_name: str, why: str) -> EmptyFrameError:
    """The error for a frame with no row in the window asked for."""
    return EmptyFrameError(f"No rows of the {frame_name} frame are usable: {accounting} ({why}).")
