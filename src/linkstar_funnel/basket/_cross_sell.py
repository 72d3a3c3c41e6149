"""Cross-sell: what to show beside one item, from the orders that hold it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from .._params import ColumnName, Integer, Satisfies, validate_params
from ..errors import ParameterError
from ..results import Provenance, ResultMixin, Summary
from ._lines import LINE_PARAMS, BasketSpec, read
from ._metrics import rule_metrics, warn_infinite
from ._result import NAMES, in_words

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CrossSellResult", "cross_sell"]

OWNER = "basket.cross_sell"


@attrs.frozen(eq=False)
class CrossSellResult(ResultMixin):
    """The items most often bought with one item (see ``basket.cross_sell``)."""

    item: str
    frame: pd.DataFrame = attrs.field(repr=False)
    orders_with_item: int
    n_orders: int
    spec: BasketSpec
    provenance: Provenance = attrs.field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per partner, best first: ``item``, ``partner``, ``orders`` (holding
        both), ``item_orders``, ``partner_orders``, ``support``, ``confidence`` (share of
        the item's orders holding the partner) with ``confidence_low``/``confidence_high``,
        ``lift``, ``leverage``, ``conviction`` (a copy)."""
        return self.frame.copy(deep=True)

    @validate_params(top=Integer(1), names=NAMES)
    def in_words(self, top: int = 5, names: Mapping[Any, Any] | None = None) -> list[str]:
        """The ``top`` partners in plain words."""
        frame = self.frame.assign(
            antecedents=self.frame["item"].map(lambda v: (v,)),
            consequents=self.frame["partner"].map(lambda v: (v,)),
        )
        return in_words(frame, top, names)

    def summary(self) -> Summary:
        """The item, its orders, and its best partners in plain words."""
        facts = (
            ("item", self.item),
            ("orders with the item", f"{self.orders_with_item:,} of {self.n_orders:,}"),
            ("partners shown", f"{len(self.frame):,}"),
        )
        return Summary(
            f"Cross-sell for {self.item}",
            facts=facts,
            table=self.frame[["partner", "orders", "confidence", "lift"]],
            notes=tuple(self.in_words(3)) + tuple(self.provenance.lines()),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Horizontal bars: share of the item's orders holding each partner, with its
        interval."""
        from ..plotting import get_axes, percent_axis, style_axes

        ax = get_axes(ax)
        f = self.frame.iloc[::-1]
        y = np.arange(len(f))
        conf = f["confidence"].to_numpy()
        err = np.vstack(
            [conf - f["confidence_low"].to_numpy(), f["confidence_high"].to_numpy() - conf]
        )
        ax.barh(y, conf, xerr=err, **kwargs)
        ax.set_yticks(y, f["partner"].astype(str).tolist())
        ax.set_xlabel(f"share of orders with {self.item}")
        percent_axis(ax, "x")
        return style_axes(ax, title=f"Bought with {self.item}", grid_axis="x")


@validate_params(
    item=Satisfies(lambda v: isinstance(v, str | int) and not isinstance(v, bool), "an item label"),
    item_column=ColumnName(),
    top=Integer(1),
    min_orders=Integer(1),
    **LINE_PARAMS,
)
def cross_sell(
    lines: object,
    item: str | int,
    *,
    order: str = "order_id",
    item_column: str = "item_id",
    top: int = 10,
    min_orders: int = 2,
    quantity: str | None = None,
    cancelled_prefix: str | None = None,
    categories: Mapping[Any, Any] | pd.Series[Any] | None = None,
    alpha: float = 0.05,
) -> CrossSellResult:
    """The items to show beside ``item``: those most often in the same orders.

    For every other item bought with ``item`` in at least ``min_orders`` orders: the share
    of ``item``'s orders that hold it (the confidence of the rule item -> partner, with a
    Wilson interval), the lift (how many times its usual chance), and the rule's other
    figures, as ``basket.rules`` computes them. Ranked by confidence, then lift.

    Parameters
    ----------
    lines
        One row per order line (a pandas DataFrame); never modified.
    item
        The item (a label of ``item_column``; a category when ``categories`` is given).
    order, item_column
        Column names of the order id and the item.
    top
        How many partners to keep.
    min_orders
        Fewest orders a partner must share with ``item``.
    quantity, cancelled_prefix, categories, alpha
        As for ``basket.rules``.

    Returns
    -------
    CrossSellResult

    Raises
    ------
    ParameterError
        ``item`` is in no kept order line.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.basket as basket
    >>> lines = pd.DataFrame({"order_id": [1, 1, 2, 2, 3, 3, 4],
    ...                       "item_id": ["tea", "mug", "tea", "mug", "tea", "jam", "jam"]})
    >>> cs = basket.cross_sell(lines, "tea", min_orders=1)
    >>> cs.to_frame()[["partner", "orders", "confidence", "lift"]]
      partner  orders  confidence      lift
    0     mug       2    0.666667  1.333333
    1     jam       1    0.333333  0.666667
    """
    spec = BasketSpec(
        order=order,
        item=item_column,
        quantity=quantity,
        cancelled_prefix=cancelled_prefix,
        by=(),
        category_level=categories is not None,
        alpha=float(alpha),
    )
    data = read(lines, spec, categories, OWNER)
    text = pd.Index([str(v) for v in data.items])
    where = np.flatnonzero(text == str(item))
    if not len(where):
        close = [t for t in text if str(item).lower() in t.lower()][:5]
        hint = f"\nHint: did you mean one of {close}?" if close else ""
        msg = (
            f"The 'item' parameter of {OWNER} must be an item of column {item_column!r} in a "
            f"kept order line. Got {item!r} instead.{hint}"
        )
        raise ParameterError(msg)
    target = int(where[0])
    n_items = len(data.items)
    item_n = np.bincount(data.item, minlength=n_items)
    holds = np.zeros(data.n_orders, dtype=bool)
    holds[data.order[data.item == target]] = True
    together = np.bincount(data.item[holds[data.order]], minlength=n_items)
    together[target] = 0
    partners = np.flatnonzero(together >= min_orders)
    n_target = int(item_n[target])
    m = rule_metrics(
        np.full(len(partners), n_target),
        item_n[partners],
        together[partners],
        data.n_orders,
        alpha=spec.alpha,
    )
    frame = pd.DataFrame(
        {
            "item": pd.Series([str(item)] * len(partners), dtype=object),
            "partner": pd.Series(text[partners], dtype=object),
            "orders": together[partners].astype(np.int64),
            "item_orders": np.full(len(partners), n_target, dtype=np.int64),
            "partner_orders": item_n[partners].astype(np.int64),
            **{k: m[k] for k in ("support", "confidence", "confidence_low", "confidence_high")},
            **{k: m[k] for k in ("lift", "leverage", "conviction")},
        }
    )
    frame = frame.sort_values(
        ["confidence", "lift", "partner"], ascending=[False, False, True], kind="stable"
    ).head(top)
    frame = frame.reset_index(drop=True)
    warn_infinite(frame["conviction"])
    return CrossSellResult(
        item=str(item),
        frame=frame,
        orders_with_item=n_target,
        n_orders=data.n_orders,
        spec=spec,
        provenance=Provenance(spec, {"lines": data.accounting}),
    )
