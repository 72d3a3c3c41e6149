"""Reading time columns (any datetime64 unit, tz-aware or naive, strings) and bucketing
days, weeks and months in a market's time zone."""

from __future__ import annotations

import datetime as dt
import numbers
import warnings
import zoneinfo
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ._params import Options, check_param
from .errors import TimeColumnError, TimeZoneError

__all__ = ["NAT", "TimeValues", "check_time_zone", "cut_ns", "read_times"]

IntArray = npt.NDArray[np.int64]
#: The int64 value of NaT.
NAT = np.iinfo(np.int64).min


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
            # A wall-clock time repeated when clocks go back is read as its first occurrence
            # (summer time); one skipped when they go forward, as the next valid time. Never
            # NaT: that would silently drop the row from every day count.
            first = np.ones(len(idx), dtype=bool)
            idx = idx.tz_localize(source, ambiguous=first, nonexistent="shift_forward")
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
        check_param("TimeValues.bucket", "freq", freq, Options("D", "W", "M"))
        wall = self.local(tz, naive_tz=naive_tz)
        days = wall.floor("D").as_unit("ns")
        if freq == "D":
            return days
        if freq == "W":
            return days - pd.to_timedelta(days.day_of_week, unit="D")
        # "M": to_timestamp() gives microseconds on pandas 3; callers read .asi8 as ns.
        return days.to_period("M").to_timestamp().as_unit("ns")


def read_times(series: pd.Series[Any], *, column: str, frame_name: str = "input") -> TimeValues:
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
    if _holds_numbers(series):
        msg = (
            f"{where} must hold times; found numbers ({dtype}).\n"
            f"Hint: convert epoch numbers first, e.g. pd.to_datetime(df[{column!r}], unit='s')."
        )
        raise TimeColumnError(msg)
    if isinstance(dtype, pd.PeriodDtype):
        return TimeValues(_to_ns(pd.DatetimeIndex(series.dt.to_timestamp())), None, column)
    return _parse_times(series, column=column, where=where)


def _holds_numbers(series: pd.Series[Any]) -> bool:
    """Numbers in any dtype: numpy, nullable (``Int64``, ``Float64``, ``boolean``), Arrow, or
    an object column whose values are all numbers (pandas would read them as nanoseconds)."""
    dtype = series.dtype
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return True
    if dtype != object:
        return False
    present = series[series.notna()]
    if not len(present):
        return False
    is_number = present.map(lambda v: isinstance(v, numbers.Number)).to_numpy(dtype=bool)
    return bool(is_number.all())


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


def _pass_on(caught: list[warnings.WarningMessage]) -> None:
    """Say again what pandas warned while parsing, except its "Could not infer format"
    notice (the per-element parse it announces is what is wanted here)."""
    for w in caught:
        if not str(w.message).startswith("Could not infer format"):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


def _to_datetime(values: pd.Series[Any], *, utc: bool) -> pd.Series[Any]:
    # Fast path infers one format; the fallbacks handle ISO variants, then any mix.
    last: ValueError | None = None
    for fmt in (None, "ISO8601", "mixed"):
        try:
            with warnings.catch_warnings(record=True, action="always") as caught:
                out = pd.to_datetime(values, utc=utc, format=fmt)
            _pass_on(caught)
            return out
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


def cut_ns(end: pd.Timestamp | None, tz: object, last_ns: int, *, owner: str) -> int:
    """The cut as int64 nanoseconds in the data's convention (the convention of ``linkstar_funnel.engines.CohortCells.cut_ns``).

    ``end=None`` cuts just after the last order (``last_ns + 1``); a naive ``end`` is read
    in the data's zone ``tz``.
    """
    if end is None:
        return last_ns + 1
    if pd.isna(end):
        from ._validators import bad_parameter

        raise bad_parameter(owner, "observation_end", "a date or time, not NaT", end)
    if tz is not None:
        ts = end.tz_localize(tz) if end.tz is None else end  # type: ignore[call-overload]
        return int(ts.tz_convert("UTC").as_unit("ns").value)
    return int((end.tz_localize(None) if end.tz is not None else end).as_unit("ns").value)
