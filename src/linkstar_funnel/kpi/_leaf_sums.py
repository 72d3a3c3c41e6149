"""The KPI package's side of the engine boundary: ask for leaf sums, check what comes back.

The backend is picked from the input (a pandas frame: in memory; an Ibis table, DuckDB
relation, Parquet path or Spark DataFrame: compiled to SQL). A pandas frame holds one row
per period and segment and is read as given; an engine table is summed per period and
segment in the engine. Checks that do not depend on the backend are made here, once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..engines import DEFAULT_BACKEND, KPILeafSums, KPILeafSumsQuery, implementation
from ..errors import EmptyFrameError, SchemaError

__all__ = ["leaf_sums"]

_FRAME = "KPI"


def leaf_sums(
    source: object,
    leaves: Sequence[tuple[str, str]],
    *,
    period: str | None,
    by: tuple[str, ...],
) -> KPILeafSums:
    """``(leaf, column)`` sums per period and ``by`` key of ``source``, checked.

    Raises
    ------
    EmptyFrameError
        No row is usable.
    SchemaError
        Two rows of a pandas frame share their keys, or a leaf sums to infinity.
    """
    backend, compute = implementation(source, "kpi_leaf_sums")
    query = KPILeafSumsQuery(
        leaves=tuple(leaves),
        period=period,
        by=by,
        aggregate=backend.name != DEFAULT_BACKEND,
        frame_name=_FRAME,
    )
    out: KPILeafSums = compute(source, query)
    _check_usable(out)
    if not query.aggregate:
        _check_one_row_per_key(out, query)
    _check_finite(out, query)
    return out


def _check_usable(out: KPILeafSums) -> None:
    if out.accounting.rows_in == 0:
        msg = f"The {_FRAME} frame is empty: there is nothing to compute on."
        raise EmptyFrameError(msg)
    if out.accounting.rows_used == 0 or len(out) == 0:
        msg = (
            f"No rows of the {_FRAME} frame are usable: {out.accounting}."
            "\nHint: check the column mapping and that ids and times are filled in."
        )
        raise EmptyFrameError(msg)


def _check_one_row_per_key(out: KPILeafSums, query: KPILeafSumsQuery) -> None:
    keys = out.keys
    if not keys.shape[1]:
        return
    dup = keys.duplicated()
    if dup.any():
        first = keys[dup].iloc[0].to_dict()
        names = list(query.key_columns)
        msg = (
            f"The {_FRAME} frame has several rows for {first}; one row per period and segment "
            f"is expected.\nHint: aggregate first, e.g. df.groupby({names!r}, "
            "as_index=False).sum() (for additive leaves)."
        )
        raise SchemaError(msg)


def _check_finite(out: KPILeafSums, query: KPILeafSumsQuery) -> None:
    for leaf, col in query.leaves:
        if np.isinf(out.sums[leaf]).any():
            msg = (
                f"Column {col!r} of the {_FRAME} table sums to an infinite value per period "
                "and segment: its values are infinite, or too large for float64 (about "
                "1.8e308)."
            )
            raise SchemaError(msg)
