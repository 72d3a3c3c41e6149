"""The root's sensitivity to every node: derivatives and elasticities at one point.

The derivative of the root with respect to each node is summed over every path, by
reverse accumulation; the elasticity ``∂V/∂x · x / V`` is the % change of the root for a
1% change of the node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ._format import fmt_number
from ._targets import point_values, warn_nan

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._tree import KPITree

__all__ = ["SensitivityResult", "sensitivity"]


@attrs.frozen(eq=False)
class SensitivityResult(ResultMixin):
    """Derivative and elasticity of the root with respect to every node, at one point."""

    tree: KPITree
    values: Mapping[str, float]
    derivatives: Mapping[str, float]
    provenance: Provenance

    @property
    def elasticities(self) -> dict[str, float]:
        """% change of the root per 1% change of each node (NaN if the root is 0)."""
        v = self.values[self.tree.root]
        return {
            k: (d * self.values[k] / v if v else float("nan")) for k, d in self.derivatives.items()
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per node below the root: ``node``, ``kind``, ``owner``, ``unit``,
        ``value``, ``derivative``, ``elasticity``, ``impact_1pct`` (root change for +1%).

        Elasticities are NaN when the root is 0 (no relative change of 0), with a
        :class:`~linkstar_funnel.DataQualityWarning`."""
        out = self._frame()
        warn_nan(out, "elasticity", f"the root {self.tree.root!r} is 0")
        return out

    def _frame(self) -> pd.DataFrame:
        names = [n for n in self.tree.names if n != self.tree.root]
        el = self.elasticities
        root = self.values[self.tree.root]
        return pd.DataFrame(
            {
                "node": names,
                "kind": [self.tree.node(n).kind for n in names],
                "owner": [self.tree.node(n).owner for n in names],
                "unit": [self.tree.node(n).unit for n in names],
                "value": [self.values[n] for n in names],
                "derivative": [self.derivatives[n] for n in names],
                "elasticity": [el[n] for n in names],
                "impact_1pct": [0.01 * el[n] * root for n in names],
            }
        )

    def summary(self) -> Summary:
        """Elasticities of the leaves, largest first."""
        frame = self._frame()
        frame = frame[frame["kind"] == "leaf"]
        frame = frame.reindex(frame["elasticity"].abs().sort_values(ascending=False).index)
        table = pd.DataFrame(
            {
                "leaf": frame["node"],
                "owner": frame["owner"].fillna(""),
                "value": frame["value"].map(fmt_number),
                "elasticity": frame["elasticity"].map(lambda v: f"{v:+.2f}"),
                "impact of +1%": frame["impact_1pct"].map(lambda v: fmt_number(v, signed=True)),
            }
        )
        root = self.tree.root
        return Summary(
            f"Sensitivity of {root}",
            facts=((root, fmt_number(self.values[root])),),
            table=table.reset_index(drop=True),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Bars of the leaves' elasticities."""
        frame = self._frame()
        frame = frame[frame["kind"] == "leaf"].reset_index(drop=True)
        ax = get_axes(ax, figsize=(7.0, 1.2 + 0.5 * len(frame)))
        y = np.arange(len(frame))
        ax.barh(y, frame["elasticity"], color=PALETTE[0], **kwargs)
        ax.set_yticks(y, frame["node"])
        ax.invert_yaxis()
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.set_xlabel(f"elasticity of {self.tree.root}")
        return style_axes(ax, title=f"Sensitivity of {self.tree.root}", grid_axis="x")


def _partial(node: Any, i: int, values: Mapping[str, float]) -> float:
    """∂node/∂(input i) at ``values``, in float64 (inf, not an exception, when it overflows)."""
    if node.kind == "sum":
        return float(node.weights[i])
    if node.kind == "ratio":
        num, den = (np.float64(values[c]) for c in node.inputs)
        return float(1 / den if i == 0 else -(num / den) / den)
    return float(np.prod([values[c] for j, c in enumerate(node.inputs) if j != i]))


def sensitivity(tree: KPITree, at: object) -> SensitivityResult:
    """See :meth:`KPITree.sensitivity`.

    Examples
    --------
    >>> from linkstar_funnel.kpi import KPITree
    >>> tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    >>> s = tree.sensitivity({"traffic": 100_000, "cvr": 0.02, "aov": 50})
    >>> s.elasticities
    {'traffic': 1.0, 'cvr': 1.0, 'aov': 1.0}
    """
    values = point_values(tree, at, "KPITree.sensitivity")
    grad = dict.fromkeys(tree.names, 0.0)
    grad[tree.root] = 1.0
    for name in reversed(tree.order):
        node = tree.node(name)
        g = grad[name]
        if node.kind == "leaf" or g == 0:
            continue
        for i, child in enumerate(node.inputs):
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                grad[child] += g * _partial(node, i, values)
    derivatives = {k: v for k, v in grad.items() if k != tree.root}
    bad = [k for k, v in derivatives.items() if not np.isfinite(v)]
    if bad:
        msg = (
            f"The derivative of {tree.root!r} with respect to {bad[0]!r} is beyond the largest "
            "float64 number (about 1.8e308) at these values.\nHint: rescale the leaves "
            "(e.g. to thousands)."
        )
        raise ParameterError(msg)
    return SensitivityResult(tree, values, derivatives, Provenance(spec=tree))
