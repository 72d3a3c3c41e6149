"""Inputs of the SQL engine: Ibis tables, Parquet paths and DuckDB relations, wrapped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any

import attrs

from ..errors import ColumnNotFoundError, ParameterError, TimeColumnError

__all__ = [
    "SQLTable",
    "check_columns",
    "epoch_seconds",
    "interval",
    "is_spark_frame",
    "sql_table",
]


@attrs.frozen
class SQLTable:
    """An Ibis table expression the SQL engine computes on.

    Parameters
    ----------
    table
        An ``ibis.Table``.
    row_order
        Optional column giving the rows' order (e.g. a row number). SQL tables have no row
        order; where the in-memory engine takes "the first row in frame order" (a
        breakdown's segment among events at the same time), this column decides. Without
        it, the smallest segment value is taken, and the result's provenance says so.
    """

    table: Any
    row_order: str | None = None


def sql_table(source: object, *, row_order: str | None = None, con: Any = None) -> SQLTable:
    """Wrap ``source`` for the SQL engine.

    Parameters
    ----------
    source
        An Ibis table; a path to a Parquet file (or a glob, or a list of paths), read
        lazily by DuckDB; a DuckDB relation; a PySpark DataFrame (computed by Spark, on
        its own session; extra ``[spark]``); or an :class:`SQLTable`.
    row_order
        See :class:`SQLTable`.
    con
        For a Parquet path: the Ibis DuckDB connection to read it with (default: one
        in-memory connection shared by every path read without ``con``). For a DuckDB
        relation: the ``duckdb`` connection it was made on (default: DuckDB's default
        connection, the one ``duckdb.sql`` uses). For a Spark DataFrame: an Ibis PySpark
        backend (default: one for the DataFrame's session, shared by the tables of that
        session). Note that Ibis' PySpark backend sets the session's
        ``spark.sql.session.timeZone`` to UTC when it connects.

    Returns
    -------
    SQLTable

    Raises
    ------
    ParameterError
        ``source`` is none of the above.
    """
    if isinstance(source, SQLTable):
        return attrs.evolve(source, row_order=row_order or source.row_order)
    import ibis

    if isinstance(source, ibis.Table):
        return SQLTable(source, row_order)
    paths: str | list[str] | None = None
    if isinstance(source, str | os.PathLike):
        paths = os.fspath(source)
    elif (
        isinstance(source, list | tuple)
        and source
        and all(isinstance(s, str | os.PathLike) for s in source)
    ):
        paths = [os.fspath(s) for s in source]
    if paths is not None:
        backend = con if con is not None else _default_duckdb()
        return SQLTable(backend.read_parquet(paths), row_order)
    if type(source).__name__ == "DuckDBPyRelation":
        import duckdb

        raw = con if con is not None else duckdb.default_connection()
        # A temporary view keeps the relation lazy (its SQL runs inside the funnel's query).
        view = f"lf_relation_{uuid.uuid4().hex}"
        raw.execute(f"CREATE TEMP VIEW {view} AS {source.sql_query()}")  # type: ignore[attr-defined]
        return SQLTable(ibis.duckdb.from_connection(raw).table(view), row_order)
    if is_spark_frame(source):
        return SQLTable(_spark_table(source, con), row_order)
    msg = (
        "The SQL engine takes an Ibis table, a Parquet path, a DuckDB relation, a Spark "
        f"DataFrame or an SQLTable. Got {type(source).__name__} instead."
    )
    raise ParameterError(msg)


#: Default connections, shared so that tables read without ``con=`` can be joined (one
#: in-memory DuckDB for Parquet paths; an Ibis backend for the Spark session last used).
_DEFAULTS: dict[object, Any] = {}


def _default_duckdb() -> Any:
    import ibis

    if "duckdb" not in _DEFAULTS:
        _DEFAULTS["duckdb"] = ibis.duckdb.connect()
    return _DEFAULTS["duckdb"]


def _spark_backend(session: Any) -> Any:
    """The Ibis backend of the last Spark session used (one kept: a stopped or replaced
    session is let go)."""
    import ibis

    held = _DEFAULTS.get("spark")
    if held is None or held[0] is not session:
        held = (session, ibis.pyspark.connect(session))
        _DEFAULTS["spark"] = held
    return held[1]


def is_spark_frame(obj: object) -> bool:
    """Whether ``obj`` is a PySpark DataFrame (checked without importing PySpark)."""
    module = type(obj).__module__ or ""
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


def _spark_table(frame: Any, con: Any) -> Any:
    """A Spark DataFrame as an Ibis table on its own session (a temporary view, lazy)."""
    try:
        from ibis.backends.pyspark import Backend  # noqa: F401 - needs the [spark] extra
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        msg = (
            "Computing on a Spark DataFrame needs Ibis' PySpark backend.\n"
            "Hint: pip install 'linkstar-funnel[spark]'."
        )
        raise ParameterError(msg) from exc
    view = f"lf_frame_{uuid.uuid4().hex}"
    frame.createOrReplaceTempView(view)
    backend = con if con is not None else _spark_backend(frame.sparkSession)
    return backend.table(view)


def check_columns(table: Any, roles: Sequence[tuple[str, str]], frame_name: str) -> None:
    """Raise :class:`ColumnNotFoundError` for the first ``(role, column)`` not in ``table``."""
    names = list(table.columns)
    for role, col in roles:
        if col not in names:
            raise ColumnNotFoundError(col, names, role=role, frame_name=frame_name)


def check_time(table: Any, column: str, frame_name: str) -> None:
    """Raise :class:`TimeColumnError` unless ``column`` holds timestamps."""
    dtype = table[column].type()
    if not dtype.is_timestamp():
        msg = (
            f"Column {column!r} of the {frame_name} table must hold timestamps for the SQL "
            f"engine. Got {dtype} instead.\nHint: cast it in the engine first, e.g. "
            f"table.mutate({column}=table.{column}.cast('timestamp'))."
        )
        raise TimeColumnError(msg)


def interval(ns: int) -> Any:
    """An Ibis interval of ``ns`` nanoseconds (a whole number of microseconds), in the
    coarsest exact unit: engines differ in the units they parse (Spark has no MICROSECOND
    interval literal); all of them take seconds."""
    import ibis

    for unit, size in (("s", 1_000_000_000), ("ms", 1_000_000)):
        if ns % size == 0:
            return ibis.interval(ns // size, unit=unit)
    return ibis.interval(ns // 1000, unit="us")


def epoch_seconds(column: Any) -> Any:
    """Whole seconds since the epoch, floored, as int64. (Ibis types ``epoch_seconds()`` as
    int32, but DuckDB computes a fraction that the cast would truncate toward zero.)"""
    return column.epoch_seconds().floor().cast("int64")
