"""``KPITree.evaluate`` on an engine table: leaves summed per period and segment in SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from ...errors import SchemaError
from ...kpi._evaluate import _supplied, evaluate
from ...kpi._inputs import segment_tuple
from ...schema import RowAccounting
from ._errors import backend_name, execute, to_sql
from ._tables import check_columns, sql_table

if TYPE_CHECKING:
    from ...kpi._compute import ZeroDivision
    from ...kpi._evaluate import KPIValues, ValueSource
    from ...kpi._tree import KPITree

__all__ = ["evaluate_kpi"]


def evaluate_kpi(
    tree: KPITree,
    source: object,
    *,
    period: str | None = None,
    segments: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    values: ValueSource | None = None,
    zero_division: ZeroDivision = "raise",
) -> KPIValues:
    """Evaluate ``tree`` on an engine table whose leaves are column sums.

    Rows with a missing key or leaf value are dropped and counted (as the pandas path
    does); the remaining rows are summed per period and segment in the engine, and the
    small aggregated frame is evaluated exactly as :meth:`KPITree.evaluate` evaluates a
    pandas frame. On a table with one row per period and segment this is the pandas
    result.

    Raises
    ------
    ColumnNotFoundError, SchemaError
        A key or leaf column is missing, or a leaf column is not numeric.
    EngineError
        The engine failed; the generated SQL is attached.
    """
    table = sql_table(source).table
    seg = segment_tuple(segments, "KPITree.evaluate")
    supplied = _supplied(values, tree)
    columns = dict(columns or {})
    leaves = [leaf for leaf in tree.leaves if leaf not in supplied]
    keys = ([("period", period)] if period else []) + [(f"segment {s}", s) for s in seg]
    leaf_cols = [(leaf, columns.get(leaf, leaf)) for leaf in leaves]
    check_columns(table, [*keys, *leaf_cols], "KPI")
    for _, col in leaf_cols:
        if not table[col].type().is_numeric():
            msg = f"Column {col!r} of the KPI table must hold numbers; found {table[col].type()}."
            raise SchemaError(msg)
    import ibis

    aggs: dict[str, Any] = {"__lf_rows": table.count()}
    ok: Any = ibis.literal(True)
    for i, (_, col) in enumerate([*keys, *leaf_cols]):
        aggs[f"__lf_miss{i}"] = ibis.ifelse(ok & table[col].isnull(), 1, 0).sum()  # noqa: PD003 - Ibis expression
        ok = ok & table[col].notnull()  # noqa: PD004 - Ibis expression
    counts = execute(table.aggregate(**aggs), "KPI row accounting").iloc[0]
    accounting = RowAccounting(rows_in=int(counts["__lf_rows"]))
    for i, (role, col) in enumerate([*keys, *leaf_cols]):
        value = counts[f"__lf_miss{i}"]
        n = 0 if pd.isna(value) else int(value)
        accounting = accounting.with_dropped(f"missing {role}", n, column=col)
    kept = table.filter(ok)
    sums = {col: kept[col].sum() for col in dict.fromkeys(c for _, c in leaf_cols)}
    key_cols = [c for _, c in keys]
    if key_cols:
        expr = (
            kept.group_by(key_cols).aggregate(**sums) if sums else kept.select(*key_cols).distinct()
        )
    else:
        expr = kept.aggregate(**sums) if sums else kept.aggregate(__lf_rows=kept.count())
    frame = execute(expr, "KPI leaf sums")
    for col in sums:
        summed = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
        if np.isinf(summed).any():
            msg = (
                f"Column {col!r} of the KPI table sums to an infinite value per period and "
                "segment: its values are infinite, or too large for float64 (about 1.8e308)."
            )
            raise SchemaError(msg)
    result = evaluate(
        tree,
        frame,
        period=period,
        segments=segments,
        columns=columns,
        values=values,
        zero_division=zero_division,
    )
    engine_note = (
        f"leaves summed per period and segment by the SQL engine ({backend_name(expr)} "
        "through Ibis)"
    )
    notes = (engine_note, "SQL: " + to_sql(expr))
    provenance = attrs.evolve(
        result.provenance,
        inputs={"frame": accounting},
        notes=(*result.provenance.notes, *notes),
    )
    return attrs.evolve(result, provenance=provenance)
