"""Association rules: which items are bought together, and how much more than by chance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._params import ColumnName, Integer, Real, validate_params
from ..engines import DEFAULT_BACKEND, backend_for
from ..engines.memory.basket import BasketPairs, min_count
from ..errors import ParameterError
from ..results import Provenance
from ._lines import BY, LINE_PARAMS, BasketSpec, as_by, read
from ._metrics import rule_metrics, warn_infinite
from ._mine import Itemsets, frequent_itemsets
from ._result import BasketRulesResult

if TYPE_CHECKING:
    from ..engines.memory.basket import BasketLines

__all__ = ["rules"]

OWNER = "basket.rules"


def _rule_rows(its: Itemsets) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]], list[int]]:
    """Every split of every frequent set of two items or more: antecedents, consequents,
    orders of the whole set."""
    ante: list[tuple[int, ...]] = []
    cons: list[tuple[int, ...]] = []
    whole: list[int] = []
    for s, n in zip(its.sets, its.counts.tolist(), strict=True):
        if len(s) < 2:
            continue
        for r in range(len(s) - 1, 0, -1):
            for a in combinations(s, r):
                ante.append(a)
                cons.append(tuple(i for i in s if i not in a))
                whole.append(n)
    return ante, cons, whole


def _labels(sets: Sequence[tuple[int, ...]], items: pd.Index) -> list[tuple[str, ...]]:
    text = [str(v) for v in items]
    return [tuple(text[i] for i in s) for s in sets]


def rule_frame(its: Itemsets, items: pd.Index, min_confidence: float, alpha: float) -> pd.DataFrame:
    """The rules of one segment's frequent itemsets, confidence ≥ ``min_confidence``."""
    count = its.lookup()
    ante, cons, whole = _rule_rows(its)
    n_a = np.array([count[a] for a in ante], dtype=np.int64)
    n_c = np.array([count[c] for c in cons], dtype=np.int64)
    n_ac = np.asarray(whole, dtype=np.int64)
    m = rule_metrics(n_a, n_c, n_ac, its.n_orders, alpha=alpha)
    keep = m["confidence"] >= min_confidence
    warn_infinite(m["conviction"][keep])
    frame = pd.DataFrame(
        {
            "antecedents": pd.Series(_labels(ante, items), dtype=object),
            "consequents": pd.Series(_labels(cons, items), dtype=object),
            **m,
            "orders": n_ac,
            "antecedent_orders": n_a,
            "consequent_orders": n_c,
        }
    )
    return frame[keep].reset_index(drop=True)


def itemset_frame(its: Itemsets, items: pd.Index) -> pd.DataFrame:
    """The frequent itemsets of one segment: ``itemset``, ``length``, ``support``, ``orders``."""
    counts = its.counts
    return pd.DataFrame(
        {
            "itemset": pd.Series(_labels(its.sets, items), dtype=object),
            "length": np.array([len(s) for s in its.sets], dtype=np.int64),
            "support": counts / float(max(its.n_orders, 1)),
            "orders": counts,
        }
    )


def _from_pairs(pairs: BasketPairs, min_support: float) -> Itemsets:
    """The frequent items and pairs of a ``basket_pairs`` answer, as itemsets."""
    threshold = min_count(min_support, pairs.n_orders)
    single = np.flatnonzero(pairs.item_orders >= threshold)
    keep = pairs.pair_orders >= threshold
    sets = [(int(i),) for i in single] + list(
        zip(pairs.pair_a[keep].tolist(), pairs.pair_b[keep].tolist(), strict=True)
    )
    counts = np.r_[pairs.item_orders[single], pairs.pair_orders[keep]].astype(np.int64)
    return Itemsets(tuple(sets), counts, pairs.n_orders, threshold)


def _segments(
    lines: BasketLines, spec: BasketSpec
) -> list[tuple[tuple[str, ...], Itemsets, pd.Index]]:
    """Per segment path: its frequent itemsets (supports within the segment)."""
    out = []
    seg_of_pair = lines.segment[lines.order]
    for code, path in enumerate(lines.segment_paths):
        rows = seg_of_pair == code if spec.by else slice(None)
        order, item = lines.order[rows], lines.item[rows]
        used = np.zeros(lines.n_orders, dtype=bool)
        used[order] = True
        dense = (np.cumsum(used) - 1)[order].astype(np.int64)
        its = frequent_itemsets(
            dense,
            item,
            int(used.sum()),
            len(lines.items),
            float(spec.min_support or 0.0),
            spec.max_len,
        )
        out.append((path, its, lines.items))
    return out


def _stack(parts: list[tuple[tuple[str, ...], pd.DataFrame]], by: tuple[str, ...]) -> pd.DataFrame:
    frames = []
    for path, frame in parts:
        for name, value in reversed(list(zip(by, path, strict=True))):
            frame.insert(0, name, pd.Series([value] * len(frame), dtype=object))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _sorted_rules(frame: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    keys = frame.assign(
        __a=frame["antecedents"].map(" ".join), __c=frame["consequents"].map(" ".join)
    )
    cols = [*by, "lift", "confidence", "support", "__a", "__c"]
    asc = [True] * len(by) + [False, False, False, True, True]
    order = keys.sort_values(cols, ascending=asc, kind="stable").index
    return frame.loc[order].reset_index(drop=True)


@validate_params(
    item=ColumnName(),
    min_support=Real(0, 1, closed="right"),
    min_confidence=Real(0, 1),
    max_len=[None, Integer(1)],
    by=BY,
    **LINE_PARAMS,
)
def rules(
    lines: object,
    *,
    order: str = "order_id",
    item: str = "item_id",
    min_support: float = 0.01,
    min_confidence: float = 0.2,
    max_len: int | None = 3,
    by: str | Sequence[str] | None = None,
    quantity: str | None = None,
    cancelled_prefix: str | None = None,
    categories: Mapping[Any, Any] | pd.Series[Any] | None = None,
    alpha: float = 0.05,
) -> BasketRulesResult:
    """Association rules between the items (or categories) bought in the same order.

    Finds every set of at most ``max_len`` items held by at least ``min_support`` of the
    orders (exact counts: FP-growth's sets, counted by sparse products and bitsets), then
    every rule A -> C splitting such a set whose confidence is at least ``min_confidence``.
    Figures match mlxtend's ``fpgrowth`` + ``association_rules`` on the same orders.

    Parameters
    ----------
    lines
        One row per order line (a pandas DataFrame, or an engine table: see Notes); never
        modified.
    order, item
        Column names of the order (invoice) id and the item (product, stock code). An item
        on several lines of one order counts once for that order.
    min_support
        Smallest share of the orders a set must appear in, in (0, 1].
    min_confidence
        Smallest share of the antecedent's orders that also hold the consequent, in [0, 1].
    max_len
        Largest set size (``None``: no limit).
    by
        Segment column(s): rules are found within each segment, supports relative to its
        orders. An order's segment is that of its first line.
    quantity
        Optional quantity column: returns (quantity < 0) and lines of quantity 0 are
        dropped and counted.
    cancelled_prefix
        Optional prefix of cancelled order ids (``"C"`` in Online Retail): their lines are
        dropped and counted.
    categories
        Optional item -> category map (a dict or a Series indexed by item): rules between
        categories. Lines of items without a category are dropped and counted.
    alpha
        Confidence intervals of the confidence are ``1 - alpha`` Wilson intervals.

    Returns
    -------
    BasketRulesResult
        ``to_frame()``: ``antecedents``, ``consequents`` (tuples of labels),
        ``antecedent_support``, ``consequent_support``, ``support``, ``confidence`` (with
        ``confidence_low``/``confidence_high``), ``lift``, ``leverage``, ``conviction`` and
        the counts behind them: ``orders`` (holding both sides), ``antecedent_orders``,
        ``consequent_orders``.

    Raises
    ------
    ParameterError
        A bad parameter, or an engine table with ``max_len`` other than 2, ``by`` or
        ``categories``.
    EmptyFrameError
        No line is left after the cleaning.

    Warns
    -----
    DataQualityWarning
        Some rule has confidence 1: its conviction is infinite.

    Notes
    -----
    On an engine table (Ibis, DuckDB, Spark, Parquet paths), the pair level
    (``max_len=2``) is computed where the data lives, through the ``basket_pairs``
    capability: a self-join of the distinct (order, item) rows. Its rules equal the
    in-memory ones.

    The number of frequent sets grows as ``2 ** n`` in the size ``n`` of the largest
    baskets when ``min_support`` is as low as one order: keep ``max_len`` small there.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel as lf
    >>> import linkstar_funnel.basket
    >>> lines = pd.DataFrame({
    ...     "invoice": ["1", "1", "2", "2", "3", "4", "4"],
    ...     "sku": ["tea", "mug", "tea", "mug", "tea", "mug", "jam"],
    ... })
    >>> r = lf.basket.rules(lines, order="invoice", item="sku", min_support=0.5,
    ...                     min_confidence=0.5)
    >>> r.to_frame()[["antecedents", "consequents", "support", "confidence", "lift"]]
      antecedents consequents  support  confidence      lift
    0      (mug,)      (tea,)      0.5    0.666667  0.888889
    1      (tea,)      (mug,)      0.5    0.666667  0.888889
    >>> r.in_words(top=1)
    ['67% of orders with mug also contain tea, 0.9 times the usual chance']
    """
    by_cols = as_by(by)
    spec = BasketSpec(
        order=order,
        item=item,
        quantity=quantity,
        cancelled_prefix=cancelled_prefix,
        by=by_cols,
        category_level=categories is not None,
        min_support=float(min_support),
        min_confidence=float(min_confidence),
        max_len=max_len,
        alpha=float(alpha),
    )
    backend = backend_for(lines)
    if backend.name != DEFAULT_BACKEND:
        return _on_engine(lines, spec, backend.name, categories)
    data = read(lines, spec, categories, OWNER)
    parts = _segments(data, spec)
    rule_parts = [
        (path, rule_frame(its, items, spec.min_confidence or 0.0, spec.alpha))
        for path, its, items in parts
    ]
    set_parts = [(path, itemset_frame(its, items)) for path, its, items in parts]
    n_orders = [its.n_orders for _, its, _ in parts]
    return _result(spec, rule_parts, set_parts, n_orders, data.accounting)


def _result(
    spec: BasketSpec,
    rule_parts: list[tuple[tuple[str, ...], pd.DataFrame]],
    set_parts: list[tuple[tuple[str, ...], pd.DataFrame]],
    n_orders: list[int],
    accounting: Any,
) -> BasketRulesResult:
    by = spec.by
    paths = [path for path, _ in rule_parts]
    orders = pd.DataFrame({"orders": np.asarray(n_orders, dtype=np.int64)})
    orders = _stack([(p, orders.iloc[[i]].reset_index(drop=True)) for i, p in enumerate(paths)], by)
    itemsets = _stack(set_parts, by).sort_values(
        [*by, "length", "orders"], ascending=[True] * len(by) + [True, False], kind="stable"
    )
    return BasketRulesResult(
        frame=_sorted_rules(_stack(rule_parts, by), by),
        itemsets_frame=itemsets.reset_index(drop=True),
        orders_frame=orders,
        spec=spec,
        provenance=Provenance(spec, {"lines": accounting}),
    )


def _on_engine(
    lines: object, spec: BasketSpec, backend: str, categories: object
) -> BasketRulesResult:
    """The pair level, computed by the engine holding ``lines``."""
    if spec.max_len != 2 or spec.by or categories is not None:
        msg = (
            f"On the {backend!r} engine, {OWNER} computes the pair level only: 'max_len' must "
            f"be 2 and 'by' and 'categories' None. Got max_len={spec.max_len!r}, "
            f"by={list(spec.by)!r}, categories given: {categories is not None}.\nHint: pull "
            "the lines into pandas (.to_pandas()) for larger sets, segments or categories."
        )
        raise ParameterError(msg)
    from ..engines import implementation

    _, compute = implementation(lines, "basket_pairs")
    pairs: BasketPairs = compute(lines, spec.query(OWNER))
    its = _from_pairs(pairs, spec.min_support or 0.0)
    top: tuple[str, ...] = ()
    rule_part = [(top, rule_frame(its, pairs.items, spec.min_confidence or 0.0, spec.alpha))]
    set_part = [(top, itemset_frame(its, pairs.items))]
    return _result(spec, rule_part, set_part, [pairs.n_orders], pairs.accounting)
