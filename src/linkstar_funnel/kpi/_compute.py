"""Evaluate every node of a tree from leaf arrays, with clear errors for zero denominators."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from ..errors import DataQualityWarning, ParameterError

if TYPE_CHECKING:
    from ._tree import KPITree

__all__ = ["Overflow", "ZeroDivision", "compute_nodes"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ZeroDivision = Literal["raise", "nan"]
Overflow = Literal["raise", "warn"]


def compute_nodes(
    tree: KPITree,
    leaves: Mapping[str, FloatArray],
    *,
    zero_division: ZeroDivision = "raise",
    absent: BoolArray | None = None,
    describe_row: Callable[[int], str] | None = None,
    where: str = "",
    overflow: Overflow = "raise",
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
    overflow
        A node whose value passes the largest float64 number (finite inputs, an infinite
        product or sum): ``"raise"`` a :class:`ParameterError` naming it, or ``"warn"``
        with a :class:`DataQualityWarning` and keep ``inf`` there.
    """
    out: dict[str, FloatArray] = {}
    for name in tree.order:
        node = tree.node(name)
        if node.kind == "leaf":
            out[name] = np.asarray(leaves[name], dtype=np.float64)
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            values = node.compute([out[c] for c in node.inputs])
        _check_overflow(name, node.expression, values, describe_row, where, overflow)
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


def _check_overflow(
    name: str,
    expression: str,
    values: FloatArray,
    describe_row: Callable[[int], str] | None,
    where: str,
    overflow: Overflow,
) -> None:
    """Inputs are finite, so a non-finite value (not a NaN ratio) is float64 overflowing."""
    bad = np.isinf(values)
    if not bad.any():
        return
    first = int(np.flatnonzero(bad)[0])
    row = describe_row(first) if describe_row else f"row {first}"
    msg = (
        f"Node {name!r} ({name} = {expression}) is beyond the largest float64 number "
        f"(about 1.8e308){where} in {int(bad.sum()):,} of {bad.size:,} rows (first: {row})"
    )
    if overflow == "warn":
        warnings.warn(msg + ": its value is inf there.", DataQualityWarning, stacklevel=4)
        return
    raise ParameterError(msg + ".\nHint: rescale the leaves (e.g. to thousands).")
