"""The :class:`KPIValuesResult`: every node of a tree, per period and segment.

Leaves may be supplied by other results through the :class:`NodeSource` protocol (any
object with a ``kpi_values()`` method), which is how e.g. a funnel result supplies a CVR
leaf.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import numbers
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import validate_params
from ..errors import ParameterError
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ._format import fmt_number
from ._specs import METHOD, NAME

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._decomposition import DecompositionResult
    from ._protocol import Decomposition
    from ._tree import KPITree

__all__ = ["KPIValuesResult", "NodeSource", "ValueSource"]

FloatArray = npt.NDArray[np.float64]


@runtime_checkable
class NodeSource(Protocol):
    """Anything that supplies leaf values: ``kpi_values()`` → leaf → values per period."""

    def kpi_values(self) -> Mapping[str, Any]:
        """Leaf name → a number, or a mapping/Series of period → number."""
        ...


ValueSource = Mapping[str, Any] | NodeSource


@attrs.frozen(eq=False)
class KPIValuesResult(ResultMixin):
    """The value of every node of a tree, per period and segment.

    Attributes
    ----------
    tree
        The tree evaluated.
    keys
        One row per evaluated row: the period and segment columns (possibly none).
    arrays
        Node name → one float per row.
    period
        The period column's name, if any.
    by
        The segment columns' names.
    """

    tree: KPITree
    keys: pd.DataFrame
    arrays: Mapping[str, FloatArray]
    provenance: Provenance
    period: str | None = None
    by: tuple[str, ...] = ()

    @property
    def segments(self) -> tuple[str, ...]:
        """Deprecated name of :attr:`by`."""
        warnings.warn(
            "KPIValuesResult.segments is deprecated and will be removed in the next release; "
            "use KPIValuesResult.by instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.by

    def wide(self) -> pd.DataFrame:
        """Key columns, then one column per node (root first)."""
        data = {name: self.arrays[name] for name in self.tree.names}
        return pd.concat([self.keys.reset_index(drop=True), pd.DataFrame(data)], axis=1)

    def to_frame(self) -> pd.DataFrame:
        """Long format: key columns, ``node``, ``value``, ``owner``, ``unit``."""
        names = list(self.tree.names)
        n = len(self.keys)
        keys = self.keys.reset_index(drop=True)
        out = keys.iloc[np.tile(np.arange(n), len(names))].reset_index(drop=True)
        out["node"] = np.repeat(names, n)
        out["value"] = np.concatenate([self.arrays[name] for name in names])
        out["owner"] = out["node"].map({k: self.tree.node(k).owner for k in names})
        out["unit"] = out["node"].map({k: self.tree.node(k).unit for k in names})
        return out

    def _rows(self, label: object, param: str) -> npt.NDArray[np.bool_]:
        if self.period is None:
            msg = "These values have no period column: pass period= to evaluate()."
            raise ParameterError(msg)
        col = self.keys[self.period]
        if (
            np.ndim(cast("Any", label)) != 0
            or isinstance(label, Mapping | set)
            or not isinstance(label, str | numbers.Number | dt.date | np.datetime64 | pd.Period)
        ):
            msg = (
                f"The {param!r} parameter of KPIValuesResult.decompose must be one period label. "
                f"Got {label!r} instead."
            )
            raise ParameterError(msg)
        mask = (col == label).to_numpy(dtype=bool)
        if not mask.any() and pd.api.types.is_datetime64_any_dtype(col.dtype):
            with contextlib.suppress(ValueError):
                mask = (col == pd.Timestamp(str(label))).to_numpy(dtype=bool)
        if not mask.any():
            shown = [str(v) for v in pd.unique(col)[:8]]
            msg = (
                f"The {param!r} parameter of KPIValuesResult.decompose must be one of the periods "
                f"{shown}. Got {label!r} instead."
            )
            raise ParameterError(msg)
        return mask

    def period_frame(self, label: object) -> pd.DataFrame:
        """Leaf values of one period: segment columns and one column per leaf."""
        mask = self._rows(label, "period")
        frame = self.keys.loc[mask, list(self.by)].reset_index(drop=True)
        for leaf in self.tree.leaves:
            frame[leaf] = self.arrays[leaf][mask]
        return frame

    @validate_params(method=METHOD)
    def decompose(
        self,
        before: object,
        after: object,
        method: str | Decomposition = "lmdi",
        **options: Any,
    ) -> DecompositionResult:
        """Decompose the change between two periods (labels of the period column)."""
        self._rows(before, "before")
        self._rows(after, "after")
        f0, f1 = self.period_frame(before), self.period_frame(after)
        segs = list(self.by) or None
        return self.tree.decompose(f0, f1, method, by=segs, **options)

    def summary(self) -> Summary:
        """Periods and segments covered, and the root's total per period."""
        root = self.tree.root
        facts = [("rows", f"{len(self.keys):,}")]
        if self.by:
            facts.append(("segments", ", ".join(self.by)))
        table = None
        if self.period is not None:
            totals = pd.Series(self.arrays[root]).groupby(self.keys[self.period].to_numpy()).sum()
            table = pd.DataFrame(
                {self.period: totals.index, root: totals.map(fmt_number).to_numpy()}
            )
        return Summary(
            f"KPI tree values: {root}",
            facts=tuple(facts),
            table=table,
            notes=tuple(self.provenance.lines()),
        )

    @validate_params(node=[None, NAME])
    def plot(self, ax: Axes | None = None, *, node: str | None = None, **kwargs: Any) -> Axes:
        """A node's value per period; one line per segment (the 8 largest)."""
        node = node or self.tree.root
        self.tree._check_name(node, owner="KPIValuesResult.plot")
        ax = get_axes(ax)
        x = self.keys[self.period] if self.period else pd.Series(np.arange(len(self.keys)))
        if self.by:
            label = self.keys[list(self.by)].astype(str).agg(" / ".join, axis=1)
            size = pd.Series(np.abs(self.arrays[node])).groupby(label.to_numpy()).sum()
            for i, seg in enumerate(size.sort_values(ascending=False).index[:8]):
                m = (label == seg).to_numpy()
                ax.plot(
                    x[m], self.arrays[node][m], marker="o", color=PALETTE[i], label=seg, **kwargs
                )
            ax.legend(frameon=False, fontsize=8)
        else:
            ax.plot(x, self.arrays[node], marker="o", color=PALETTE[0], **kwargs)
        unit = self.tree.node(node).unit
        ax.set_ylabel(f"{node} ({unit})" if unit else node)
        return style_axes(ax, title=f"{node} by {self.period or 'row'}")
