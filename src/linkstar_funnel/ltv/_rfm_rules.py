"""The rules of an RFM summary (:class:`RFMRules`) and how they turn orders into transactions.

The rules, applied in this order, each counted in the result's provenance:

1. rows with a missing customer id, time or value are dropped (schema layer);
2. with ``status=`` given, rows whose status is in ``exclude_status`` are dropped;
3. rows after ``observation_end`` (read in ``tz``) are dropped;
4. refunds (negative values): ``refunds="net"`` subtracts each from the customer's latest
   purchase day at or before it (a refund with no earlier purchase is dropped);
   ``refunds="drop"`` drops them;
5. what is left is summed per customer and day (``granularity``): one day is one
   transaction. With ``zero_value="drop"`` (default) days whose value is ≤ 0 (free orders,
   fully refunded purchases) are not transactions; ``"keep"`` keeps them at value 0.
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._deprecation import renamed_params
from .._params import (
    ColumnName,
    Constraint,
    InstanceOf,
    Options,
    Satisfies,
    Timestamp,
    check_param,
)
from .._validators import bad_parameter, in_choices
from ..errors import EmptyFrameError, SchemaError
from ..schema import Column, RowAccounting, Table, validate
from ._units import TimeUnit, as_unit

__all__ = [
    "DAY_NS",
    "RFMRules",
    "Transactions",
    "bucket_days",
    "elapsed",
    "end_day_number",
    "read_orders",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DAY_NS = 86_400 * 10**9


def _str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    check_param("RFMRules", "exclude_status", value, [STATUS_VALUES])
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]


STATUS_VALUES = Satisfies(
    lambda v: isinstance(v, str) or (isinstance(v, list | tuple | set | frozenset) and bool(v)),
    "a status value or a list of them",
)
UNIT_CODE = Satisfies(
    lambda v: isinstance(v, TimeUnit) or (isinstance(v, str) and v.upper() in ("D", "W", "M", "Y")),
    "a time unit: one of 'D', 'W', 'M', 'Y'",
)
RFM_PARAMS: dict[str, Constraint | list[Constraint | None]] = {
    "customer": ColumnName(),
    "time": ColumnName(),
    "value": ColumnName(),
    "period": UNIT_CODE,
    "observation_end": [None, Timestamp()],
    "status": [None, ColumnName()],
    "refunds": Options("net", "drop"),
    "zero_value": Options("drop", "keep"),
    "granularity": Options("D", "W", "M"),
    "tz": [None, InstanceOf(str, description="an IANA time zone name such as 'Europe/London'")],
}
"""What the RFM entry points (rfm_summary, calibration_holdout) accept."""


def _to_unit(value: object) -> TimeUnit:
    return as_unit(value, owner="RFMRules", param="period")


@renamed_params(freq="period")
@attrs.frozen
class RFMRules:
    """The settings of an RFM summary (its spec): units and data-cleaning rules."""

    period: TimeUnit = attrs.field(converter=_to_unit, default=TimeUnit("W"))
    refunds: Literal["net", "drop"] = attrs.field(
        default="net", validator=in_choices({"net", "drop"})
    )
    zero_value: Literal["drop", "keep"] = attrs.field(
        default="drop", validator=in_choices({"drop", "keep"})
    )
    granularity: Literal["D", "W", "M"] = attrs.field(
        default="D", validator=in_choices({"D", "W", "M"})
    )
    tz: str | None = None
    exclude_status: tuple[str, ...] = attrs.field(
        default=("refunded", "cancelled", "canceled", "returned"), converter=_str_tuple
    )


@attrs.frozen(eq=False)
class Transactions:
    """One row per (customer, day) purchase: codes, day numbers, values."""

    customer: IntArray
    day: IntArray
    value: FloatArray
    labels: pd.Index
    accounting: RowAccounting
    end_day: int
    granularity: str = "D"


def read_orders(
    orders: object,
    *,
    customer: str,
    time: str,
    value: str,
    status: str | None,
    observation_end: object,
    rules: RFMRules,
    owner: str,
) -> Transactions:
    cols = [
        Column("customer", customer, "key"),
        Column("time", time, "time"),
        Column("value", value, "number"),
    ]
    if status is not None:
        cols.append(Column("status", status, "category", required=False))
    table = validate(orders, cols, frame_name="orders")
    acc = table.accounting
    raw_day = day_numbers(table, rules)
    day = bucket_days(raw_day, rules.granularity)
    cust = table.codes["customer"]
    val = table.numbers["value"]
    keep = np.ones(len(day), dtype=bool)
    if status is not None:
        labels = table.labels["status"]
        excluded = np.isin(np.asarray(labels, dtype=object), list(rules.exclude_status))
        codes = table.codes["status"]
        bad = (codes >= 0) & excluded[np.maximum(codes, 0)]
        acc = acc.with_dropped("excluded status", int(bad.sum()), column=status)
        keep &= ~bad
    if observation_end is None:
        end_day = int(day[keep].max()) if keep.any() else 0
    else:
        end_raw = end_day_number(observation_end, rules, owner, param="observation_end")
        end_day = int(bucket_days(np.array([end_raw]), rules.granularity)[0])
        late = keep & (raw_day > end_raw)  # the end date itself is honoured, not its bucket
        acc = acc.with_dropped("after observation end", int(late.sum()), column=time)
        keep &= ~late
    refund = keep & (val < 0)
    if rules.refunds == "drop":
        acc = acc.with_dropped("refund", int(refund.sum()), column=value)
        keep &= ~refund
    pos = keep & ~refund
    # Sum the purchases per customer and day.
    n_days = int(day.max() - day.min() + 2) if len(day) else 1
    d0 = int(day.min()) if len(day) else 0
    key = cust[pos] * n_days + (day[pos] - d0)
    ukey, inverse = np.unique(key, return_inverse=True)
    # Huge values are summed in units of the largest one: only a sum beyond float64 fails.
    big = len(val) > 0 and float(np.max(np.abs(val))) > 1e300
    scale = float(np.max(np.abs(val))) if big else 1.0
    total = np.bincount(inverse, weights=val[pos] / scale, minlength=len(ukey)).astype(np.float64)
    if rules.refunds == "net" and refund.any():
        rkey = cust[refund] * n_days + (day[refund] - d0)
        at = np.searchsorted(ukey, rkey, side="right") - 1
        ok = np.zeros(len(at), dtype=bool)  # with no purchase at all, no refund has one
        if len(ukey):
            ok = (at >= 0) & (ukey[np.maximum(at, 0)] // n_days == cust[refund])
        acc = acc.with_dropped("refund without an earlier purchase", int((~ok).sum()), column=value)
        np.add.at(total, at[ok], val[refund][ok] / scale)
    with np.errstate(over="ignore"):
        total = total * scale
    if not np.isfinite(total).all():
        msg = (
            f"Column {value!r} of the orders frame: a customer's purchases on one day add up "
            f"beyond the largest number a float holds (about 1.8e308; largest value "
            f"{scale:.3g}).\nHint: check the column's unit, or rescale it."
        )
        raise SchemaError(msg)
    t_cust = (ukey // n_days).astype(np.int64)
    t_day = (ukey % n_days + d0).astype(np.int64)
    if rules.zero_value == "drop":
        nonpos = total <= 0
        if nonpos.any():
            rows_in_bad = np.bincount(inverse, minlength=len(ukey))[nonpos].sum()
            acc = acc.with_dropped(
                "zero or fully refunded purchase", int(rows_in_bad), column=value
            )
        t_cust, t_day, total = t_cust[~nonpos], t_day[~nonpos], total[~nonpos]
    else:
        total = np.maximum(total, 0.0)
    if len(total) == 0:
        msg = f"No purchases are left in the orders frame after the RFM rules: {acc}."
        raise EmptyFrameError(msg)
    return Transactions(
        t_cust,
        t_day,
        total.astype(np.float64),
        table.labels["customer"],
        acc,
        end_day,
        rules.granularity,
    )


def day_numbers(table: Table, rules: RFMRules) -> IntArray:
    """Local day numbers (days since 1970-01-01 in ``rules.tz``) of the orders."""
    starts = table.times["time"].bucket("D", rules.tz).as_unit("ns")
    return (
        np.asarray(starts.asi8 // DAY_NS, dtype=np.int64) if len(starts) else np.zeros(0, np.int64)
    )


def bucket_days(days: IntArray, granularity: str) -> IntArray:
    """The first day of each day's ``"D"`` day, ``"W"`` week (from Monday) or ``"M"`` month.

    Pure day arithmetic: no timestamp unit to misread (1970-01-01 was a Thursday).
    """
    days = np.asarray(days, dtype=np.int64)
    if granularity == "W":
        return days - (days + 3) % 7
    if granularity == "M":
        months = days.astype("datetime64[D]").astype("datetime64[M]")
        return months.astype("datetime64[D]").astype(np.int64)
    return days


def elapsed(
    later: IntArray | int, earlier: IntArray, unit: TimeUnit, granularity: str
) -> FloatArray:
    """Time from ``earlier`` to ``later`` (day numbers) in ``unit``.

    With monthly buckets and a unit of months (or years), whole calendar months are
    counted, as lifetimes counts periods; otherwise days over the unit's length (whole
    weeks with weekly buckets).
    """
    if granularity == "M" and unit.code in ("M", "Y"):

        def month(d: IntArray | int) -> IntArray:
            return np.asarray(d, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64)

        return np.asarray((month(later) - month(earlier)) / (12.0 if unit.code == "Y" else 1.0))
    return np.asarray((np.asarray(later) - earlier) / unit.days, dtype=np.float64)


def end_day_number(value: object, rules: RFMRules, owner: str, *, param: str) -> int:
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise bad_parameter(owner, param, "a date or time", value) from exc
    if pd.isna(ts):
        raise bad_parameter(owner, param, "a date or time, not NaT", value)
    if ts.tz is not None:
        ts = ts.tz_convert(rules.tz).tz_localize(None) if rules.tz else ts.tz_localize(None)
    return int(ts.floor("D").value // DAY_NS)
