"""Report section "After the payment": lead times against SLAs, refunds, the ten-stage funnel.

Shown when orders carry status times: the demo store's (``store.timelines``, drawn on first
use), or the user's orders when they have ``<status>_at`` columns (``paid_at``,
``shipped_at``, ``delivered_at``, ``reviewed_at``; outcomes ``refunded_at``,
``returned_at``, ``cancelled_at``). It shows

* **lead times against the SLA**: paid → shipped by platform and shipped → delivered by
  country and carrier (:meth:`Timeline.lead_times`, Kaplan-Meier quantiles: orders still
  open are censored, not late), with the share over the SLA and its Wilson interval; on the
  demo store, the true medians beside them;
* **refund, return and cancel rates** by platform with Wilson intervals
  (:meth:`Timeline.rates`);
* **the whole journey**: the ``cross_border_full`` stage template on the site events and
  the orders' status events together (when events are given).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import LinkstarWarning, SchemaError
from ..funnel import Funnel, FunnelResult
from ..orders import Timeline
from ..plotting import figure_to_data_uri
from ..stages import stage_template
from ._funnel_view import duration_text
from ._html import facts_grid, figure, note, table
from ._sections import ReportContext, ReportData, register_section
from ._warning_notes import warning_notes

if TYPE_CHECKING:
    from ..orders import LeadTimesResult, OrderRatesResult

__all__ = ["SLA", "OrdersView", "orders_view", "render_orders", "timeline_of"]

#: Service levels the lead times are judged against.
SLA: dict[str, str] = {"paid->shipped": "2D", "shipped->delivered": "10D"}
#: The whole journey's window (first impression to repurchase).
JOURNEY_WINDOW = "90D"
CACHE_KEY = "orders-view"
_STEPS = ("paid", "shipped", "delivered", "reviewed")
_OUTCOMES = ("refunded", "returned", "cancelled")
_SEGMENTS = ("country", "platform", "carrier", "channel")
_ARROW = "\u2192"


class OrdersView:
    """What the section shows, computed once per report."""

    def __init__(
        self,
        timeline: Timeline,
        handling: LeadTimesResult,
        transit: LeadTimesResult,
        rates: OrderRatesResult,
        journey: FunnelResult | None,
        truth: pd.DataFrame | None,
        notes: list[str],
    ) -> None:
        self.timeline, self.handling, self.transit = timeline, handling, transit
        self.rates, self.journey, self.truth, self.notes = rates, journey, truth, notes


def timeline_of(data: ReportData) -> tuple[Timeline, pd.DataFrame | None] | None:
    """The orders' timeline (and, on the demo store, the true median days), or ``None``."""
    store: Any = data.extras.get("store")
    if getattr(type(store), "timelines", None) is not None:  # a DemoStore (not drawn yet)
        try:
            demo = store.timelines
        except SchemaError:  # a store whose labels were changed: no demo timelines
            demo = None
        if demo is not None:
            return Timeline.from_columns(demo.orders, **demo.columns), demo.true_medians()
    orders = data.orders
    if orders is None:
        return None
    cols = set(map(str, orders.columns))
    steps = {s: f"{s}_at" for s in _STEPS if f"{s}_at" in cols}
    if "paid" not in steps and data.order_time in cols:
        steps = {"paid": data.order_time, **steps}
    if len(steps) < 2 or "shipped" not in steps:
        return None
    kwargs: dict[str, Any] = {f"{o}": f"{o}_at" for o in _OUTCOMES if f"{o}_at" in cols}
    by = [c for c in _SEGMENTS if c in cols]
    order = data.order if data.order is not None and data.order in cols else None
    if order is None:
        return None
    tl = Timeline.from_columns(
        orders, order=order, customer=data.customer, steps=steps, by=by, **kwargs
    )
    return tl, None


def _journey(data: ReportData, timeline: Timeline) -> FunnelResult | None:
    events = data.events
    if events is None or data.user not in events or data.event not in events:
        return None
    stages = stage_template("cross_border_full")
    after = timeline.events().rename(columns={"customer_id": data.user})
    if data.user not in after:
        return None
    site = events[[data.user, data.time, data.event]]
    site = site.rename(columns={data.time: "timestamp", data.event: "event"})
    site = site.loc[site["event"].isin([s.name for s in stages])]
    journey = pd.concat([site, after[[data.user, "timestamp", "event"]]], ignore_index=True)
    return Funnel(stages, window=JOURNEY_WINDOW).compute(
        journey, user=data.user, time="timestamp", event="event"
    )


def orders_view(ctx: ReportContext) -> OrdersView | None:
    """The section's results (cached in the context), or ``None`` without status times."""

    def compute() -> OrdersView | None:
        found = timeline_of(ctx.data)
        if found is None:
            return None
        tl, truth = found
        segs = tl.by
        notes: list[str] = []
        with warnings.catch_warnings(
            record=True, action="always", category=LinkstarWarning
        ) as caught:
            handling = tl.lead_times(sla=SLA, by=[c for c in ("platform",) if c in segs] or None)
            transit = tl.lead_times(
                sla=SLA, by=[c for c in ("country", "carrier") if c in segs] or None
            )
            rates = tl.rates(by=[c for c in ("platform",) if c in segs] or None)
            journey = _journey(ctx.data, tl)
        notes += list(warning_notes(caught))
        return OrdersView(tl, handling, transit, rates, journey, truth, notes)

    view: OrdersView | None = ctx.cached(CACHE_KEY, compute)
    return view


def _days(value: object) -> float:
    if not isinstance(value, pd.Timedelta):
        return float("nan")
    return value / pd.Timedelta(days=1)


def lead_table(result: LeadTimesResult, pair: str, truth: pd.DataFrame | None) -> pd.DataFrame:
    """One step pair's lead times per segment, in days, with the share over the SLA."""
    f = result.to_frame()
    f = f.loc[f["pair"] == pair]
    segs = [c for c in result.by if c in f]
    out = f[segs].astype(str).reset_index(drop=True)
    out["orders"] = f["orders"].to_numpy()
    out["still open"] = f["open"].to_numpy()
    out["median (days)"] = [_days(v) for v in f["median"]]
    out["p90 (days)"] = [_days(v) for v in f["p90"]]
    if truth is not None:
        t = truth.loc[truth["pair"] == pair]
        keys = [c for c in segs if c in t]
        if keys:
            true = t.set_index(keys)["median_days"]
            idx = pd.MultiIndex.from_frame(out[keys]) if len(keys) > 1 else out[keys[0]]
            out["true median (days)"] = true.reindex(idx).to_numpy()
    out["over SLA"] = f["share_over_sla"].to_numpy()
    out["95% CI"] = [
        f"{lo:.1%} to {hi:.1%}" for lo, hi in zip(f["ci_low"], f["ci_high"], strict=True)
    ]
    return out


def rates_table(result: OrderRatesResult) -> pd.DataFrame:
    """Refund, return and cancel rates per segment with their Wilson intervals."""
    f = result.to_frame()
    segs = [c for c in result.by if c in f]
    out = pd.DataFrame({"outcome": f["outcome"].astype(str), "of": f["base"].astype(str)})
    for c in segs:
        out[c] = f[c].astype(str).to_numpy()
    out["orders"] = f["trials"].to_numpy()
    out["count"] = f["successes"].to_numpy()
    out["rate"] = f["rate"].to_numpy()
    out["95% CI"] = [
        f"{lo:.1%} to {hi:.1%}" for lo, hi in zip(f["ci_low"], f["ci_high"], strict=True)
    ]
    return out.reset_index(drop=True)


def journey_table(result: FunnelResult) -> pd.DataFrame:
    """The ten stages: users, conversion from the previous stage and from the first."""
    f = result.to_frame()
    return pd.DataFrame(
        {
            "stage": f["stage"].astype(str),
            "users": f["users"],
            "from previous": f["conversion_from_previous"],
            "from first stage": f["conversion_from_start"],
        }
    )


def _journey_chart(result: FunnelResult) -> str:
    ax: Any = result.plot()
    ax.set_title(
        f"The whole journey within {JOURNEY_WINDOW[:-1]} days (labels: rate from the previous "
        "stage)",
        loc="left",
        fontsize=11,
        fontweight="bold",
    )
    ax.tick_params(axis="x", labelsize=8)
    fig = ax.get_figure()
    fig.set_size_inches(10.0, 3.8)
    return figure(
        figure_to_data_uri(fig, dpi=120),
        alt="Bar chart of users reaching each of the ten stages, impression to repurchase",
        caption="Site events up to payment, then the orders' status events.",
    )


def _median(result: LeadTimesResult, pair: str) -> str:
    f = result.to_frame()
    f = f.loc[f["pair"] == pair]
    if f.empty:
        return "n/a"
    weights = f["orders"].to_numpy(dtype=float)
    days = pd.Series([_days(v) for v in f["median"]]).to_numpy()
    ok = ~pd.isna(days)
    if not ok.any():
        return "n/a"
    return duration_text(
        pd.Timedelta(days=float((days[ok] * weights[ok]).sum() / weights[ok].sum()))
    )


def render_orders(view: OrdersView) -> str:
    """The section's HTML (all text escaped)."""
    overall = view.rates.to_frame()
    refunds = overall.loc[overall["outcome"] == "refunded"]
    refund_rate = refunds["successes"].sum() / max(int(refunds["trials"].sum()), 1)
    n_orders = int(view.transit.to_frame().groupby("pair")["orders"].sum().max())
    facts = [
        ("orders with status times", f"{n_orders:,}"),
        (f"paid {_ARROW} shipped, median", _median(view.handling, "paid->shipped")),
        (f"shipped {_ARROW} delivered, median", _median(view.transit, "shipped->delivered")),
        ("refunded", f"{refund_rate:.1%} of paid orders"),
    ]
    pct = ("over SLA", "rate")
    dec = {"median (days)": 1, "p90 (days)": 1, "true median (days)": 1, "over SLA": 1}
    parts = [
        note(
            "Order status times turned into lead times and outcome rates. Orders still open "
            "(shipped, not yet delivered) are censored, not late: the medians and p90s are "
            "Kaplan-Meier estimates, and the share over the SLA counts only orders whose "
            f"outcome is known. SLAs: paid {_ARROW} shipped {SLA['paid->shipped'][:-1]} days, "
            f"shipped {_ARROW} delivered {SLA['shipped->delivered'][:-1]} days."
        ),
        facts_grid(facts),
        f"<h3>Paid {_ARROW} shipped (handling)</h3>",
        table(lead_table(view.handling, "paid->shipped", view.truth), percent=pct, decimals=dec),
        f"<h3>Shipped {_ARROW} delivered (transit) by country and carrier</h3>",
        table(
            lead_table(view.transit, "shipped->delivered", view.truth), percent=pct, decimals=dec
        ),
        "<h3>Refunds, returns and cancellations</h3>",
        note(
            "Refunded and cancelled: of paid orders; returned: of delivered orders. "
            "Intervals: Wilson, 95%."
        ),
        table(rates_table(view.rates), percent=("rate",), decimals={"rate": 1}),
    ]
    if view.truth is not None:
        parts.insert(
            2,
            note(
                "Demo store: status times drawn with known medians (handling by platform, "
                "transit by country and carrier), shown beside the estimates."
            ),
        )
    if view.journey is not None:
        parts += [
            "<h3>The whole journey: impression to repurchase</h3>",
            note(
                "The cross_border_full template's ten stages, site events and order status "
                "events per user: a repurchase is a customer's next paid order after a "
                "delivered one."
            ),
            _journey_chart(view.journey),
            table(
                journey_table(view.journey),
                percent=("from previous", "from first stage"),
                decimals={"from previous": 1, "from first stage": 2},
            ),
        ]
    parts += [note(f"Data note: {text}") for text in view.notes]
    return "".join(parts)


@register_section("after-payment", order=55, title="After the payment: delivery and refunds")
def _orders_section(ctx: ReportContext) -> str | None:
    view = orders_view(ctx)
    return None if view is None else render_orders(view)
