"""Evaluate a tree on data, once, from the leaf sums an engine returns.

:func:`evaluate` reads the leaves from a frame or an engine table through the
``kpi_leaf_sums`` capability (see :mod:`linkstar_funnel.kpi._leaf_sums`), or from
``values=`` (numbers, per-period mappings, or a :class:`NodeSource`), then computes every
node and builds the :class:`KPIValuesResult`.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ParameterError
from ..results import Provenance
from ..schema import RowAccounting
from ._compute import ZeroDivision, compute_nodes
from ._inputs import by_tuple
from ._leaf_sums import leaf_sums
from ._values import KPIValuesResult, NodeSource, ValueSource

if TYPE_CHECKING:
    from ._tree import KPITree

__all__ = ["evaluate"]

FloatArray = npt.NDArray[np.float64]


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


def _without_frame(
    supplied: Mapping[str, Any], from_frame: Sequence[str], period: str | None
) -> tuple[pd.DataFrame, str | None, RowAccounting]:
    """Keys when every leaf is supplied: one row per period named by the supplied values."""
    if from_frame:
        msg = (
            f"No frame was given, but the leaves {list(from_frame)} are not supplied by "
            "'values'.\nHint: pass a frame with a column per leaf."
        )
        raise ParameterError(msg)
    labels = sorted({k for v in supplied.values() if np.ndim(v) or isinstance(v, Mapping)
                     for k in (v.index if isinstance(v, pd.Series) else v)})  # fmt: skip
    if not labels:
        return pd.DataFrame(index=[0]), None, RowAccounting(rows_in=1)
    name = period or "period"
    return pd.DataFrame({name: labels}), name, RowAccounting(rows_in=len(labels))


def _sorted(
    keys: pd.DataFrame, values: Mapping[str, FloatArray]
) -> tuple[pd.DataFrame, dict[str, FloatArray]]:
    """Rows sorted by their keys (unorderable labels keep the engine's order)."""
    if not keys.shape[1]:
        return keys, dict(values)
    try:
        order = np.asarray(keys.sort_values(list(keys.columns), kind="stable").index)
    except TypeError:  # unorderable labels
        order = np.arange(len(keys))
    return keys.iloc[order].reset_index(drop=True), {k: v[order] for k, v in values.items()}


def evaluate(
    tree: KPITree,
    frame: object = None,
    *,
    period: str | None = None,
    by: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    values: ValueSource | None = None,
    zero_division: ZeroDivision = "raise",
) -> KPIValuesResult:
    """Values of every node of ``tree`` per period and segment.

    Parameters
    ----------
    frame
        One row per period and segment, one column per leaf (others are ignored). Rows
        with a missing leaf value or key are dropped and counted in the provenance. An
        engine table (Ibis table, DuckDB relation, Parquet path, Spark DataFrame,
        :class:`~linkstar_funnel.sql.SQLTable`) may hold several rows per key: its leaves
        are summed per period and segment in the engine.
    period, by
        Key columns: the period labels and the segment columns. Two rows of a pandas
        frame with the same keys are an error (aggregate first).
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
    seg = by_tuple(by, "KPITree.evaluate")
    supplied = _supplied(values, tree)
    from_frame = [leaf for leaf in tree.leaves if leaf not in supplied]
    columns = dict(columns or {})
    notes: tuple[str, ...] = ()
    if frame is None:
        keys, period, accounting = _without_frame(supplied, from_frame, period)
        leaf_values: dict[str, FloatArray] = {}
    else:
        read = [(leaf, columns.get(leaf, leaf)) for leaf in from_frame]
        sums = leaf_sums(frame, read, period=period, by=seg)
        keys, leaf_values = sums.keys, dict(sums.sums)
        accounting, notes = sums.accounting, sums.notes
    per = keys[period] if period else None
    for leaf, value in supplied.items():
        leaf_values[leaf] = _broadcast(leaf, value, per, len(keys))
    keys, leaf_values = _sorted(keys, leaf_values)

    def describe(i: int) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in keys.iloc[i].items()) or f"row {i}"

    node_values = compute_nodes(
        tree, leaf_values, zero_division=zero_division, describe_row=describe, overflow="warn"
    )
    return KPIValuesResult(
        tree=tree,
        keys=keys,
        arrays=node_values,
        provenance=Provenance(spec=tree, inputs={"frame": accounting}, notes=notes),
        period=period,
        by=seg,
    )
