"""Report section "Customer lifetime value": cohort curves, BG/NBD + Gamma-Gamma, backtest.

Shows :func:`~linkstar_funnel.report._ltv_cohorts.ltv_view` in words, tables and charts:
cumulative value per customer by age for each first-purchase month, forecast to 365 days
with 90% bands (:class:`~linkstar_funnel.ltv.CohortLTV`, countries of the first order: the
largest three on their own, the rest pooled); the predicted 12-month value per customer by
country; the BG/NBD + Gamma-Gamma view (parameters, P(alive), expected CLV over the next 12
months); and a holdout backtest of both models.

With ``--demo`` it runs on the bundled Online Retail orders (in pounds sterling) that
``load_demo`` puts in ``ReportData.extras`` under :data:`RETAIL_EXTRA`; otherwise on the
user's orders with the CLI's customer / time / revenue mapping, and is left out when there
are no orders. The models are fitted once per report (``ReportContext.cached``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..plotting import PALETTE, figure_to_data_uri, style_axes
from ._html import esc, facts_grid, figure, note, table
from ._kpi_section import RETAIL_EXTRA
from ._ltv_cohorts import (
    BACKTEST_MODELS,
    DISCOUNT_RATE,
    MIN_DAYS,
    LTVView,
    ltv_view,
    order_span,
    weighted,
)
from ._ltv_tables import (
    BAND,
    SHORT,
    backtest_frame,
    bgnbd_frame,
    by_segment,
    cohort_frame,
    latest_year,
    params_frame,
    segment_frame,
)
from ._sections import ReportContext, register_section

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..ltv import BacktestResult

__all__ = ["CACHE_KEY", "Money", "headline", "render_ltv"]

#: ``ReportContext.cached`` key of the fitted :class:`LTVView`.
CACHE_KEY = "ltv-view"
#: Forecast the cohort curves with prophet (tests switch it off for speed).
USE_PROPHET = True
_DASH = "\u2013"


class Money:
    """Amounts in one currency: ``£1,234`` in text, ``(GBP)`` in labels."""

    def __init__(self, code: str = "", symbol: str = "") -> None:
        self.code, self.symbol = code, symbol

    def __call__(self, value: float) -> str:
        return f"{self.symbol}{value:,.0f}"

    @property
    def unit(self) -> str:
        """A label suffix: ``" (GBP)"``, or ``" (revenue units)"`` when the currency is unknown."""
        return f" ({self.code})" if self.code else " (revenue units)"


def _day(ts: pd.Timestamp) -> str:
    """``9 Dec 2011``: no hyphen for a line to break at."""
    return f"{ts.day} {ts:%b %Y}"


def headline(view: LTVView, money: Money) -> str:
    """ "A customer acquired in 2011 is worth £X over their first 12 months (...); UK £..."."""
    year, sel = latest_year(view)
    total = weighted(sel, ["age"]).iloc[0]
    text = (
        f"A customer acquired in {year} is worth {money(total['value'])} over their first 12 "
        f"months (52 weeks; {BAND} interval {money(total['lower'])}{_DASH}"
        f"{money(total['upper'])})"
    )
    if view.segment is not None:
        seg = by_segment(view, sel, ["age"])
        names, values = seg[view.segment].astype(str), seg["value"]
        parts = [f"{n} {money(v)}" for n, v in zip(names, values, strict=True)]
        text += f"; by {view.segment} of first purchase: " + ", ".join(parts)
    return text + "."


def _bgnbd_part(view: LTVView, money: Money) -> list[str]:
    bg = view.bg.params
    drop = 0.0 if view.bg.at_boundary else bg["a"] / (bg["a"] + bg["b"])
    end = _day(view.rfm.observation_end)
    pa = view.p_alive
    facts = [
        ("mean P(alive)", f"{pa.mean():.1%}"),
        ("P(alive) below 50%", f"{(pa < 0.5).mean():.1%} of customers"),
        (f"CLV per customer{money.unit}", money(float(view.clv.mean()))),
        (f"CLV, all customers{money.unit}", money(float(view.clv.sum()))),
    ]
    parts = [
        "<h3>BG/NBD + Gamma-Gamma: each existing customer's next 12 months</h3>",
        note(
            f"Fitted on every order to {end}, in weeks ({len(view.rfm):,} customers): BG/NBD "
            "models how often each customer buys and whether they have dropped out "
            "(P(alive)), Gamma-Gamma how much they spend per purchase. CLV is the expected "
            f"revenue over the next 12 months from {end}, discounted at {DISCOUNT_RATE:.0%} a "
            "year, month by month."
        ),
        facts_grid(facts),
    ]
    if view.bg.at_boundary:
        parts.append(
            note(
                "The data show no drop-out: the fit is BG/NBD's NBD limit (a → 0), so "
                "P(alive) is 1 for every customer and the CLV rests on purchase rates and "
                "spend."
            )
        )
    elif pa.mean() > 0.95:
        parts.append(
            note(
                f"The estimated chance of dropping out after a purchase is a/(a+b) = {drop:.2%}: "
                "the model sees almost no churn in this data, so P(alive) is close to 1 for "
                "nearly everyone and the CLV rests on purchase rates and spend."
            )
        )
    name = view.segment or "segment"
    parts += [
        table(
            bgnbd_frame(view, money.unit),
            percent=("mean P(alive)", "P(alive) < 50%"),
            caption=f"By {name} of first purchase, next 12 months (purchases and CLV per "
            "customer are means)",
        ),
        table(
            params_frame(view, money.unit),
            decimals={"estimate": 4, "std. error": 4, f"{BAND} low": 4, f"{BAND} high": 4},
            caption=f"Parameters (maximum likelihood, {BAND} intervals)",
        ),
    ]
    return parts


def _backtest_part(bt: BacktestResult, money: Money) -> list[str]:
    m = {str(r["model"]): r for r in bt.metrics.to_dict("records")}
    cut, end = _day(bt.cutoff), _day(bt.end - pd.Timedelta(days=1))
    said = [
        f"{n} {money(float(m[n]['predicted']))} (error {float(m[n]['ape']):.1%})"
        for n in BACKTEST_MODELS
    ]
    line = (
        f"Both models were fitted on the orders before {cut} and forecast what the customers "
        f"acquired by then spent from {cut} to {end}: actual revenue "
        f"{money(float(m[BACKTEST_MODELS[0]]['actual']))}; " + "; ".join(said) + "."
    )
    gini = ", ".join(f"{n} {float(m[n]['gini']):.2f}" for n in BACKTEST_MODELS)
    return [
        "<h3>Backtest: cohort model against BG/NBD + Gamma-Gamma</h3>",
        f"<p>{esc(line)}</p>",
        note(
            "Error = |forecast - actual| / actual holdout revenue. Ranking customers by their "
            f"forecast (normalized Gini, 1 = perfect): {gini}; the cohort model gives every "
            "customer of a cohort and country the same forecast."
        ),
        table(
            backtest_frame(bt, money.unit),
            percent=tuple(f"{SHORT[n]} error" for n in BACKTEST_MODELS),
            caption=f"Holdout revenue by first-purchase month ({SHORT[BACKTEST_MODELS[1]]}: "
            "BG/NBD + Gamma-Gamma)",
        ),
        backtest_chart(bt, money.unit),
    ]


def _mpl(text: str) -> str:
    """Text for a matplotlib label: a ``$`` would start math mode."""
    return text.replace("$", r"\$")


def _curve(
    ax: Axes, g: pd.DataFrame, color: object, label: str, *, band: float, solid: float = 1.0
) -> None:
    """One curve: solid while at least ``solid`` of its customers were observed, then dashed."""
    days = g["age"].dt.days.to_numpy()
    value = g["value"].to_numpy()
    obs = g["observed"].to_numpy() >= solid
    ax.plot(days[obs], value[obs], color=color, lw=1.8, label=_mpl(label))
    if (~obs).any():
        sl = slice(max(int(np.flatnonzero(~obs)[0]) - 1, 0), None)
        ax.plot(days[sl], value[sl], color=color, lw=1.4, ls="--")
        lo, hi = g["lower"].to_numpy()[sl], g["upper"].to_numpy()[sl]
        ax.fill_between(days[sl], lo, hi, color=color, alpha=band, lw=0)


def curves_chart(view: LTVView, unit: str) -> str:
    """Cohort curves (left) and country curves (right) with forecast bands, as a figure."""
    import matplotlib.pyplot as plt
    from matplotlib import colormaps

    f = view.curves.frame
    n_panels = 2 if view.segment is not None else 1
    fig: Figure
    fig, axes = plt.subplots(
        1, n_panels, figsize=(5.6 * n_panels, 4.6), sharey=True, layout="constrained", squeeze=False
    )
    left = axes[0, 0]
    by_cohort = weighted(f, ["cohort", "age"])
    cohorts = sorted(by_cohort["cohort"].unique())
    cmap = colormaps["viridis"]
    for i, c in enumerate(cohorts):
        g = by_cohort[by_cohort["cohort"] == c]
        color = cmap(0.85 * i / max(len(cohorts) - 1, 1))
        label = f"{pd.Timestamp(c):%b %Y} (n={int(g['customers'].iloc[0]):,})"
        _curve(left, g, color, label, band=0.07)
    left.set_ylabel(f"cumulative revenue per customer{unit}")
    left.legend(frameon=False, fontsize=7, ncol=2, loc="upper left", title="first purchase",
                title_fontsize=8)  # fmt: skip
    style_axes(left, title="By first-purchase month")
    if view.segment is not None:
        right = axes[0, 1]
        by_seg = by_segment(view, f, ["age"])
        for i, name in enumerate(dict.fromkeys(by_seg[view.segment])):
            g = by_seg[by_seg[view.segment] == name].sort_values("age")
            label = f"{name} (n={int(g['customers'].iloc[0]):,})"
            _curve(right, g, PALETTE[i % len(PALETTE)], label, band=0.15, solid=0.5)
        right.legend(frameon=False, fontsize=8, loc="upper left", title=view.segment,
                     title_fontsize=8)  # fmt: skip
        right.tick_params(labelleft=True)
        style_axes(right, title=f"By {view.segment} of first purchase")
    for ax in axes[0]:
        ax.set_xlabel("days since first purchase")
        ax.set_xlim(0, int(f["age"].max().days))
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    return figure(
        figure_to_data_uri(fig, dpi=120),
        alt="Cumulative revenue per customer by days since first purchase, per cohort and "
        "country, observed and forecast with bands",
        caption=f"Curves average the customers of each cohort (left) or country, all cohorts "
        f"(right). Solid: observed for every customer (left) or at least half of them (right); "
        f"dashed: forecast; shaded: {BAND} interval.",
    )


def backtest_chart(bt: BacktestResult, unit: str) -> str:
    """Actual vs forecast holdout revenue per cohort (the library's backtest plot)."""
    ax = bt.plot()
    fig: Figure | None = ax.get_figure()  # type: ignore[assignment]
    if fig is None:  # pragma: no cover - a new Axes always has a figure
        return ""
    fig.set_size_inches(9.0, 3.6)
    ax.set_ylabel(f"holdout revenue{unit}")
    ax.set_xlabel("first-purchase month (cohort)")
    return figure(
        figure_to_data_uri(fig, dpi=120),
        alt="Actual and forecast holdout revenue by cohort for both models",
    )


def render_ltv(view: LTVView, *, money: Money | None = None, source: str = "") -> str:
    """The section's HTML for a computed :class:`LTVView` (all text escaped)."""
    money = money or Money()
    fit = view.fit
    until = _day(fit.observation_end - pd.Timedelta(1, "ns"))
    cohorts = fit.cohort_labels
    seg = ""
    if view.segment is not None and view.pooled:
        seg = (
            f" Segments: the {view.segment} of the first purchase, the largest on their own and "
            f"the other {len(view.pooled)} pooled."
        )
    how = "with prophet" if fit.spec.use_prophet else "as a power-law tail"
    intro = (
        f"{source}{len(fit.customers):,} customers in {len(cohorts)} cohorts by first-purchase "
        f"month ({cohorts[0]:%b %Y} to {cohorts[-1]:%b %Y}), orders to {until}.{seg}"
    )
    parts = [
        note(intro),
        f"<p><strong>{esc(headline(view, money))}</strong></p>",
        "<h3>Cohort curves</h3>",
        note(
            f"Cumulative revenue per acquired customer by days since their first purchase. "
            f"The unobserved part is forecast to 365 days with a {BAND} band: the weekly "
            f"increments are forecast {how} and pooled toward the parent curve, so no curve "
            "ever falls."
        ),
        curves_chart(view, money.unit),
        table(
            segment_frame(view, money.unit),
            caption=f"Predicted 12-month value per customer acquired in {latest_year(view)[0]}",
        ),
        table(
            cohort_frame(view, money.unit),
            caption="Predicted 12-month value per customer by first-purchase month",
        ),
        *_bgnbd_part(view, money),
    ]
    if view.backtest is not None:
        parts += _backtest_part(view.backtest, money)
    else:
        parts.append(
            note(
                "Backtest: needs at least 120 days of orders. Run it with "
                "lf.ltv.backtest({'cohort': lf.ltv.CohortLTV(), 'bgnbd': "
                "lf.ltv.ProbabilisticLTV()}, orders, cutoff=..., end=...)."
            )
        )
    parts += [note(f"Model note: {text}") for text in view.notes]
    return "".join(parts)


def _inputs(ctx: ReportContext) -> tuple[pd.DataFrame, dict[str, str | None], Money, str] | None:
    data = ctx.data
    retail = data.extras.get(RETAIL_EXTRA)
    if isinstance(retail, pd.DataFrame):
        cols: dict[str, str | None] = {"customer": "customer_id", "time": "timestamp",
                                       "value": "revenue", "segment": "country"}  # fmt: skip
        return retail, cols, Money("GBP", "£"), "Bundled Online Retail data (UCI; £): "
    if data.orders is None:
        return None
    by = data.by or ()
    columns = data.orders.columns
    segment = "country" if "country" in columns and (not by or "country" in by) else None
    if segment is None and by and by[0] in columns:
        segment = by[0]
    cols = {"customer": data.customer, "time": data.order_time, "value": data.revenue,
            "segment": segment}  # fmt: skip
    return data.orders, cols, Money(), ""


@register_section("ltv", order=50, title="Customer lifetime value")
def _ltv_section(ctx: ReportContext) -> str | None:
    found = _inputs(ctx)
    if found is None:
        return None  # no orders
    orders, cols, money, source = found
    span = order_span(orders, str(cols["time"]))
    if span < pd.Timedelta(days=MIN_DAYS):
        return note(
            f"Lifetime value needs at least {MIN_DAYS} days of orders to draw cohort curves; "
            f"these span {span.days} days."
        )

    def compute() -> LTVView:
        return ltv_view(
            orders,
            customer=str(cols["customer"]),
            time=str(cols["time"]),
            value=str(cols["value"]),
            segment=cols["segment"],
            tz=ctx.data.tz,
            use_prophet=USE_PROPHET,
        )

    view = ctx.cached(CACHE_KEY, compute)
    return render_ltv(view, money=money, source=source)
