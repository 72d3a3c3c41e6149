"""Exact Shapley decomposition, nested level by level (the Owen/Winter value).

At a node with inputs ``c_1..c_m``, input ``j`` gets the Shapley value of the game whose
players are the inputs, a coalition ``S`` being "inputs in ``S`` at their after-values,
the others at their before-values": ``φ_j = Σ_{S without j} |S|!(m-|S|-1)!/m! [v(S + j) - v(S)]``,
with ``v`` the root's value. All ``2^m`` coalitions are evaluated (fine for m ≤ ~12).

Deeper levels nest: inside input ``j`` the same game is played among ``j``'s own inputs,
once per coalition ``S`` of ``j``'s siblings, and weighted like ``S``. This is Winter's
(1989) level-structure value; each node's children sum to the node's value and a single
product gets the plain Shapley value. Zeros and negative values need no special case.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import factorial
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError
from ._protocol import Context, Edge, register_decomposition, slot

if TYPE_CHECKING:
    from ._tree import KPITree

__all__ = ["Shapley"]

FloatArray = npt.NDArray[np.float64]

_MAX_INPUTS = 16
#: Node evaluations nested Shapley may need (each one vectorised over the rows).
_MAX_EVALUATIONS = 1_000_000


def _identity(x: FloatArray) -> FloatArray:
    return x


def _check_cost(tree: KPITree) -> None:
    """Refuse trees whose nested Shapley value needs too many evaluations to finish.

    A node with ``m`` inputs evaluates its ``2^m`` coalitions, and plays its inner
    nodes' games once per coalition of their siblings (``2^(m-1)`` times each): a chain
    of products doubles the work at every level.
    """
    cost: dict[str, int] = {}
    for name in tree.order:  # inputs before the nodes that use them
        node = tree.node(name)
        m = len(node.inputs)
        if m > _MAX_INPUTS:
            msg = (
                f"Node {name!r} has {m} inputs; exact Shapley needs 2^{m} evaluations.\n"
                "Hint: group inputs into intermediate nodes, or use method='lmdi'."
            )
            raise ParameterError(msg)
        if node.kind == "leaf":
            cost[name] = 0
            continue
        cost[name] = (1 << m) + (1 << (m - 1)) * sum(cost[c] for c in node.inputs)
    total = cost[tree.root]
    if total > _MAX_EVALUATIONS:
        msg = (
            f"Exact nested Shapley on this tree needs about {float(total):.3g} node "
            f"evaluations (at most {_MAX_EVALUATIONS:,} are allowed): each level doubles "
            "the work of the levels below it.\nHint: use method='lmdi' (exact, "
            "order-independent and linear in the size of the tree), or flatten the tree."
        )
        raise ParameterError(msg)


@register_decomposition("shapley")
class Shapley:
    """Exact Shapley decomposition, nested across the levels of the tree.

    Examples
    --------
    >>> from linkstar_funnel.kpi import KPITree
    >>> tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    >>> d = tree.decompose(
    ...     {"traffic": 100_000, "cvr": 0.020, "aov": 50.0},
    ...     {"traffic": 110_000, "cvr": 0.017, "aov": 53.0},
    ...     method="shapley",
    ... )
    >>> {k: round(v, 1) for k, v in d.contributions.items()}
    {'traffic': 9520.0, 'cvr': -16230.0, 'aov': 5820.0}
    """

    @property
    def name(self) -> str:
        """``"shapley"``."""
        return "shapley"

    @property
    def order_dependent(self) -> bool:
        """Shapley does not depend on an order."""
        return False

    def __repr__(self) -> str:
        return "Shapley()"

    def contributions(
        self,
        tree: KPITree,
        before: Mapping[str, FloatArray],
        after: Mapping[str, FloatArray],
    ) -> dict[Edge, FloatArray]:
        """Per edge, per row, the nested Shapley contribution in the root's units."""
        _check_cost(tree)
        n = len(before[tree.root])
        out: dict[Edge, FloatArray] = {e: np.zeros(n) for e in tree.edges}
        self._visit(tree, tree.root, _identity, 1.0, before, after, out)
        return out

    def _visit(
        self,
        tree: KPITree,
        name: str,
        context: Context,
        weight: float,
        before: Mapping[str, FloatArray],
        after: Mapping[str, FloatArray],
        out: dict[Edge, FloatArray],
    ) -> None:
        node = tree.node(name)
        inputs = node.inputs
        m = len(inputs)
        b = [before[c] for c in inputs]
        a = [after[c] for c in inputs]

        def assemble(mask: int) -> list[FloatArray]:
            return [a[i] if mask >> i & 1 else b[i] for i in range(m)]

        value = [context(node.compute(assemble(mask))) for mask in range(1 << m)]
        coef = [factorial(q) * factorial(m - q - 1) / factorial(m) for q in range(m)]
        for j, child in enumerate(inputs):
            bit = 1 << j
            recurse = tree.node(child).kind != "leaf"
            total = np.zeros_like(value[0])
            for mask in range(1 << m):
                if mask & bit:
                    continue
                w = coef[mask.bit_count()]
                total += w * (value[mask | bit] - value[mask])
                if recurse:
                    self._visit(
                        tree, child, slot(node.compute, assemble(mask), j, context),
                        weight * w, before, after, out,
                    )  # fmt: skip
            out[(name, child)] += weight * total
