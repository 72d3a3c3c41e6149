"""Column mapping, validation and time handling: the one door from user frames to kernels.

Every computation in the library reads its input frames through :func:`validate`. It

* maps the user's column names to roles (``user``, ``time``, ``event``...) given once;
* checks the columns exist (naming the closest existing ones when they do not);
* reads times of any ``datetime64`` unit (s/ms/us/ns), tz-aware or naive, or strings that
  parse as times, into int64 nanoseconds, refusing to mix aware and naive values;
* factorizes keys and categories by hashing (no sort) into integer codes;
* drops rows with a missing id, time or required value, and *counts* them by reason in a
  :class:`RowAccounting` that every result carries as provenance;
* never mutates the caller's frame, and copies nothing but the columns it converts.

Examples
--------
>>> import pandas as pd
>>> import linkstar_funnel as lf
>>> events = pd.DataFrame({
...     "user_id": ["a", "a", None, "b"],
...     "timestamp": pd.to_datetime(["2026-01-01 10:00", "2026-01-01 11:00",
...                                  "2026-01-01 12:00", None]),
...     "event": ["visit", "cart", "visit", "visit"],
... })
>>> table = lf.schema.validate_events(events)
>>> table.n_rows
2
>>> print(table.accounting)
4 rows in, 2 used, 2 dropped: 1 missing user (column 'user_id'), 1 missing time (column 'timestamp')
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ._dense_keys import dense_factorize
from .errors import (
    ColumnNotFoundError,
    EmptyFrameError,
    ParameterError,
    SchemaError,
    TimeColumnError,
    TimeZoneError,
)

__all__ = [
    "EVENT_COLUMNS",
    "ORDER_COLUMNS",
    "Column",
    "DroppedRows",
    "RowAccounting",
    "Table",
    "TimeValues",
    "as_frame",
    "check_time_zone",
    "read_times",
    "validate",
    "validate_events",
    "validate_orders",
]

ColumnKind = Literal["key", "time", "category", "number"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Default column names for event logs, by role.
EVENT_COLUMNS: Mapping[str, str] = {"user": "user_id", "time": "timestamp", "event": "event"}
#: Default column names for order tables, by role.
ORDER_COLUMNS: Mapping[str, str] = {
    "order": "order_id",
    "customer": "customer_id",
    "time": "timestamp",
    "revenue": "revenue",
}

_NAT = np.iinfo(np.int64).min


# --------------------------------------------------------------------------- accounting


@attrs.frozen
class DroppedRows:
    """Rows left out of a computation for one reason."""

    reason: str
    count: int
    column: str | None = None

    def __str__(self) -> str:
        where = f" (column {self.column!r})" if self.column else ""
        return f"{self.count:,} {self.reason}{where}"


@attrs.frozen
class RowAccounting:
    """How many rows came in, how many were used, and why the others were dropped.

    Examples
    --------
    >>> acc = RowAccounting(rows_in=10).with_dropped("missing user", 3, column="user_id")
    >>> acc.rows_used
    7
    >>> acc.to_frame()
             reason   column  rows
    0  missing user  user_id     3
    """

    rows_in: int
    dropped: tuple[DroppedRows, ...] = ()

    @property
    def rows_dropped(self) -> int:
        """Total rows dropped, all reasons."""
        return sum(d.count for d in self.dropped)

    @property
    def rows_used(self) -> int:
        """Rows that reached the computation."""
        return self.rows_in - self.rows_dropped

    def with_dropped(self, reason: str, count: int, *, column: str | None = None) -> RowAccounting:
        """Return a copy that also records ``count`` rows dropped for ``reason`` (if any)."""
        if count < 0:
            msg = f"A dropped-row count must be ≥ 0. Got {count} for {reason!r}."
            raise ParameterError(msg)
        if count == 0:
            return self
        return attrs.evolve(self, dropped=(*self.dropped, DroppedRows(reason, int(count), column)))

    def to_frame(self) -> pd.DataFrame:
        """One row per drop reason: ``reason``, ``column``, ``rows``."""
        return pd.DataFrame(
            {
                "reason": [d.reason for d in self.dropped],
                "column": [d.column for d in self.dropped],
                "rows": np.array([d.count for d in self.dropped], dtype=np.int64),
            }
        )

    def __str__(self) -> str:
        head = (
            f"{self.rows_in:,} {'row' if self.rows_in == 1 else 'rows'} in, {self.rows_used:,} used"
        )
        if not self.dropped:
            return head + ", none dropped"
        return f"{head}, {self.rows_dropped:,} dropped: " + ", ".join(map(str, self.dropped))


# --------------------------------------------------------------------------- times


def check_time_zone(tz: object, *, param: str = "tz") -> str | None:
    """Validate a time zone name (IANA, e.g. ``"Asia/Shanghai"``) and return it as a string."""
    if tz is None:
        return None
    if isinstance(tz, dt.tzinfo):
        name = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
        return str(name)
    if not isinstance(tz, str):
        msg = f"The {param!r} parameter must be an IANA time zone name. Got {tz!r} instead."
        raise TimeZoneError(msg)
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        msg = (
            f"The {param!r} parameter must be an IANA time zone name such as 'Europe/London' "
            f"or 'Asia/Shanghai'. Got {tz!r} instead."
        )
        raise TimeZoneError(msg) from exc
    return tz


@attrs.frozen(eq=False)
class TimeValues:
    """Points in time as int64 nanoseconds, with the zone they came in.

    ``ns`` holds nanoseconds since the Unix epoch: for tz-aware input the UTC instant, for
    naive input the wall-clock reading taken as if it were UTC (naive times are never
    shifted). ``tz`` is the input's zone name, or ``None`` for naive input.
    """

    ns: IntArray
    tz: str | dt.tzinfo | None
    column: str

    @property
    def is_aware(self) -> bool:
        """Whether the input carried a time zone."""
        return self.tz is not None

    def to_datetime64(self) -> npt.NDArray[np.datetime64]:
        """The values as ``datetime64[ns]`` (UTC for aware input, wall clock for naive)."""
        return self.ns.view("datetime64[ns]")

    def to_index(self) -> pd.DatetimeIndex:
        """The values as a ``DatetimeIndex`` in the input's own zone (or naive)."""
        idx = pd.DatetimeIndex(self.to_datetime64())
        if self.tz is None:
            return idx
        return idx.tz_localize("UTC").tz_convert(self.tz)

    def local(self, tz: str | None = None, *, naive_tz: str = "UTC") -> pd.DatetimeIndex:
        """Wall-clock times in ``tz``, naive, for day/week/month bucketing.

        Parameters
        ----------
        tz
            IANA zone to read days in (a market's zone). ``None`` keeps the input's own
            zone (or the naive wall clock).
        naive_tz
            For naive input only: the zone its wall clock is in, needed to convert it to
            ``tz``. Ignored when ``tz`` is ``None``.
        """
        idx = pd.DatetimeIndex(self.to_datetime64())
        if tz is None:
            return self.to_index().tz_localize(None) if self.tz else idx
        target = check_time_zone(tz)
        if self.tz is None:
            source = check_time_zone(naive_tz, param="naive_tz")
            idx = idx.tz_localize(source, ambiguous="NaT", nonexistent="shift_forward")
        else:
            idx = idx.tz_localize("UTC")
        return idx.tz_convert(target).tz_localize(None)

    def bucket(
        self,
        freq: str,
        tz: str | None = None,
        *,
        naive_tz: str = "UTC",
    ) -> pd.DatetimeIndex:
        """Start of the day (``"D"``), week from Monday (``"W"``) or month (``"M"``), in ``tz``."""
        wall = self.local(tz, naive_tz=naive_tz)
        days = wall.floor("D")
        if freq == "D":
            return days
        if freq == "W":
            return days - pd.to_timedelta(days.day_of_week, unit="D")
        if freq == "M":
            return days.to_period("M").to_timestamp()
        msg = f"The 'freq' parameter must be one of 'D', 'W', 'M'. Got {freq!r} instead."
        raise ParameterError(msg)


def read_times(series: pd.Series[Any], *, column: str, frame_name: str = "frame") -> TimeValues:
    """Read a column as points in time. Missing values become ``NaT`` (int64 min).

    Accepts ``datetime64`` of any unit, tz-aware ``datetime64``, ``datetime`` objects and
    strings pandas parses as times. Numbers are refused (their unit is ambiguous).
    """
    dtype = series.dtype
    where = f"Column {column!r} of the {frame_name} frame"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return TimeValues(_to_ns(pd.DatetimeIndex(series)), _tz_label(dtype.tz), column)
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return TimeValues(_to_ns(pd.DatetimeIndex(series)), None, column)
    if isinstance(dtype, np.dtype) and dtype.kind in "iufb":
        msg = (
            f"{where} must hold times; found numbers ({dtype}).\n"
            f"Hint: convert epoch numbers first, e.g. pd.to_datetime(df[{column!r}], unit='s')."
        )
        raise TimeColumnError(msg)
    if isinstance(dtype, pd.PeriodDtype):
        return TimeValues(_to_ns(pd.DatetimeIndex(series.dt.to_timestamp())), None, column)
    return _parse_times(series, column=column, where=where)


def _to_ns(idx: pd.DatetimeIndex) -> IntArray:
    try:
        converted = idx.as_unit("ns")
    except (OverflowError, pd.errors.OutOfBoundsDatetime) as exc:
        msg = f"Times in column {idx.name!r} fall outside 1677-09-21..2262-04-11: {exc}"
        raise TimeColumnError(msg) from exc
    if converted.tz is not None:
        converted = converted.tz_convert("UTC").tz_localize(None)
    return np.asarray(converted.asi8, dtype=np.int64)


def _parse_times(series: pd.Series[Any], *, column: str, where: str) -> TimeValues:
    values = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
    try:
        parsed = _to_datetime(values, utc=False)
    except ValueError as exc:
        if not _is_mixed_zone_error(exc):
            raise _unparseable(values, where) from exc
        # Several zones (or offsets across a DST change) are fine if every value has one.
        if _has_naive(values):
            msg = (
                f"{where} mixes tz-aware and naive times.\n"
                "Hint: localize the naive ones first, e.g. "
                f"pd.to_datetime(df[{column!r}]).dt.tz_localize('UTC')."
            )
            raise TimeZoneError(msg) from exc
        parsed = _to_datetime(values, utc=True)
    except TypeError as exc:
        raise _unparseable(values, where) from exc
    idx = pd.DatetimeIndex(parsed)
    tz = _tz_label(idx.tz) if idx.tz is not None else None
    return TimeValues(_to_ns(idx), tz, column)


def _to_datetime(values: pd.Series[Any], *, utc: bool) -> pd.Series[Any]:
    # Fast path infers one format; the fallbacks handle ISO variants, then any mix.
    last: ValueError | None = None
    for fmt in (None, "ISO8601", "mixed"):
        try:
            return pd.to_datetime(values, utc=utc, format=fmt)
        except ValueError as exc:
            if _is_mixed_zone_error(exc):
                raise
            last = exc
    assert last is not None
    raise last


def _is_mixed_zone_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "mixed timezones" in text or "mix tz-aware" in text


_OFFSET = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)\s*$"


def _has_naive(values: pd.Series[Any]) -> bool:
    present = values[values.notna()]
    is_str = present.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    strings = present[is_str].astype(str)
    if len(strings) and not strings.str.contains(_OFFSET, regex=True).all():
        return True
    others = present[~is_str]
    return bool(others.map(lambda v: getattr(v, "tzinfo", None) is None).to_numpy(dtype=bool).any())


def _unparseable(values: pd.Series[Any], where: str) -> TimeColumnError:
    coerced = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    bad = values[coerced.isna().to_numpy() & values.notna().to_numpy()]
    example = bad.iloc[0] if len(bad) else None
    return TimeColumnError(
        f"{where} must hold times; {len(bad):,} value(s) do not parse as times, e.g. {example!r}."
    )


def _tz_label(tz: dt.tzinfo) -> str | dt.tzinfo:
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    return str(key) if key else tz


# --------------------------------------------------------------------------- tables


@attrs.frozen
class Column:
    """One column a computation reads: its role, the user's name for it, its kind.

    Parameters
    ----------
    role
        What the column is for (``"user"``, ``"time"``, ``"event"``...).
    name
        The column's name in the user's frame.
    kind
        ``"key"`` (ids: factorized), ``"time"``, ``"category"`` (factorized labels) or
        ``"number"`` (float64).
    required
        Rows where the value is missing are dropped and counted; otherwise a missing key or
        category gets code -1 and a missing number stays NaN.
    """

    role: str
    name: str
    kind: ColumnKind
    required: bool = True


@attrs.frozen(eq=False)
class Table:
    """A validated frame: per-role arrays over the rows kept, plus the accounting.

    Attributes
    ----------
    frame
        The caller's frame, untouched (used for stage property filters).
    rows
        Positions (into ``frame``) of the rows kept, or ``None`` when all were kept.
    codes, labels
        Per key/category role: int64 codes over kept rows, and the labels they index.
    times
        Per time role: :class:`TimeValues` over kept rows.
    numbers
        Per number role: float64 values over kept rows.
    columns
        The role → column-name mapping used.
    accounting
        Rows in, used, and dropped by reason.
    """

    frame: pd.DataFrame
    frame_name: str
    rows: npt.NDArray[np.intp] | None
    codes: Mapping[str, IntArray]
    labels: Mapping[str, pd.Index]
    times: Mapping[str, TimeValues]
    numbers: Mapping[str, FloatArray]
    columns: Mapping[str, str]
    accounting: RowAccounting

    @property
    def n_rows(self) -> int:
        """Number of rows kept."""
        return self.accounting.rows_used

    def take(self, values: npt.ArrayLike) -> npt.NDArray[Any]:
        """Subset an array aligned with ``frame`` to the kept rows (a boolean mask, say)."""
        arr = np.asarray(values)
        return arr if self.rows is None else arr[self.rows]

    def column(self, name: str) -> npt.NDArray[Any]:
        """A column of the original frame, as a numpy array over the kept rows."""
        if name not in self.frame.columns:
            raise ColumnNotFoundError(name, self.frame.columns, frame_name=self.frame_name)
        return self.take(self.frame[name].to_numpy())


def as_frame(data: object, *, frame_name: str = "frame") -> pd.DataFrame:
    """Accept a pandas DataFrame, or anything with ``to_pandas()`` (Arrow tables, polars)."""
    if isinstance(data, pd.DataFrame):
        return data
    to_pandas = getattr(data, "to_pandas", None)
    if callable(to_pandas):
        out = to_pandas()
        if isinstance(out, pd.DataFrame):
            return out
    msg = (
        f"The {frame_name} argument must be a pandas DataFrame (or an object with "
        f"to_pandas(), such as a pyarrow Table). Got {type(data).__name__} instead."
    )
    raise SchemaError(msg)


def validate(
    data: object,
    columns: Sequence[Column],
    *,
    frame_name: str = "frame",
) -> Table:
    """Check and convert the named columns of a frame; drop and count unusable rows.

    Parameters
    ----------
    data
        A pandas DataFrame (or Arrow-like object with ``to_pandas()``); never modified.
    columns
        The columns to read, with their roles and kinds.
    frame_name
        How errors refer to this frame (``"events"``, ``"orders"``...).

    Raises
    ------
    ColumnNotFoundError
        A named column is missing (the message suggests close names).
    EmptyFrameError
        The frame has no rows, or none survive the drops.
    TimeColumnError, TimeZoneError, SchemaError
        A column cannot be read as its kind.
    """
    frame = as_frame(data, frame_name=frame_name)
    for col in columns:
        if col.name not in frame.columns:
            raise ColumnNotFoundError(
                col.name,
                frame.columns,
                role=col.role,
                frame_name=frame_name,
                typed_candidates=_typed_candidates(frame, col.kind),
            )
    n = len(frame)
    if n == 0:
        msg = f"The {frame_name} frame is empty: there is nothing to compute on."
        raise EmptyFrameError(msg)

    keep = np.ones(n, dtype=bool)
    accounting = RowAccounting(rows_in=n)
    codes: dict[str, IntArray] = {}
    labels: dict[str, pd.Index] = {}
    times: dict[str, TimeValues] = {}
    numbers: dict[str, FloatArray] = {}

    for col in columns:
        series = frame[col.name]
        if col.kind in ("key", "category"):
            c, u = _factorize(series)
            codes[col.role], labels[col.role] = c, u
            missing = c < 0
        elif col.kind == "time":
            tv = read_times(series, column=col.name, frame_name=frame_name)
            times[col.role] = tv
            missing = tv.ns == _NAT
        elif col.kind == "number":
            values = _numbers(series, column=col.name, frame_name=frame_name)
            numbers[col.role] = values
            missing = np.isnan(values)
        else:  # pragma: no cover - Column.kind is a Literal
            msg = f"Unknown column kind {col.kind!r} for {col.name!r}."
            raise ParameterError(msg)
        if col.required:
            newly = missing & keep
            accounting = accounting.with_dropped(
                f"missing {col.role}", int(newly.sum()), column=col.name
            )
            keep &= ~missing

    if not keep.all():
        if not keep.any():
            msg = (
                f"No rows of the {frame_name} frame are usable: {accounting}."
                "\nHint: check the column mapping and that ids and times are filled in."
            )
            raise EmptyFrameError(msg)
        rows: npt.NDArray[np.intp] | None = np.flatnonzero(keep)
        codes = {k: v[rows] for k, v in codes.items()}
        times = {k: attrs.evolve(v, ns=v.ns[rows]) for k, v in times.items()}
        numbers = {k: v[rows] for k, v in numbers.items()}
    else:
        rows = None
    return Table(
        frame=frame,
        frame_name=frame_name,
        rows=rows,
        codes=codes,
        labels=labels,
        times=times,
        numbers=numbers,
        columns={c.role: c.name for c in columns},
        accounting=accounting,
    )


def _typed_candidates(frame: pd.DataFrame, kind: ColumnKind) -> list[str]:
    if kind == "time":
        return [str(c) for c, d in frame.dtypes.items() if pd.api.types.is_datetime64_any_dtype(d)]
    if kind == "number":
        return [
            str(c)
            for c, d in frame.dtypes.items()
            if pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d)
        ]
    return []


def _factorize(series: pd.Series[Any]) -> tuple[IntArray, pd.Index]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        cat = series.cat
        return np.asarray(cat.codes, dtype=np.int64), pd.Index(cat.categories)
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        dense = dense_factorize(series.to_numpy())
        if dense is not None:
            return dense[0], pd.Index(dense[1].astype(dtype, copy=False))
    codes, uniques = pd.factorize(series, sort=False, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


def _numbers(series: pd.Series[Any], *, column: str, frame_name: str) -> FloatArray:
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        msg = (
            f"Column {column!r} of the {frame_name} frame must hold numbers; "
            f"found dtype {series.dtype}."
        )
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            msg += f"\nHint: pd.to_numeric(df[{column!r}], errors='coerce') converts text."
        raise SchemaError(msg)
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        msg = f"Column {column!r} of the {frame_name} frame holds infinite values."
        raise SchemaError(msg)
    return values


# --------------------------------------------------------------------------- presets


def validate_events(
    data: object,
    *,
    user: str = EVENT_COLUMNS["user"],
    time: str = EVENT_COLUMNS["time"],
    event: str = EVENT_COLUMNS["event"],
    frame_name: str = "events",
) -> Table:
    """Validate an event log: one row per event with a user, a time and an event name.

    Rows with a missing user, time or event name are dropped and counted. Roles in the
    returned :class:`Table`: ``codes["user"]``, ``codes["event"]``, ``times["time"]``.
    """
    return validate(
        data,
        [
            Column("user", user, "key"),
            Column("time", time, "time"),
            Column("event", event, "category"),
        ],
        frame_name=frame_name,
    )


def validate_orders(
    data: object,
    *,
    order: str | None = ORDER_COLUMNS["order"],
    customer: str = ORDER_COLUMNS["customer"],
    time: str = ORDER_COLUMNS["time"],
    revenue: str = ORDER_COLUMNS["revenue"],
    frame_name: str = "orders",
) -> Table:
    """Validate an order table: a customer, a time and a revenue per row (order id optional).

    Rows with a missing customer, time or revenue are dropped and counted. Negative
    revenue (refunds) is kept: what to do with it is each analysis's documented rule.
    """
    cols = [
        Column("customer", customer, "key"),
        Column("time", time, "time"),
        Column("revenue", revenue, "number"),
    ]
    if order is not None:
        cols.insert(0, Column("order", order, "key", required=False))
    return validate(data, cols, frame_name=frame_name)
