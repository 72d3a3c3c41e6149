"""``basket_pairs`` in SQL: orders per item and per pair of items, counted by the engine.

Three queries: one aggregate counting the rows and each drop (missing values, cancelled
orders, returns, zero quantities, in the order of
:mod:`~linkstar_funnel.engines._basket`); the orders per item of the distinct (order, item)
rows; and the pairs, a self-join of those rows on the order (``a.item < b.item``) restricted
to items frequent enough, grouped and counted. Only items and frequent pairs come back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..._accounting import RowAccounting
from ...errors import EmptyFrameError
from .._basket import BasketPairs, BasketPairsQuery, item_order, min_count
from ._errors import execute
from ._tables import check_columns, check_numbers, sql_table

__all__ = ["basket_pairs"]

_O, _I, _N = "__lf_order", "__lf_item", "__lf_n"


def _count(value: object) -> int:
    return 0 if pd.isna(value) else int(value)  # type: ignore[call-overload]


def _accounting(t: Any, query: BasketPairsQuery) -> tuple[RowAccounting, Any]:
    """Rows in and dropped by reason, and the predicate keeping the usable lines."""
    import ibis

    ok: Any = ibis.literal(True)
    aggs: dict[str, Any] = {"rows_in": t.count()}
    for i, (_, col) in enumerate(query.roles):
        aggs[f"miss{i}"] = ibis.ifelse(ok & t[col].isnull(), 1, 0).sum()  # noqa: PD003 - Ibis expression
        ok = ok & t[col].notnull()  # noqa: PD004 - Ibis expression
    reasons: list[tuple[str, str]] = []
    if query.cancelled_prefix is not None:
        cancelled = ok & t[query.order].cast("string").startswith(query.cancelled_prefix)
        aggs["cancelled"] = ibis.ifelse(cancelled, 1, 0).sum()
        reasons.append(("cancelled", query.order))
        ok = ok & ~cancelled
    if query.quantity is not None:
        qty = t[query.quantity]
        aggs["returns"] = ibis.ifelse(ok & (qty < 0), 1, 0).sum()
        aggs["zeros"] = ibis.ifelse(ok & (qty == 0), 1, 0).sum()
        ok = ok & (qty > 0)
    counts = execute(t.aggregate(**aggs), "basket line accounting").iloc[0]
    acc = RowAccounting(rows_in=_count(counts["rows_in"]))
    if not acc.rows_in:
        msg = "The lines frame is empty: there is nothing to compute on."
        raise EmptyFrameError(msg)
    for i, (role, col) in enumerate(query.roles):
        acc = acc.with_dropped(f"missing {role}", _count(counts[f"miss{i}"]), column=col)
    if query.cancelled_prefix is not None:
        acc = acc.with_dropped("cancelled order", _count(counts["cancelled"]), column=query.order)
    if query.quantity is not None:
        acc = acc.with_dropped(
            "return (quantity < 0)", _count(counts["returns"]), column=query.quantity
        )
        acc = acc.with_dropped("zero quantity", _count(counts["zeros"]), column=query.quantity)
    return acc, ok


def basket_pairs(source: Any, query: BasketPairsQuery) -> BasketPairs:
    """Orders per item and per pair of items in ``source`` (any input of the SQL engine)."""
    t = sql_table(source).table
    check_columns(t, query.roles, "lines")
    if query.quantity is not None:
        check_numbers(t, query.quantity, "lines")
    acc, ok = _accounting(t, query)
    kept = t.filter(ok).select(**{_O: t[query.order], _I: t[query.item]}).distinct()
    per_item = execute(kept.group_by(_I).aggregate(**{_N: kept.count()}), "orders per item")
    if per_item.empty:
        msg = f"No line of the lines frame is left to count: {acc}."
        raise EmptyFrameError(msg)
    n_orders = _count(execute(kept.aggregate(n=kept[_O].nunique()), "orders").iloc[0]["n"])
    threshold = min_count(query.min_support, n_orders)
    frequent = kept.group_by(_I).aggregate(**{_N: kept.count()})
    frequent = frequent.filter(frequent[_N] >= threshold).select(_I)
    rows = kept.semi_join(frequent, _I)
    other = rows.rename(__lf_order_b=_O, __lf_item_b=_I)
    joined = rows.join(
        other, (rows[_O] == other["__lf_order_b"]) & (rows[_I] < other["__lf_item_b"])
    )
    counted = joined.group_by([_I, "__lf_item_b"]).aggregate(**{_N: joined.count()})
    pairs = execute(counted.filter(counted[_N] >= threshold), "orders per pair of items")
    labels = pd.Index(per_item[_I].tolist())
    sort = item_order(labels)
    items = labels.take(sort)
    code = {str(v): i for i, v in enumerate(items)}
    a = np.array([code[str(v)] for v in pairs[_I]], dtype=np.int64)
    b = np.array([code[str(v)] for v in pairs["__lf_item_b"]], dtype=np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((hi, lo))
    return BasketPairs(
        items=items,
        item_orders=per_item[_N].to_numpy(np.int64)[sort],
        pair_a=lo[order],
        pair_b=hi[order],
        pair_orders=pairs[_N].to_numpy(np.int64)[order],
        n_orders=n_orders,
        accounting=acc,
    )
