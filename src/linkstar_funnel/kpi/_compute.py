"""Evaluate every node of a tree from leaf arrays, with clear errors for zero denominators."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError

if TYPE_CHECKING:
    from ._tree import KPITree

__all__ = ["ZeroDivision", "compute_nodes"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ZeroDivision = Literal["raise", "nan"]


def compute_nodes(
    tree: KPITree,
    leaves: Mapping[str, FloatArray],
    *,
    zero_division: ZeroDivision = "raise",
    absent: BoolArray | None = None,
    describe_row: Callable[[int], str] | None = None,
    where: str = "",
) -> dict[str, FloatArray]:
    """Values of every node (leaves included), computed in topological order.

    Parameters
    ----------
    leaves
        One float array per leaf, all the same length (one value per row).
    zero_division
        ``"raise"``: a ratio whose denominator is 0 raises :class:`ParameterError`
        naming the node and the first such row; ``"nan"``: the ratio is NaN there.
    absent
        Rows that stand for a segment missing from this period: every node is 0 there
        and no denominator is checked.
    describe_row
        Turns a row position into words for error messages (``"period 2011-01"``).
    where
        Added to error messages (``" in the 'before' data"``).
    """
    out: dict[str, FloatArray] = {}
    for name in tree.order:
        node = tree.node(name)
        if node.kind == "leaf":
            out[name] = np.asarray(leaves[name], dtype=np.float64)
            continue
        values = node.compute([out[c] for c in node.inputs])
        if node.kind == "ratio":
            den = out[node.inputs[1]]
            bad = den == 0
            if absent is not None:
                bad &= ~absent
            if bad.any():
                if zero_division == "raise":
                    first = int(np.flatnonzero(bad)[0])
                    row = describe_row(first) if describe_row else f"row {first}"
                    msg = (
                        f"Node {name!r} ({name} = {node.expression}) divides by zero{where}: "
                        f"{node.inputs[1]!r} is 0 in {int(bad.sum()):,} of {bad.size:,} rows "
                        f"(first: {row}).\nHint: drop or merge those rows, or pass "
                        "zero_division='nan' to get NaN there."
                    )
                    raise ParameterError(msg)
                values = np.where(bad, np.nan, values)
        if absent is not None:
            values = np.where(absent, 0.0, values)
        out[name] = values
    return out
