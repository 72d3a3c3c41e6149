"""Report section "Search and cross-sell": what shoppers look for, what they buy together.

* **Search keywords** (:func:`linkstar_funnel.search.keywords`), when there are search
  events: the demo store's (``store.search``), or the user's events that carry a
  ``search_term`` column (with ``result_count`` when present). The most searched keywords
  with their zero-result rate, click-through, mean click position and purchase rate, and
  the opportunities: high-volume keywords that find nothing or are rarely clicked, ranked
  by the revenue they lose against the average keyword.
* **Cross-sell** (:func:`linkstar_funnel.basket.rules`, pairs of items): the top rules in
  plain words ("42% of orders with X also contain Y, 6.1 times the usual chance"), on the
  demo store's order lines and, with ``--demo``, on the bundled Online Retail invoices
  (United Kingdom; cancelled invoices, returns and zero quantities left out and counted).
"""

from __future__ import annotations

import warnings
from typing import Any

import attrs
import pandas as pd

from ..basket import BasketRulesResult, rules
from ..errors import LinkstarWarning
from ..search import SearchKeywordsResult, keywords
from ._html import esc, note, table
from ._kpi_section import RETAIL_EXTRA
from ._sections import ReportContext, ReportData, register_section
from ._warning_notes import warning_notes

__all__ = ["BasketView", "SearchView", "render_search", "search_view"]

CACHE_KEY = "search-view"
TOP_KEYWORDS = 10
TOP_RULES = 6
#: Basket thresholds (pairs only: they read as plain sentences). Online Retail at 2%: at
#: 1% its strongest pairs are one product line's variants (herb markers, 70x lift).
MIN_SUPPORT = {"demo": 0.01, "retail": 0.02}
MIN_CONFIDENCE = 0.2
RETAIL_COUNTRY = "United Kingdom"


@attrs.frozen(eq=False)
class BasketView:
    """One basket source's pair rules and the item names to say them with."""

    label: str
    rules: BasketRulesResult
    names: pd.Series | None
    min_support: float


@attrs.frozen(eq=False)
class SearchView:
    """The section's results: keywords (when searches exist) and basket rules."""

    keywords: SearchKeywordsResult | None
    baskets: tuple[BasketView, ...]
    truth: str | None
    notes: tuple[str, ...]


def _keywords(data: ReportData) -> tuple[SearchKeywordsResult | None, str | None]:
    store: Any = data.extras.get("store")
    if getattr(type(store), "search", None) is not None:  # a DemoStore
        demo = store.search
        zero = ", ".join(f"{term!r} ({lang})" for lang, term in demo.truth["zero_result_terms"])
        truth = f"Demo store: searches planted to find nothing: {zero}."
        kw = keywords(
            demo.searches,
            clicks=demo.search_clicks,
            orders=demo.orders,
            user="user_id",
            time="timestamp",
            window="1h",
        )
        return kw, truth
    events = data.events
    if events is None or "search_term" not in events.columns or data.user not in events:
        return None, None
    searches = events.loc[events["search_term"].notna()]
    if searches.empty:
        return None, None
    has_results = "result_count" in searches.columns
    cols = [data.user, data.time, "search_term", *(["result_count"] if has_results else [])]
    frame = searches[cols]
    if not has_results:
        frame = frame.assign(result_count=1)
    return keywords(frame, user=data.user, time=data.time, position=None), None


def _baskets(data: ReportData) -> list[BasketView]:
    out: list[BasketView] = []
    store: Any = data.extras.get("store")
    if getattr(type(store), "search", None) is not None:  # a DemoStore
        demo = store.search
        found = rules(
            demo.order_lines,
            order="order_id",
            item="product_id",
            quantity="quantity",
            cancelled_prefix="C",
            min_support=MIN_SUPPORT["demo"],
            min_confidence=MIN_CONFIDENCE,
            max_len=2,
        )
        out.append(BasketView("Demo store orders", found, demo.product_names, MIN_SUPPORT["demo"]))
    if isinstance(data.extras.get(RETAIL_EXTRA), pd.DataFrame):
        from ..datasets import load_online_retail  # the invoice lines, only for --demo

        lines = load_online_retail()
        uk = lines.loc[lines["Country"] == RETAIL_COUNTRY]
        found = rules(
            uk,
            order="InvoiceNo",
            item="StockCode",
            quantity="Quantity",
            cancelled_prefix="C",
            min_support=MIN_SUPPORT["retail"],
            min_confidence=MIN_CONFIDENCE,
            max_len=2,
        )
        names = uk.drop_duplicates("StockCode").set_index("StockCode")["Description"]
        label = f"Online Retail invoices ({RETAIL_COUNTRY})"
        out.append(BasketView(label, found, names.str.strip(), MIN_SUPPORT["retail"]))
    return out


def search_view(ctx: ReportContext) -> SearchView | None:
    """The section's results (cached), or ``None`` with neither searches nor baskets."""

    def compute() -> SearchView | None:
        with warnings.catch_warnings(
            record=True, action="always", category=LinkstarWarning
        ) as caught:
            kw, truth = _keywords(ctx.data)
            baskets = _baskets(ctx.data)
        if kw is None and not baskets:
            return None
        notes = warning_notes(caught)
        return SearchView(kw, tuple(baskets), truth, notes)

    view: SearchView | None = ctx.cached(CACHE_KEY, compute)
    return view


def keyword_table(kw: SearchKeywordsResult, top: int = TOP_KEYWORDS) -> pd.DataFrame:
    """The most searched keywords and how they fare."""
    f = kw.to_frame().sort_values("searches", ascending=False, kind="stable").head(top)
    return pd.DataFrame(
        {
            "keyword": f["keyword"].astype(str).to_numpy(),
            "searches": f["searches"].to_numpy(),
            "users": f["users"].to_numpy(),
            "no results": f["zero_result_rate"].to_numpy(),
            "click-through": f["ctr"].to_numpy(),
            "mean click position": f["mean_click_position"].to_numpy(),
            "bought within 1 h": f["purchase_rate"].to_numpy(),
            "revenue": f["revenue"].to_numpy(),
        }
    )


def opportunity_table(kw: SearchKeywordsResult, top: int = TOP_KEYWORDS) -> pd.DataFrame:
    """Keywords losing the most revenue: zero results or a low click-through."""
    f = kw.opportunities().head(top)
    return pd.DataFrame(
        {
            "keyword": f["keyword"].astype(str).to_numpy(),
            "why": f["reason"].astype(str).to_numpy(),
            "searches": f["searches"].to_numpy(),
            "no results": f["zero_result_rate"].to_numpy(),
            "click-through": f["ctr"].to_numpy(),
            "revenue lost (est.)": f["lost_revenue"].to_numpy(),
        }
    )


def rule_table(view: BasketView, top: int = 2 * TOP_RULES) -> pd.DataFrame:
    """The pair rules with the highest lift, items by name, with the counts behind them."""
    f = view.rules.to_frame().head(top)
    names: Any = view.names if view.names is not None else {}

    def name(items: object) -> str:
        return " + ".join(str(names.get(i, i)) for i in items)  # type: ignore[attr-defined]

    return pd.DataFrame(
        {
            "with": [name(a) for a in f["antecedents"]],
            "also": [name(c) for c in f["consequents"]],
            "orders with both": f["orders"].to_numpy(),
            "confidence": f["confidence"].to_numpy(),
            "lift": f["lift"].to_numpy(),
        }
    )


def _basket_part(view: BasketView) -> list[str]:
    n_rules = len(view.rules.to_frame())
    parts = [
        f"<h3>Bought together: {esc(view.label)}</h3>",
        note(
            f"Pairs of items in at least {view.min_support:.0%} of orders; confidence: the "
            "share of orders with the first item that also hold the second; lift: how many "
            f"times the second item's usual share that is. {n_rules:,} rules; each pair "
            "reads both ways."
        ),
    ]
    if n_rules == 0:
        return [*parts, note("No pair of items is frequent enough for a rule.")]
    names = view.names.to_dict() if view.names is not None else None
    words = view.rules.in_words(top=TOP_RULES, names=names)
    parts.append("<ul>" + "".join(f"<li>{esc(w)}</li>" for w in words) + "</ul>")
    parts.append(
        table(rule_table(view), percent=("confidence",), decimals={"confidence": 0, "lift": 1})
    )
    return parts


def render_search(view: SearchView) -> str:
    """The section's HTML (all text escaped)."""
    parts: list[str] = []
    if view.keywords is not None:
        kw = view.keywords
        parts += [
            "<h3>On-site search</h3>",
            note(
                "Search terms normalised into keywords (Unicode NFKC, case, spaces). A click "
                "or an order belongs to the same user's latest search before it, within 1 "
                "hour."
            ),
        ]
        if view.truth is not None:
            parts.append(note(view.truth))
        opp = opportunity_table(kw)
        if len(opp):
            parts.append(
                table(
                    opp,
                    percent=("no results", "click-through"),
                    decimals={"revenue lost (est.)": 0},
                    caption="Opportunities: searched often, found nothing or rarely clicked "
                    "(revenue lost against the average keyword's revenue per search)",
                )
            )
        parts.append(
            table(
                keyword_table(kw),
                percent=("no results", "click-through", "bought within 1 h"),
                decimals={"mean click position": 1, "revenue": 0},
                caption=f"The {TOP_KEYWORDS} most searched keywords",
            )
        )
    for basket in view.baskets:
        parts += _basket_part(basket)
    parts += [note(f"Data note: {text}") for text in view.notes]
    return "".join(parts)


@register_section("search-basket", order=60, title="Search and cross-sell")
def _search_section(ctx: ReportContext) -> str | None:
    view = search_view(ctx)
    return None if view is None else render_search(view)
