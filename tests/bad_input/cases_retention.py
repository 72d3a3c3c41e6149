"""Bad-input cases of retention, lifecycle (``linkstar_funnel.retention``) and RFM segments
(``linkstar_funnel.ltv.rfm_segments``)."""

from __future__ import annotations

import functools
import warnings

import linkstar_funnel as lf
from linkstar_funnel.retention import Lifecycle, Retention, RetentionResult

from .cases import Case, Frames, orders, store

_RESULT = "result record: built by the library from validated input, not by users"

#: Public callables of the area not driven here, with the reason (the retention names
#: count once they are exported at the top level).
EXEMPT: dict[str, str] = {
    "ltv.RFMSegmentsResult": _RESULT,
    # The retention_cells and lifecycle_cells capabilities: records the library builds from
    # validated parameters (Retention.compute and Lifecycle.compute drive them), Protocols.
    "engines.RetentionCells": _RESULT,
    "engines.RetentionCellsEngine": "Protocol: describes a backend, never called",
    "engines.RetentionQuery": "engine record: built by Retention.compute from its checked "
    "parameters",
    "engines.LifecycleCells": _RESULT,
    "engines.LifecycleCellsEngine": "Protocol: describes a backend, never called",
    "engines.LifecycleQuery": "engine record: built by Lifecycle.compute from its checked "
    "parameters",
}
for _cls in ("RetentionResult", "LifecycleResult"):
    if _cls in lf.__all__:
        EXEMPT[_cls] = _RESULT
    elif "retention" in lf.__all__:
        EXEMPT[f"retention.{_cls}"] = _RESULT


def order_events() -> Frames:
    """The demo store's orders as an event log (every row an ``order`` event)."""
    cols = ["customer_id", "timestamp", "revenue", "channel", "country"]
    return {"events": store().orders[cols].assign(event="order").reset_index(drop=True)}


def site_events() -> Frames:
    cols = ["user_id", "timestamp", "event", "channel"]
    return {"events": store().events[cols].iloc[:3_000].reset_index(drop=True)}


@functools.cache
def retention_result() -> RetentionResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        return Retention("order", periods=3).compute(
            order_events()["events"], user="customer_id", value="revenue", by="channel"
        )


@functools.cache
def segments_result() -> lf.ltv.RFMSegmentsResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.ConvergenceWarning)
        return lf.ltv.rfm_segments(orders()["orders"], p_alive=False)


CASES: list[Case] = [
    Case(
        "retention.Retention",
        Retention,
        (Retention,),
        params={
            "start": lf.Stage("visit"),
            "returning": "payment",
            "period": "W",
            "periods": 4,
            "cohort": "first",
            "returns": "classic",
            "tz": "Europe/London",
        },
    ),
    Case(
        "retention.Retention.compute",
        lambda events, **kw: Retention("order", periods=3, cohort="recurring").compute(
            events, **kw
        ),
        (Retention.compute,),
        order_events,
        {
            "user": "customer_id",
            "time": "timestamp",
            "event": "event",
            "by": "channel",
            "value": "revenue",
            "observation_end": None,
        },
    ),
    Case(
        "retention.Retention.compute(site)",
        lambda events, **kw: Retention("visit", returning="payment", periods=2).compute(
            events, **kw
        ),
        (),
        site_events,
        {"by": ["channel"], "observation_end": "2026-01-20"},
    ),
    Case(
        "retention.RetentionResult.curve",
        lambda **kw: retention_result().curve(**kw),
        (RetentionResult.curve,),
        params={"alpha": 0.1},
    ),
    Case(
        "retention.Lifecycle",
        Lifecycle,
        (Lifecycle,),
        params={"event": "visit", "period": "D", "tz": None},
    ),
    Case(
        "retention.Lifecycle.compute",
        lambda events, **kw: Lifecycle("visit").compute(events, **kw),
        (Lifecycle.compute,),
        site_events,
        {"user": "user_id", "time": "timestamp", "event": "event", "by": "channel"},
    ),
    Case(
        "ltv.rfm_segments",
        lf.ltv.rfm_segments,
        (lf.ltv.rfm_segments,),
        orders,
        {
            "customer": "customer_id",
            "time": "timestamp",
            "value": "revenue",
            "observation_end": "2011-09-30",
            "refunds": "net",
            "tz": None,
            "segments": {"best": ((4, 5), (4, 5), (4, 5)), "rest": ((1, 5), (1, 5), (1, 5))},
            "p_alive": False,
        },
        columns={"orders": ("customer_id", "timestamp", "revenue")},
    ),
    Case(
        "ltv.RFMSegmentsResult.audience",
        lambda **kw: segments_result().audience(**kw),
        (lf.ltv.RFMSegmentsResult.audience,),
        params={"segment": "at_risk"},
    ),
]
