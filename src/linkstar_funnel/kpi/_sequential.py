"""Sequential substitution: swap in the after-values one driver at a time, in a given order.

What spreadsheets do. Exact (the steps telescope to the total change) but **order
dependent**: each driver's effect is measured with the drivers before it already at their
after-values, so another order gives other effects. Results say so. Deeper levels nest:
inside a node, its inputs are substituted in the same order, with the node's siblings
held where the outer substitution left them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from .._validators import bad_parameter
from ..errors import ParameterError
from ._protocol import Context, Edge, register_decomposition, slot

if TYPE_CHECKING:
    from ._tree import KPITree

__all__ = ["Sequential"]

FloatArray = npt.NDArray[np.float64]


def _to_order(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        owner = "Sequential"
        raise bad_parameter(owner, "order", "a sequence of node names", value)
    return tuple(value)


def _check_order(instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    if not value or not all(isinstance(v, str) for v in value) or len(set(value)) != len(value):
        raise bad_parameter(type(instance).__name__, attribute.name, "node names, each once", value)


@register_decomposition("sequential")
@attrs.frozen
class Sequential:
    """Sequential substitution with an explicit order (order dependent).

    Parameters
    ----------
    order
        Every non-root node of the tree, in the order its after-value is swapped in.
        Inputs of one node are substituted in the order they appear here.

    Examples
    --------
    >>> from linkstar_funnel.kpi import KPITree
    >>> tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    >>> before = {"traffic": 100_000, "cvr": 0.020, "aov": 50.0}
    >>> after = {"traffic": 110_000, "cvr": 0.017, "aov": 53.0}
    >>> d = tree.decompose(before, after, method="sequential", order=["traffic", "cvr", "aov"])
    >>> {k: round(v, 1) for k, v in d.contributions.items()}
    {'traffic': 10000.0, 'cvr': -16500.0, 'aov': 5610.0}
    >>> d.order_dependent
    True
    """

    order: tuple[str, ...] = attrs.field(converter=_to_order, validator=_check_order)

    @property
    def name(self) -> str:
        """``"sequential"``."""
        return "sequential"

    @property
    def order_dependent(self) -> bool:
        """Always ``True``: another order gives other effects."""
        return True

    def contributions(
        self,
        tree: KPITree,
        before: Mapping[str, FloatArray],
        after: Mapping[str, FloatArray],
    ) -> dict[Edge, FloatArray]:
        """Per edge, per row, the effect of swapping the input in at its turn."""
        needed = [c for _, c, _ in tree.edge_levels]
        needed = list(dict.fromkeys(needed))
        missing = [c for c in needed if c not in self.order]
        unknown = [c for c in self.order if c not in needed]
        if missing or unknown:
            msg = (
                "The 'order' parameter of Sequential must list every non-root node of the "
                f"tree once. Missing {missing}, unknown {unknown}.\nHint: for example "
                f"order={needed!r}."
            )
            raise ParameterError(msg)
        rank = {c: i for i, c in enumerate(self.order)}
        n = len(before[tree.root])
        out: dict[Edge, FloatArray] = {e: np.zeros(n) for e in tree.edges}

        def visit(name: str, context: Context) -> None:
            node = tree.node(name)
            inputs = node.inputs
            current = [before[c] for c in inputs]
            for j in sorted(range(len(inputs)), key=lambda i: rank[inputs[i]]):
                child = inputs[j]
                held = list(current)
                current[j] = after[child]
                out[(name, child)] += context(node.compute(current)) - context(node.compute(held))
                if tree.node(child).kind != "leaf":
                    visit(child, slot(node.compute, held, j, context))

        visit(tree.root, lambda x: x)
        return out
