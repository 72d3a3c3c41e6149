"""Revenue of the last full calendar month against the one before, decomposed.

Revenue is written as ``customers * orders per customer * average order value (AOV)``
(:data:`TREE`) and its month-over-month change is split among the three drivers with
LMDI-I (exact: the contributions sum to the change), overall and within each segment
(country), then into activity (total customers), structure (the segments' mix of
customers) and intensity effects; the AOV change is split into mix (orders moving between
segments) and rate (AOV moving within segments). Rendered by the report's KPI section.
"""

from __future__ import annotations

import warnings

import attrs
import numpy as np
import pandas as pd

from ..errors import DataQualityWarning
from ..kpi import DecompositionResult, KPITree, MixRateResult, mix_rate
from ..schema import Column, RowAccounting, validate

__all__ = ["DRIVERS", "TREE", "MonthOverMonth", "month_over_month"]

#: The tree decomposed: revenue = customers * orders per customer * AOV.
TREE = KPITree.from_formula("revenue = customers * orders_per_customer * aov")
#: The root's inputs, in the tree's order.
DRIVERS = ("customers", "orders_per_customer", "aov")


@attrs.frozen(eq=False)
class MonthOverMonth:
    """The revenue change of the last full month, decomposed; what the section shows.

    Attributes
    ----------
    before, after
        The two full calendar months compared (``after`` is the last full one).
    first_day, last_day
        First and last day with an order (in the zone months are read in).
    by_driver
        LMDI (or Shapley) decomposition of the total revenue change among the drivers.
    by_segment
        The same per segment (``None`` without a segment column).
    structure
        Activity / structure / intensity decomposition across segments (or ``None``).
    aov_mix
        AOV change split into mix and rate across segments (or ``None``).
    segment
        The segment column (``"country"``), or ``None``.
    accounting
        Order rows used and dropped.
    """

    before: pd.Period
    after: pd.Period
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    by_driver: DecompositionResult
    by_segment: DecompositionResult | None
    structure: DecompositionResult | None
    aov_mix: MixRateResult | None
    segment: str | None
    accounting: RowAccounting

    @property
    def partial(self) -> pd.Period | None:
        """The month after ``after`` when the data covers only part of it."""
        nxt = self.after + 1
        return nxt if self.last_day >= nxt.start_time else None


def _leaves(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the tree's leaves to per-group counts of customers, orders and sales."""
    return frame.assign(
        orders_per_customer=frame["orders"] / frame["customers"],
        aov=frame["sales"] / frame["orders"],
    )


def _count(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return (
        frame.groupby(keys, as_index=False, observed=True, sort=True)
        .agg(customers=("customer", "nunique"), orders=("order", "nunique"), sales=("sales", "sum"))
        .pipe(_leaves)
    )


def month_over_month(
    orders: pd.DataFrame,
    *,
    order: str | None = "order_id",
    customer: str = "customer_id",
    time: str = "timestamp",
    revenue: str = "revenue",
    segment: str | None = "country",
    tz: str | None = None,
) -> MonthOverMonth | None:
    """Decompose the revenue change of the last full calendar month against the one before.

    Rows with a missing customer, time or revenue are dropped (and counted); several rows
    of one order id are one order. A month is full when the data has orders on or before
    its first day and on or after its last day.

    Returns
    -------
    MonthOverMonth or None
        ``None`` when fewer than two full months exist or either month has no orders.
    """
    cols = [
        Column("customer", customer, "key"),
        Column("time", time, "time"),
        Column("revenue", revenue, "number"),
    ]
    if order is not None:
        cols.append(Column("order", order, "key", required=False))
    if segment is not None:
        cols.append(Column("segment", segment, "category", required=False))
    table_ = validate(orders, cols, frame_name="orders")
    n = table_.n_rows
    wall = table_.times["time"].local(tz)
    order_codes = table_.codes["order"] if order is not None else np.full(n, -1, dtype=np.int64)
    # A row without an order id is an order of its own.
    order_key = np.where(order_codes >= 0, order_codes, -1 - np.arange(n, dtype=np.int64))
    frame = pd.DataFrame(
        {
            "month": wall.to_period("M"),
            "customer": table_.codes["customer"],
            "order": order_key,
            "sales": table_.numbers["revenue"],
        }
    )
    if segment is not None:
        labels = table_.labels["segment"].astype(str)
        codes = table_.codes["segment"]
        frame["segment"] = np.where(
            codes >= 0, np.asarray(labels)[np.maximum(codes, 0)], "(missing)"
        )
    first_day, last_day = wall.min().normalize(), wall.max().normalize()
    months = pd.period_range(first_day, last_day, freq="M")
    full = [m for m in months if m.start_time >= first_day and m.end_time.normalize() <= last_day]
    if len(full) < 2:
        return None
    before, after = full[-2], full[-1]
    frame = frame[frame["month"].isin([before, after])]
    monthly = _count(frame, ["month"])
    if len(monthly) < 2:  # a full month without any order (a gap in the data)
        return None
    b, a = (monthly[monthly["month"] == m].iloc[0] for m in (before, after))
    signed = bool((monthly["sales"] < 0).any())
    by_segment = structure = aov_mix = None
    if segment is not None:
        seg = _count(frame, ["month", "segment"])
        signed = signed or bool((seg["sales"] < 0).any())
        method = "shapley" if signed else "lmdi"
        s0 = seg[seg["month"] == before].drop(columns="month")
        s1 = seg[seg["month"] == after].drop(columns="month")
        by_segment = TREE.decompose(s0, s1, method, by="segment")
        structure = TREE.decompose_structure(
            s0, s1, by="segment", activity="customers", method=method
        )
        # Segments with orders in one month only have no AOV in the other: the library
        # warns, and the result flags them (one_period), which the section shows.
        with warnings.catch_warnings(record=True, action="always", category=DataQualityWarning):
            aov_mix = mix_rate(s0, s1, by="segment", weight="orders", rate="aov", name="aov")
    method = "shapley" if signed else "lmdi"  # LMDI needs values >= 0 (net refunds: Shapley)
    by_driver = TREE.decompose(
        {k: float(b[k]) for k in DRIVERS}, {k: float(a[k]) for k in DRIVERS}, method
    )
    return MonthOverMonth(
        before=before,
        after=after,
        first_day=first_day,
        last_day=last_day,
        by_driver=by_driver,
        by_segment=by_segment,
        structure=structure,
        aov_mix=aov_mix,
        segment=segment,
        accounting=table_.accounting,
    )
