"""Daily KPI series from event logs, with days read in each market's time zone."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._params import ColumnName, Columns, InstanceOf, Satisfies, validate_params
from ..errors import ColumnNotFoundError, DataQualityWarning, ParameterError, SchemaError
from ..schema import EVENT_COLUMNS, Column, as_frame, check_time_zone, read_times, validate

__all__ = ["add_day_type", "daily_rate"]

_EVENT_NAMES = Satisfies(
    lambda v: (
        (isinstance(v, str) and bool(v))
        or (
            isinstance(v, list | tuple)
            and bool(v)
            and all(isinstance(x, str) and bool(x) for x in v)
        )
    ),
    "an event name or a non-empty list of event names",
)
_ZONE = InstanceOf(str, description="a time zone name such as 'Europe/Berlin'")
#: Columns daily_rate writes (segment columns must not be named like them).
_OUTPUT_COLUMNS = ("date", "metric", "successes", "trials", "value", "weekday", "is_weekend")
_NO_COLUMNS = Satisfies(lambda v: isinstance(v, list | tuple) and not v, "an empty list")


@validate_params(date=ColumnName())
def add_day_type(frame: pd.DataFrame, *, date: str = "date") -> pd.DataFrame:
    """A copy with ``weekday`` (0 is Monday) and ``is_weekend`` columns from ``date``.

    Days are read in the times' own zone (or wall clock). Rows without a date get a missing
    ``weekday`` and ``is_weekend`` (nullable dtypes then), with a
    :class:`~linkstar_funnel.errors.DataQualityWarning`.

    Examples
    --------
    >>> add_day_type(pd.DataFrame({"date": pd.to_datetime(["2026-03-06", "2026-03-07"])}))
            date  weekday  is_weekend
    0 2026-03-06        4       False
    1 2026-03-07        5        True
    """
    frame = as_frame(frame, frame_name="daily")
    if date not in frame.columns:
        raise ColumnNotFoundError(date, frame.columns, role="date", frame_name="daily")
    times = read_times(frame[date], column=date, frame_name="daily")
    days = times.local()
    missing = np.asarray(days.isna())
    weekday = np.asarray(days.day_of_week.fillna(0), dtype=np.int64)
    if not missing.any():
        return frame.assign(weekday=weekday, is_weekend=weekday >= 5)
    warnings.warn(
        f"{int(missing.sum()):,} rows of column {date!r} have no date: their 'weekday' and "
        "'is_weekend' are missing.",
        DataQualityWarning,
        stacklevel=3,
    )
    day_num = pd.Series(weekday, index=frame.index, dtype="Int64").mask(missing)
    return frame.assign(weekday=day_num, is_weekend=day_num.ge(5))


@validate_params(
    numerator=_EVENT_NAMES,
    denominator=_EVENT_NAMES,
    metric=[None, InstanceOf(str, description="a metric name (a string)")],
    tz=[None, _ZONE, InstanceOf(Mapping, description="a mapping of market label -> zone")],
    market=[None, ColumnName()],
    by=[None, Columns(), _NO_COLUMNS],
    user=ColumnName(),
    time=ColumnName(),
    event=ColumnName(),
    naive_tz=_ZONE,
)
def daily_rate(
    events: object,
    numerator: str | Sequence[str],
    denominator: str | Sequence[str],
    *,
    metric: str | None = None,
    tz: str | Mapping[str, str] | None = None,
    market: str | None = None,
    by: str | Sequence[str] | None = (),
    user: str = EVENT_COLUMNS["user"],
    time: str = EVENT_COLUMNS["time"],
    event: str = EVENT_COLUMNS["event"],
    naive_tz: str = "UTC",
) -> pd.DataFrame:
    """A daily rate per segment: of users doing ``denominator`` on a day, how many also did
    ``numerator`` that same day.

    Days are calendar days in the market's time zone: a checkout at 23:30 in New York is
    counted on the New York day, not the UTC one. Rows without a user, time or event (or
    market, when ``tz`` is a mapping) are dropped, with a
    :class:`~linkstar_funnel.errors.DataQualityWarning` counting them.

    Parameters
    ----------
    events
        Event log (never modified).
    numerator, denominator
        Event name(s), e.g. ``"payment"`` and ``"checkout"``.
    metric
        Name of the series (default ``"<numerator>/<denominator>"``).
    tz
        One IANA zone for every row, or a mapping from the ``market`` column's labels to
        zones (``{"US": "America/New_York", "DE": "Europe/Berlin"}``). ``None`` keeps the
        times' own zone (UTC for the demo store).
    market
        The column whose label picks the zone when ``tz`` is a mapping.
    by
        Segment column(s) (the market column is added when ``tz`` is a mapping). A missing
        segment value is a segment of its own.
    user, time, event
        Column names of the event log.
    naive_tz
        The zone of naive times (only used when converting them to ``tz``).

    Returns
    -------
    pandas.DataFrame
        ``date`` (midnight of the local day, naive), ``metric``, ``[by...]``,
        ``successes``, ``trials``, ``value`` (= successes / trials), ``weekday``,
        ``is_weekend``; days with no trials are absent.

    Examples
    --------
    >>> ev = pd.DataFrame({
    ...     "user_id": [1, 1, 2, 3],
    ...     "timestamp": pd.to_datetime(["2026-03-02 03:00", "2026-03-02 03:05",
    ...                                  "2026-03-02 04:00", "2026-03-02 12:00"], utc=True),
    ...     "event": ["checkout", "payment", "checkout", "checkout"]})
    >>> daily_rate(ev, "payment", "checkout", tz="America/New_York")[
    ...     ["date", "successes", "trials", "value"]]
            date  successes  trials  value
    0 2026-03-01          1       2    0.5
    1 2026-03-02          0       1    0.0
    """
    nums = [numerator] if isinstance(numerator, str) else list(numerator)
    dens = [denominator] if isinstance(denominator, str) else list(denominator)
    keys = [by] if isinstance(by, str) else list(by or ())
    zones = tz if isinstance(tz, Mapping) else None
    if zones is not None and market is None:
        msg = (
            "The 'market' parameter of daily_rate must be a column name when tz is a mapping. "
            "Got None instead."
        )
        raise ParameterError(msg)
    segment_columns = [*keys, *([market] if zones is not None and market is not None else [])]
    reserved = [k for k in segment_columns if k in _OUTPUT_COLUMNS]
    if reserved:
        msg = (
            f"The 'by' (or 'market') parameter of daily_rate names column {reserved[0]!r}, a "
            "column of the "
            f"output ({', '.join(_OUTPUT_COLUMNS)}).\nHint: rename it first, e.g. "
            f"events.rename(columns={{{reserved[0]!r}: 'segment'}})."
        )
        raise ParameterError(msg)
    frame = as_frame(events, frame_name="events")
    for col in [*keys, *([market] if market is not None and zones is not None else [])]:
        if col not in frame.columns:
            role = "market" if col == market else "segment"
            raise ColumnNotFoundError(col, frame.columns, role=role, frame_name="events")
    columns = [
        Column("user", user, "key"),
        Column("time", time, "time"),
        Column("event", event, "category"),
    ]
    if zones is not None:
        assert market is not None
        columns.append(Column("market", market, "category"))
        if market not in keys:
            keys.append(market)
    table = validate(frame, columns, frame_name="events")
    times = table.times["time"]
    if zones is not None:
        labels = table.labels["market"].astype(str).to_numpy()[table.codes["market"]]
        unknown = sorted(set(labels) - set(map(str, zones)))
        if unknown:
            msg = (
                f"The 'tz' mapping of daily_rate has no time zone for {market!r} label(s) "
                f"{unknown[:5]}.\nHint: add them, e.g. tz={{..., {unknown[0]!r}: 'UTC'}}."
            )
            raise SchemaError(msg)
        day = np.empty(len(labels), dtype="datetime64[ns]")
        for label, zone in zones.items():
            rows = labels == str(label)
            if rows.any():
                part = type(times)(times.ns[rows], times.tz, times.column)
                zone_name = check_time_zone(zone, param=f"tz[{label!r}]")
                day[rows] = part.bucket("D", zone_name, naive_tz=naive_tz).to_numpy()
    else:
        day = times.bucket("D", check_time_zone(tz), naive_tz=naive_tz).to_numpy()
    accounting = table.accounting.with_dropped(
        f"time that does not exist or is ambiguous in {naive_tz} (naive_tz)",
        int(np.isnat(day).sum()),
        column=time,
    )
    if accounting.rows_dropped:
        warnings.warn(f"daily_rate: {accounting}.", DataQualityWarning, stacklevel=3)
    names = table.labels["event"].astype(str).to_numpy()[table.codes["event"]]
    work = pd.DataFrame(
        {
            "_user": table.codes["user"],
            "date": day,
            "_den": np.isin(names, dens),
            "_num": np.isin(names, nums),
            **{k: table.column(k) for k in keys},
        }
    )
    work = work.loc[~np.isnat(day)]
    per_user = work.groupby(["date", *keys, "_user"], observed=True, dropna=False, sort=True)[
        ["_den", "_num"]
    ].any()
    per_user = per_user.loc[per_user["_den"]]
    out = (
        per_user.assign(successes=per_user["_num"].astype(np.int64), trials=1)
        .groupby(["date", *keys], observed=True, dropna=False, sort=True)[["successes", "trials"]]
        .sum()
        .reset_index()
    )
    out.insert(1, "metric", metric or f"{'|'.join(nums)}/{'|'.join(dens)}")
    out["value"] = out["successes"] / out["trials"]
    return add_day_type(out)
