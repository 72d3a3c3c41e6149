"""Report section "Do buyers come back": retention triangle, lifecycle and RFM segments.

For each order table the report has (the demo store's or the user's orders, weekly; the
bundled Online Retail orders that ride along with ``--demo``, monthly), it shows

* the **retention** of first-time buyers (:class:`~linkstar_funnel.Retention`,
  ``cohort="first"``, ``returns="classic"``): the size-weighted curve with Wilson
  intervals, and the cohort triangle (incomplete cells left blank, never drawn as drops);
* the **lifecycle** of buyers per period (:class:`~linkstar_funnel.Lifecycle`): new,
  returning, resurrecting, and dormant as negative bars;
* **RFM segments** (:func:`linkstar_funnel.ltv.rfm_segments`): how many customers, and how
  much of the value, each named segment holds, with the mean P(alive).
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import attrs
import pandas as pd

from ..errors import LinkstarWarning
from ..ltv import RFMSegmentsResult, rfm_segments
from ..plotting import figure_to_data_uri
from ..retention import Lifecycle, LifecycleResult, Retention, RetentionResult
from ..stages import Stage
from ._html import esc, facts_grid, figure, note, table
from ._kpi_section import RETAIL_EXTRA
from ._sections import ReportContext, ReportData, register_section
from ._warning_notes import warning_notes

__all__ = ["RetentionView", "render_retention", "retention_views"]

CACHE_KEY = "retention-views"
#: Periods after the cohort's shown per calendar bucket.
PERIODS = {"W": 10, "M": 12}
_NAMES = {"W": "week", "M": "month"}
Period = Literal["W", "M"]


@attrs.frozen(eq=False)
class RetentionView:
    """One order table's retention, lifecycle and RFM segments."""

    label: str
    period: Period
    retention: RetentionResult
    lifecycle: LifecycleResult
    rfm: RFMSegmentsResult
    notes: tuple[str, ...]


def _view(
    orders: pd.DataFrame, cols: dict[str, str], label: str, period: Period, tz: str | None
) -> RetentionView:
    frame = orders[[cols["customer"], cols["time"], cols["value"]]].assign(event="order")
    order = Stage("order")
    kw: dict[str, Any] = {"user": cols["customer"], "time": cols["time"], "event": "event"}
    with warnings.catch_warnings(record=True, action="always", category=LinkstarWarning) as caught:
        ret = Retention(
            start=order, returning=order, period=period, periods=PERIODS[period], tz=tz
        ).compute(frame, **kw)
        life = Lifecycle(event=order, period=period, tz=tz).compute(frame, **kw)
        end = pd.Timestamp(pd.to_datetime(frame[cols["time"]]).max()).normalize() + pd.Timedelta(
            days=1
        )
        rfm = rfm_segments(
            frame,
            customer=cols["customer"],
            time=cols["time"],
            value=cols["value"],
            observation_end=end,
        )
    notes = warning_notes(caught)
    return RetentionView(label, period, ret, life, rfm, notes)


def retention_views(ctx: ReportContext) -> list[RetentionView]:
    """The views of every order table the report has (cached in the context)."""

    def compute() -> list[RetentionView]:
        data: ReportData = ctx.data
        views: list[RetentionView] = []
        orders = data.orders
        need = (data.customer, data.order_time, data.revenue)
        if orders is not None and all(c in orders.columns for c in need):
            cols = {"customer": data.customer, "time": data.order_time, "value": data.revenue}
            label = "Demo store orders" if "store" in data.extras else "Orders"
            views.append(_view(orders, cols, label, "W", data.tz))
        retail = data.extras.get(RETAIL_EXTRA)
        if isinstance(retail, pd.DataFrame):
            cols = {"customer": "customer_id", "time": "timestamp", "value": "revenue"}
            views.append(_view(retail, cols, "Online Retail (UCI, £)", "M", "Europe/London"))
        return views

    out: list[RetentionView] = ctx.cached(CACHE_KEY, compute)
    return out


def curve_table(view: RetentionView) -> pd.DataFrame:
    """The size-weighted retention curve: period, cohorts, users, retained, rate, interval."""
    c = view.retention.curve()
    c = c.loc[c["period"] >= 1]
    return pd.DataFrame(
        {
            f"{_NAMES[view.period]}s after the first order": c["period"].to_numpy(),
            "cohorts": c["cohorts"].to_numpy(),
            "buyers": c["users"].to_numpy(),
            "ordered again": c["retained"].to_numpy(),
            "rate": c["rate"].to_numpy(),
            "95% CI": [f"{lo:.1%} to {hi:.1%}" for lo, hi in zip(c["low"], c["high"], strict=True)],
        }
    )


def segment_sizes(view: RetentionView) -> pd.DataFrame:
    """Customers and value per RFM segment, with the mean P(alive) when computed."""
    t = view.rfm.segment_table()
    out = pd.DataFrame(
        {
            "segment": t["segment"].astype(str).str.replace("_", " "),
            "customers": t["customers"],
            "share of customers": t["customer_share"],
            "share of value": t["monetary_share"],
            "mean frequency": t["mean_frequency"],
        }
    )
    if "mean_p_alive" in t and p_alive_separates(view):
        out["mean P(alive)"] = t["mean_p_alive"]
    return out


def p_alive_separates(view: RetentionView) -> bool:
    """Whether the fit's P(alive) tells customers apart: not when nine in ten are at 0.9 or
    more (a fit that finds almost no drop-out, as on Online Retail), where a column of
    1.00s would read as "everyone is still a customer"."""
    p = view.rfm.frame.get("p_alive")
    if p is None or not p.notna().any():
        return False
    return float(p.dropna().quantile(0.1)) < 0.9


def _chart(ax: Any, size: tuple[float, float], alt: str, caption: str) -> str:
    fig = ax.get_figure()
    fig.set_size_inches(*size)
    return figure(figure_to_data_uri(fig, dpi=110), alt=alt, caption=caption)


def _block(view: RetentionView) -> list[str]:
    unit = _NAMES[view.period]
    curve = view.retention.curve()
    first = curve.loc[curve["period"] == 1]
    rate1 = float(first["rate"].iloc[0]) if len(first) else float("nan")
    rfm = view.rfm.frame
    at_risk = int(rfm["segment"].isin(["at_risk", "cannot_lose"]).sum())
    facts = [
        ("first-time buyers", f"{int(curve.loc[curve['period'] == 0, 'users'].sum()):,}"),
        (f"order again the next {unit}", f"{rate1:.1%}"),
        ("at risk or cannot lose", f"{at_risk:,} customers"),
    ]
    parts = [
        f"<h3>{esc(view.label)}</h3>",
        facts_grid(facts),
        note(
            f"Cohorts: buyers by the {unit} of their first order. Retained in {unit} n: "
            f"ordered again in that {unit} (classic retention); the curve weights cohorts "
            f"by size and uses only complete cells. Weeks start on Monday."
            if view.period == "W"
            else f"Cohorts: buyers by the {unit} of their first order. Retained in {unit} n: "
            f"ordered again in that {unit} (classic retention); the curve weights cohorts "
            "by size and uses only complete cells."
        ),
        table(curve_table(view), percent=("rate",), decimals={"rate": 1}),
        _chart(
            view.retention.plot(),
            (9.0, 4.2),
            alt=f"Cohort retention triangle of {view.label}",
            caption="Share of each cohort ordering again; blank cells are not complete yet.",
        ),
        _chart(
            view.lifecycle.plot(),
            (9.0, 3.4),
            alt=f"Buyer lifecycle per {unit} of {view.label}",
            caption=f"Buyers per {unit}: new, returning and resurrecting up; dormant down.",
        ),
        table(
            segment_sizes(view),
            percent=("share of customers", "share of value"),
            decimals={"mean frequency": 1, "mean P(alive)": 2},
            caption="RFM segments (quintile scores; P(alive) from the BG/NBD fit)"
            if p_alive_separates(view)
            else "RFM segments (quintile scores)",
        ),
    ]
    if "p_alive" in view.rfm.frame and not p_alive_separates(view):
        parts.append(
            note(
                "P(alive) is not shown: the BG/NBD fit finds almost no drop-out among these "
                "customers (nine in ten are at 0.9 or more), so it does not tell them apart."
            )
        )
    return parts + [note(f"Data note: {text}") for text in view.notes]


def render_retention(views: list[RetentionView]) -> str:
    """The section's HTML (all text escaped)."""
    parts = [
        note(
            "Do first-time buyers order again, who is new, returning or slipping away, and "
            "how customers split into RFM segments (recency, frequency, monetary value)."
        )
    ]
    for view in views:
        parts += _block(view)
    return "".join(parts)


@register_section("retention", order=52, title="Do buyers come back")
def _retention_section(ctx: ReportContext) -> str | None:
    views = retention_views(ctx)
    return render_retention(views) if views else None
