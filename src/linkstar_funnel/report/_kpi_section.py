"""Report section "KPI tree: what moved revenue": the last full month against the one before.

Shows :func:`~linkstar_funnel.report._kpi_month.month_over_month` in words, tables and a
waterfall: revenue = customers * orders per customer * AOV, decomposed overall (LMDI-I),
by country, and into customers / country mix / intensity, with the AOV's mix and rate.

With ``--demo`` the section runs on the bundled Online Retail data
(:func:`linkstar_funnel.datasets.online_retail_orders`, in pounds sterling), which
``load_demo`` puts in ``ReportData.extras`` under :data:`RETAIL_EXTRA`; otherwise on the
user's orders with the CLI's customer / time / revenue mapping. The section is left out
when there are no orders or fewer than two full calendar months.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..plotting import figure_to_data_uri
from ._html import esc, facts_grid, figure, note, table
from ._kpi_month import DRIVERS, MonthOverMonth, month_over_month
from ._sections import ReportContext, register_section

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..kpi import DecompositionResult, MixRateResult

__all__ = ["RETAIL_EXTRA", "render_month_over_month"]

#: ``ReportData.extras`` key of the orders the section uses instead of ``orders`` (demo).
RETAIL_EXTRA = "online_retail_orders"
#: Countries (segments) shown by name; the rest are folded into one "other" row.
TOP_SEGMENTS = 8

_LABELS = {
    "revenue": "revenue",
    "customers": "customers",
    "orders_per_customer": "orders per customer",
    "aov": "average order value (AOV)",
}
_SHORT = {"customers": "customers", "orders_per_customer": "orders/customer", "aov": "AOV"}
# How the plain-language sentence names a driver that went up / down.
_WORDS = {
    "customers": ("more customers", "fewer customers"),
    "orders_per_customer": ("more orders per customer", "fewer orders per customer"),
    "aov": ("higher order value", "lower order value"),
}
_MINUS = "\u2212"
_TIMES = "\u00d7"
_JOIN = "\u2060"


def _money(value: float, cur: str, *, signed: bool = False, decimals: int = 0) -> str:
    """``£1,234`` / ``+£1,234`` / ``-£1,234`` (with a real minus sign, U+2212)."""
    sign = _MINUS if value < 0 and round(abs(value), decimals) else ""
    if signed and not sign:
        sign = "+"
    # A word joiner keeps a line from breaking between the sign and the amount.
    return f"{sign}{_JOIN if sign else ''}{cur}{abs(value):,.{decimals}f}"


def _pct(value: float, *, signed: bool = True) -> str:
    text = f"{abs(value):.1%}"
    if not signed:
        return text
    return (_MINUS if value < 0 else "+") + _JOIN + text


def _value(driver: str, value: float, cur: str) -> str:
    if driver == "customers":
        return f"{value:,.0f}"
    if driver == "revenue":
        return _money(value, cur)
    if driver == "aov":
        return _money(value, cur, decimals=2)
    return f"{value:,.2f}"


def _month(p: pd.Period, *, short: bool = False) -> str:
    return p.strftime("%b %Y" if short else "%B %Y")


def _sentence(m: MonthOverMonth, cur: str) -> str:
    d = m.by_driver
    start, end, total = d.root_before, d.root_after, d.total
    if total == 0:
        head = f"Revenue was unchanged at {_money(end, cur)}"
    else:
        verb = "rose" if total > 0 else "fell"
        pct = f" {_pct(total / start, signed=False)}" if start > 0 else ""
        head = (
            f"Revenue {verb}{pct} ({_money(total, cur, signed=True)}) from {_money(start, cur)} "
            f"in {_month(m.before)} to {_money(end, cur)} in {_month(m.after)}"
        )
    parts = []
    for k, v in d.contributions.items():
        up, down = _WORDS[k]
        word = up if d.after[k].sum() >= d.before[k].sum() else down
        parts.append(f"{word} {_money(v, cur, signed=True)}")
    return f"{head}: {', '.join(parts)}."


def _driver_table(m: MonthOverMonth) -> pd.DataFrame:
    d = m.by_driver
    names = ["revenue", *DRIVERS]
    b = np.array([d.before[k].sum() for k in names])
    a = np.array([d.after[k].sum() for k in names])
    rounding = {"revenue": 0, "customers": 0, "orders_per_customer": 2, "aov": 2}
    contrib = [d.total, *(d.contributions[k] for k in DRIVERS)]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(b != 0, a / b - 1, np.nan)
    return pd.DataFrame(
        {
            "driver": ["revenue (total)", *(_LABELS[k] for k in DRIVERS)],
            _month(m.before, short=True): [
                round(v, rounding[k]) for k, v in zip(names, b, strict=True)
            ],
            _month(m.after, short=True): [
                round(v, rounding[k]) for k, v in zip(names, a, strict=True)
            ],
            "change": change,
            "contribution": np.round(contrib),
            "share of change": np.array(contrib) / d.total if d.total else np.nan,
        }
    )


def _segment_table(m: MonthOverMonth, d: DecompositionResult, name: str) -> pd.DataFrame:
    top = TOP_SEGMENTS
    root = d.tree.root
    seg = d.keys.iloc[:, 0].astype(str).to_numpy()
    frame = pd.DataFrame(
        {
            name: seg,
            _month(m.before, short=True): d.before[root],
            _month(m.after, short=True): d.after[root],
            "change": d.after[root] - d.before[root],
            **{_SHORT[k]: d.edge_contributions[(root, k)] for k in DRIVERS},
        }
    )
    frame = frame.iloc[np.argsort(-np.abs(frame["change"].to_numpy()), kind="stable")]
    head, rest = frame.iloc[:top], frame.iloc[top:]
    rows = [head]
    if len(rest):
        other = rest.drop(columns=name).sum().to_frame().T
        other.insert(0, name, f"other ({len(rest):,} {_plural(name)})")
        rows.append(other)
    total = frame.drop(columns=name).sum().to_frame().T
    total.insert(0, name, "total")
    rows.append(total)
    out = pd.concat(rows, ignore_index=True)
    numeric = [c for c in out.columns if c != name]
    out[numeric] = out[numeric].astype(float).round(0)
    return out


def _structure_table(d: DecompositionResult, name: str, cur: str) -> pd.DataFrame:
    frame = d.to_frame()
    top = frame[frame["level"] == 1]
    what = {
        "activity": "total customers",
        "structure": f"{name} mix of customers",
    }
    described = [
        what[e] if e in what else f"{_LABELS[n]} within each {name}"
        for n, e in zip(top["node"], top["effect"], strict=True)
    ]
    return pd.DataFrame(
        {
            "effect": top["effect"].to_numpy(),
            "what moved": described,
            f"contribution{f' ({cur})' if cur else ''}": np.round(top["contribution"].to_numpy()),
            "share of change": top["share"].to_numpy(),
        }
    )


def _waterfall(m: MonthOverMonth, cur: str) -> str:
    d = m.by_driver
    ax = d.plot(kind="waterfall")
    fig: Figure | None = ax.get_figure()  # type: ignore[assignment]
    if fig is None:  # pragma: no cover - a new Axes always has a figure
        return ""
    fig.set_size_inches(8.5, 3.9)
    # The library labels bars with node names; readers get words and the months.
    labels = [_month(m.before, short=True), "customers", "orders per\ncustomer"]
    labels += ["order value\n(AOV)", _month(m.after, short=True)]
    ax.set_xticks(ax.get_xticks(), labels)
    ax.set_ylabel(ax.get_ylabel().replace("revenue", f"revenue ({cur})" if cur else "revenue"))
    pct = f" ({_pct(d.total / d.root_before)})" if d.root_before > 0 else ""
    ax.set_title(
        f"Revenue {_month(m.before, short=True)} → {_month(m.after, short=True)}: "
        f"{_money(d.total, cur, signed=True)}{pct}",
        loc="left", fontsize=12, fontweight="bold",
    )  # fmt: skip
    return figure(
        figure_to_data_uri(fig, dpi=130),
        alt=f"Waterfall of the revenue change from {_month(m.before)} to {_month(m.after)} "
        "by driver",
        caption="Each bar is a driver's contribution (LMDI-I); together they make the change.",
    )


def _plural(segment: str) -> str:
    return "countries" if segment == "country" else f"{segment} values"


def _one_period_note(d: DecompositionResult, segment: str, m: MonthOverMonth) -> str:
    """Name the segments with orders in one of the two months only."""
    names = d.keys.iloc[:, 0].astype(str).to_numpy()
    only = []
    for month, mask in (
        (m.before, d.after["customers"] == 0),
        (m.after, d.before["customers"] == 0),
    ):
        if mask.any():
            shown = ", ".join(names[mask][:6]) + (" and more" if mask.sum() > 6 else "")
            only.append(f"{int(mask.sum())} in {_month(month)} only ({shown})")
    if not only:
        return ""
    return note(
        f"{_plural(segment).capitalize()} with orders in one month: {'; '.join(only)}. "
        "All of their revenue change counts as mix."
    )


def _aov_sentence(r: MixRateResult, segment: str, cur: str) -> str:
    s = _plural(segment)
    mostly = "within" if abs(r.rate) >= abs(r.mix) else "between"
    return (
        f"Average order value went from {_money(r.before, cur, decimals=2)} to "
        f"{_money(r.after, cur, decimals=2)} ({_money(r.total, cur, signed=True, decimals=2)}): "
        f"{_money(r.rate, cur, signed=True, decimals=2)} from order values changing within "
        f"{s} (rate) and {_money(r.mix, cur, signed=True, decimals=2)} from orders shifting "
        f"between {s} (mix), so the change happened mostly {mostly} {s}."
    )


def render_month_over_month(m: MonthOverMonth, *, currency: str = "", source: str = "") -> str:
    """The section's HTML for a computed :class:`MonthOverMonth` (all text escaped)."""
    d, cur = m.by_driver, currency
    method = "LMDI-I" if d.method == "lmdi" else "Shapley"
    intro = (
        f"{source}{_month(m.after)} against {_month(m.before)}, the last two full calendar "
        f"months of orders ({m.first_day:%Y-%m-%d} to {m.last_day:%Y-%m-%d})."
    )
    if m.partial is not None:
        intro += (
            f" {_month(m.partial)} is partial (orders up to {m.last_day:%Y-%m-%d}) and is "
            "not used as a full month."
        )
    facts = []
    for k in ("revenue", *DRIVERS):
        b, a = float(d.before[k].sum()), float(d.after[k].sum())
        label = "order value (AOV)" if k == "aov" else _LABELS[k]
        facts.append((label, _pct(a / b - 1) if b else "n/a"))
    money = f" ({cur})" if cur else ""
    parts = [
        note(intro),
        f"<p><strong>{esc(_sentence(m, cur))}</strong></p>",
        facts_grid(facts),
        "<h3>By driver</h3>",
        note(
            f"revenue = customers {_TIMES} orders per customer {_TIMES} average order value. "
            f"Contributions by {method}: exact and order-free, they sum to the change."
        ),
        table(
            _driver_table(m).rename(columns={"contribution": f"contribution{money}"}),
            percent=("change", "share of change"),
        ),
        _waterfall(m, cur),
    ]
    if m.by_segment is not None and m.segment is not None:
        s = m.segment
        parts += [
            f"<h3>By {esc(s)}</h3>",
            note(
                f"Revenue{money} and each driver's contribution within each {s}, largest "
                "change first; in every row the three drivers' columns sum to the change. "
                f"Measured within {_plural(s)}, the drivers' totals differ from the overall "
                "ones above."
            ),
            table(_segment_table(m, m.by_segment, s)),
        ]
    if m.structure is not None and m.segment is not None:
        s = m.segment
        parts += [
            f"<h3>Customers, {esc(s)} mix and intensity</h3>",
            note(
                f"revenue = total customers {_TIMES} each {s}'s share of them {_TIMES} orders "
                f"per customer {_TIMES} AOV, summed over {_plural(s)}: the mix effect is what "
                f"customers moving between {_plural(s)} did to revenue."
            ),
            table(_structure_table(m.structure, s, cur), percent=("share of change",)),
            _one_period_note(m.by_segment, s, m) if m.by_segment is not None else "",
        ]
    if m.aov_mix is not None and m.segment is not None:
        parts.append(f"<p>{esc(_aov_sentence(m.aov_mix, m.segment, cur))}</p>")
    if m.accounting.rows_dropped:
        parts.append(note(f"Order rows: {m.accounting}."))
    if d.method != "lmdi":
        parts.append(note("Some revenue is negative (net refunds): Shapley is used, not LMDI."))
    return "".join(parts)


def _inputs(ctx: ReportContext) -> tuple[pd.DataFrame, Mapping[str, str | None], str, str] | None:
    data = ctx.data
    retail = data.extras.get(RETAIL_EXTRA)
    if isinstance(retail, pd.DataFrame):
        cols: dict[str, str | None] = {"order": "order_id", "customer": "customer_id",
                                       "time": "timestamp", "revenue": "revenue",
                                       "segment": "country"}  # fmt: skip
        return retail, cols, "£", "Bundled Online Retail data (UCI; a UK gift wholesaler, £): "
    if data.orders is None:
        return None
    by = data.by or ()
    columns = data.orders.columns
    segment = "country" if "country" in columns and (not by or "country" in by) else None
    if segment is None and by:
        segment = by[0]
    cols = {"order": data.order, "customer": data.customer, "time": data.order_time,
            "revenue": data.revenue, "segment": segment}  # fmt: skip
    return data.orders, cols, "", ""


@register_section("kpi-tree", order=40, title="KPI tree: what moved revenue")
def _kpi_section(ctx: ReportContext) -> str | None:
    found = _inputs(ctx)
    if found is None:
        return None  # no orders
    orders, cols, currency, source = found
    m = month_over_month(
        orders,
        order=cols["order"],
        customer=str(cols["customer"]),
        time=str(cols["time"]),
        revenue=str(cols["revenue"]),
        segment=cols["segment"],
        tz=ctx.data.tz,
    )
    if m is None:
        return None  # fewer than two full calendar months: nothing to compare
    return render_month_over_month(m, currency=currency, source=source)
