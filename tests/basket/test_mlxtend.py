"""The same rules as mlxtend's fpgrowth + association_rules on the same transactions
(mlxtend is a test-only dependency: skipped without it)."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel import basket
from linkstar_funnel.datasets import load_online_retail

mlxtend = pytest.importorskip("mlxtend", reason="mlxtend is the external reference")
from mlxtend.frequent_patterns import association_rules, fpgrowth
from mlxtend.preprocessing import TransactionEncoder

METRICS = [
    "antecedent support",
    "consequent support",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
]
OURS = [
    "antecedent_support",
    "consequent_support",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
]


def theirs(
    baskets: list[list[str]], min_support: float, min_confidence: float, max_len: int | None
) -> dict[tuple[frozenset[str], frozenset[str]], np.ndarray]:
    te = TransactionEncoder()
    onehot = pd.DataFrame(te.fit(baskets).transform(baskets), columns=te.columns_)
    sets = fpgrowth(onehot, min_support=min_support, use_colnames=True, max_len=max_len)
    if sets.empty:
        return {}
    with np.errstate(all="ignore"):  # mlxtend's own 0/0 in metrics we do not compare
        rules = association_rules(
            sets,
            num_itemsets=len(baskets),
            metric="confidence",
            min_threshold=min_confidence,
            return_metrics=METRICS,
        )
    return {
        (a, c): row
        for a, c, row in zip(
            rules["antecedents"], rules["consequents"], rules[METRICS].to_numpy(float), strict=True
        )
    }


def ours(
    lines: pd.DataFrame, **kw: object
) -> dict[tuple[frozenset[str], frozenset[str]], np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        f = basket.rules(lines, **kw).to_frame()  # type: ignore[arg-type]
    return {
        (frozenset(a), frozenset(c)): row
        for a, c, row in zip(
            f["antecedents"], f["consequents"], f[OURS].to_numpy(float), strict=True
        )
    }


def assert_same(got: dict, want: dict) -> None:
    assert set(got) == set(want)
    for key, row in want.items():
        np.testing.assert_allclose(got[key], row, rtol=1e-12, atol=1e-15)


@settings(max_examples=20, deadline=None)
@given(
    baskets=st.lists(
        st.lists(st.sampled_from(list("abcdefgh")), min_size=1, max_size=6, unique=True),
        min_size=2,
        max_size=40,
    ),
    min_support=st.sampled_from([0.05, 0.1, 0.25]),
    min_confidence=st.sampled_from([0.0, 0.5]),
    max_len=st.sampled_from([2, 3, None]),
)
def test_random_baskets(
    baskets: list[list[str]], min_support: float, min_confidence: float, max_len: int | None
) -> None:
    lines = pd.DataFrame(
        [(i, x) for i, b in enumerate(baskets) for x in b], columns=["order_id", "item_id"]
    )
    assert_same(
        ours(lines, min_support=min_support, min_confidence=min_confidence, max_len=max_len),
        theirs(baskets, min_support, min_confidence, max_len),
    )


@functools.cache
def germany() -> pd.DataFrame:
    lines = load_online_retail()
    return lines[lines["Country"] == "Germany"].reset_index(drop=True)


def test_online_retail_germany_every_rule() -> None:
    lines = germany()
    kept = lines[~lines["InvoiceNo"].str.startswith("C") & (lines["Quantity"] > 0)]
    baskets = [sorted(set(g)) for _, g in kept.groupby("InvoiceNo")["StockCode"]]
    got = ours(
        lines,
        order="InvoiceNo",
        item="StockCode",
        quantity="Quantity",
        cancelled_prefix="C",
        min_support=0.04,
        min_confidence=0.0,
        max_len=None,
    )
    want = theirs(baskets, 0.04, 0.0, None)
    assert len(want) > 100
    assert_same(got, want)
