"""Evaluate a tree on data: the :class:`KPIValues` result and :func:`evaluate`.

Leaves come from a frame (one row per period and segment) or are supplied by another
result: ``values=`` takes a mapping of leaf → number or → per-period values, or any
object with a ``kpi_values()`` method returning such a mapping (the :class:`NodeSource`
protocol, which is how e.g. a funnel result can supply a CVR leaf).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import validate_params
from ..errors import ParameterError, SchemaError
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ..schema import Column, RowAccounting, validate
from ._compute import ZeroDivision, compute_nodes
from ._format import fmt_number
from ._inputs import segment_tuple
from ._specs import METHOD, NAME

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._decomposition import DecompositionResult
    from ._protocol import Decomposition
    from ._tree import KPITree

__all__ = ["KPIValues", "NodeSource", "ValueSource", "evaluate"]

FloatArray = npt.NDArray[np.float64]


@runtime_checkable
class NodeSource(Protocol):
    """Anything that supplies leaf values: ``kpi_values()`` → leaf → values per period."""

    def kpi_values(self) -> Mapping[str, Any]:
        """Leaf name → a number, or a mapping/Series of period → number."""
        ...


ValueSource = Mapping[str, Any] | NodeSource


@attrs.frozen(eq=False)
class KPIValues(ResultMixin):
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
    segments
        The segment columns' names.
    """

    tree: KPITree
    keys: pd.DataFrame
    arrays: Mapping[str, FloatArray]
    provenance: Provenance
    period: str | None = None
    segments: tuple[str, ...] = ()

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
                f"The {param!r} parameter of KPIValues.decompose must be one period label. "
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
                f"The {param!r} parameter of KPIValues.decompose must be one of the periods "
                f"{shown}. Got {label!r} instead."
            )
            raise ParameterError(msg)
        return mask

    def period_frame(self, label: object) -> pd.DataFrame:
        """Leaf values of one period: segment columns and one column per leaf."""
        mask = self._rows(label, "period")
        frame = self.keys.loc[mask, list(self.segments)].reset_index(drop=True)
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
        segs = list(self.segments) or None
        return self.tree.decompose(f0, f1, method, segments=segs, **options)

    def summary(self) -> Summary:
        """Periods and segments covered, and the root's total per period."""
        root = self.tree.root
        facts = [("rows", f"{len(self.keys):,}")]
        if self.segments:
            facts.append(("segments", ", ".join(self.segments)))
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
        self.tree._check_name(node, owner="KPIValues.plot")
        ax = get_axes(ax)
        x = self.keys[self.period] if self.period else pd.Series(np.arange(len(self.keys)))
        if self.segments:
            label = self.keys[list(self.segments)].astype(str).agg(" / ".join, axis=1)
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


def _supplied(values: ValueSource | None, tree: KPITree) -> dict[str, Any]:
    if values is None:
        return {}
    if isinstance(values, NodeSource) and not isinstance(values, Mapping):
        # A source (e.g. a FunnelResult) offers many values; the tree takes its own leaves.
        # An explicit mapping stays strict below, so a typo in it is still an error.
        offered = values.kpi_values()
        if not isinstance(offered, Mapping):
            msg = (
                f"The 'values' parameter of KPITree.evaluate is a {type(values).__name__} "
                "whose kpi_values() must return a mapping of leaf values. Got "
                f"{type(offered).__name__} instead."
            )
            raise ParameterError(msg)
        values = {k: v for k, v in offered.items() if k in tree.leaves}
    if not isinstance(values, Mapping):
        msg = (
            "The 'values' parameter of KPITree.evaluate must be a mapping of leaf values or "
            f"an object with kpi_values(). Got {type(values).__name__} instead."
        )
        raise ParameterError(msg)
    for name in values:
        tree._check_name(name, param="values", owner="KPITree.evaluate")
        if tree.node(name).kind != "leaf":
            msg = (
                f"The 'values' parameter of KPITree.evaluate supplies {name!r}, which is "
                f"computed ({name} = {tree.node(name).expression}).\nHint: only leaves are "
                "supplied; make it a leaf, or supply its inputs."
            )
            raise ParameterError(msg)
    return dict(values)


def _finite(leaf: str, value: object) -> float:
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(float(value))
    ):
        msg = (
            f"The value supplied for {leaf!r} must be a finite number (or one per period). "
            f"Got {value!r} instead."
        )
        raise ParameterError(msg)
    return float(value)


def _broadcast(leaf: str, value: Any, periods: pd.Series | None, n: int) -> FloatArray:
    if np.ndim(value) == 0 and not isinstance(value, Mapping):
        return np.full(n, _finite(leaf, value))
    if not isinstance(value, Mapping | pd.Series):
        msg = (
            f"The value supplied for {leaf!r} must be a number or a mapping of period to "
            f"number. Got {type(value).__name__} instead."
        )
        raise ParameterError(msg)
    if periods is None:
        msg = (
            f"The value supplied for {leaf!r} varies by period, but no period column was "
            "given.\nHint: pass period='...' to evaluate()."
        )
        raise ParameterError(msg)
    lookup = value if isinstance(value, pd.Series) else pd.Series(dict(value), dtype=object)
    for v in lookup.to_numpy():
        _finite(leaf, v)
    mapped = periods.map(lookup)
    if mapped.isna().any():
        missing = [str(p) for p in pd.unique(periods[mapped.isna()])[:5]]
        msg = f"The value supplied for {leaf!r} has no value for the periods {missing}."
        raise ParameterError(msg)
    return mapped.to_numpy(dtype=np.float64)


def evaluate(
    tree: KPITree,
    frame: object = None,
    *,
    period: str | None = None,
    segments: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    values: ValueSource | None = None,
    zero_division: ZeroDivision = "raise",
) -> KPIValues:
    """Values of every node of ``tree`` per period and segment.

    Parameters
    ----------
    frame
        One row per period and segment, one column per leaf (others are ignored). Rows
        with a missing leaf value or key are dropped and counted in the provenance.
    period, segments
        Key columns. Two rows with the same keys are an error (aggregate first).
    columns
        Leaf → column name, where they differ.
    values
        Leaves supplied from elsewhere: leaf → number or → {period: number}, or an object
        with ``kpi_values()`` (e.g. a result object).
    zero_division
        ``"raise"`` (default) or ``"nan"`` for ratios whose denominator is 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from linkstar_funnel.kpi import KPITree
    >>> tree = KPITree.from_formula("gmv = sessions * cvr * aov; cvr = orders / sessions")
    >>> df = pd.DataFrame({"month": ["2024-01", "2024-02"], "sessions": [1000, 1200],
    ...                    "orders": [20, 30], "aov": [50.0, 48.0]})
    >>> tree.evaluate(df, period="month").wide()
         month     gmv  sessions    cvr  orders   aov
    0  2024-01  1000.0    1000.0  0.020    20.0  50.0
    1  2024-02  1440.0    1200.0  0.025    30.0  48.0
    """
    seg = segment_tuple(segments, "KPITree.evaluate")
    supplied = _supplied(values, tree)
    from_frame = [leaf for leaf in tree.leaves if leaf not in supplied]
    columns = dict(columns or {})
    if frame is None:
        if from_frame:
            msg = (
                f"No frame was given, but the leaves {from_frame} are not supplied by "
                "'values'.\nHint: pass a frame with a column per leaf."
            )
            raise ParameterError(msg)
        labels = sorted({k for v in supplied.values() if np.ndim(v) or isinstance(v, Mapping)
                         for k in (v.index if isinstance(v, pd.Series) else v)})  # fmt: skip
        keys = pd.DataFrame({period or "period": labels}) if labels else pd.DataFrame(index=[0])
        period = (period or "period") if labels else None
        leaf_values: dict[str, FloatArray] = {}
        accounting = RowAccounting(rows_in=len(keys))
    else:
        cols = [Column("period", period, "category")] if period else []
        cols += [Column(f"segment {s}", s, "category") for s in seg]
        cols += [Column(leaf, columns.get(leaf, leaf), "number") for leaf in from_frame]
        table = validate(frame, cols, frame_name="KPI")
        key_roles = (["period"] if period else []) + [f"segment {s}" for s in seg]
        names = ([period] if period else []) + list(seg)
        keys = pd.DataFrame(
            {n: table.labels[r].take(table.codes[r]) for n, r in zip(names, key_roles, strict=True)}
        )
        if len(keys) == 0 or keys.shape[1] == 0:
            keys = pd.DataFrame(index=pd.RangeIndex(table.n_rows))
        if keys.shape[1] and keys.duplicated().any():
            dup = keys[keys.duplicated()].iloc[0].to_dict()
            msg = (
                f"The KPI frame has several rows for {dup}; one row per period and segment "
                f"is expected.\nHint: aggregate first, e.g. df.groupby({names!r}, "
                "as_index=False).sum() (for additive leaves)."
            )
            raise SchemaError(msg)
        leaf_values = {leaf: table.numbers[leaf] for leaf in from_frame}
        accounting = table.accounting
    n = len(keys)
    per = keys[period] if period else None
    for leaf, value in supplied.items():
        leaf_values[leaf] = _broadcast(leaf, value, per, n)
    if keys.shape[1]:
        try:
            order = np.asarray(keys.sort_values(list(keys.columns), kind="stable").index)
        except TypeError:  # unorderable labels: keep the data's order
            order = np.arange(n)
        keys = keys.iloc[order].reset_index(drop=True)
        leaf_values = {k: v[order] for k, v in leaf_values.items()}

    def describe(i: int) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in keys.iloc[i].items()) or f"row {i}"

    node_values = compute_nodes(
        tree, leaf_values, zero_division=zero_division, describe_row=describe, overflow="warn"
    )
    return KPIValues(
        tree=tree,
        keys=keys,
        arrays=node_values,
        provenance=Provenance(spec=tree, inputs={"frame": accounting}),
        period=period,
        segments=seg,
    )
