"""Funnels and KPI trees compiled to SQL through Ibis (optional extras ``[sql]``, ``[spark]``).

The same computations as the in-memory engine, run where the events live (DuckDB on Parquet
by default; any Ibis backend with window functions), returning the same result objects.
PySpark DataFrames run on their own Spark session through Ibis' PySpark backend (extra
``linkstar-funnel[spark]``). Only the portable subset is used: ordered window functions
(running max, dense rank, range frames) and group aggregates; no as-of joins, no ordered
array aggregation.

Importing this package does not import Ibis, DuckDB or PySpark; they are loaded on first use.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.sql import is_engine_table
>>> is_engine_table(pd.DataFrame())
False
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._params import ColumnName, validate_params
from ..engines._builtin import accepts_ibis, accepts_spark
from ..errors import EngineError

if TYPE_CHECKING:
    from ..engines.sql._progress import QueryProgress, progress
    from ..engines.sql._tables import SQLTable

__all__ = [
    "EngineError",
    "QueryProgress",
    "SQLTable",
    "is_engine_table",
    "progress",
    "sql_table",
]


def is_engine_table(obj: object) -> bool:
    """Whether ``obj`` is an Ibis table, a DuckDB relation, a PySpark DataFrame or a
    :class:`SQLTable`.

    Duck-typed on the object's class module, so it never imports Ibis, DuckDB or PySpark.
    """
    if isinstance(obj, str | list | tuple) or hasattr(obj, "__fspath__"):
        return False  # Parquet paths are engine inputs too, but not tables
    return accepts_ibis(obj) or accepts_spark(obj)


@validate_params(row_order=[None, ColumnName()])
def sql_table(source: object, *, row_order: str | None = None, con: Any = None) -> SQLTable:
    """Wrap an Ibis table, a Parquet path, a DuckDB relation or a Spark DataFrame for the
    SQL engine.

    See :func:`linkstar_funnel.engines.sql._tables.sql_table`.
    """
    from ..engines.sql._tables import sql_table as _sql_table

    return _sql_table(source, row_order=row_order, con=con)


def __getattr__(name: str) -> Any:
    if name == "SQLTable":
        from ..engines.sql._tables import SQLTable

        return SQLTable
    if name in ("progress", "QueryProgress"):
        from ..engines.sql import _progress

        return getattr(_progress, name)
    raise AttributeError(name)
