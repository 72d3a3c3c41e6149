"""Bad-input cases of on-site search (``linkstar_funnel.search``) and market baskets
(``linkstar_funnel.basket``), on the seeded demo search data."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import pandas as pd

import linkstar_funnel as lf
import linkstar_funnel.basket
import linkstar_funnel.search
from linkstar_funnel.datasets import DemoSearch, make_demo_search

from .cases import Case, Frames

_RESULT = "result record: built by the library from validated input, not by users"

#: Public callables of the areas not driven here, with the reason.
EXEMPT: dict[str, str] = {
    "search.SearchKeywordsResult": _RESULT,
    "basket.BasketRulesResult": _RESULT,
    "basket.CrossSellResult": _RESULT,
}

search = lf.search  # type: ignore[attr-defined]
basket = lf.basket  # type: ignore[attr-defined]


@functools.cache
def _demo() -> DemoSearch:
    return make_demo_search(300, seed=5, days=14)


@functools.cache
def _clicked_searches() -> pd.DataFrame:
    """The demo searches of keywords someone clicked (every keyword then has a mean click
    position: the good call gives no NaN and so no warning)."""
    demo = _demo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        kw = search.keywords(demo.searches, clicks=demo.search_clicks).to_frame()
    clicked = set(kw.loc[kw["clicks"] > 0, "keyword"])
    keys = search.normalize_keywords(demo.searches["search_term"])
    return demo.searches[keys.isin(clicked).to_numpy()].reset_index(drop=True)


def search_frames() -> Frames:
    demo = _demo()
    return {
        "searches": _clicked_searches().copy(),
        "clicks": demo.search_clicks[["user_id", "timestamp", "position"]].copy(),
        "orders": demo.orders[["user_id", "timestamp", "revenue"]].copy(),
    }


def lines() -> Frames:
    cols = ["order_id", "product_id", "quantity", "country"]
    return {"lines": _demo().order_lines[cols].copy()}


LINE_PARAMS: dict[str, Any] = {
    "order": "order_id",
    "quantity": "quantity",
    "cancelled_prefix": "C",
    "alpha": 0.05,
}


@functools.cache
def _keywords() -> Any:
    f = search_frames()
    return search.keywords(f["searches"], clicks=f["clicks"], orders=f["orders"], by="country")


@functools.cache
def _rules() -> Any:
    return basket.rules(
        lines()["lines"], item="product_id", min_support=0.05, **LINE_PARAMS, max_len=2
    )


@functools.cache
def _cross_sell() -> Any:
    return basket.cross_sell(lines()["lines"], "P01", item_column="product_id", **LINE_PARAMS)


CASES: list[Case] = [
    Case(
        "search.keywords",
        lambda searches, clicks, orders, **kw: search.keywords(
            searches, clicks=clicks, orders=orders, **kw
        ),
        (search.keywords,),
        search_frames,
        {
            "user": "user_id",
            "time": "timestamp",
            "query": "search_term",
            "results": "result_count",
            "position": "position",
            "value": "revenue",
            "window": "1h",
            "by": ["country", "device"],
            "synonyms": {"handyhulle": "handyhülle"},
            "alpha": 0.05,
        },
        columns={
            "searches": ("user_id", "timestamp", "search_term", "result_count", "country"),
        },
    ),
    Case(
        "search.SearchKeywordsResult.opportunities",
        lambda **kw: _keywords().opportunities(**kw),
        (search.SearchKeywordsResult.opportunities,),
        params={"min_searches": 2, "zero_rate": 0.5, "top": 5},
    ),
    Case(
        "search.normalize_query",
        search.normalize_query,
        (search.normalize_query,),
        params={"text": "  Phone   CASE ", "synonyms": {"phone case": "case"}},
    ),
    Case(
        "search.normalize_keywords",
        lambda searches, **kw: search.normalize_keywords(searches["search_term"], **kw),
        (search.normalize_keywords,),
        lambda: {"searches": _demo().searches.iloc[:200].copy()},
        {"synonyms": {"kopfhörer": "earbuds"}},
        columns={"searches": ("search_term",)},
        shapes=False,
    ),
    Case(
        "basket.rules",
        basket.rules,
        (basket.rules,),
        lines,
        {
            "item": "product_id",
            "min_support": 0.05,
            "min_confidence": 0.2,
            "max_len": 3,
            "by": None,
            "categories": None,
            **LINE_PARAMS,
        },
    ),
    Case(
        "basket.rules by country",
        basket.rules,
        (basket.rules,),
        lines,
        {"item": "product_id", "min_support": 0.1, "max_len": 2, "by": "country", **LINE_PARAMS},
    ),
    Case(
        "basket.cross_sell",
        basket.cross_sell,
        (basket.cross_sell,),
        lines,
        {"item": "P01", "item_column": "product_id", "top": 5, "min_orders": 2, **LINE_PARAMS},
    ),
    Case(
        "basket.BasketRulesResult.in_words",
        lambda **kw: _rules().in_words(**kw),
        (basket.BasketRulesResult.in_words,),
        params={"top": 3, "names": {"P01": "phone case"}},
    ),
    Case(
        "basket.CrossSellResult.in_words",
        lambda **kw: _cross_sell().in_words(**kw),
        (basket.CrossSellResult.in_words,),
        params={"top": 3, "names": {"P02": "screen protector"}},
    ),
]
