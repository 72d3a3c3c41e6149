"""Per-customer RFM summaries (frequency, recency, age T, monetary value) from orders.

Orders are first cleaned into transactions by the rules of :class:`~._rfm_rules.RFMRules`
(see :mod:`._rfm_rules`: missing values, excluded statuses, late rows, refunds, one
transaction per customer and day).

Then, per customer, in ``freq`` units: ``frequency`` = transactions - 1 (repeat
purchases), ``recency`` = last - first transaction, ``T`` = ``observation_end`` - first
transaction, ``monetary_value`` = mean value of the repeat transactions (0 when there are
none: the Gamma-Gamma convention).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import pandas as pd

from .._deprecation import renamed_params
from .._params import validate_params
from ..results import Provenance, ResultMixin, Summary
from ._rfm_rules import (
    DAY_NS,
    RFM_PARAMS,
    STATUS_VALUES,
    RFMRules,
    Transactions,
    elapsed,
    read_orders,
)
from ._units import TimeUnit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["RFMResult", "RFMRules", "per_customer", "rfm_summary"]

RFM_COLUMNS = ("frequency", "recency", "T", "monetary_value")


@attrs.frozen(eq=False)
class RFMResult(ResultMixin):
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


def per_customer(tx: Transactions, unit: TimeUnit, end_day: int) -> pd.DataFrame:
    order = np.lexsort((tx.day, tx.customer))
    c, d, v = tx.customer[order], tx.day[order], tx.value[order]
    first_row = np.r_[True, c[1:] != c[:-1]]
    starts = np.flatnonzero(first_row)
    count = np.diff(np.r_[starts, len(c)])
    first = d[starts]
    last = d[np.r_[starts[1:], len(c)] - 1]
    # A mean of finite values is finite: huge ones are added in units of the largest.
    big = len(v) > 0 and float(np.max(np.abs(v))) > 1e300
    scale = float(np.max(np.abs(v))) if big else 1.0
    repeat_value = np.add.reduceat(np.where(first_row, 0.0, v / scale), starts)
    freq = count - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(freq > 0, repeat_value / np.maximum(freq, 1) * scale, 0.0)
    index = pd.Index(tx.labels.take(c[starts]))
    index.name = "customer"
    return pd.DataFrame(
        {
            "frequency": freq.astype(np.int64),
            "recency": elapsed(last, first, unit, tx.granularity),
            "T": elapsed(end_day, first, unit, tx.granularity),
            "monetary_value": monetary,
        },
        index=index,
    )


@renamed_params(freq="period")
@validate_params(exclude_status=STATUS_VALUES, **RFM_PARAMS)
def rfm_summary(
    orders: object,
    *,
    customer: str = "customer_id",
    time: str = "timestamp",
    value: str = "revenue",
    period: str | TimeUnit = "W",
    observation_end: object = None,
    status: str | None = None,
    refunds: Literal["net", "drop"] = "net",
    zero_value: Literal["drop", "keep"] = "drop",
    granularity: Literal["D", "W", "M"] = "D",
    tz: str | None = None,
    exclude_status: tuple[str, ...] = ("refunded", "cancelled", "canceled", "returned"),
) -> RFMResult:
    """Summarise orders per customer: frequency, recency, age ``T``, monetary value.

    Parameters
    ----------
    orders
        One row per order (or order line); never modified.
    customer, time, value
        Column names. Rows with a missing customer id, time or value are dropped and
        counted in ``provenance``.
    period
        Unit of ``recency`` and ``T``: ``"D"``, ``"W"``, ``"M"`` or ``"Y"``. Fitted models
        remember it. (Formerly ``freq``, deprecated.)
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
    RFMResult

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
    >>> rfm = lf.ltv.rfm_summary(orders, period="W", observation_end="2026-02-05")
    >>> rfm.to_frame()
              frequency  recency    T  monetary_value
    customer
    a                 2      4.0  5.0            40.0
    b                 0      0.0  4.0             0.0
    >>> rfm.provenance.rows_dropped
    1
    """
    rules = RFMRules(
        period=period,
        refunds=refunds,
        zero_value=zero_value,
        granularity=granularity,
        tz=tz,
        exclude_status=exclude_status,
    )
    tx = read_orders(
        orders,
        customer=customer,
        time=time,
        value=value,
        status=status,
        observation_end=observation_end,
        rules=rules,
        owner="rfm_summary",
    )
    frame = per_customer(tx, rules.period, tx.end_day)
    end = pd.Timestamp(tx.end_day * DAY_NS)
    return RFMResult(frame, rules.period, end, Provenance(rules, {"orders": tx.accounting}))
