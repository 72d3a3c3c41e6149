"""``kpi_leaf_sums`` in memory: a pandas frame's leaf columns summed per period and segment."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ...schema import Column, Table, validate
from .._kpi import IntArray, KPILeafSums, KPILeafSumsQuery

__all__ = ["kpi_leaf_sums"]


def _columns(query: KPILeafSumsQuery) -> list[Column]:
    n_keys = len(query.key_columns)
    return [
        Column(role, col, "category" if i < n_keys else "number")
        for i, (role, col) in enumerate(query.roles)
    ]


def _groups(table: Table, roles: list[str], aggregate: bool) -> IntArray:
    """Group id per kept row, groups numbered in order of first appearance."""
    n = table.n_rows
    if not aggregate:
        return np.arange(n, dtype=np.int64)
    if not roles:
        return np.zeros(n, dtype=np.int64)
    codes = pd.DataFrame({i: table.codes[r] for i, r in enumerate(roles)})
    ids = codes.groupby(list(codes.columns), sort=False).ngroup()
    return np.asarray(ids, dtype=np.int64)


def kpi_leaf_sums(source: object, query: KPILeafSumsQuery) -> KPILeafSums:
    """Read ``source`` (a pandas frame, or anything with ``to_pandas()``) and sum its leaf
    columns per key; see :class:`~linkstar_funnel.engines._kpi.KPILeafSumsQuery`.

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyFrameError
        As :func:`linkstar_funnel.schema.validate`: a column is missing, a leaf column
        does not hold finite numbers, or no row is usable.
    """
    table = validate(source, _columns(query), frame_name=query.frame_name)
    key_roles = [role for role, _ in query.roles[: len(query.key_columns)]]
    if not query.aggregate:  # rows as given: no grouping
        rows = np.ones(table.n_rows, dtype=np.int64)
        keys = _keys(table, key_roles, query, None, table.n_rows)
        sums = {leaf: table.numbers[leaf] for leaf, _ in query.leaves}
        return KPILeafSums(keys=keys, sums=sums, rows=rows, accounting=table.accounting)
    group = _groups(table, key_roles, query.aggregate)
    n_groups = int(group.max()) + 1 if group.size else 0
    first = np.unique(group, return_index=True)[1]
    with np.errstate(over="ignore", invalid="ignore"):
        sums = {
            leaf: np.bincount(group, weights=table.numbers[leaf], minlength=n_groups).astype(
                np.float64, copy=False
            )
            for leaf, _ in query.leaves
        }
    rows = np.bincount(group, minlength=n_groups).astype(np.int64)
    keys = _keys(table, key_roles, query, first, n_groups)
    return KPILeafSums(keys=keys, sums=sums, rows=rows, accounting=table.accounting)


def _keys(
    table: Table,
    roles: list[str],
    query: KPILeafSumsQuery,
    first: npt.NDArray[np.intp] | None,
    n: int,
) -> pd.DataFrame:
    """Key labels of each output row (``first``: the kept row each one starts at)."""
    return pd.DataFrame(
        {
            col: table.labels[role].take(
                table.codes[role] if first is None else table.codes[role][first]
            )
            for role, col in zip(roles, query.key_columns, strict=True)
        },
        index=pd.RangeIndex(n),
    )
