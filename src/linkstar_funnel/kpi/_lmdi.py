"""LMDI-I (logarithmic mean Divisia index), additive and multiplicative, on a whole tree.

For a product ``V = x_1 ... x_n`` over segments ``i``, the additive LMDI-I effect of driver
``k`` is ``ΔV_k = Σ_i L(V_i^T, V_i^0) ln(x_ki^T / x_ki^0)`` with the logarithmic mean
``L(a, b) = (a - b) / (ln a - ln b)``, ``L(a, a) = a`` (Ang 2004); the effects sum exactly
to ``ΔV``. The multiplicative form is ``D_k = exp(ΔV_k / L(V^T, V^0))``; the ``D_k``
multiply to ``V^T / V^0``.

Deeper levels use the same weights: every node ``n`` carries ``k_n``, the root effect of
one unit of change in ``n`` (``k = 1`` at the root), and its contribution is
``k_n Δn``. A sum passes ``k`` on unchanged (times the sign); a product passes
``k_c = k_n e_c L(n) / L(c)`` to a factor with exponent ``e_c``, which reproduces the
formula above. Children's contributions therefore sum to their parent's exactly.

Zero values use the analytical limits of Ang & Liu (2007) instead of a small epsilon.
When a product is 0 in exactly one period, its change goes to the factors that are 0 in
that period (positive factors get 0, their cases 6 and 7); with several such factors the
limit where each zero leaf tends to 0 at the same rate splits the change in proportion to
the number of zero leaves under each factor. A product 0 in both periods contributes 0.
Negative values have no logarithm: use Shapley.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError
from ._protocol import Edge, register_decomposition

if TYPE_CHECKING:
    from ._tree import KPITree

__all__ = ["LMDI", "log_mean"]

FloatArray = npt.NDArray[np.float64]


def log_mean(a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
    """The logarithmic mean ``L(a, b) = (a - b) / (ln a - ln b)``, with ``L(a, a) = a``.

    Defined for ``a, b ≥ 0`` (anything else is a :class:`ParameterError`); ``L(a, 0) = 0``
    (the limit).

    Examples
    --------
    >>> float(log_mean(99_110.0, 100_000.0))  # doctest: +ELLIPSIS
    99554.3...
    >>> float(log_mean(3.0, 3.0)), float(log_mean(5.0, 0.0))
    (3.0, 0.0)
    """
    a, b = _non_negative(a, "a"), _non_negative(b, "b")
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        msg = (
            "The 'a' and 'b' parameters of log_mean must have the same shape (or one be a "
            f"single number). Got shapes {np.shape(a)} and {np.shape(b)} instead."
        )
        raise ParameterError(msg) from None
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    diff = a - b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # Within a factor of 2, a - b is exact and log1p keeps every digit of ln(a / b);
        # ln a - ln b would cancel (even to 0, giving inf, for neighbouring floats).
        near = np.log1p(diff / np.where(b > 0, b, 1.0))
        far = np.log(a) - np.log(b)
        out = diff / np.where(lo > 0.5 * hi, near, far)
    out = np.clip(np.where(a == b, a, out), lo, hi)  # a mean lies between its arguments
    return np.where(lo == 0, 0.0, out).astype(np.float64)


def _non_negative(value: npt.ArrayLike, name: str) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.array([-1.0])
    if not ((arr >= 0) & np.isfinite(arr)).all():  # negative, NaN, inf or not numbers
        msg = (
            f"The {name!r} parameter of log_mean must be finite numbers ≥ 0. Got {value!r} instead."
        )
        raise ParameterError(msg)
    return arr


def _zero_orders(
    tree: KPITree, values: Mapping[str, FloatArray]
) -> dict[str, npt.NDArray[np.int64]]:
    """How many zero leaves each node's zero is made of (0 where the node is not 0)."""
    out: dict[str, npt.NDArray[np.int64]] = {}
    for name in tree.order:
        node = tree.node(name)
        zero = values[name] == 0
        if node.kind == "leaf":
            out[name] = zero.astype(np.int64)
            continue
        kids = [out[c] for c in node.inputs]
        if node.kind == "sum":
            order = np.minimum.reduce(kids)
        else:  # product, or ratio: only a zero numerator makes a ratio 0
            order = sum((k for k, e in zip(kids, node.weights, strict=True) if e > 0), kids[0] * 0)
        out[name] = np.where(zero, np.maximum(order, 1), 0)
    return out


@register_decomposition("lmdi")
class LMDI:
    """LMDI-I decomposition (additive; the multiplicative form is derived from it).

    Exact (contributions sum to the change), independent of the order of the drivers,
    and consistent across the levels of a tree. Needs values ≥ 0.

    Examples
    --------
    >>> from linkstar_funnel.kpi import KPITree
    >>> tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    >>> d = tree.decompose(
    ...     {"traffic": 100_000, "cvr": 0.020, "aov": 50.0},
    ...     {"traffic": 110_000, "cvr": 0.017, "aov": 53.0},
    ...     method="lmdi",
    ... )
    >>> {k: round(v, 1) for k, v in d.contributions.items()}
    {'traffic': 9488.5, 'cvr': -16179.5, 'aov': 5800.9}
    """

    @property
    def name(self) -> str:
        """``"lmdi"``."""
        return "lmdi"

    @property
    def order_dependent(self) -> bool:
        """LMDI does not depend on an order."""
        return False

    def __repr__(self) -> str:
        return "LMDI()"

    def contributions(
        self,
        tree: KPITree,
        before: Mapping[str, FloatArray],
        after: Mapping[str, FloatArray],
    ) -> dict[Edge, FloatArray]:
        """Per edge, per row, the additive LMDI-I contribution in the root's units."""
        for label, values in (("before", before), ("after", after)):
            for name in tree.order:
                negative = values[name] < 0
                if negative.any():
                    msg = (
                        f"LMDI needs values ≥ 0, but node {name!r} is negative in the "
                        f"{label!r} data ({int(negative.sum()):,} rows, e.g. "
                        f"{float(values[name][negative][0]):g}): it has no logarithm.\n"
                        "Hint: use method='shapley', which is exact with negative values."
                    )
                    raise ParameterError(msg)
        n = len(before[tree.root])
        order0, order1 = _zero_orders(tree, before), _zero_orders(tree, after)
        k: dict[str, FloatArray] = {tree.root: np.ones(n)}
        out: dict[Edge, FloatArray] = {}
        for name in reversed(tree.order):
            node = tree.node(name)
            if node.kind == "leaf":
                continue
            kn = k.pop(name)
            b, a = before[name], after[name]
            if node.kind == "sum":
                edge_k = {c: kn * s for c, s in zip(node.inputs, node.weights, strict=True)}
            else:
                edge_k = self._product_k(node.inputs, node.weights, kn, b, a, before, after)
                zb, za = b == 0, a == 0
                limit = zb ^ za
                if limit.any():
                    self._limit(
                        node.inputs,
                        node.weights,
                        kn,
                        b,
                        a,
                        limit,
                        za,
                        edge_k,
                        before,
                        after,
                        order0,
                        order1,
                        name,
                    )
            for child, kc in edge_k.items():
                out[(name, child)] = kc * (after[child] - before[child])
                k[child] = k[child] + kc if child in k else kc
        return out

    @staticmethod
    def _product_k(
        inputs: tuple[str, ...],
        weights: tuple[int, ...],
        kn: FloatArray,
        b: FloatArray,
        a: FloatArray,
        before: Mapping[str, FloatArray],
        after: Mapping[str, FloatArray],
    ) -> dict[str, FloatArray]:
        ln = log_mean(a, b)
        regular = (a > 0) & (b > 0)
        out: dict[str, FloatArray] = {}
        for child, e in zip(inputs, weights, strict=True):
            lc = log_mean(after[child], before[child])
            with np.errstate(divide="ignore", invalid="ignore"):
                kc = kn * e * ln / lc
            out[child] = np.where(regular, kc, 0.0)
        return out

    @staticmethod
    def _limit(
        inputs: tuple[str, ...],
        weights: tuple[int, ...],
        kn: FloatArray,
        b: FloatArray,
        a: FloatArray,
        limit: npt.NDArray[np.bool_],
        za: npt.NDArray[np.bool_],
        edge_k: dict[str, FloatArray],
        before: Mapping[str, FloatArray],
        after: Mapping[str, FloatArray],
        order0: Mapping[str, npt.NDArray[np.int64]],
        order1: Mapping[str, npt.NDArray[np.int64]],
        name: str,
    ) -> None:
        """Rows where the product is 0 in exactly one period: Ang & Liu's limits."""
        total = np.where(za, order1[name], order0[name]).astype(np.float64)
        change = kn * (a - b)
        for child, e in zip(inputs, weights, strict=True):
            if e < 0:
                continue  # a zero denominator is refused before decomposing
            oc = np.where(za, order1[child], order0[child]).astype(np.float64)
            dc = after[child] - before[child]
            with np.errstate(divide="ignore", invalid="ignore"):
                kc = change * oc / total / dc
            kc = np.where(limit & (oc > 0) & (dc != 0), kc, 0.0)
            edge_k[child] = np.where(limit, kc, edge_k[child])
