"""Built-in report sections: the data overview of the events and of the orders."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..overview import OverviewResult, describe_events, describe_orders
from ..plotting import figure_to_data_uri, get_axes
from ._html import facts_grid, figure, fmt_number, note, table
from ._sections import ReportContext, register_section

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["events_overview", "orders_overview"]

#: Segment columns shown when the user does not choose (those present are used).
EVENT_SEGMENTS = ("country", "platform", "device", "channel")
ORDER_SEGMENTS = ("status", "country", "platform", "channel")
TOP_VALUES = 12


def _segments_for(
    frame: pd.DataFrame, chosen: tuple[str, ...] | None, defaults: tuple[str, ...]
) -> tuple[str, ...]:
    if chosen is not None:
        return chosen  # explicit: a missing column is an error, raised by the schema layer
    return tuple(c for c in defaults if c in frame.columns)


def events_overview(ctx: ReportContext) -> OverviewResult | None:
    """The events' :class:`OverviewResult`, computed once per report (``None``: no events)."""
    data = ctx.data
    events = data.events
    if events is None:
        return None
    by = _segments_for(events, data.by, EVENT_SEGMENTS)
    return ctx.cached(
        "overview:events",
        lambda: describe_events(
            events, user=data.user, time=data.time, event=data.event, by=by, tz=data.tz
        ),
    )


def orders_overview(ctx: ReportContext) -> OverviewResult | None:
    """The orders' :class:`OverviewResult`, computed once per report (``None``: no orders)."""
    data = ctx.data
    orders = data.orders
    if orders is None:
        return None
    by = _segments_for(orders, data.by, ORDER_SEGMENTS)
    return ctx.cached(
        "overview:orders",
        lambda: describe_orders(
            orders,
            order=data.order,
            customer=data.customer,
            time=data.order_time,
            value=data.revenue,
            by=by,
            tz=data.tz,
        ),
    )


def _chart(ov: OverviewResult) -> str:
    ax = get_axes(None, figsize=(10.0, 3.6))
    ov.plot(ax)
    fig: Figure | None = ax.get_figure()  # type: ignore[assignment]
    if fig is None:  # pragma: no cover - an Axes made by get_axes always has a figure
        return ""
    what = "events" if ov.kind == "events" else "orders"
    return figure(
        figure_to_data_uri(fig, dpi=130),
        alt=f"Line chart of {what} and {ov.entity} per day, {ov.date_range_text()}",
        caption=f"Days are read in {_zone(ov)}; days without data show as zero.",
    )


def _zone(ov: OverviewResult) -> str:
    if ov.tz is not None:
        return ov.tz
    if ov.start.tz is not None:
        return str(ov.start.tz)
    return "the data's own clock (times without a zone)"


def _dropped(ov: OverviewResult, described: str) -> str:
    dropped = ov.provenance.dropped_frame()
    if dropped.empty:
        return note(f"No rows were dropped: every row had {described}.")
    shown = dropped[["reason", "column", "rows"]].fillna("")
    total = int(dropped["rows"].sum())
    return note(f"{total:,} rows were left out of every figure below:") + table(shown)


def _top(seg: pd.DataFrame, rows_label: str, entity: str) -> pd.DataFrame:
    """The largest values of one dimension, the rest folded into one "other" row."""
    cols = ["value", "rows", "share", entity] + (["revenue"] if "revenue" in seg else [])
    head = seg[cols].head(TOP_VALUES)
    rest = seg.iloc[TOP_VALUES:]
    if len(rest):
        other = {
            "value": f"other ({len(rest):,} values)",
            "rows": rest["rows"].sum(),
            "share": rest["share"].sum(),
            # People may appear under several values: a sum would double count them.
            entity: float("nan"),
        }
        if "revenue" in seg:
            other["revenue"] = rest["revenue"].sum()
        head = pd.concat([head, pd.DataFrame([other])], ignore_index=True)
    return head.rename(columns={"rows": rows_label})


def _segment_tables(ov: OverviewResult, dims: tuple[str, ...], rows_label: str) -> str:
    parts = []
    for dim in dims:
        shown = _top(ov.segments(dim), rows_label, ov.entity).rename(columns={"value": dim})
        rendered = table(shown, percent=("share",), decimals={"revenue": 0}, caption=f"By {dim}")
        parts.append(f"<div>{rendered}</div>")
    return '<div class="grid">' + "".join(parts) + "</div>"


def _notes(ov: OverviewResult) -> str:
    return "".join(note(n) for n in ov.provenance.notes)


@register_section("events-overview", order=10, title="Data overview: events")
def _events_section(ctx: ReportContext) -> str | None:
    ov = events_overview(ctx)
    if ov is None:
        return None
    acc = next(iter(ov.provenance.inputs.values()))
    n_names = int((ov.segments()["dimension"] == "event").sum())
    ctx.add_header_fact("date range", ov.date_range_text())
    ctx.add_header_fact("events", fmt_number(ov.n_rows))
    ctx.add_header_fact("users", fmt_number(ov.n_entities))
    facts = [
        ("events used", fmt_number(ov.n_rows)),
        ("users", fmt_number(ov.n_entities)),
        ("events per user", fmt_number(ov.n_rows / ov.n_entities, decimals=1)),
        ("event names", fmt_number(n_names)),
        ("first day", f"{ov.start:%Y-%m-%d}"),
        ("last day", f"{ov.end:%Y-%m-%d}"),
        ("days", fmt_number(ov.n_days)),
        ("rows dropped", f"{acc.rows_dropped:,} of {acc.rows_in:,}"),
    ]
    names = ov.segments("event").rename(columns={"value": "event", "rows": "events"})
    cols = ov.columns
    described = "a user ({user!r}), a time ({time!r}) and an event name ({event!r})".format(
        user=cols.get("user"), time=cols.get("time"), event=cols.get("event")
    )
    parts = [
        facts_grid(facts),
        _chart(ov),
        "<h3>Rows dropped</h3>",
        _dropped(ov, described),
        "<h3>Events by name</h3>",
        table(names[["event", "events", "share", "users"]], percent=("share",)),
    ]
    if ov.by:
        parts += ["<h3>By segment</h3>", _segment_tables(ov, ov.by, "events")]
    else:
        parts.append(note("No segment columns (country, platform...) found in the events."))
    return "".join(parts) + _notes(ov)


@register_section("orders-overview", order=15, title="Data overview: orders")
def _orders_section(ctx: ReportContext) -> str | None:
    ov = orders_overview(ctx)
    if ov is None:
        return None
    acc = next(iter(ov.provenance.inputs.values()))
    ctx.add_header_fact("date range", ov.date_range_text())
    ctx.add_header_fact("orders", fmt_number(ov.n_orders if ov.n_orders is not None else ov.n_rows))
    revenue = ov.revenue or 0.0
    n_orders = ov.n_orders if ov.n_orders is not None else ov.n_rows
    facts = [
        ("order rows used", fmt_number(ov.n_rows)),
        ("orders", fmt_number(n_orders)),
        ("customers", fmt_number(ov.n_entities)),
        ("revenue", fmt_number(revenue, decimals=0)),
        ("revenue per order", fmt_number(revenue / n_orders, decimals=2) if n_orders else "n/a"),
        ("first day", f"{ov.start:%Y-%m-%d}"),
        ("last day", f"{ov.end:%Y-%m-%d}"),
        ("rows dropped", f"{acc.rows_dropped:,} of {acc.rows_in:,}"),
    ]
    cols = ov.columns
    described = "a customer ({c!r}), a time ({t!r}) and a revenue ({r!r})".format(
        c=cols.get("customer"), t=cols.get("time"), r=cols.get("revenue")
    )
    parts = [
        facts_grid(facts),
        _chart(ov),
        "<h3>Rows dropped</h3>",
        _dropped(ov, described),
    ]
    if ov.by:
        # One row per order line (several per order) is common in shop exports.
        rows_label = "orders" if ov.n_orders in (None, ov.n_rows) else "order rows"
        parts += ["<h3>By segment</h3>", _segment_tables(ov, ov.by, rows_label)]
    return "".join(parts) + _notes(ov)
