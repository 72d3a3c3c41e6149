"""basket.rules: published figures (mlxtend's own test cases), a brute-force reference,
properties of supports, confidences and lifts, line cleaning, segments and categories."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel import basket
from linkstar_funnel.results import check_result

from .reference import brute_itemsets, brute_rules

# mlxtend's example database (frequent_patterns/tests/test_fpbase.py, test_association_rules.py)
ONE_ARY = np.array(
    [
        [0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1],
        [0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1],
        [1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1],
        [0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0],
    ]
)
COLS = [
    "Apple",
    "Corn",
    "Dill",
    "Eggs",
    "Ice cream",
    "Kidney Beans",
    "Milk",
    "Nutmeg",
    "Onion",
    "Unicorn",
    "Yogurt",
]


def lines_of(orders: list[list[str]]) -> pd.DataFrame:
    rows = [(str(i), item) for i, items in enumerate(orders) for item in items]
    return pd.DataFrame(rows, columns=["order_id", "item_id"])


def mlxtend_lines() -> pd.DataFrame:
    return lines_of([[COLS[j] for j in np.flatnonzero(row)] for row in ONE_ARY])


def quiet_rules(lines: pd.DataFrame, **kw: object) -> basket.BasketRulesResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)  # infinite convictions
        return basket.rules(lines, **kw)  # type: ignore[arg-type]


def as_dict(
    result: basket.BasketRulesResult,
) -> dict[tuple[frozenset[str], frozenset[str]], pd.Series]:
    f = result.to_frame()
    return {
        (frozenset(a), frozenset(c)): row
        for a, c, (_, row) in zip(f["antecedents"], f["consequents"], f.iterrows(), strict=True)
    }


# ----------------------------------------------------------------- mlxtend's published cases


def test_fpgrowth_default_itemsets_of_mlxtend_test_fpbase() -> None:
    sets = quiet_rules(mlxtend_lines(), min_support=0.5, max_len=None).itemsets()
    got = {frozenset(s): sup for s, sup in zip(sets["itemset"], sets["support"], strict=True)}
    idx = [[3], [5], [6], [8], [10], [3, 5], [3, 8], [5, 6], [5, 8], [5, 10], [3, 5, 8]]
    sup = [0.8, 1.0, 0.6, 0.6, 0.6, 0.8, 0.6, 0.6, 0.6, 0.6, 0.6]
    want = {frozenset(COLS[i] for i in s): v for s, v in zip(idx, sup, strict=True)}
    assert got == pytest.approx(want)
    two = quiet_rules(mlxtend_lines(), min_support=0.5, max_len=2).itemsets()
    assert two["length"].max() == 2


def test_fpgrowth_tiny_database_of_mlxtend_test_fpbase() -> None:
    sets = quiet_rules(lines_of([["a"], ["b"], ["c", "d"], ["e"]]), min_support=0.001).itemsets()
    got = {frozenset(s): v for s, v in zip(sets["itemset"], sets["support"], strict=True)}
    want = {frozenset(x): 0.25 for x in (["a"], ["b"], ["c"], ["d"], ["e"], ["c", "d"])}
    assert got == want


def test_association_rules_default_of_mlxtend_test_association_rules() -> None:
    rules = as_dict(quiet_rules(mlxtend_lines(), min_support=0.6, min_confidence=0.8, max_len=None))
    # (antecedents, consequents, antecedent support, consequent support, support,
    #  confidence, lift, leverage, conviction), mlxtend's expected table.
    expect = [
        ((8,), (5,), 0.6, 1.0, 0.6, 1.0, 1.0, 0.0, np.inf),
        ((6,), (5,), 0.6, 1.0, 0.6, 1.0, 1.0, 0.0, np.inf),
        ((8, 3), (5,), 0.6, 1.0, 0.6, 1.0, 1.0, 0.0, np.inf),
        ((8, 5), (3,), 0.6, 0.8, 0.6, 1.0, 1.25, 0.12, np.inf),
        ((8,), (3, 5), 0.6, 0.8, 0.6, 1.0, 1.25, 0.12, np.inf),
        ((3,), (5,), 0.8, 1.0, 0.8, 1.0, 1.0, 0.0, np.inf),
        ((5,), (3,), 1.0, 0.8, 0.8, 0.8, 1.0, 0.0, 1.0),
        ((10,), (5,), 0.6, 1.0, 0.6, 1.0, 1.0, 0.0, np.inf),
        ((8,), (3,), 0.6, 0.8, 0.6, 1.0, 1.25, 0.12, np.inf),
    ]
    assert len(rules) == len(expect) == 9  # mlxtend's test_confidence: 9 rules at 0.8
    names = ["antecedent_support", "consequent_support", "support", "confidence", "lift"]
    for a, c, *values in expect:
        row = rules[(frozenset(COLS[i] for i in a), frozenset(COLS[i] for i in c))]
        assert row[names].to_numpy(float) == pytest.approx(values[:5])
        assert round(row["leverage"], 3) == pytest.approx(values[5])
        assert row["conviction"] == pytest.approx(values[6])


def test_infinite_conviction_is_announced() -> None:
    with pytest.warns(lf.DataQualityWarning, match="conviction is infinite"):
        basket.rules(mlxtend_lines(), min_support=0.6, min_confidence=0.8)


# ----------------------------------------------------------------- brute-force reference

orders_strategy = st.lists(
    st.frozensets(st.sampled_from(list("abcdefg")), min_size=1, max_size=5), min_size=1, max_size=25
)


@settings(max_examples=40, deadline=None)
@given(
    orders=orders_strategy,
    min_support=st.sampled_from([0.04, 0.1, 0.2, 0.34, 0.5]),
    min_confidence=st.sampled_from([0.0, 0.3, 0.6, 1.0]),
    max_len=st.sampled_from([1, 2, 3, None]),
)
def test_rules_equal_the_brute_force_reference(
    orders: list[frozenset[str]], min_support: float, min_confidence: float, max_len: int | None
) -> None:
    result = quiet_rules(
        lines_of([sorted(o) for o in orders]),
        min_support=min_support,
        min_confidence=min_confidence,
        max_len=max_len,
    )
    sets = result.itemsets()
    got_sets = {frozenset(s): n for s, n in zip(sets["itemset"], sets["orders"], strict=True)}
    assert got_sets == brute_itemsets(orders, min_support, max_len)
    want = brute_rules(orders, min_support, min_confidence, max_len)
    got = as_dict(result)
    assert set(got) == set(want)
    for key, w in want.items():
        row = got[key]
        assert row["orders"] == w["orders"]
        for name in ("support", "confidence", "lift", "leverage"):
            assert row[name] == pytest.approx(w[name], abs=1e-12)
    # Properties: confidence in [0, 1], inside its interval; support anti-monotone; lift of
    # a pair's two rules equal.
    f = result.to_frame()
    assert ((f["confidence"] >= 0) & (f["confidence"] <= 1 + 1e-12)).all()
    assert (f["confidence_low"] <= f["confidence"] + 1e-12).all()
    assert (f["confidence"] <= f["confidence_high"] + 1e-12).all()
    for s, n in got_sets.items():
        for x in s:
            if len(s) > 1:
                assert got_sets[s - {x}] >= n
    for (a, c), row in got.items():
        if len(a) == len(c) == 1 and (c, a) in got:
            assert got[(c, a)]["lift"] == pytest.approx(row["lift"], rel=1e-12)


# ----------------------------------------------------------------- cleaning and options


def retail_like() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice": ["1", "1", "1", "2", "2", "C3", "C3", "4", "4", "4", "5", "5"],
            "sku": ["a", "b", "a", "a", "b", "a", "b", "a", "c", "b", "c", "b"],
            "qty": [1.0, 2.0, 1.0, 1.0, 3.0, -1.0, -2.0, 1.0, 0.0, -1.0, 2.0, 2.0],
            "country": ["UK"] * 5 + ["FR"] * 2 + ["UK"] * 3 + ["FR"] * 2,
        }
    )


def test_returns_cancellations_and_zero_quantities_are_dropped_and_counted() -> None:
    lines = retail_like()
    before = lines.copy()
    r = quiet_rules(
        lines,
        order="invoice",
        item="sku",
        quantity="qty",
        cancelled_prefix="C",
        min_support=0.1,
        min_confidence=0.0,
    )
    pd.testing.assert_frame_equal(lines, before)
    dropped = r.provenance.dropped_frame().set_index("reason")["rows"].to_dict()
    assert dropped == {"cancelled order": 2, "return (quantity < 0)": 1, "zero quantity": 1}
    # Orders 1 {a, b} (a twice: once), 2 {a, b}, 4 {a}, 5 {c, b}: 4 orders.
    assert int(r.orders()["orders"].sum()) == 4
    sets = r.itemsets().set_index(r.itemsets()["itemset"].map(" ".join))["orders"].to_dict()
    assert sets == {"a": 3, "b": 3, "c": 1, "a b": 2, "b c": 1}


def test_segments_equal_separate_runs() -> None:
    lines = pd.concat(
        [mlxtend_lines().assign(country="UK"), lines_of([["x", "y"], ["x"]]).assign(country="FR")]
    )
    lines["order_id"] = lines["country"] + lines["order_id"]
    both = quiet_rules(lines, by="country", min_support=0.5, min_confidence=0.0).to_frame()
    for country in ("FR", "UK"):
        alone = quiet_rules(
            lines[lines["country"] == country], min_support=0.5, min_confidence=0.0
        ).to_frame()
        part = both[both["country"] == country].drop(columns="country").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone)


def test_category_level_rules_through_a_map() -> None:
    lines = pd.DataFrame(
        {
            "order_id": [1, 1, 2, 2, 3, 3, 4],
            "item_id": ["tea1", "mug1", "tea2", "mug2", "tea1", "jam", "mug1"],
        }
    )
    cats = {"tea1": "tea", "tea2": "tea", "mug1": "mugs", "mug2": "mugs"}
    r = quiet_rules(lines, categories=cats, min_support=0.5, min_confidence=0.0)
    rows = as_dict(r)
    assert set(rows) == {
        (frozenset({"tea"}), frozenset({"mugs"})),
        (frozenset({"mugs"}), frozenset({"tea"})),
    }
    assert rows[(frozenset({"tea"}), frozenset({"mugs"}))]["orders"] == 2
    assert r.provenance.dropped_frame()["reason"].tolist() == ["item without category"]
    assert r.summary().facts[-1] == ("level", "category")


def test_cross_sell_equals_the_pair_rules_of_the_item() -> None:
    lines = mlxtend_lines()
    r = as_dict(quiet_rules(lines, min_support=0.2, min_confidence=0.0, max_len=2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        cs = basket.cross_sell(lines, "Eggs", top=20, min_orders=1).to_frame()
    assert len(cs) == sum(1 for a, _ in r if a == frozenset({"Eggs"}))
    assert cs["confidence"].is_monotonic_decreasing
    for row in cs.itertuples():
        want = r[(frozenset({"Eggs"}), frozenset({row.partner}))]
        for name in ("support", "confidence", "lift", "leverage"):
            assert getattr(row, name) == pytest.approx(want[name])


def test_cross_sell_names_an_unknown_item() -> None:
    with pytest.raises(lf.ParameterError, match="did you mean"):
        basket.cross_sell(mlxtend_lines(), "egg")


def test_in_words() -> None:
    r = quiet_rules(mlxtend_lines(), min_support=0.6, min_confidence=0.8)
    words = r.in_words(top=1, names={"Onion": "onions"})
    assert words == [
        "100% of orders with Kidney Beans + onions also contain Eggs, 1.2 times the usual chance"
    ]


def test_results_keep_the_conventions() -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    check_result(quiet_rules(mlxtend_lines(), min_support=0.4, min_confidence=0.5, by=None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        check_result(basket.cross_sell(mlxtend_lines(), "Eggs", min_orders=1))


def test_bad_parameters_name_themselves() -> None:
    with pytest.raises(lf.ParameterError, match="'min_support' parameter"):
        basket.rules(mlxtend_lines(), min_support=0)
    with pytest.raises(lf.ColumnNotFoundError):
        basket.rules(mlxtend_lines(), item="sku")
    with pytest.raises(lf.EmptyFrameError):
        basket.rules(retail_like().assign(qty=0.0), order="invoice", item="sku", quantity="qty")
