"""The built-in backends: in-memory kernels (pandas), Ibis (DuckDB...) and PySpark.

Implementations are named as ``"module:function"`` strings: nothing here imports the
compiled kernels, Ibis, DuckDB or PySpark.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._backends import Backend, register_backend

_MEMORY = "linkstar_funnel.engines.memory"
_SQL = "linkstar_funnel.engines.sql"

_SQL_CAPABILITIES: dict[str, Callable[..., Any] | str] = {
    "funnel_levels": f"{_SQL}._funnel:funnel_levels",
    "kpi_leaf_sums": f"{_SQL}._kpi:kpi_leaf_sums",
    "cohort_cells": f"{_SQL}._cohort:cohort_cells",
    "journey_arrays": f"{_SQL}._journeys:journey_arrays",
}
#: Capabilities compiled for Ibis backends but not yet run on Spark (their iterative or
#: self-join queries are checked on DuckDB; Spark keeps the four above).
_IBIS_CAPABILITIES: dict[str, Callable[..., Any] | str] = {
    **_SQL_CAPABILITIES,
    "identity_components": f"{_SQL}._identity:identity_components",
    "basket_pairs": f"{_SQL}._basket:basket_pairs",
    "retention_cells": f"{_SQL}._retention:retention_cells",
    "lifecycle_cells": f"{_SQL}._lifecycle:lifecycle_cells",
}


def _is_parquet_path(obj: object) -> bool:
    if isinstance(obj, list | tuple) and obj:
        return all(_is_parquet_path(o) for o in obj)
    if not isinstance(obj, str | Path):
        return False
    name = str(obj).lower()
    return name.endswith((".parquet", ".parq", ".pq"))


def accepts_ibis(obj: object) -> bool:
    """Ibis tables, DuckDB relations, :class:`~linkstar_funnel.sql.SQLTable` objects and
    Parquet paths (checked on the type's module: nothing is imported)."""
    module = type(obj).__module__ or ""
    name = type(obj).__name__
    if module.startswith("linkstar_funnel.engines.sql") and name == "SQLTable":
        return True
    if module.startswith("duckdb") and name == "DuckDBPyRelation":
        return True
    if any(c.__module__.startswith("ibis.") and c.__name__ == "Table" for c in type(obj).__mro__):
        return True
    return _is_parquet_path(obj)


def accepts_spark(obj: object) -> bool:
    """PySpark DataFrames (checked on the type's module)."""
    module = type(obj).__module__ or ""
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


def accepts_pandas(obj: object) -> bool:
    """pandas DataFrames and objects with ``to_pandas()`` (Polars, Arrow tables...)."""
    import pandas as pd

    return isinstance(obj, pd.DataFrame) or callable(getattr(obj, "to_pandas", None))


def _duckdb_from_pandas(frame: Any) -> object:
    import ibis

    return ibis.memtable(frame)


def utc_wall_clock(frame: Any) -> Any:
    """A copy of ``frame`` with zone-aware time columns as naive UTC wall clock."""
    import pandas as pd

    out = frame.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.DatetimeTZDtype):
            out[name] = out[name].dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def _spark_from_pandas(frame: Any) -> object:
    """The frame as a Spark DataFrame on the active session (on a copy).

    Missing values in text columns become Spark NULLs (Spark reads NaN there as the string
    ``"NaN"``); zone-aware times become UTC instants (Spark keeps no zone per column); an
    empty frame gets its schema from the column types (Spark cannot infer it from no rows).
    """
    import pandas as pd
    import pyarrow as pa
    from pyspark.sql import SparkSession
    from pyspark.sql.pandas.types import from_arrow_schema

    out = utc_wall_clock(frame)
    text = [
        name
        for name in out.columns
        if pd.api.types.is_object_dtype(out[name]) or pd.api.types.is_string_dtype(out[name])
    ]
    for name in text:
        out[name] = out[name].astype(object).where(out[name].notna(), None)
    spark = SparkSession.builder.getOrCreate()
    if len(out):
        return spark.createDataFrame(out)
    typed = out.astype(dict.fromkeys(text, str))
    schema = from_arrow_schema(pa.Schema.from_pandas(typed, preserve_index=False))
    return spark.createDataFrame(out, schema=schema)


register_backend(
    Backend(
        name="pandas",
        accepts=accepts_pandas,
        capabilities={
            "funnel_levels": f"{_MEMORY}.funnel:funnel_levels",
            "kpi_leaf_sums": f"{_MEMORY}.kpi:kpi_leaf_sums",
            "cohort_cells": f"{_MEMORY}.cohort:cohort_cells",
            "journey_arrays": f"{_MEMORY}.journeys:journey_arrays",
            "identity_components": f"{_MEMORY}.identity:identity_components",
            "basket_pairs": f"{_MEMORY}.basket:basket_pairs",
            "retention_cells": f"{_MEMORY}.retention:retention_cells",
            "lifecycle_cells": f"{_MEMORY}.retention:lifecycle_cells",
        },
        from_pandas=lambda frame: frame,
        description="in-memory kernels on pandas frames",
    )
)
register_backend(
    Backend(
        name="ibis",
        accepts=accepts_ibis,
        capabilities=_IBIS_CAPABILITIES,
        from_pandas=_duckdb_from_pandas,
        description="SQL compiled through Ibis (DuckDB by default)",
    )
)
register_backend(
    Backend(
        name="pyspark",
        accepts=accepts_spark,
        capabilities=_SQL_CAPABILITIES,
        from_pandas=_spark_from_pandas,
        description="Spark DataFrames, through Ibis' PySpark backend",
        time_zones=False,
    )
)
