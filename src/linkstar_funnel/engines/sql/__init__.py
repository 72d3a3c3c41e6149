"""The Ibis backend: each capability compiled to portable SQL (window functions and group
aggregates), run where the data lives (DuckDB, Spark, any Ibis backend).

One module per capability (``_funnel``, ``_kpi``, ``_cohort``, ``_journeys``), each
returning the same output record as the in-memory backend; ``_tables`` wraps the inputs and
``_progress`` reports running queries. Importing this package does not import Ibis, DuckDB
or PySpark; the user-facing names are re-exported by :mod:`linkstar_funnel.sql`.
"""

from __future__ import annotations

from .._builtin import accepts_ibis, accepts_spark
from ._progress import QueryProgress, progress
from ._tables import SQLTable, sql_table

__all__ = ["QueryProgress", "SQLTable", "is_engine_table", "progress", "sql_table"]


def is_engine_table(obj: object) -> bool:
    """Whether ``obj`` is an Ibis table, a DuckDB relation, a PySpark DataFrame or a
    :class:`SQLTable` (Parquet paths are inputs of the engine too, but not tables).

    Duck-typed on the object's class module, so it never imports Ibis, DuckDB or PySpark.
    """
    if isinstance(obj, str | list | tuple) or hasattr(obj, "__fspath__"):
        return False
    return accepts_ibis(obj) or accepts_spark(obj)
