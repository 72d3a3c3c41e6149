"""``kpi_leaf_sums`` in SQL: leaf columns summed per period and segment by the engine.

Two queries: one aggregate counting the rows and the rows dropped for each missing column
(in the order of :attr:`KPILeafSumsQuery.roles`, each row counted once), and the sums of
the kept rows grouped by the key columns. Only the small aggregated frame is pulled.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..._accounting import RowAccounting
from ...errors import EmptyFrameError, SchemaError
from .._kpi import KPILeafSums, KPILeafSumsQuery
from ._errors import backend_name, execute, to_sql
from ._tables import check_columns, sql_table

__all__ = ["kpi_leaf_sums"]

_ROWS = "__lf_rows"


def _checked_table(source: object, query: KPILeafSumsQuery) -> Any:
    table = sql_table(source).table
    check_columns(table, query.roles, query.frame_name)
    for _, col in query.leaves:
        dtype = table[col].type()
        if not dtype.is_numeric() or dtype.is_boolean():
            msg = (
                f"Column {col!r} of the {query.frame_name} frame must hold numbers; found {dtype}."
            )
            raise SchemaError(msg)
    return table


def _accounting(table: Any, query: KPILeafSumsQuery) -> tuple[RowAccounting, Any]:
    """Rows in and dropped per missing column, and the filter keeping the usable rows."""
    import ibis

    aggs: dict[str, Any] = {_ROWS: table.count()}
    ok: Any = ibis.literal(True)
    for i, (_, col) in enumerate(query.roles):
        aggs[f"__lf_miss{i}"] = ibis.ifelse(ok & table[col].isnull(), 1, 0).sum()  # noqa: PD003 - Ibis expression
        ok = ok & table[col].notnull()  # noqa: PD004 - Ibis expression
    counts = execute(table.aggregate(**aggs), "KPI row accounting").iloc[0]
    accounting = RowAccounting(rows_in=int(counts[_ROWS]))
    for i, (role, col) in enumerate(query.roles):
        value = counts[f"__lf_miss{i}"]
        n = 0 if pd.isna(value) else int(value)
        accounting = accounting.with_dropped(f"missing {role}", n, column=col)
    return accounting, ok


def _sums_expr(kept: Any, query: KPILeafSumsQuery) -> Any:
    columns = list(dict.fromkeys(col for _, col in query.leaves))
    keys = list(query.key_columns)
    if not query.aggregate:
        return kept.select(*keys, *columns).mutate(**{_ROWS: 1})
    sums = {col: kept[col].sum() for col in columns}
    if keys:
        return kept.group_by(keys).aggregate(**sums, **{_ROWS: kept.count()})
    return kept.aggregate(**sums, **{_ROWS: kept.count()})


def kpi_leaf_sums(source: object, query: KPILeafSumsQuery) -> KPILeafSums:
    """Sum the leaf columns of an engine table per key; see :class:`KPILeafSumsQuery`.

    Raises
    ------
    ColumnNotFoundError, SchemaError
        A key or leaf column is missing, or a leaf column does not hold numbers.
    EmptyFrameError
        The table has no rows.
    EngineError
        The engine failed; the generated SQL is attached.
    """
    table = _checked_table(source, query)
    accounting, ok = _accounting(table, query)
    if accounting.rows_in == 0:
        msg = f"The {query.frame_name} frame is empty: there is nothing to compute on."
        raise EmptyFrameError(msg)
    expr = _sums_expr(table.filter(ok), query)
    frame = execute(expr, "KPI leaf sums")
    rows = pd.to_numeric(frame[_ROWS]).to_numpy(dtype=np.int64)
    present = rows > 0  # an aggregate without keys over no rows gives one empty row
    frame = frame.loc[present].reset_index(drop=True)
    sums = {
        leaf: pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
        for leaf, col in query.leaves
    }
    keys = frame[list(query.key_columns)].reset_index(drop=True)
    note = (
        f"leaves summed per period and segment by the SQL engine ({backend_name(expr)} "
        "through Ibis)"
    )
    return KPILeafSums(
        keys=keys,
        sums=sums,
        rows=rows[present],
        accounting=accounting,
        notes=(note, "SQL: " + to_sql(expr)),
    )
