"""Frequent itemsets: exact counts of every item set bought together often enough.

Items below the support threshold are dropped first (no superset can be frequent). Pairs are
counted by a sparse product of the orders x frequent items matrix with itself (memory follows
the pairs that occur). Larger sets are counted depth-first (Eclat): each frequent set keeps
the bitset of the orders containing it, and its extensions by items frequent with every
member are counted at once, one AND and popcount per candidate. Bitsets cover only the items
of frequent pairs and the orders holding three or more of them, so memory is bounded by
``items x orders / 8`` bytes of that reduced table; there is never a dense one-hot matrix of
all orders x all items.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

from ..engines.memory.basket import min_count, pair_counts

__all__ = ["Itemsets", "frequent_itemsets"]

IntArray = npt.NDArray[np.int64]
WordArray = npt.NDArray[np.uint64]


@attrs.frozen(eq=False)
class Itemsets:
    """Frequent itemsets (item codes in increasing order) and their number of orders."""

    sets: tuple[tuple[int, ...], ...]
    counts: IntArray
    n_orders: int
    min_count: int

    def lookup(self) -> dict[tuple[int, ...], int]:
        """Itemset -> orders containing it."""
        return dict(zip(self.sets, self.counts.tolist(), strict=True))


def _bitsets(order: IntArray, item: IntArray, n_items: int) -> WordArray:
    """Items x words: bit ``o`` of item ``i`` is set when order ``o`` holds it."""
    n_words = (int(order.max()) >> 6) + 1 if len(order) else 1
    flat = np.zeros(n_items * n_words, dtype=np.uint64)
    bits = np.left_shift(np.uint64(1), (order & 63).astype(np.uint64))
    np.bitwise_or.at(flat, item * n_words + (order >> 6), bits)
    return flat.reshape(n_items, n_words)


def _deeper(
    order: IntArray,
    item: IntArray,
    pairs: tuple[IntArray, IntArray],
    n_items: int,
    threshold: int,
    max_len: int | None,
) -> tuple[list[tuple[int, ...]], list[int]]:
    """Frequent sets of three items or more, counted depth-first on bitsets."""
    a, b = pairs
    involved = np.zeros(n_items, dtype=bool)
    involved[a] = involved[b] = True
    keep = involved[item]
    order, item = order[keep], item[keep]
    per_order = np.bincount(order)
    keep = per_order[order] >= 3  # only orders with three such items hold a larger set
    order, item = order[keep], item[keep]
    sets: list[tuple[int, ...]] = []
    counts: list[int] = []
    if not len(order):
        return sets, counts
    used = np.zeros(int(order.max()) + 1, dtype=bool)
    used[order] = True
    bits = _bitsets((np.cumsum(used) - 1)[order].astype(np.int64), item, n_items)
    neighbours: list[IntArray] = [np.zeros(0, dtype=np.int64)] * n_items
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]]) if len(a) else np.zeros(0, np.int64)
    for s, e in zip(starts, np.r_[starts[1:], len(a)], strict=True):
        neighbours[int(a[s])] = b[s:e]
    stack: list[tuple[tuple[int, ...], WordArray, IntArray]] = []
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        cand = np.intersect1d(neighbours[x], neighbours[y], assume_unique=True)
        if len(cand):
            stack.append(((x, y), bits[x] & bits[y], cand))
    while stack:
        prefix, held, cand = stack.pop()
        n = np.bitwise_count(bits[cand] & held).sum(axis=1, dtype=np.int64)
        hit = n >= threshold
        found, found_n = cand[hit], n[hit]
        deeper = max_len is None or len(prefix) + 2 <= max_len
        for j, (c, k) in enumerate(zip(found.tolist(), found_n.tolist(), strict=True)):
            sets.append((*prefix, c))
            counts.append(k)
            if deeper:
                rest = np.intersect1d(found[j + 1 :], neighbours[c], assume_unique=True)
                if len(rest):
                    stack.append(((*prefix, c), held & bits[c], rest))
    return sets, counts


def frequent_itemsets(
    order: IntArray,
    item: IntArray,
    n_orders: int,
    n_items: int,
    min_support: float,
    max_len: int | None,
) -> Itemsets:
    """Every item set in at least ``min_support`` of the ``n_orders`` orders, with its count.

    ``order``, ``item``: the distinct (order, item) pairs as codes. A set's support is
    ``count / n_orders``, compared with ``min_support`` in floating point as mlxtend does.
    """
    threshold = min_count(min_support, n_orders)
    item_n = np.bincount(item, minlength=n_items).astype(np.int64)
    frequent = np.flatnonzero(item_n >= threshold)
    sets: list[tuple[int, ...]] = [(int(i),) for i in frequent]
    counts: list[int] = item_n[frequent].tolist()
    if (max_len is None or max_len >= 2) and len(frequent) >= 2:
        keep = item_n[item] >= threshold
        o, i = order[keep], item[keep]
        a, b, n = pair_counts(o, i, n_items, threshold)
        sets += list(zip(a.tolist(), b.tolist(), strict=True))
        counts += n.tolist()
        if (max_len is None or max_len >= 3) and len(a):
            more, more_n = _deeper(o, i, (a, b), n_items, threshold, max_len)
            sets += more
            counts += more_n
    return Itemsets(tuple(sets), np.asarray(counts, dtype=np.int64), n_orders, threshold)
