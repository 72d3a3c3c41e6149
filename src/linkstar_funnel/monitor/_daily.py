"""Daily KPI series from event logs, with days read in each market's time zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._validators import bad_parameter
from ..errors import ColumnNotFoundError, SchemaError
from ..schema import EVENT_COLUMNS, check_time_zone, validate_events

__all__ = ["add_day_type", "daily_rate"]

_OWNER = "daily_rate"


def add_day_type(frame: pd.DataFrame, *, date: str = "date") -> pd.DataFrame:
    """A copy with ``weekday`` (0 is Monday) and ``is_weekend`` columns from ``date``.

    Examples
    --------
    >>> add_day_type(pd.DataFrame({"date": pd.to_datetime(["2026-03-06", "2026-03-07"])}))
            date  weekday  is_weekend
    0 2026-03-06        4       False
    1 2026-03-07        5        True
    """
    days = pd.DatetimeIndex(frame[date])
    weekday = np.asarray(days.day_of_week, dtype=np.int64)
    return frame.assign(weekday=weekday, is_weekend=weekday >= 5)


def daily_rate(
    events: object,
    numerator: str | Sequence[str],
    denominator: str | Sequence[str],
    *,
    metric: str | None = None,
    tz: str | Mapping[str, str] | None = None,
    market: str | None = None,
    by: Sequence[str] = (),
    user: str = EVENT_COLUMNS["user"],
    time: str = EVENT_COLUMNS["time"],
    event: str = EVENT_COLUMNS["event"],
    naive_tz: str = "UTC",
) -> pd.DataFrame:
    """A daily rate per segment: of users doing ``denominator`` on a day, how many also did
    ``numerator`` that same day.

    Days are calendar days in the market's time zone: a checkout at 23:30 in New York is
    counted on the New York day, not the UTC one.

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
        Segment columns (the market column is added when ``tz`` is a mapping).
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
    if not nums or not dens:
        raise bad_parameter(_OWNER, "numerator", "one or more event names", numerator)
    keys = list(by)
    if isinstance(tz, Mapping):
        if market is None:
            raise bad_parameter(_OWNER, "market", "a column name when tz is a mapping", market)
        if market not in keys:
            keys.append(market)
    table = validate_events(events, user=user, time=time, event=event)
    frame = table.frame
    for col in keys:
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns, role="segment", frame_name="events")
    times = table.times["time"]
    if isinstance(tz, Mapping):
        labels = pd.Series(table.column(market)).astype(str).to_numpy()  # type: ignore[arg-type]
        unknown = sorted(set(labels) - set(map(str, tz)))
        if unknown:
            msg = (
                f"The 'tz' mapping of daily_rate has no time zone for {market!r} label(s) "
                f"{unknown[:5]}.\nHint: add them, e.g. tz={{..., {unknown[0]!r}: 'UTC'}}."
            )
            raise SchemaError(msg)
        day = np.empty(len(labels), dtype="datetime64[ns]")
        for label, zone in tz.items():
            rows = labels == str(label)
            if rows.any():
                part = type(times)(times.ns[rows], times.tz, times.column)
                zone_name = check_time_zone(zone, param=f"tz[{label!r}]")
                day[rows] = part.bucket("D", zone_name, naive_tz=naive_tz).to_numpy()
    else:
        day = times.bucket("D", check_time_zone(tz), naive_tz=naive_tz).to_numpy()
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
