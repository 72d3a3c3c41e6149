"""Builders of :class:`OverviewResult`: read a frame through the schema layer, then count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._deprecation import renamed_params
from .._params import ColumnName, Columns, InstanceOf, Satisfies, validate_params
from ..errors import ColumnNotFoundError, SchemaError
from ..results import Provenance
from ..schema import (
    EVENT_COLUMNS,
    ORDER_COLUMNS,
    Column,
    Table,
    as_frame,
    check_time_zone,
    validate,
)
from ._result import MISSING_LABEL, OverviewResult, OverviewSpec

__all__ = ["describe_events", "describe_orders"]

_NS_PER_DAY = 86_400 * 10**9
_DEFAULT_BY = ("country", "platform")
_BY = [Columns(), Satisfies(lambda v: isinstance(v, list | tuple) and not v, "an empty list")]
_TZ = [
    None,
    InstanceOf(str, dt.tzinfo, description="a time zone name such as 'Europe/Berlin'"),
]


# --------------------------------------------------------------------------- builders


@validate_params(user=ColumnName(), time=ColumnName(), event=ColumnName(), by=_BY, tz=_TZ)
def describe_events(
    events: object,
    *,
    user: str = EVENT_COLUMNS["user"],
    time: str = EVENT_COLUMNS["time"],
    event: str = EVENT_COLUMNS["event"],
    by: str | Sequence[str] = _DEFAULT_BY,
    tz: str | dt.tzinfo | None = None,
) -> OverviewResult:
    """Describe an event log: rows, users, event names, date range, segments, days.

    Parameters
    ----------
    events
        One row per event (pandas DataFrame, or anything with ``to_pandas()``); never
        modified.
    user, time, event
        Column names for the user id, the event time and the event name.
    by
        Segment columns to count (each must exist); missing values are counted under
        ``"(missing)"``, not dropped.
    tz
        IANA zone to read days and the date range in (naive times are taken as UTC).
        ``None`` keeps the input's own zone.

    Returns
    -------
    OverviewResult

    Raises
    ------
    ColumnNotFoundError
        A named column (including a ``by`` column) is missing.
    EmptyFrameError
        No rows, or none with a user, a time and an event name.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "user_id": ["a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2026-01-01 23:30", "2026-01-02 01:00",
    ...                                  "2026-01-02 02:00"], utc=True),
    ...     "event": ["visit", "payment", "visit"],
    ... })
    >>> ov = describe_events(events, by=(), tz="Asia/Shanghai")
    >>> ov.daily()
            date  rows  users
    0 2026-01-02     3      2
    >>> ov.date_range_text()
    '2026-01-02 → 2026-01-02 (Asia/Shanghai)'
    """
    by_cols = _check_by(by)
    tz_name = check_time_zone(tz)
    frame = as_frame(events, frame_name="events")
    _check_by_exist(frame, by_cols, "events")
    cols = [
        Column("user", user, "key"),
        Column("time", time, "time"),
        Column("event", event, "category"),
    ]
    table = validate(frame, cols + _by_columns(by_cols), frame_name="events")
    spec = OverviewSpec(
        "events", (("user", user), ("time", time), ("event", event)), by_cols, tz_name
    )
    return _describe(table, spec, entity="users", dims=("event", *by_cols))


@renamed_params(revenue="value")
@validate_params(
    order=[None, ColumnName()],
    customer=ColumnName(),
    time=ColumnName(),
    value=ColumnName(),
    by=_BY,
    tz=_TZ,
)
def describe_orders(
    orders: object,
    *,
    order: str | None = ORDER_COLUMNS["order"],
    customer: str = ORDER_COLUMNS["customer"],
    time: str = ORDER_COLUMNS["time"],
    value: str = ORDER_COLUMNS["revenue"],
    by: str | Sequence[str] = _DEFAULT_BY,
    tz: str | dt.tzinfo | None = None,
) -> OverviewResult:
    """Describe an order table: rows, customers, orders, revenue, date range, segments, days.

    Parameters
    ----------
    orders
        One row per order (or order line); never modified.
    order
        Order id column, used to count distinct orders; ``None`` if there is none.
    customer, time, value
        Column names for the customer id, the order time and the order's value (revenue;
        ``revenue=`` is the deprecated name of ``value=``).
    by
        Segment columns to count (each must exist), e.g. ``("status", "country")``.
    tz
        IANA zone to read days and the date range in; ``None`` keeps the input's own.

    Returns
    -------
    OverviewResult

    Raises
    ------
    ColumnNotFoundError
        A named column (including a ``by`` column) is missing.
    EmptyFrameError
        No rows, or none with a customer, a time and a revenue.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": [1, 2, 3],
    ...     "customer_id": ["a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-03", "2026-01-03"]),
    ...     "revenue": [10.0, 25.0, 5.0],
    ...     "status": ["paid", "refunded", "paid"],
    ... })
    >>> ov = describe_orders(orders, by="status")
    >>> ov.n_orders, ov.n_entities, ov.revenue
    (3, 2, 40.0)
    >>> ov.segments("status")[["value", "rows", "revenue"]]
          value  rows  revenue
    0      paid     2     15.0
    1  refunded     1     25.0
    """
    by_cols = _check_by(by)
    tz_name = check_time_zone(tz)
    frame = as_frame(orders, frame_name="orders")
    _check_by_exist(frame, by_cols, "orders")
    cols = [
        Column("customer", customer, "key"),
        Column("time", time, "time"),
        Column("value", value, "number"),
    ]
    mapping = [("customer", customer), ("time", time), ("value", value)]
    if order is not None:
        cols.insert(0, Column("order", order, "key", required=False))
        mapping.insert(0, ("order", order))
    table = validate(frame, cols + _by_columns(by_cols), frame_name="orders")
    spec = OverviewSpec("orders", tuple(mapping), by_cols, tz_name)
    return _describe(table, spec, entity="customers", dims=by_cols)


# --------------------------------------------------------------------------- kernels


def _check_by(by: str | Sequence[str]) -> tuple[str, ...]:
    return (by,) if isinstance(by, str) else tuple(by)


def _check_by_exist(frame: pd.DataFrame, by: tuple[str, ...], frame_name: str) -> None:
    for c in by:
        if c not in frame.columns:
            raise ColumnNotFoundError(c, frame.columns, role="by", frame_name=frame_name)


def _by_columns(by: tuple[str, ...]) -> list[Column]:
    return [Column(f"by:{c}", c, "category", required=False) for c in by]


def _distinct_per_group(
    groups: npt.NDArray[np.int64], n_groups: int, people: npt.NDArray[np.int64], n_people: int
) -> npt.NDArray[np.int64]:
    """Distinct ``people`` codes within each group code 0..n_groups-1 (no Python loop)."""
    pairs = np.unique(groups * np.int64(max(n_people, 1)) + people)
    return np.bincount(pairs // max(n_people, 1), minlength=n_groups).astype(np.int64)


def _describe(
    table: Table, spec: OverviewSpec, *, entity: str, dims: Sequence[str]
) -> OverviewResult:
    person_role = "user" if spec.kind == "events" else "customer"
    people = table.codes[person_role]
    n_people_codes = len(table.labels[person_role])
    revenue = table.numbers.get("value")
    if revenue is not None:
        _check_finite_revenue(revenue, table.columns["value"])
    n = table.n_rows

    seg_parts = []
    for dim in dims:
        role = "event" if dim == "event" and spec.kind == "events" else f"by:{dim}"
        raw = table.codes[role]
        n_labels = len(table.labels[role])
        codes = np.where(raw < 0, n_labels, raw)  # missing last, so ties list it last
        labels = [*(str(v) for v in table.labels[role]), MISSING_LABEL]
        rows = np.bincount(codes, minlength=len(labels)).astype(np.int64)
        data: dict[str, Any] = {
            "dimension": dim,
            "value": labels,
            "rows": rows,
            "share": rows / n,
            entity: _distinct_per_group(codes, len(labels), people, n_people_codes),
        }
        if revenue is not None:
            data["revenue"] = np.bincount(codes, weights=revenue, minlength=len(labels))
        part = pd.DataFrame(data)
        part = part[part["rows"] > 0].sort_values("rows", ascending=False, kind="stable")
        seg_parts.append(part)
    columns = ["dimension", "value", "rows", "share", entity] + (
        ["revenue"] if revenue is not None else []
    )
    segments = (
        pd.concat(seg_parts, ignore_index=True) if seg_parts else pd.DataFrame(columns=columns)
    )
    segments = segments.astype({"dimension": str, "value": str, "rows": np.int64, entity: np.int64})

    times = table.times["time"]
    days = times.bucket("D", spec.tz).as_unit("ns").asi8 // _NS_PER_DAY
    first_day = int(days.min())
    day_codes = (days - first_day).astype(np.int64)
    n_days = int(day_codes.max()) + 1
    daily_data: dict[str, Any] = {
        "date": pd.date_range(pd.Timestamp(first_day * _NS_PER_DAY), periods=n_days, freq="D"),
        "rows": np.bincount(day_codes, minlength=n_days).astype(np.int64),
        entity: _distinct_per_group(day_codes, n_days, people, n_people_codes),
    }
    if revenue is not None:
        daily_data["revenue"] = np.bincount(day_codes, weights=revenue, minlength=n_days)
    daily = pd.DataFrame(daily_data)

    start, end = (_instant(int(v), times.tz, spec.tz) for v in (times.ns.min(), times.ns.max()))
    notes: tuple[str, ...] = ()
    if spec.tz is not None and times.tz is None:
        notes = (f"Naive times in column {times.column!r} were read as UTC.",)
    n_orders = None
    if "order" in table.codes:
        order_codes = table.codes["order"]
        n_orders = int(np.count_nonzero(np.bincount(order_codes[order_codes >= 0])))
    return OverviewResult(
        kind=spec.kind,
        entity=entity,
        n_rows=n,
        n_entities=int(np.count_nonzero(np.bincount(people))),
        start=start,
        end=end,
        tz=spec.tz,
        segments=segments,
        daily=daily,
        provenance=Provenance(spec, {table.frame_name: table.accounting}, notes),
        n_orders=n_orders,
        revenue=float(revenue.sum()) if revenue is not None else None,
    )


def _check_finite_revenue(revenue: npt.NDArray[np.float64], column: str) -> None:
    """Refuse revenue whose sum leaves float64's range (it would read inf)."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(np.abs(revenue))
    if not np.isfinite(total):
        msg = (
            f"Column {column!r} of the orders frame adds up beyond the float64 range "
            f"(about {np.finfo(np.float64).max:.3g}): its totals would be infinite."
            "\nHint: check the column holds amounts (not ids or sentinel values such as 1e308)."
        )
        raise SchemaError(msg)


def _instant(ns: int, source_tz: str | dt.tzinfo | None, tz: str | None) -> pd.Timestamp:
    """A time in ``tz`` (or the input's zone); naive input stays naive unless ``tz`` is given."""
    if source_tz is None and tz is None:
        return pd.Timestamp(ns)
    utc = pd.Timestamp(ns, tz="UTC")
    return utc.tz_convert(tz if tz is not None else source_tz)
