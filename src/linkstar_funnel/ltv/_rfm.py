"""Per-customer RFM summaries (frequency, recency, age T, monetary value) from orders.

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

Then, per customer, in ``freq`` units: ``frequency`` = transactions - 1 (repeat
purchases), ``recency`` = last - first transaction, ``T`` = ``observation_end`` - first
transaction, ``monetary_value`` = mean value of the repeat transactions (0 when there are
none: the Gamma-Gamma convention).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._validators import bad_parameter, in_choices
from ..errors import EmptyFrameError
from ..results import Provenance, ResultMixin, Summary
from ..schema import Column, RowAccounting, Table, validate
from ._units import TimeUnit, as_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CalibrationHoldout", "RFMRules", "RFMSummary", "calibration_holdout", "rfm_summary"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_DAY_NS = 86_400 * 10**9
RFM_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def _str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]


def _to_unit(value: object) -> TimeUnit:
    return as_unit(value, owner="RFMRules", param="freq")


@attrs.frozen
class RFMRules:
    """The settings of an RFM summary (its spec): units and data-cleaning rules."""

    freq: TimeUnit = attrs.field(converter=_to_unit, default=TimeUnit("W"))
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
class RFMSummary(ResultMixin):
    """Per-customer frequency, recency, age ``T`` and monetary value, in :attr:`unit`.

    Pass it to ``BetaGeo().fit``, ``ParetoNBD().fit`` or ``GammaGamma().fit``: the fitted
    model then knows its time unit.
    """

    frame: pd.DataFrame = attrs.field(repr=False)
    unit: TimeUnit
    observation_end: pd.Timestamp
    provenance: Provenance = attrs.field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """``frequency``, ``recency``, ``T``, ``monetary_value`` indexed by customer (a copy)."""
        return self.frame.copy()

    def __len__(self) -> int:
        return len(self.frame)

    def summary(self) -> Summary:
        """Customers, repeat buyers, and the medians of each column."""
        f = self.frame
        repeat = f["frequency"] > 0
        facts = (
            ("customers", f"{len(f):,}"),
            ("repeat buyers", f"{int(repeat.sum()):,} ({repeat.mean():.1%})"),
            ("time unit", str(self.unit)),
            ("observation end", str(self.observation_end.date())),
            ("mean repeat purchases", f"{f['frequency'].mean():.2f}"),
            ("mean T", f"{f['T'].mean():.1f} {self.unit}"),
        )
        return Summary("RFM summary", facts=facts, notes=tuple(self.provenance.lines()))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Bar chart of customers by number of repeat purchases."""
        from ._plot import plot_frequency_histogram

        return plot_frequency_histogram(self.frame["frequency"], ax=ax, **kwargs)


@attrs.frozen(eq=False)
class CalibrationHoldout(ResultMixin):
    """An RFM summary of a calibration period plus what each customer did afterwards.

    ``holdout`` is indexed like ``calibration``: ``frequency_holdout`` (transactions in the
    holdout period), ``value_holdout`` (their total value) and ``duration_holdout`` (the
    holdout length in the calibration's unit).
    """

    calibration: RFMSummary
    holdout: pd.DataFrame = attrs.field(repr=False)
    calibration_end: pd.Timestamp
    observation_end: pd.Timestamp

    @property
    def provenance(self) -> Provenance:
        """The calibration summary's provenance."""
        return self.calibration.provenance

    def to_frame(self) -> pd.DataFrame:
        """Calibration columns joined with the holdout columns."""
        return self.calibration.frame.join(self.holdout)

    def summary(self) -> Summary:
        """Both periods in numbers."""
        h = self.holdout
        facts = (
            ("customers", f"{len(h):,}"),
            ("calibration end", str(self.calibration_end.date())),
            ("holdout end", str(self.observation_end.date())),
            ("holdout transactions", f"{int(h['frequency_holdout'].sum()):,}"),
            ("holdout value", f"{h['value_holdout'].sum():,.0f}"),
        )
        return Summary("Calibration / holdout split", facts=facts)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Mean holdout transactions by calibration repeat purchases."""
        from ._plot import plot_holdout_by_frequency

        return plot_holdout_by_frequency(self.to_frame(), ax=ax, **kwargs)


# --------------------------------------------------------------------------- core


@attrs.frozen(eq=False)
class _Transactions:
    """One row per (customer, day) purchase: codes, day numbers, values."""

    customer: IntArray
    day: IntArray
    value: FloatArray
    labels: pd.Index
    accounting: RowAccounting
    end_day: int


def _read_orders(
    orders: object,
    *,
    customer: str,
    time: str,
    value: str,
    status: str | None,
    observation_end: object,
    rules: RFMRules,
    owner: str,
) -> _Transactions:
    cols = [
        Column("customer", customer, "key"),
        Column("time", time, "time"),
        Column("value", value, "number"),
    ]
    if status is not None:
        cols.append(Column("status", status, "category", required=False))
    table = validate(orders, cols, frame_name="orders")
    acc = table.accounting
    day = _day_numbers(table, rules)
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
        end_day = _end_day(observation_end, rules, owner)
        late = keep & (day > end_day)
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
    total = np.bincount(inverse, weights=val[pos], minlength=len(ukey))
    if rules.refunds == "net" and refund.any():
        rkey = cust[refund] * n_days + (day[refund] - d0)
        at = np.searchsorted(ukey, rkey, side="right") - 1
        ok = (at >= 0) & (ukey[np.maximum(at, 0)] // n_days == cust[refund])
        acc = acc.with_dropped("refund without an earlier purchase", int((~ok).sum()), column=value)
        np.add.at(total, at[ok], val[refund][ok])
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
    return _Transactions(
        t_cust, t_day, total.astype(np.float64), table.labels["customer"], acc, end_day
    )


def _day_numbers(table: Table, rules: RFMRules) -> IntArray:
    starts = table.times["time"].bucket(rules.granularity, rules.tz)
    return (
        np.asarray(starts.asi8 // _DAY_NS, dtype=np.int64) if len(starts) else np.zeros(0, np.int64)
    )


def _end_day(value: object, rules: RFMRules, owner: str) -> int:
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise bad_parameter(owner, "observation_end", "a date or time", value) from exc
    if pd.isna(ts):
        raise bad_parameter(owner, "observation_end", "a date or time, not NaT", value)
    if ts.tz is not None:
        ts = ts.tz_convert(rules.tz).tz_localize(None) if rules.tz else ts.tz_localize(None)
    return int(ts.floor("D").value // _DAY_NS)


def _per_customer(tx: _Transactions, unit: TimeUnit, end_day: int) -> pd.DataFrame:
    order = np.lexsort((tx.day, tx.customer))
    c, d, v = tx.customer[order], tx.day[order], tx.value[order]
    first_row = np.r_[True, c[1:] != c[:-1]]
    starts = np.flatnonzero(first_row)
    count = np.diff(np.r_[starts, len(c)])
    first = d[starts]
    last = d[np.r_[starts[1:], len(c)] - 1]
    repeat_value = np.add.reduceat(np.where(first_row, 0.0, v), starts)
    freq = count - 1
    scale = 1.0 / unit.days
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(freq > 0, repeat_value / np.maximum(freq, 1), 0.0)
    index = pd.Index(tx.labels.take(c[starts]))
    index.name = "customer"
    return pd.DataFrame(
        {
            "frequency": freq.astype(np.int64),
            "recency": (last - first) * scale,
            "T": (end_day - first) * scale,
            "monetary_value": monetary,
        },
        index=index,
    )


def rfm_summary(
    orders: object,
    *,
    customer: str = "customer_id",
    time: str = "timestamp",
    value: str = "revenue",
    freq: str | TimeUnit = "W",
    observation_end: object = None,
    status: str | None = None,
    refunds: Literal["net", "drop"] = "net",
    zero_value: Literal["drop", "keep"] = "drop",
    granularity: Literal["D", "W", "M"] = "D",
    tz: str | None = None,
    exclude_status: tuple[str, ...] = ("refunded", "cancelled", "canceled", "returned"),
) -> RFMSummary:
    """Summarise orders per customer: frequency, recency, age ``T``, monetary value.

    Parameters
    ----------
    orders
        One row per order (or order line); never modified.
    customer, time, value
        Column names. Rows with a missing customer id, time or value are dropped and
        counted in ``provenance``.
    freq
        Unit of ``recency`` and ``T``: ``"D"``, ``"W"``, ``"M"`` or ``"Y"``. Fitted models
        remember it.
    observation_end
        End of the observation period (a date: orders on that day count); default: the
        day of the last order. ``T`` is measured to it.
    status
        Optional status column; rows whose status is in ``exclude_status`` are dropped.
    refunds
        ``"net"``: a negative value reduces the customer's latest purchase day at or before
        it; ``"drop"``: negative rows are ignored.
    zero_value
        ``"drop"``: days whose (net) value is ≤ 0 are not transactions; ``"keep"``: they
        count, at value 0.
    granularity
        Purchases in the same ``"D"`` day (or ``"W"`` week, ``"M"`` month) are one
        transaction.
    tz
        IANA zone in which days are read (default: the data's own).
    exclude_status
        Status values treated as not purchased.

    Returns
    -------
    RFMSummary

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel as lf
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", None],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-15", "2026-01-29",
    ...                                  "2026-01-08", "2026-01-09"]),
    ...     "revenue": [20.0, 30.0, 50.0, 10.0, 5.0],
    ... })
    >>> rfm = lf.ltv.rfm_summary(orders, freq="W", observation_end="2026-02-05")
    >>> rfm.to_frame()
              frequency  recency    T  monetary_value
    customer
    a                 2      4.0  5.0            40.0
    b                 0      0.0  4.0             0.0
    >>> rfm.provenance.rows_dropped
    1
    """
    rules = RFMRules(
        freq=freq,
        refunds=refunds,
        zero_value=zero_value,
        granularity=granularity,
        tz=tz,
        exclude_status=exclude_status,
    )
    tx = _read_orders(
        orders,
        customer=customer,
        time=time,
        value=value,
        status=status,
        observation_end=observation_end,
        rules=rules,
        owner="rfm_summary",
    )
    frame = _per_customer(tx, rules.freq, tx.end_day)
    end = pd.Timestamp(tx.end_day * _DAY_NS)
    return RFMSummary(frame, rules.freq, end, Provenance(rules, {"orders": tx.accounting}))


def calibration_holdout(
    orders: object,
    *,
    calibration_end: object,
    observation_end: object = None,
    customer: str = "customer_id",
    time: str = "timestamp",
    value: str = "revenue",
    freq: str | TimeUnit = "W",
    status: str | None = None,
    refunds: Literal["net", "drop"] = "net",
    zero_value: Literal["drop", "keep"] = "drop",
    granularity: Literal["D", "W", "M"] = "D",
    tz: str | None = None,
) -> CalibrationHoldout:
    """Split orders at ``calibration_end``: an RFM summary before, purchases after.

    Customers whose first purchase falls after ``calibration_end`` are not in the result
    (they are counted in the provenance notes). Parameters as :func:`rfm_summary`.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel as lf
    >>> orders = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 3],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-08", "2026-02-12",
    ...                                  "2026-01-05", "2026-02-01"]),
    ...     "revenue": [10.0, 12.0, 8.0, 30.0, 5.0],
    ... })
    >>> split = lf.ltv.calibration_holdout(orders, calibration_end="2026-01-31",
    ...                                    observation_end="2026-02-28")
    >>> split.holdout
              frequency_holdout  value_holdout  duration_holdout
    customer
    1                         1            8.0               4.0
    2                         0            0.0               4.0
    """
    rules = RFMRules(
        freq=freq, refunds=refunds, zero_value=zero_value, granularity=granularity, tz=tz
    )
    tx = _read_orders(
        orders,
        customer=customer,
        time=time,
        value=value,
        status=status,
        observation_end=observation_end,
        rules=rules,
        owner="calibration_holdout",
    )
    cal_day = _end_day(calibration_end, rules, "calibration_holdout")
    if cal_day >= tx.end_day:
        err = bad_parameter(
            "calibration_holdout",
            "calibration_end",
            f"a date before the observation end ({pd.Timestamp(tx.end_day * _DAY_NS).date()})",
            calibration_end,
        )
        raise err
    in_cal = tx.day <= cal_day
    if not in_cal.any():
        msg = f"No purchases fall on or before calibration_end={calibration_end!r}."
        raise EmptyFrameError(msg)
    cal_tx = attrs.evolve(
        tx, customer=tx.customer[in_cal], day=tx.day[in_cal], value=tx.value[in_cal]
    )
    cal = _per_customer(cal_tx, rules.freq, cal_day)
    known = np.zeros(len(tx.labels), dtype=bool)
    known[cal_tx.customer] = True
    later = ~in_cal & known[tx.customer]
    n = len(tx.labels)
    hold_n = np.bincount(tx.customer[later], minlength=n)
    hold_v = np.bincount(tx.customer[later], weights=tx.value[later], minlength=n)
    codes = np.unique(cal_tx.customer)  # same order as _per_customer's index
    holdout = pd.DataFrame(
        {
            "frequency_holdout": hold_n[codes].astype(np.int64),
            "value_holdout": hold_v[codes],
            "duration_holdout": np.full(len(codes), (tx.end_day - cal_day) / rules.freq.days),
        },
        index=cal.index,
    )
    new_later = int(np.unique(tx.customer[~in_cal & ~known[tx.customer]]).size)
    notes = (f"{new_later:,} customers first bought after the calibration end (left out)",)
    cal_end = pd.Timestamp(cal_day * _DAY_NS)
    summary = RFMSummary(
        cal, rules.freq, cal_end, Provenance(rules, {"orders": tx.accounting}, notes)
    )
    return CalibrationHoldout(summary, holdout, cal_end, pd.Timestamp(tx.end_day * _DAY_NS))
