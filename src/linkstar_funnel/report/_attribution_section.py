"""Report section "Attribution: which channel earned the sale": eight models side by side.

Journeys come from the touchpoints and the orders (:meth:`Journeys.from_touchpoints`,
30-day lookback, a new journey after each order); refunded or cancelled orders (by a
``status`` column, when there is one) are not conversions. Every built-in model
(:data:`MODELS`) credits the same journeys; the section shows each channel's share of
conversions and of revenue per model, a grouped bar chart, the Markov removal effects and,
given spend, CPA and ROAS for three models.

On the demo store (``ReportData.extras["store"]``, a
:class:`~linkstar_funnel.datasets.DemoStore`) the true answer is known: only the touch that
acquired a customer changes whether and how much they buy, so each order's true credit
belongs to its customer's acquisition channel (``orders["channel"]``). The section then
scores each model by the total variation distance between its conversion shares and the
true ones (:func:`total_variation`). Left out when there are no touchpoints or no orders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..attribution import DIRECT_NONE
from ..plotting import PALETTE, figure_to_data_uri, get_axes, percent_axis, style_axes
from ._attribution_truth import render_truth
from ._attribution_view import (
    ECONOMICS_MODELS,
    EXCLUDED_STATUSES,
    LOOKBACK,
    AttributionView,
    attribution_view,
)
from ._html import esc, facts_grid, figure, fmt_number, note, table
from ._sections import ReportContext, register_section

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["render_attribution"]

# Table headers: the tables have one column per model, so the names are kept short.
_SHORT = {"First touch": "first", "Last touch": "last", "Last non-direct": "last non-direct",
          "Linear": "linear", "Position-based 40/40": "position 40/40",
          "Time decay": "time decay"}  # fmt: skip
# Okabe-Ito colours; the models the text discusses get the strongest ones.
_COLOURS = {
    "First touch": "#D55E00",
    "Last touch": "#E69F00",
    "Last non-direct": "#F0E442",
    "Linear": "#CC79A7",
    "Position-based 40/40": "#56B4E9",
    "Time decay": "#999999",
    "Markov": "#0072B2",
    "Shapley": "#009E73",
}


def _pct(value: float) -> str:
    return fmt_number(value, percent=True)


def _plain(label: object) -> str:
    """A chart label shown literally (matplotlib would read ``$...$`` as math)."""
    return str(label).replace("$", r"\$")


def _channel_order(view: AttributionView) -> list[str]:
    """Largest channels first (by true share on the demo), ``(direct/none)`` last."""
    shares = view.shares()
    key = shares.mean(axis=1)
    if view.truth is not None:
        key = view.truth.channels["true_share"].reindex(shares.index, fill_value=0.0)
    ordered = [str(c) for c in key.sort_values(ascending=False, kind="stable").index]
    return [c for c in ordered if c != DIRECT_NONE] + [c for c in ordered if c == DIRECT_NONE]


def _headline(view: AttributionView) -> str:
    shares = view.shares()
    names = [str(c) for c in shares.index]
    values = shares.to_numpy(dtype=np.float64)
    real = [i for i, c in enumerate(names) if c != DIRECT_NONE] or list(range(len(names)))
    spread = values[real].max(axis=1) - values[real].min(axis=1)
    i = real[int(np.argmax(spread))]
    ch, row = names[i], dict(zip(map(str, shares.columns), values[i].tolist(), strict=True))
    lo, hi = min(row, key=row.__getitem__), max(row, key=row.__getitem__)
    text = (
        f"Last touch gives {ch} {_pct(row['Last touch'])} of sales; the Markov model "
        f"{_pct(row['Markov'])}; across the eight models its share runs from {_pct(row[lo])} "
        f"({lo}) to {_pct(row[hi])} ({hi})."
    )
    if view.truth is not None:
        ranked = view.truth.ranked()
        (best, d_best), (worst, d_worst) = ranked[0], ranked[-1]
        text += (
            f" The demo store knows the answer: customers acquired through {ch} placed "
            f"{_pct(view.truth.true_share(ch))} of these orders. Closest to the truth: {best}, "
            f"which credits {_pct(d_best)} of sales to the wrong channel; farthest: {worst} "
            f"({_pct(d_worst)})."
        )
        last = list(shares.columns).index("Last touch")
        none = float(values[names.index(DIRECT_NONE), last]) if DIRECT_NONE in names else 0.0
        if none > 0:
            text += (
                f" {_pct(none)} of sales have no touch in the {LOOKBACK[:-1]} days before "
                f"them (mostly repeat orders): rule-based models credit them to {DIRECT_NONE}, "
                "which the truth never does."
            )
    return text


def _facts(view: AttributionView, cur: str) -> str:
    j = view.journeys
    no_touch = float(view.comparison.results[1].credit().get(DIRECT_NONE, 0.0))
    return facts_grid(
        [
            ("orders attributed", fmt_number(j.total_conversions, decimals=0)),
            (f"revenue{cur}", fmt_number(j.total_value, decimals=0)),
            ("converting journeys", fmt_number(int((j.conversions > 0).sum()))),
            ("non-converting journeys", fmt_number(j.total_nulls, decimals=0)),
            ("orders without a touch", fmt_number(no_touch, decimals=0)),
            ("orders left out", f"{view.orders_excluded:,} of {view.orders_in:,}"),
            ("channels", fmt_number(sum(c != DIRECT_NONE for c in j.channels))),
            ("P(conversion), Markov", _pct(view.markov.conversion_probability)),
        ]
    )


def _share_table(view: AttributionView, order: list[str]) -> str:
    shares = view.shares().reindex(order).rename(columns=_SHORT)
    frame = shares.reset_index()
    if view.truth is not None:
        frame["true"] = view.truth.channels["true_share"].reindex(order, fill_value=0.0).to_numpy()
    percent = [c for c in frame.columns if c != "channel"]
    return table(frame, percent=percent, caption="Share of orders credited to each channel")


def _value_table(view: AttributionView, order: list[str], cur: str) -> str:
    wide = view.comparison.wide("value").reindex(order).rename(columns=_SHORT)
    if view.truth is not None:
        wide["true"] = view.truth.channels["true_revenue"].reindex(order, fill_value=0.0)
    frame = pd.concat([wide, wide.sum().to_frame("total").T]).round(0)
    frame.index.name = "channel"
    return table(frame.reset_index(), caption=f"Revenue credited to each channel{cur}")


def _chart(view: AttributionView, order: list[str]) -> str:
    shares = view.shares().reindex(order)
    labels = list(view.comparison.labels)
    ax = get_axes(figsize=(10.0, 4.6))
    n = len(labels)
    width = 0.84 / n
    x = np.arange(len(order), dtype=np.float64)
    for i, lab in enumerate(labels):
        ax.bar(
            x + (i - (n - 1) / 2) * width,
            shares[lab].to_numpy(dtype=np.float64),
            width=width,
            label=_plain(lab),
            color=_COLOURS.get(lab, PALETTE[i % len(PALETTE)]),
        )
    if view.truth is not None:
        true = view.truth.channels["true_share"].reindex(order, fill_value=0.0).to_numpy()
        ax.hlines(true, x - 0.45, x + 0.45, colors="#000000", linewidth=2.4, label="true share")
    ax.set_xticks(x, [_plain(c) for c in order])
    ax.set_ylabel("share of orders credited")
    percent_axis(ax, "y", decimals=0)
    style_axes(ax, title="Share of orders credited to each channel, by model")
    fig: Figure | None = ax.get_figure()  # type: ignore[assignment]
    if fig is None:  # pragma: no cover - a new Axes always has a figure
        return ""
    fig.legend(frameon=False, fontsize=9.5, ncols=len(labels) + 1, loc="outside lower center")
    return figure(
        figure_to_data_uri(fig, dpi=120),
        alt="Grouped bars: each channel's share of orders under each attribution model",
        caption="One bar per model; "
        + ("the black line is the true share. " if view.truth is not None else "")
        + "Each model's bars sum to 100% across the channels.",
    )


def _removal_table(view: AttributionView) -> str:
    m = view.markov
    frame = m.removal_effects.merge(m.to_frame()[["channel", "conversions", "share"]], on="channel")
    frame = frame.sort_values("removal_effect", ascending=False, kind="stable")
    frame = frame.rename(
        columns={
            "removal_effect": "removal effect",
            "removal_effect_value": "removal effect (revenue)",
            "conversions": "Markov orders",
            "share": "Markov share",
        }
    )
    return table(
        frame,
        percent=("removal effect", "removal effect (revenue)", "Markov share"),
        decimals={"Markov orders": 1},
    )


def _economics_tables(view: AttributionView, cur: str) -> str:
    econ = view.economics
    assert econ is not None
    t = econ.to_frame()
    t = t[t["model"].isin(ECONOMICS_MODELS) & (t["spend"] > 0)]
    spend = t.groupby("channel", sort=False)["spend"].first()
    truth = None if view.truth is None else view.truth.channels.reindex(spend.index)
    parts = []
    for metric, caption in (
        ("cpa", f"CPA: spend per order credited{cur}"),
        ("roas", "ROAS: revenue credited per unit of spend"),
    ):
        frame = pd.DataFrame({"channel": spend.index})
        if metric == "cpa":
            frame[f"spend{cur}"] = spend.to_numpy().round(0)
        wide = t.pivot_table(index="channel", columns="model", values=metric, sort=False)
        for model in ECONOMICS_MODELS:
            frame[model] = wide[model].reindex(spend.index).to_numpy()
        if truth is not None:
            orders = truth["true_orders"].to_numpy(dtype=np.float64)
            revenue = truth["true_revenue"].to_numpy(dtype=np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = spend.to_numpy() / orders if metric == "cpa" else revenue / spend.to_numpy()
            frame["true"] = np.where(np.isfinite(ratio), ratio, np.nan)
        two = {c: 2 for c in frame.columns if c != "channel" and not c.startswith("spend")}
        parts.append(table(frame, decimals=two, caption=caption))
    unconverted = [n for n in econ.provenance.notes if n.startswith("cpa is NaN for channels with")]
    parts += [note(n[0].upper() + n[1:] + ".") for n in unconverted if "spend but" in n]
    return "".join(parts)


def render_attribution(view: AttributionView, *, currency: str = "") -> str:
    """The section's HTML for a computed :class:`AttributionView` (all text escaped)."""
    cur = f" ({currency})" if currency else ""
    order = _channel_order(view)
    left_out = ", ".join(sorted(EXCLUDED_STATUSES))
    parts = [
        note(
            f"Journeys from the touchpoints and the orders: the touches in the {LOOKBACK[:-1]} "
            "days before each order, a new journey after each order, touches after a "
            f"customer's last order kept as a non-converting journey. Orders without a touch "
            f"in the window are credited to {DIRECT_NONE}. Refunded orders are excluded "
            f"(status {left_out}), as are rows with negative revenue."
        ),
        f"<p><strong>{esc(_headline(view))}</strong></p>",
        _facts(view, cur),
        "<h3>Credit by model</h3>",
        note(
            "First / last touch: all credit to one touch; last non-direct skips direct; "
            "linear splits equally per touch; position-based gives 40% to the first and last "
            "touches; time decay halves a touch's weight every 7 days before the order; "
            "Markov credits channels by their removal effect in an absorbing chain solved "
            "exactly; Shapley splits each order equally among the distinct channels of its "
            "journey (exact Shapley value). Every model's column sums to the same orders "
            "and revenue."
        ),
        _share_table(view, order),
        _chart(view, order),
        _value_table(view, order, cur),
        "<h3>Markov removal effects</h3>",
        note(
            "Removal effect: the relative drop in the chain's probability of conversion when "
            "every journey through the channel ends without an order instead. Markov credit "
            "is proportional to it."
        ),
        _removal_table(view),
    ]
    if view.economics is not None:
        parts += [
            "<h3>Channel economics</h3>",
            note(
                "Spend over the whole data window, channels with spend only. CPA = spend / "
                "orders credited (orders include repeat purchases, so this is not a CAC); "
                "ROAS = revenue credited / spend."
                + (" True: orders and revenue by acquisition channel." if view.truth else "")
            ),
            _economics_tables(view, cur),
        ]
    if view.truth is not None:
        parts += [
            "<h3>How close each model gets to the truth</h3>",
            render_truth(view.truth, order),
        ]
    return "".join(parts)


@register_section("attribution", order=30, title="Attribution: which channel earned the sale")
def _attribution_section(ctx: ReportContext) -> str | None:
    view = ctx.cached("attribution:view", lambda: attribution_view(ctx.data))
    if view is None:
        return None  # no touchpoints or no orders
    return render_attribution(view, currency="USD" if view.truth is not None else "")
