"""The result of ``basket.rules``: association rules, the frequent sets behind them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import pandas as pd

from .._params import InstanceOf, Integer, validate_params
from ..results import Provenance, ResultMixin, Summary
from ._lines import BasketSpec

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["NAMES", "BasketRulesResult", "in_words"]

#: ``names=`` of ``in_words``: labels to show for items.
NAMES = [None, InstanceOf(Mapping, pd.Series, description="a mapping item -> name")]


def _name(labels: Any, names: Mapping[Any, Any] | None) -> str:
    shown = [str(names.get(x, x)) if names is not None else str(x) for x in labels]
    return " + ".join(shown)


def in_words(
    frame: pd.DataFrame,
    top: int,
    names: Mapping[Any, Any] | None = None,
) -> list[str]:
    """The first ``top`` rules of ``frame`` as sentences: "42% of orders with X also
    contain Y, 6.1 times the usual chance" (confidence, then lift)."""
    out = []
    for row in frame.head(top).itertuples(index=False):
        a = _name(row.antecedents, names)
        c = _name(row.consequents, names)
        out.append(
            f"{row.confidence:.0%} of orders with {a} also contain {c}, {row.lift:.1f} times the usual chance"
        )
    return out


@attrs.frozen(eq=False)
class BasketRulesResult(ResultMixin):
    """Association rules between items bought in the same order (see ``basket.rules``).

    Rules are sorted by lift, then confidence and support (within each segment).
    """

    frame: pd.DataFrame = attrs.field(repr=False)
    itemsets_frame: pd.DataFrame = attrs.field(repr=False)
    orders_frame: pd.DataFrame = attrs.field(repr=False)
    spec: BasketSpec
    provenance: Provenance = attrs.field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: segment columns, ``antecedents``, ``consequents``,
        ``antecedent_support``, ``consequent_support``, ``support``, ``confidence``,
        ``confidence_low``, ``confidence_high``, ``lift``, ``leverage``, ``conviction``,
        ``orders``, ``antecedent_orders``, ``consequent_orders`` (a copy)."""
        return self.frame.copy(deep=True)

    def itemsets(self) -> pd.DataFrame:
        """The frequent itemsets: segment columns, ``itemset``, ``length``, ``support``,
        ``orders`` (a copy)."""
        return self.itemsets_frame.copy(deep=True)

    def orders(self) -> pd.DataFrame:
        """Orders counted per segment (the denominators of the supports)."""
        return self.orders_frame.copy(deep=True)

    @validate_params(top=Integer(1), names=NAMES)
    def in_words(self, top: int = 5, names: Mapping[Any, Any] | None = None) -> list[str]:
        """The ``top`` rules (by lift) in plain words, items named through ``names``.

        Examples
        --------
        >>> import pandas as pd
        >>> import linkstar_funnel.basket as basket
        >>> lines = pd.DataFrame({"order_id": [1, 1, 2, 2, 3, 4, 4],
        ...                       "item_id": ["a", "b", "a", "b", "a", "b", "c"]})
        >>> r = basket.rules(lines, min_support=0.5)
        >>> r.in_words(top=1, names={"a": "tea", "b": "mug"})
        ['67% of orders with tea also contain mug, 0.9 times the usual chance']
        """
        return in_words(self.frame, top, names)

    def summary(self) -> Summary:
        """Orders, frequent sets and rules, and the strongest rules in plain words."""
        f = self.frame
        facts = (
            ("orders", f"{int(self.orders_frame['orders'].sum()):,}"),
            ("frequent itemsets", f"{len(self.itemsets_frame):,}"),
            ("rules", f"{len(f):,}"),
            ("min support", f"{self.spec.min_support:g}"),
            ("min confidence", f"{self.spec.min_confidence:g}"),
            ("level", "category" if self.spec.category_level else "item"),
        )
        words = tuple(in_words(f, 3))
        return Summary(
            "Association rules", facts=facts, notes=words + tuple(self.provenance.lines())
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Support against confidence, one point per rule, coloured by lift."""
        from ..plotting import get_axes, percent_axis, style_axes

        ax = get_axes(ax)
        f = self.frame
        points = ax.scatter(
            f["support"].to_numpy(),
            f["confidence"].to_numpy(),
            c=f["lift"].to_numpy(),
            cmap="viridis",
            s=14,
            **kwargs,
        )
        if len(f):
            ax.figure.colorbar(points, ax=ax, label="lift")
        ax.set_xlabel("support (share of orders)")
        ax.set_ylabel("confidence")
        percent_axis(ax, "y")
        return style_axes(ax, title="Association rules")
