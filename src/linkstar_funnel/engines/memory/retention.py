"""The in-memory ``retention_cells``: an event log validated into arrays (stage masks,
calendar period numbers in a zone, segment codes), then counted over integer keys.

:func:`read_events` is also what the lifecycle reads its events with.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.stages import Stage
>>> events = pd.DataFrame({
...     "user_id": ["a", "a", "b"],
...     "timestamp": pd.to_datetime(["2026-01-05", "2026-01-13", "2026-01-06"]),
...     "event": "order",
... })
>>> q = RetentionQuery(user="user_id", time="timestamp", event="event",
...                    start=Stage("order"), returning=Stage("order"), periods=2)
>>> cells = retention_cells(events, q)
>>> cells.users.tolist(), cells.retained.tolist()
([2], [[2, 1, 0]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..._accounting import RowAccounting
from ..._times import check_time_zone
from ...errors import EmptyFrameError, ParameterError
from ...schema import Column, Table, validate
from ...stages import Stage, StageMatcher
from .._retention import (
    STATUSES,
    LifecycleCells,
    LifecycleQuery,
    RetentionCells,
    RetentionQuery,
    end_wall,
    period_numbers,
    period_starts,
    wall_ns,
)
from ._retention_cells import distinct, first_rows, retention_kernel

# The capability's records and calendar are re-exported here for the retention package
# (domain packages do not import the engines' private modules).
__all__ = [
    "STATUSES",
    "EventArrays",
    "LifecycleCells",
    "LifecycleQuery",
    "RetentionCells",
    "RetentionQuery",
    "distinct",
    "first_rows",
    "lifecycle_cells",
    "period_numbers",
    "period_starts",
    "read_events",
    "retention_cells",
    "stage_mask",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class EventArrays:
    """The events as arrays over the rows kept (and before ``observation_end``).

    ``user`` codes index ``users``; ``period`` is the calendar period number of each row;
    ``segment`` codes index the rows of ``segments`` (one column per ``by``); ``end_wall``
    is the end of the data (exclusive) on the wall clock of the calendar zone, and
    ``last_period`` the period holding its last instant. Only rows matching one of the
    stages are kept (the others only tell where the data ends).
    """

    user: IntArray
    users: pd.Index
    time: IntArray
    period: IntArray
    value: FloatArray | None
    segment: IntArray
    segments: pd.DataFrame
    masks: tuple[BoolArray, ...]
    end_wall: int
    last_period: int
    accounting: RowAccounting
    tz: str | None


def stage_mask(matcher: StageMatcher, table: Table, event: str) -> BoolArray:
    """Rows kept that ``matcher`` matches (built-in stages through the event codes)."""
    codes = table.codes["event"]
    if isinstance(matcher, Stage):
        labels = table.labels["event"]
        found = labels.get_indexer(pd.Index(list(matcher.events), dtype=object))
        lut = np.zeros(len(labels) + 1, dtype=bool)
        lut[found[found >= 0]] = True
        mask = lut[codes]
        where = matcher.where_mask(table.frame)
        return mask if where is None else mask & table.take(where)
    matched = np.asarray(matcher.mask(table.frame.copy(deep=False), event=event))
    n = len(table.frame)
    if matched.dtype != np.bool_ or matched.shape != (n,):
        msg = (
            f"The mask() of stage {matcher.name!r} must return a boolean numpy array of "
            f"length {n}. Got dtype {matched.dtype}, shape {matched.shape} instead."
            "\nHint: linkstar_funnel.stages.check_stage_matcher checks a custom matcher."
        )
        raise ParameterError(msg)
    return table.take(matched)


def read_events(
    events: object,
    *,
    user: str,
    time: str,
    event: str,
    by: tuple[str, ...],
    value: str | None,
    matchers: Sequence[StageMatcher],
    period: str,
    tz: str | None,
    observation_end: object,
    owner: str,
) -> EventArrays:
    """Validate ``events`` and lower it to :class:`EventArrays`.

    Rows with a missing user, time or event are dropped and counted (schema layer); so are
    rows at or after ``observation_end`` (a naive end is read on the calendar's wall clock).
    A missing ``value`` counts as no revenue.
    """
    columns = [
        Column("user", user, "key"),
        Column("time", time, "time"),
        Column("event", event, "category"),
    ]
    if value is not None:
        columns.append(Column("value", value, "number", required=False))
    columns += [Column(f"by{i}", b, "category", required=False) for i, b in enumerate(by)]
    table = validate(events, columns, frame_name="events")
    times = table.times["time"]
    zone = check_time_zone(tz) if tz is not None else None
    wall = wall_ns(times, zone)
    accounting = table.accounting
    late = np.zeros(len(wall), dtype=bool)
    if observation_end is not None:
        end = end_wall(observation_end, times.tz, zone, owner)
        late = wall >= end
        n_late = int(late.sum())
        if n_late:
            accounting = accounting.with_dropped("after observation_end", n_late, column=time)
            if n_late == len(wall):
                msg = f"No events fall before observation_end: {accounting}."
                raise EmptyFrameError(msg)
    else:
        end = int(wall.max()) + 1
    masks = tuple(stage_mask(m, table, event) for m in matchers)
    matched = np.logical_or.reduce(masks) & ~late
    rows = np.flatnonzero(matched)
    vals = None
    if value is not None:
        vals = np.nan_to_num(table.numbers["value"][rows], nan=0.0)
    seg, seg_labels = _segments(table, by)
    return EventArrays(
        user=table.codes["user"][rows],
        users=table.labels["user"],
        time=times.ns[rows],
        period=period_numbers(wall[rows], period),
        value=vals,
        segment=seg[rows],
        segments=seg_labels,
        masks=tuple(m[rows] for m in masks),
        end_wall=end,
        last_period=int(period_numbers(np.array([end - 1], dtype=np.int64), period)[0]),
        accounting=accounting,
        tz=zone,
    )


def _segments(table: Table, by: tuple[str, ...]) -> tuple[IntArray, pd.DataFrame]:
    """Combined segment code per kept row and the labels (one row per segment, sorted; a
    missing value is a segment of its own, labelled ``None``)."""
    n = table.n_rows
    if not by:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=range(1))
    parts = [table.codes[f"by{i}"] for i in range(len(by))]
    frame = pd.DataFrame({f"c{i}": p for i, p in enumerate(parts)})
    codes, uniq = pd.factorize(pd.MultiIndex.from_frame(frame), sort=True)
    labels: dict[str, Any] = {}
    for i, b in enumerate(by):
        c = np.asarray(uniq.get_level_values(i), dtype=np.int64)
        lab = table.labels[f"by{i}"].to_numpy(dtype=object)
        values = np.full(len(c), None, dtype=object)
        values[c >= 0] = lab[c[c >= 0]]
        labels[b] = values
    return np.asarray(codes, dtype=np.int64), pd.DataFrame(labels)


def retention_cells(source: Any, query: RetentionQuery) -> RetentionCells:
    """The retention cells of ``source`` (a pandas frame); see
    :mod:`linkstar_funnel.engines._retention`."""
    ev = read_events(
        source,
        user=query.user,
        time=query.time,
        event=query.event,
        by=query.by,
        value=query.value,
        matchers=(query.start, query.returning),
        period=query.period,
        tz=query.tz,
        observation_end=query.observation_end,
        owner=query.owner,
    )
    cells = retention_kernel(
        ev,
        cohort=query.cohort,
        returns=query.returns,
        periods=query.periods,
        with_value=query.value is not None,
    )
    return RetentionCells(
        cohort=cells.cohort,
        segment=cells.segment,
        segments=ev.segments,
        users=cells.users,
        retained=cells.retained,
        revenue=cells.revenue,
        end_wall=ev.end_wall,
        start_rows=int(ev.masks[0].sum()),
        returning_rows=int(ev.masks[1].sum()),
        tz=ev.tz,
        accounting=ev.accounting,
    )


def lifecycle_cells(source: Any, query: LifecycleQuery) -> LifecycleCells:
    """Users per period, segment and lifecycle status in ``source`` (a pandas frame); see
    :mod:`linkstar_funnel.engines._retention`."""
    ev = read_events(
        source,
        user=query.user,
        time=query.time,
        event=query.event,
        by=query.by,
        value=None,
        matchers=(query.activity,),
        period=query.period,
        tz=query.tz,
        observation_end=query.observation_end,
        owner=query.owner,
    )
    act = ev.masks[0]
    g = max(len(ev.segments), 1)
    if not act.any():
        empty = np.zeros((0, g, 4), dtype=np.int64)
        return LifecycleCells(empty, 0, ev.segments, ev.end_wall, 0, ev.tz, ev.accounting)
    au, ap = ev.user[act], ev.period[act]
    p0 = int(ap.min())
    p_last = max(ev.last_period, int(ap.max()))
    span = p_last - p0 + 2
    pairs = distinct(au * span + (ap - p0), (int(au.max()) + 1) * span)
    u, p = pairs // span, pairs % span
    seg_of = np.zeros(int(au.max()) + 1, dtype=np.int64)
    if query.by:
        users, rows = first_rows(au, ev.time[act])
        seg_of[users] = ev.segment[act][rows]
    counts = _statuses(u, p, seg_of[u], span - 1, g)
    return LifecycleCells(
        counts=counts,
        first_period=p0,
        segments=ev.segments,
        end_wall=ev.end_wall,
        active_rows=int(act.sum()),
        tz=ev.tz,
        accounting=ev.accounting,
    )


def _statuses(u: IntArray, p: IntArray, seg: IntArray, n_periods: int, g: int) -> IntArray:
    """Counts ``[period, segment, status]`` from distinct active (user, period) pairs sorted
    by user then period."""
    same_prev = np.r_[False, u[1:] == u[:-1]]
    prev_p = np.r_[-10, p[:-1]]
    same_next = np.r_[u[1:] == u[:-1], False]
    next_p = np.r_[p[1:], -10]
    status = np.where(~same_prev, 0, np.where(prev_p == p - 1, 1, 2))
    out = np.zeros((n_periods, g, 4), dtype=np.int64)
    flat = (p * g + seg) * 4 + status
    out += np.bincount(flat, minlength=n_periods * g * 4).reshape(n_periods, g, 4)
    gone = ~(same_next & (next_p == p + 1)) & (p + 1 < n_periods)
    d_flat = ((p[gone] + 1) * g + seg[gone]) * 4 + 3
    out -= np.bincount(d_flat, minlength=n_periods * g * 4).reshape(n_periods, g, 4)
    return out
