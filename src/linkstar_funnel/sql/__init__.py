"""Funnels, journeys, KPI trees and cohort LTV computed where the data lives, through Ibis
(optional extras ``[sql]``, ``[spark]``).

The same computations as the in-memory engine, run by the ``"ibis"`` and ``"pyspark"``
backends of :mod:`linkstar_funnel.engines` (DuckDB on Parquet by default; any Ibis backend
with window functions), returning the same result objects. Pass an Ibis table, a DuckDB
relation, a Parquet path, a PySpark DataFrame or a :class:`SQLTable` wherever a pandas
frame goes. Only the portable subset is used: ordered window functions (running max, dense
rank, range frames) and group aggregates; no as-of joins, no ordered array aggregation.

Importing this package does not import Ibis, DuckDB or PySpark; they are loaded on first use.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.sql import is_engine_table
>>> is_engine_table(pd.DataFrame())
False
"""

from __future__ import annotations

from ..engines.sql import QueryProgress, SQLTable, is_engine_table, progress, sql_table
from ..errors import EngineError

__all__ = [
    "EngineError",
    "QueryProgress",
    "SQLTable",
    "is_engine_table",
    "progress",
    "sql_table",
]
