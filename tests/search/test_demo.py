"""The seeded demo search data: the analyses find what was planted."""

from __future__ import annotations

import warnings

import linkstar_funnel as lf
from linkstar_funnel import basket, search
from linkstar_funnel.datasets import make_demo_search
from linkstar_funnel.datasets._demo_search import COMPANIONS, ZERO_RESULT_TERMS


def test_opportunities_find_the_seeded_zero_result_terms() -> None:
    demo = make_demo_search(1_500, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)  # never-clicked keywords
        kw = search.keywords(
            demo.searches, clicks=demo.search_clicks, orders=demo.orders, by="language"
        )
    opp = kw.opportunities(min_searches=10)
    found = set(zip(opp["language"], opp["keyword"], strict=True))
    assert found == set(ZERO_RESULT_TERMS)
    assert (opp["reason"] == "zero results").all()
    assert (opp["lost_revenue"] > 0).all()


def test_rules_find_the_planted_companions() -> None:
    demo = make_demo_search(1_500, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        result = basket.rules(
            demo.order_lines,
            item="product_id",
            quantity="quantity",
            cancelled_prefix="C",
            min_support=0.02,
            min_confidence=0.0,
            max_len=2,
        )
    rules = result.to_frame()
    pairs = rules.assign(
        pair=[
            frozenset(a + c)
            for a, c in zip(rules["antecedents"], rules["consequents"], strict=True)
        ]
    )
    strongest = set(pairs.drop_duplicates("pair").head(len(COMPANIONS))["pair"])
    assert strongest == {frozenset((a, b)) for a, b, _ in COMPANIONS}
    reasons = set(result.provenance.dropped_frame()["reason"])
    assert reasons == {"cancelled order", "return (quantity < 0)", "zero quantity"}
