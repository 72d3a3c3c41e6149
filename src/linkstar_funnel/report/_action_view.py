"""What the "what needs action" section computes, once per report.

:func:`action_view` compares the funnel's step rates with the shipped industry values and
with each country's own recent history (:class:`~linkstar_funnel.Benchmark`), and runs the
daily alerts on the funnel's last step per market; the section renders the
:class:`ActionView` it returns.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Literal

import attrs
import numpy as np
import pandas as pd

from ..benchmark import Benchmark, BenchmarkComparisonResult, get_benchmark
from ..errors import EmptyFrameError
from ..monitor import AlertsResult, daily_rate, detect
from ._funnel_view import FunnelView, funnel_view
from ._sections import ReportContext, ReportData

__all__ = [
    "ALERT_METHOD",
    "HISTORY_ROWS",
    "HISTORY_WEEKS",
    "RECENT_DAYS",
    "STORE_EXTRA",
    "ActionView",
    "action_view",
    "industry_benchmark",
    "market_zones",
]


HISTORY_WEEKS = 8
RECENT_DAYS = 28
#: Rows of the history comparison shown (smallest p-values first).
HISTORY_ROWS = 6
ALERT_METHOD: Literal["pchart"] = "pchart"
#: Shipped industry values measured per started checkout or per cart: comparable with a
#: user-level funnel step. Per-session rates (add-to-cart per session, orders per session)
#: are not: a user-level funnel over 7 days reads higher than a per-session rate.
COMPARABLE_BASES = frozenset({"checkout", "add_to_cart"})
_ARROW = "\u2192"
STORE_EXTRA = "store"
_EXCLUDED = frozenset({"refunded", "cancelled", "canceled", "returned"})


@attrs.frozen(eq=False)
class ActionView:
    """What the section shows: comparisons, their rows needing action, and the alerts."""

    industry: BenchmarkComparisonResult | None
    history: BenchmarkComparisonResult | None
    judged_week: pd.Timestamp | None
    alerts: AlertsResult | None
    alert_metric: str
    value_per_order: float | None
    notes: tuple[str, ...] = ()


def industry_benchmark(stages: tuple[str, ...]) -> Benchmark | None:
    """The shipped industry references comparable with a user-level funnel on ``stages``."""
    refs = tuple(
        r
        for r in get_benchmark("industry").references
        if r.base in COMPARABLE_BASES and r.base in stages and r.stage in stages
    )
    return Benchmark("industry values with matching definitions", refs) if refs else None


def _aov(data: ReportData) -> float | None:
    orders = data.orders
    if orders is None or data.revenue not in orders.columns:
        return None
    keep = orders
    if "status" in orders.columns:
        keep = orders.loc[~orders["status"].astype(str).str.lower().isin(_EXCLUDED)]
    revenue = pd.to_numeric(keep[data.revenue], errors="coerce")
    value = float(revenue.mean())
    return value if np.isfinite(value) and value > 0 else None


def _industry(view: FunnelView, aov: float | None) -> BenchmarkComparisonResult | None:
    bench = industry_benchmark(view.stages)
    if bench is None:
        return None
    result = view.by_segment.get("platform", view.overall)
    obs = result.rate_observations(value_per_order=aov)  # missing segments: "(missing)"
    try:
        return bench.compare(obs)
    except EmptyFrameError:
        return None


def _history(
    view: FunnelView, aov: float | None
) -> tuple[BenchmarkComparisonResult | None, pd.Timestamp | None]:
    result = view.by_segment.get("country", view.overall)
    trends = result.trends("W")
    closed = trends.loc[trends["complete"], "period"]
    if closed.empty:
        return None, None
    judged = pd.Timestamp(closed.max())
    obs = result.trend_observations("W", complete_only=False, value_per_order=aov)
    obs = obs.loc[obs["step"]]
    earlier = obs.loc[obs["period"] < judged]
    current = obs.loc[obs["period"] == judged].drop(columns="period")
    if earlier.empty or current.empty:
        return None, judged
    bench = Benchmark.from_history(earlier, weeks=HISTORY_WEEKS, end=judged.date())
    try:
        return bench.compare(current), judged
    except EmptyFrameError:
        return None, judged


def market_zones(data: ReportData) -> Mapping[str, str] | None:
    """Each country's time zone, from the demo store's ``markets`` table (else ``None``)."""
    store = data.extras.get(STORE_EXTRA)
    markets = getattr(store, "markets", None)
    if isinstance(markets, pd.DataFrame) and {"country", "time_zone"} <= set(markets.columns):
        return dict(zip(markets["country"].astype(str), markets["time_zone"], strict=True))
    return None


def _alerts(data: ReportData, view: FunnelView) -> tuple[AlertsResult | None, str]:
    events = data.events
    den, num = view.stages[-2], view.stages[-1]
    metric = f"{den}{_ARROW}{num}"
    if events is None:
        return None, metric
    zones = market_zones(data)
    has_country = "country" in events.columns
    cols = {"user": data.user, "time": data.time, "event": data.event}
    if zones is not None and has_country:
        daily = daily_rate(events, num, den, metric=metric, tz=zones, market="country", **cols)
    else:
        by = ["country"] if has_country else []
        daily = daily_rate(events, num, den, metric=metric, tz=data.tz, by=by, **cols)
    # A market's last local day runs past the data's end: partial, not judged.
    last = pd.Timestamp(events[data.time].max())
    last_day = (last.tz_convert("UTC").tz_localize(None) if last.tzinfo else last).normalize()
    daily = daily.loc[daily["date"] <= last_day]
    by = ["country"] if "country" in daily.columns else []
    return detect(daily, method=ALERT_METHOD, by=by, direction="drop"), metric


def action_view(ctx: ReportContext) -> ActionView | None:
    """The section's comparisons and alerts (cached), or ``None`` without a funnel."""
    view = funnel_view(ctx)
    if not isinstance(view, FunnelView):
        return None
    return ctx.cached("action-view", lambda: _compute(ctx.data, view))


def _compute(data: ReportData, view: FunnelView) -> ActionView:
    aov = _aov(data)
    with warnings.catch_warnings(record=True, action="always") as caught:
        industry = _industry(view, aov)
        history, judged = _history(view, aov)
        alerts, metric = _alerts(data, view)
    notes = tuple(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))
    return ActionView(industry, history, judged, alerts, metric, aov, notes)
