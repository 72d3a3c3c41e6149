"""Capabilities ``retention_cells`` (per cohort and segment, the users and how many came
back) and ``lifecycle_cells`` (per period and segment, new, returning, resurrecting and
dormant users).

The retention package lowers a ``Retention`` spec to a :class:`RetentionQuery` (a
``Lifecycle`` to a :class:`LifecycleQuery`), asks the dispatch for the backend that takes
the input and builds its result once from the :class:`RetentionCells`
(:class:`LifecycleCells`) it gets back. In memory the cells are counted over integer keys; in
SQL they are joins and group-bys over per-user cohort periods and distinct (user, period)
returns, and only the cells come back.

Periods are numbered on a fixed calendar read on the wall clock of the query's zone: day
``d`` = days since 1970-01-01, week ``w`` = ISO weeks (Monday to Sunday) since the week of
Monday 1969-12-29, month ``m`` = months since January 1970 (:func:`period_numbers`,
:func:`period_starts`). Both backends number periods with these functions.

Examples
--------
>>> period_numbers(np.array([0, 4 * DAY_NS]), "W").tolist()  # Thu 1970-01-01, Mon 01-05
[0, 1]
>>> period_starts([0, 1], "W").strftime("%a %Y-%m-%d").tolist()
['Mon 1969-12-29', 'Mon 1970-01-05']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._accounting import RowAccounting
from .._times import TimeValues
from ..errors import ParameterError
from ..stages import StageMatcher

__all__ = [
    "DAY_NS",
    "STATUSES",
    "LifecycleCells",
    "LifecycleCellsEngine",
    "LifecycleQuery",
    "RetentionCells",
    "RetentionCellsEngine",
    "RetentionQuery",
    "end_wall",
    "period_numbers",
    "period_starts",
    "wall_ns",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DAY_NS = 86_400 * 10**9
#: Day number of Monday 1969-12-29, the start of week 0.
_WEEK0 = -3
#: The lifecycle statuses, in the order of :attr:`LifecycleCells.counts`' last axis.
STATUSES = ("new", "returning", "resurrecting", "dormant")


def _as_tuple(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, Sequence) and not isinstance(value, str) else ()


def _as_end(value: object) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)  # type: ignore[arg-type]


@attrs.frozen
class RetentionQuery:
    """What to count: the options record of the ``retention_cells`` capability.

    Attributes
    ----------
    user, time, event
        Column names of the events.
    start, returning
        The stages putting a user in a cohort and counting as coming back.
    period
        Calendar bucket: ``"D"``, ``"W"`` (ISO weeks from Monday) or ``"M"``.
    periods
        Periods after the cohort period to follow (cells have ``0..periods``).
    tz
        Zone of the calendar (``None``: the data's own zone, or the naive clock).
    cohort
        ``"first"`` or ``"recurring"``.
    returns
        ``"classic"`` or ``"unbounded"``.
    by
        Segment columns (may be empty).
    value
        Revenue column of the returning events (missing values count as 0), or ``None``.
    observation_end
        Events at or after this time are dropped and counted (a naive time is read on the
        calendar's wall clock); ``None``: the data ends just after its last event.
    owner
        The public entry point, for messages.
    """

    user: str
    time: str
    event: str
    start: StageMatcher
    returning: StageMatcher
    period: Literal["D", "W", "M"] = "W"
    periods: int = 12
    tz: str | None = "UTC"
    cohort: Literal["first", "recurring"] = "first"
    returns: Literal["classic", "unbounded"] = "classic"
    by: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)
    value: str | None = None
    observation_end: pd.Timestamp | None = attrs.field(default=None, converter=_as_end)
    owner: str = "Retention.compute"

    @property
    def roles(self) -> tuple[tuple[str, str], ...]:
        """(role, column) of the required columns, in the order missing values are counted."""
        return (("user", self.user), ("time", self.time), ("event", self.event))


@attrs.frozen(eq=False)
class RetentionCells:
    """What a backend returns for a :class:`RetentionQuery`.

    A cell is (cohort period, segment); cells are sorted by cohort period then segment code.

    Attributes
    ----------
    cohort
        Per cell, the cohort's period number.
    segment
        Per cell, its row in ``segments``.
    segments
        The segment labels, one column per ``by`` (a missing value: ``None``), in any
        order (the domain orders them); one row and no column without ``by``.
    users
        Cohort memberships per cell.
    retained
        Cells x ``periods + 1``: memberships retained at each period since the cohort
        (column 0 equals ``users``).
    revenue
        Cells x ``periods + 1``: revenue of the returning events at each period since the
        cohort; ``None`` without ``value``.
    end_wall
        The end of the data (exclusive), as nanoseconds on the calendar's wall clock.
    start_rows, returning_rows
        Kept rows (before ``observation_end``) matching each stage.
    tz
        The calendar's zone as used (``None``: the naive clock).
    accounting
        Rows read, used and dropped with reasons.
    notes
        What the backend wants said in the result's provenance (how it broke ties...).
    """

    cohort: IntArray
    segment: IntArray
    segments: pd.DataFrame
    users: IntArray
    retained: IntArray
    revenue: FloatArray | None
    end_wall: int
    start_rows: int
    returning_rows: int
    tz: str | None
    accounting: RowAccounting
    notes: tuple[str, ...] = ()


class RetentionCellsEngine(Protocol):
    """A backend's ``retention_cells(source, query) -> RetentionCells``."""

    def __call__(self, source: Any, query: RetentionQuery, /) -> RetentionCells: ...


@attrs.frozen
class LifecycleQuery:
    """What to count: the options record of the ``lifecycle_cells`` capability.

    Attributes
    ----------
    user, time, event
        Column names of the events.
    activity
        The stage that makes a user active in a period.
    period, tz, by, observation_end, owner
        As in :class:`RetentionQuery`. A user keeps the segment of their first activity
        event.
    """

    user: str
    time: str
    event: str
    activity: StageMatcher
    period: Literal["D", "W", "M"] = "W"
    tz: str | None = "UTC"
    by: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)
    observation_end: pd.Timestamp | None = attrs.field(default=None, converter=_as_end)
    owner: str = "Lifecycle.compute"

    @property
    def roles(self) -> tuple[tuple[str, str], ...]:
        """(role, column) of the required columns, in the order missing values are counted."""
        return (("user", self.user), ("time", self.time), ("event", self.event))

    @property
    def value(self) -> None:
        """No value column (the lifecycle counts users)."""
        return None


@attrs.frozen(eq=False)
class LifecycleCells:
    """What a backend returns for a :class:`LifecycleQuery`.

    Attributes
    ----------
    counts
        Periods x segments x :data:`STATUSES`: users per status (dormant as negative
        counts), for the periods from ``first_period`` to the period holding the end of the
        data (or the last active one).
    first_period
        Number of the first period with an active user.
    segments
        The segment labels, one column per ``by``: every segment value of the usable rows
        (a missing value: ``None``), in any order; one row and no column without ``by``.
    end_wall, tz, accounting, notes
        As in :class:`RetentionCells`.
    active_rows
        Kept rows (before ``observation_end``) matching the activity stage.
    """

    counts: IntArray
    first_period: int
    segments: pd.DataFrame
    end_wall: int
    active_rows: int
    tz: str | None
    accounting: RowAccounting
    notes: tuple[str, ...] = ()


class LifecycleCellsEngine(Protocol):
    """A backend's ``lifecycle_cells(source, query) -> LifecycleCells``."""

    def __call__(self, source: Any, query: LifecycleQuery, /) -> LifecycleCells: ...


def wall_ns(times: TimeValues, tz: str | None) -> IntArray:
    """Wall-clock nanoseconds in ``tz`` (``None``: the data's own zone or naive clock)."""
    if tz == "UTC":
        # Aware times are stored as the UTC instant, naive ones as read (taken as UTC).
        return times.ns
    return np.asarray(times.local(tz).as_unit("ns").asi8, dtype=np.int64)


def period_numbers(wall: IntArray, period: str) -> IntArray:
    """Calendar period number of each wall-clock time (see the module docstring)."""
    if period == "D":
        return wall // DAY_NS
    if period == "W":
        return (wall - _WEEK0 * DAY_NS) // (7 * DAY_NS)
    months = wall.view("datetime64[ns]").astype("datetime64[M]")
    return np.asarray(months.astype(np.int64), dtype=np.int64)


def period_starts(numbers: npt.ArrayLike, period: str) -> pd.DatetimeIndex:
    """Wall-clock start of each period number, as naive timestamps."""
    p = np.asarray(numbers, dtype=np.int64)
    if period == "D":
        ns = p * DAY_NS
    elif period == "W":
        ns = (p * 7 + _WEEK0) * DAY_NS
    else:
        ns = p.astype("datetime64[M]").astype("datetime64[ns]").view(np.int64)
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]"))


def end_wall(end: object, data_tz: object, tz: str | None, owner: str) -> int:
    """``observation_end`` as nanoseconds on the calendar's wall clock: an aware end is read
    in ``tz`` (``None``: the data's zone ``data_tz``), a naive one as written."""
    ts = pd.Timestamp(end)  # type: ignore[arg-type]
    if pd.isna(ts):
        msg = f"The 'observation_end' parameter of {owner} must be a date or time. Got NaT instead."
        raise ParameterError(msg)
    if ts.tz is not None:
        zone: Any = tz if tz is not None else data_tz
        ts = ts.tz_convert(zone).tz_localize(None) if zone is not None else ts.tz_localize(None)
    return int(ts.as_unit("ns").value)
