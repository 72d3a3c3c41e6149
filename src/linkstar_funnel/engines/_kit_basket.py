"""Conformance cases of ``basket_pairs``: a backend must give the in-memory counts.

Each case gives the backend under test and the in-memory reference the same pandas frame
and query, and compares every field: the items (as text, in order), orders per item, the
pairs and their orders, the number of orders and the row accounting; for bad input, the
error type. Cases cover text and integer item ids, an item on several lines of one order,
missing values in every column, cancelled orders, returns and zero quantities, and support
thresholds from every pair to a few. Every difference is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._conformance import ConformanceKit
from ..errors import LinkstarError
from ._basket import BasketPairs, BasketPairsQuery
from ._kit import CASES, Runner, same_record

__all__ = ["basket_cases"]


def _lines(seed: int, n: int, *, missing: float = 0.0, numeric: bool = False) -> pd.DataFrame:
    """~n/4 orders of a few lines each over 30 items (popular ones first), some orders
    cancelled ("C" ids), some returns and zero quantities, an item repeated in an order."""
    rng = np.random.default_rng(seed)
    order = rng.integers(0, max(n // 4, 1), n)
    cancelled = rng.random(max(n // 4, 1)) < 0.08
    ids = np.array([("C" if c else "") + str(10_000 + i) for i, c in enumerate(cancelled)])
    item = np.minimum(rng.geometric(0.12, n), 30)
    frame = pd.DataFrame(
        {
            "invoice": ids[order].astype(object),
            "sku": item if numeric else np.char.add("sku", item.astype(str)).astype(object),
            "qty": rng.choice(
                np.array([-2.0, 0.0, 1.0, 2.0, 6.0]), n, p=[0.04, 0.03, 0.6, 0.2, 0.13]
            ),
        }
    )
    if missing:
        for col in frame.columns:
            holes = rng.random(n) < missing
            frame[col] = frame[col].astype(object).where(~holes, None)
        frame["qty"] = frame["qty"].astype(np.float64)
    return frame


def _query(**kw: Any) -> BasketPairsQuery:
    base: dict[str, Any] = {"order": "invoice", "item": "sku"}
    return BasketPairsQuery(**(base | kw))


#: (name, frame builder, query) of the cases whose outputs must match field by field.
_CASES: tuple[tuple[str, Callable[[], pd.DataFrame], BasketPairsQuery], ...] = (
    ("every pair, lines as given", lambda: _lines(1, 600), _query()),
    (
        "cancelled orders, returns and zero quantities dropped",
        lambda: _lines(2, 800),
        _query(quantity="qty", cancelled_prefix="C", min_support=0.02),
    ),
    (
        "integer item ids, a support threshold",
        lambda: _lines(3, 500, numeric=True),
        _query(min_support=0.05),
    ),
    (
        "missing values everywhere",
        lambda: _lines(4, 600, missing=0.05),
        _query(quantity="qty", cancelled_prefix="C"),
    ),
    ("a high threshold: few pairs", lambda: _lines(5, 400), _query(min_support=0.2)),
)


def _compare(kit: ConformanceKit, case: str, got: Any, want: BasketPairs) -> None:
    """Every field of ``got`` against the reference ``want``; each difference recorded."""
    if not same_record(kit, case, got, want):
        return
    kit.require(got.n_orders == want.n_orders, f"{case}: {got.n_orders} orders != {want.n_orders}")
    g_items, w_items = [str(v) for v in got.items], [str(v) for v in want.items]
    kit.require(g_items == w_items, f"{case}: items {g_items[:5]} != {w_items[:5]}")
    for field in ("item_orders", "pair_a", "pair_b", "pair_orders"):
        a, b = np.asarray(getattr(got, field)), np.asarray(getattr(want, field))
        kit.require(
            a.shape == b.shape and bool((a == b).all()),
            f"{case}: {field} {a[:6].tolist()} != {b[:6].tolist()}",
        )


def basket_cases(kit: ConformanceKit, run: Runner, reference: Runner) -> None:
    """Every ``basket_pairs`` case; see the module docstring."""
    for name, build, query in _CASES:
        frame = build()
        with kit.check(name):
            want = reference(frame, query)
            got = run(frame.copy(), query)
            _compare(kit, name, got, want)
    frame = _lines(6, 80)
    refusals = (
        ("every line cancelled", frame.assign(invoice="C1"), _query(cancelled_prefix="C")),
        ("a missing column", frame, _query(item="stock_code")),
    )
    for name, bad, query in refusals:
        with kit.check(name):
            try:
                reference(bad, query)
            except LinkstarError as exc:
                kit.raises(name, type(exc), run, bad, query)
            else:
                kit.fail(f"{name}: the in-memory engine did not refuse it")


CASES.register("basket_pairs", basket_cases)
