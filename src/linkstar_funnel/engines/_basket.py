"""Capability ``basket_pairs``: orders per item and per pair of items bought together.

The basket package lowers the pair level of ``basket.rules`` (``max_len=2``) to a
:class:`BasketPairsQuery`, asks the dispatch for the backend that takes the input, and
builds its rules once from the :class:`BasketPairs` it gets back. In SQL the pairs are a
self-join of the distinct (order, item) rows on the order; in memory, a sparse product.

Lines are cleaned the same way on every backend, each drop counted in that order: rows with
a missing order or item (or quantity, when a quantity column is named); lines of cancelled
orders (order ids starting with ``cancelled_prefix``); returns (quantity < 0); lines with a
quantity of 0. An item appearing on several lines of one order counts once for that order.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.engines.memory.basket import basket_pairs
>>> lines = pd.DataFrame({"invoice": ["1", "1", "2", "2", "C3"],
...                       "sku": ["a", "b", "a", "b", "a"], "qty": [1, 2, 1, 1, -1]})
>>> query = BasketPairsQuery(order="invoice", item="sku", quantity="qty", cancelled_prefix="C")
>>> out = basket_pairs(lines, query)
>>> list(out.items), out.item_orders.tolist(), out.n_orders
(['a', 'b'], [2, 2], 2)
>>> out.pair_a.tolist(), out.pair_b.tolist(), out.pair_orders.tolist()
([0], [1], [2])
>>> print(out.accounting)
5 rows in, 4 used, 1 dropped: 1 cancelled order (column 'invoice')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._accounting import RowAccounting
from .._params import ColumnName, Real, Satisfies

__all__ = [
    "BasketPairs",
    "BasketPairsEngine",
    "BasketPairsQuery",
    "item_order",
    "min_count",
]

IntArray = npt.NDArray[np.int64]

_PREFIX = Satisfies(
    lambda v: v is None or (isinstance(v, str) and v != ""), "None or a non-empty string"
)
_OPTIONAL_COLUMN = Satisfies(
    lambda v: v is None or ColumnName().accepts(v), "None or a column name"
)


@attrs.frozen
class BasketPairsQuery:
    """What to count: the options record of the ``basket_pairs`` capability.

    Attributes
    ----------
    order, item
        Column names of the order (invoice) id and the item (product, stock code).
    quantity
        Optional quantity column: lines with a quantity below 0 (returns) or of 0 are
        dropped and counted.
    cancelled_prefix
        Optional prefix of cancelled order ids (``"C"`` in Online Retail): their lines are
        dropped and counted.
    min_support
        Pairs bought together in a smaller share of the orders than this are not returned
        (items always are); ``None``: every pair bought together at least once. The share
        is compared as ``orders / n_orders >= min_support`` in floating point (as mlxtend
        compares it): see :func:`min_count`.
    owner
        The public entry point, for messages.
    """

    order: str = attrs.field(validator=ColumnName())
    item: str = attrs.field(validator=ColumnName())
    quantity: str | None = attrs.field(default=None, validator=_OPTIONAL_COLUMN)
    cancelled_prefix: str | None = attrs.field(default=None, validator=_PREFIX)
    min_support: float | None = attrs.field(
        default=None,
        validator=Satisfies(
            lambda v: v is None or Real(0, 1, closed="right").accepts(v),
            "None or a number in (0, 1]",
        ),
    )
    owner: str = "basket.rules"

    @property
    def roles(self) -> tuple[tuple[str, str], ...]:
        """(role, column) of the columns read, in the order missing values are counted."""
        out = [("order", self.order), ("item", self.item)]
        if self.quantity is not None:
            out.append(("quantity", self.quantity))
        return tuple(out)


@attrs.frozen(eq=False)
class BasketPairs:
    """What a backend returns for a :class:`BasketPairsQuery`.

    Attributes
    ----------
    items
        Every item of the kept lines, sorted by :func:`item_order` (its code is its position).
    item_orders
        Orders containing each item.
    pair_a, pair_b, pair_orders
        Pairs of item codes (``pair_a < pair_b``) bought together in at least
        ``min_count(min_support, n_orders)`` orders, sorted by (a, b), and their number of
        orders.
    n_orders
        Orders with at least one kept line.
    accounting
        Rows read, used and dropped with reasons.
    """

    items: pd.Index
    item_orders: IntArray
    pair_a: IntArray
    pair_b: IntArray
    pair_orders: IntArray
    n_orders: int
    accounting: RowAccounting


class BasketPairsEngine(Protocol):
    """A backend's ``basket_pairs(source, query) -> BasketPairs``."""

    def __call__(self, source: Any, query: BasketPairsQuery, /) -> BasketPairs: ...


def item_order(labels: pd.Index | Sequence[object]) -> npt.NDArray[np.intp]:
    """Positions sorting item labels by their text (stable: the same order on every backend,
    whatever type the labels come back as)."""
    text = [str(v) for v in labels]
    return np.asarray(sorted(range(len(text)), key=text.__getitem__), dtype=np.intp)


def min_count(min_support: float | None, n_orders: int) -> int:
    """The fewest orders whose share ``count / n_orders`` is at least ``min_support``, the
    share computed in floating point as mlxtend computes it (so both keep the same sets).

    Examples
    --------
    >>> min_count(0.01, 18_786), min_count(0.3, 10), min_count(None, 10)
    (188, 3, 1)
    """
    if min_support is None or n_orders <= 0:
        return 1
    count = max(1, math.ceil(min_support * n_orders))
    while count > 1 and (count - 1) / float(n_orders) >= min_support:
        count -= 1
    while count / float(n_orders) < min_support:
        count += 1
    return count
