"""Bad-input cases of the order timelines (``linkstar_funnel.orders``)."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import pandas as pd

import linkstar_funnel as lf
from linkstar_funnel.datasets import demo_timelines
from linkstar_funnel.orders import LeadTimesResult, OrderRatesResult, Timeline

from .cases import Case, Frames, store

_RESULT = "result record: built by the library from validated input, not by users"

#: Public callables of the area not driven here, with the reason.
EXEMPT: dict[str, str] = {
    "orders.Timeline": "the record behind a timeline; users build one with from_columns / from_history (driven)",
    "orders.LeadTimesResult": _RESULT,
    "orders.OrderRatesResult": _RESULT,
    "orders.LeadTimeSpec": _RESULT,
    "orders.RateSpec": _RESULT,
}


@functools.cache
def _demo() -> Any:
    return demo_timelines(store().orders.iloc[:120], seed=3)


def orders() -> Frames:
    cols = ["order_id", "customer_id", "country", "channel", "paid_at", "shipped_at"]
    cols += ["delivered_at", "refunded_at"]
    return {"orders": _demo().orders[cols].copy()}


def history() -> Frames:
    return {"history": _demo().history.copy()}


STEPS = {"paid": "paid_at", "shipped": "shipped_at", "delivered": "delivered_at"}


@functools.cache
def timeline() -> Timeline:
    return Timeline.from_columns(
        orders()["orders"], steps=STEPS, refunded="refunded_at", by=["country", "channel"]
    )


def _use(tl: Timeline) -> tuple[object, ...]:
    """Everything a timeline gives, so corrupted input reaches every output."""
    lead = _or_empty(lambda: tl.lead_times(sla={"paid->shipped": "2D"}, by=tl.by[:1]))
    rates = _or_empty(lambda: tl.rates(by=tl.by[-1:]))
    return (tl.events(), tl.data_quality(), lead, rates)


def _or_empty(make: Any) -> object:
    try:
        return make()
    except lf.EmptyFrameError:  # e.g. every paid time corrupted away
        return None


@functools.cache
def lead_times() -> LeadTimesResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        return timeline().lead_times(sla={"paid->shipped": "2D", "shipped->delivered": "10D"})


@functools.cache
def rates() -> OrderRatesResult:
    return timeline().rates(by="country")


CASES: list[Case] = [
    Case(
        "orders.Timeline.from_columns",
        lambda orders, **kw: _use(Timeline.from_columns(orders, **kw)),
        (Timeline.from_columns, Timeline.data_quality),
        orders,
        {
            "order": "order_id",
            "customer": "customer_id",
            "steps": STEPS,
            "refunded": "refunded_at",
            "returned": None,
            "cancelled": None,
            "by": ["country", "channel"],
            "observation_end": None,
        },
    ),
    Case(
        "orders.Timeline.from_history",
        lambda history, **kw: _use(Timeline.from_history(history, **kw)),
        (Timeline.from_history,),
        history,
        {
            "order": "order_id",
            "customer": "customer_id",
            "status": "status",
            "time": "changed_at",
            "steps": ["paid", "shipped", "delivered", "reviewed"],
            "refunded": "refunded",
            "returned": "returned",
            "cancelled": "cancelled",
            "by": "country",
            "observation_end": pd.Timestamp("2026-02-10", tz="UTC"),
        },
        columns={"history": ("order_id", "customer_id", "status", "changed_at", "country")},
    ),
    Case(
        "orders.Timeline.events",
        lambda **kw: timeline().events(**kw),
        (Timeline.events,),
        params={"time": "timestamp", "event": "event"},
    ),
    Case(
        "orders.Timeline.lead_times",
        lambda **kw: timeline().lead_times(**kw),
        (Timeline.lead_times, LeadTimesResult.rate_observations),
        params={"sla": {"paid->shipped": "2D"}, "by": "country", "alpha": 0.05},
    ),
    Case(
        "orders.Timeline.rates",
        lambda **kw: timeline().rates(**kw),
        (Timeline.rates, OrderRatesResult.rate_observations),
        params={"by": ["country", "channel"], "alpha": 0.1, "settle": "3D"},
    ),
    Case(
        "orders.LeadTimesResult.trend_observations",
        lambda **kw: lead_times().trend_observations(**kw),
        (LeadTimesResult.trend_observations,),
        params={"period": "W", "tz": "Asia/Tokyo"},
    ),
    Case(
        "orders.OrderRatesResult.trend_observations",
        lambda **kw: rates().trend_observations(**kw),
        (OrderRatesResult.trend_observations,),
        params={"period": "D", "tz": None, "settle": "7D"},
    ),
    Case(
        "orders.LeadTimesResult.compare",
        lambda **kw: lead_times().compare(**kw),
        (LeadTimesResult.compare,),
        params=lambda: {
            "bench": lf.Benchmark.from_rates(
                {"paid->shipped over SLA": 0.1}, source="target", as_of="2026-01"
            )
        },
    ),
    Case(
        "orders.OrderRatesResult.compare",
        lambda **kw: rates().compare(**kw),
        (OrderRatesResult.compare,),
        params=lambda: {
            "bench": lf.Benchmark.from_rates({"refunded": 0.04}, source="target", as_of="2026-01")
        },
    ),
]
