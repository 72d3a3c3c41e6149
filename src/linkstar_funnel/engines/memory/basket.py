"""The in-memory ``basket_pairs``: order lines cleaned into (order, item) codes, pairs
counted by a sparse product (never a dense orders x items matrix)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..._accounting import RowAccounting
from ...errors import EmptyFrameError
from ...schema import Column, Table, validate
from .._basket import BasketPairs, BasketPairsQuery, item_order, min_count
from .._cohort import MISSING, factorize_paths

# The capability's records are re-exported here for the basket package (domain packages do
# not import the engines' private modules).
__all__ = [
    "BasketLines",
    "BasketPairs",
    "BasketPairsQuery",
    "basket_pairs",
    "min_count",
    "pair_counts",
    "read_lines",
]

IntArray = npt.NDArray[np.int64]


@attrs.frozen(eq=False)
class BasketLines:
    """Distinct (order, item) pairs of the kept lines, as dense integer codes.

    Attributes
    ----------
    order, item
        Per distinct pair, sorted by (order, item): order code (0..n_orders-1) and item
        code (its position in ``items``).
    items
        Item labels (categories, when a category map was given), sorted by
        :func:`~linkstar_funnel.engines._basket.item_order`.
    orders
        Order labels, by order code.
    segment, segment_paths
        Per order, the code of its segment path along ``by`` (the values of its first kept
        line; missing: ``"(missing)"``), and the sorted paths.
    accounting
        Rows read, used and dropped with reasons.
    """

    order: IntArray
    item: IntArray
    items: pd.Index
    orders: pd.Index
    segment: IntArray
    segment_paths: tuple[tuple[str, ...], ...]
    accounting: RowAccounting

    @property
    def n_orders(self) -> int:
        """Orders with at least one kept line."""
        return len(self.orders)


def _segment_paths(
    table: Table, by: Sequence[str], rows: npt.NDArray[np.intp]
) -> list[tuple[str, ...]]:
    if not by:
        return [()] * len(rows)
    columns = []
    for c in by:
        code = table.codes[f"by:{c}"][rows]
        lab = np.asarray(table.labels[f"by:{c}"].astype(str), dtype=object)
        safe = lab[np.maximum(code, 0)] if len(lab) else np.full(len(code), MISSING, dtype=object)
        columns.append(np.where(code >= 0, safe, MISSING))
    return list(zip(*columns, strict=True))


def _category_codes(
    labels: pd.Index, categories: Mapping[Any, Any] | pd.Series[Any]
) -> tuple[IntArray, pd.Index]:
    """Per item code, its category code (-1: no category), and the category labels."""
    mapping = (
        categories
        if isinstance(categories, pd.Series)
        else pd.Series(dict(categories), dtype=object)
    )
    mapping = mapping[~mapping.index.duplicated(keep="first")]
    found = pd.Series(labels).map(mapping)
    codes, uniques = pd.factorize(found, sort=False, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques).astype(str)


def read_lines(
    source: object,
    query: BasketPairsQuery,
    *,
    by: Sequence[str] = (),
    categories: Mapping[Any, Any] | pd.Series[Any] | None = None,
) -> BasketLines:
    """Read and clean order lines (see :mod:`linkstar_funnel.engines._basket`).

    With ``categories`` (item -> category), items become their category; lines of items
    without one are dropped and counted. ``by``: segment columns, read from each order's
    first kept line.

    Raises
    ------
    EmptyFrameError
        No line survives the cleaning.
    """
    cols = [
        Column(role, name, "number" if role == "quantity" else "key") for role, name in query.roles
    ]
    cols += [Column(f"by:{c}", c, "category", required=False) for c in by]
    table = validate(source, cols, frame_name="lines")
    acc = table.accounting
    order, item = table.codes["order"], table.codes["item"]
    keep = np.ones(len(order), dtype=bool)
    if query.cancelled_prefix is not None:
        labels = pd.Index(table.labels["order"].astype(str))
        cancelled = np.asarray(labels.str.startswith(query.cancelled_prefix), dtype=bool)
        drop = cancelled[order] if len(cancelled) else keep & False
        acc = acc.with_dropped("cancelled order", int(drop.sum()), column=query.order)
        keep &= ~drop
    if query.quantity is not None:
        qty = table.numbers["quantity"]
        returns = keep & (qty < 0)
        acc = acc.with_dropped("return (quantity < 0)", int(returns.sum()), column=query.quantity)
        zero = keep & (qty == 0)
        acc = acc.with_dropped("zero quantity", int(zero.sum()), column=query.quantity)
        keep &= qty > 0
    item_labels = table.labels["item"]
    if categories is not None:
        cat_of_item, item_labels = _category_codes(item_labels, categories)
        item = cat_of_item[item] if len(cat_of_item) else item
        unmapped = keep & (item < 0)
        acc = acc.with_dropped("item without category", int(unmapped.sum()), column=query.item)
        keep &= ~unmapped
    if not keep.any():
        msg = f"No line of the lines frame is left to count: {acc}."
        raise EmptyFrameError(msg)
    rows = np.flatnonzero(keep)
    order_used, order_code = _dense(order[rows], len(table.labels["order"]))
    item_used, item_code = _dense(item[rows], len(item_labels))
    # Items numbered in their text order, as every backend numbers them.
    sort = item_order(item_labels.take(item_used))
    rank = np.empty(len(sort), dtype=np.int64)
    rank[sort] = np.arange(len(sort))
    item_code = rank[item_code]
    by_order = np.argsort(order_code, kind="stable")
    first = by_order[np.r_[True, np.diff(order_code[by_order]) != 0]]
    segment, paths = factorize_paths(_segment_paths(table, by, rows[first]))
    pair = np.sort(order_code * len(sort) + item_code)
    pair = pair[np.r_[True, pair[1:] != pair[:-1]]]
    return BasketLines(
        order=pair // len(sort),
        item=pair % len(sort),
        items=pd.Index(item_labels.take(item_used[sort])),
        orders=pd.Index(table.labels["order"].take(order_used)),
        segment=segment,
        segment_paths=paths,
        accounting=acc,
    )


def _dense(codes: IntArray, n_labels: int) -> tuple[IntArray, IntArray]:
    """The codes in use (sorted) and each code's position among them."""
    used = np.zeros(n_labels, dtype=bool)
    used[codes] = True
    position = np.cumsum(used) - 1
    return np.flatnonzero(used).astype(np.int64), position[codes].astype(np.int64)


def pair_counts(
    order: IntArray, item: IntArray, n_items: int, min_orders: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Pairs of items (a < b) in at least ``min_orders`` orders, sorted, with their counts.

    ``order``, ``item``: distinct (order, item) pairs. A sparse orders x items matrix
    multiplied by its transpose: memory follows the pairs that occur, not orders x items.
    """
    from scipy import sparse

    n_orders = int(order.max()) + 1 if len(order) else 0
    x = sparse.csr_matrix(
        (np.ones(len(order), dtype=np.int64), (order, item)), shape=(n_orders, n_items)
    )
    co = sparse.triu(x.T @ x, k=1).tocoo()
    hit = co.data >= min_orders
    a, b, n = (
        co.row[hit].astype(np.int64),
        co.col[hit].astype(np.int64),
        co.data[hit].astype(np.int64),
    )
    sort = np.lexsort((b, a))
    return a[sort], b[sort], n[sort]


def basket_pairs(source: Any, query: BasketPairsQuery) -> BasketPairs:
    """Orders per item and per pair of items in ``source`` (a pandas frame)."""
    lines = read_lines(source, query)
    n_items = len(lines.items)
    threshold = min_count(query.min_support, lines.n_orders)
    a, b, n = pair_counts(lines.order, lines.item, n_items, threshold)
    return BasketPairs(
        items=lines.items,
        item_orders=np.bincount(lines.item, minlength=n_items).astype(np.int64),
        pair_a=a,
        pair_b=b,
        pair_orders=n,
        n_orders=lines.n_orders,
        accounting=lines.accounting,
    )
