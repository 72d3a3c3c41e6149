"""Inputs of the SQL engine: Ibis tables, Parquet paths and DuckDB relations, wrapped.

A Parquet path, a DuckDB relation and a Spark DataFrame are read through a view the
engine names (Ibis' ``read_parquet`` view, ``lf_relation_*``, ``lf_frame_*``). Each view is
dropped once the last Ibis expression built on it is gone (a weakref finalizer on the
table's operation node, which every derived expression and any result holding one keeps
alive), so computing on many sources does not leave views behind. The finalizer only
queues the drop: it runs at the next safe point (:func:`drop_pending`, called by
:func:`sql_table`), never inside whatever the garbage collector interrupted (DuckDB
refuses a statement on a connection in the middle of binding another).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import glob
import os
import uuid
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..._params import ColumnName, Satisfies, validate_params
from ...errors import (
    ColumnNotFoundError,
    EngineError,
    ParameterError,
    SchemaError,
    TimeColumnError,
)

__all__ = [
    "SQLTable",
    "check_columns",
    "check_numbers",
    "drop_pending",
    "drop_when_unused",
    "epoch_seconds",
    "interval",
    "is_spark_frame",
    "sql_table",
]


def _is_ibis_table(value: object) -> bool:
    """Whether ``value`` is an ``ibis.Table`` (checked without importing Ibis)."""
    return any(
        c.__module__.startswith("ibis.") and c.__name__ == "Table" for c in type(value).__mro__
    )


_IBIS_TABLE = Satisfies(_is_ibis_table, "an ibis.Table (use sql_table() for other sources)")
_OPT_COLUMN: Any = attrs.validators.optional(ColumnName())


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

    table: Any = attrs.field(validator=_IBIS_TABLE)
    row_order: str | None = attrs.field(default=None, validator=_OPT_COLUMN)


@validate_params(row_order=[None, ColumnName()])
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
        ``source`` is none of the above; no file matches a local Parquet path or glob; a
        DuckDB relation was made on another connection than ``con`` (DuckDB's default
        connection when ``con`` is not given); ``con`` is not a connection.
    EngineError
        DuckDB cannot read the Parquet files, or the relation's query fails.
    """
    drop_pending()  # views of sources no longer used (a safe point: no query running)
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
        return SQLTable(_read_parquet(paths, con), row_order)
    if type(source).__name__ == "DuckDBPyRelation":
        return SQLTable(_relation_table(source, con), row_order)
    if is_spark_frame(source):
        return SQLTable(_spark_table(source, con), row_order)
    msg = (
        "The SQL engine takes an Ibis table, a Parquet path, a DuckDB relation, a Spark "
        f"DataFrame or an SQLTable. Got {type(source).__name__} instead."
    )
    raise ParameterError(msg)


def _read_parquet(paths: str | list[str], con: Any) -> Any:
    """Parquet files as a lazy Ibis table; local paths matching no file are refused first."""
    for path in [paths] if isinstance(paths, str) else paths:
        if "://" in path:  # remote (s3://, https://...): DuckDB checks it
            continue
        magic = glob.has_magic(path)
        # Path.glob takes no absolute pattern: glob.glob does.
        found = glob.glob(path, recursive=True) if magic else Path(path).exists()  # noqa: PTH207
        if not found:
            what = "no file matches the pattern" if magic else "no file at"
            msg = f"The 'source' parameter of sql_table names Parquet files, but {what} {path!r}."
            raise ParameterError(msg)
    if con is not None and not callable(getattr(con, "read_parquet", None)):
        msg = (
            "The 'con' parameter of sql_table must be an Ibis backend that reads Parquet "
            f"(ibis.duckdb.connect()) for a Parquet path. Got {type(con).__name__} instead."
        )
        raise ParameterError(msg)
    backend = con if con is not None else _default_duckdb()
    try:
        table = backend.read_parquet(paths)
    except Exception as exc:
        msg = (
            f"DuckDB could not read the Parquet source {paths!r}: {type(exc).__name__}: {exc}"
            "\nHint: check that the files are Parquet and share one schema."
        )
        sql = f"SELECT * FROM read_parquet({paths!r})"
        raise EngineError(msg, sql=sql, backend="duckdb") from exc
    return drop_when_unused(table, functools.partial(_drop_ibis_view, backend, table.op().name))


def drop_when_unused(table: Any, drop: Callable[[], None]) -> Any:
    """Call ``drop`` once no expression built on ``table`` is left; returns ``table``.

    The drop is queued when the table is collected and run by :func:`drop_pending`.
    Failures of ``drop`` are ignored: the connection may be closed by then, and a view
    left behind is harmless.
    """
    weakref.finalize(table.op(), _PENDING.append, drop)
    return table


#: Drops of views no expression uses any more, waiting for a safe point.
_PENDING: collections.deque[Callable[[], None]] = collections.deque()


def drop_pending() -> int:
    """Drop the views queued by :func:`drop_when_unused`; returns how many were tried."""
    n = 0
    while _PENDING:
        try:
            drop = _PENDING.popleft()
        except IndexError:  # pragma: no cover - emptied by another thread
            break
        with contextlib.suppress(Exception):
            drop()
        n += 1
    return n


def _drop_duckdb_view(raw: Any, name: str) -> None:
    raw.execute(f'DROP VIEW IF EXISTS "{name}"')


def _drop_ibis_view(backend: Any, name: str) -> None:
    """Drop a view an Ibis backend made (on DuckDB through its own connection: Ibis'
    ``drop_view`` depends on its SQL generator's version)."""
    import duckdb

    raw = getattr(backend, "con", None)
    if isinstance(raw, duckdb.DuckDBPyConnection):
        _drop_duckdb_view(raw, name)
    else:
        backend.drop_view(name, force=True)


def _relation_table(relation: Any, con: Any) -> Any:
    """A DuckDB relation as a lazy Ibis table, through a view made on its own connection."""
    import duckdb

    raw = con if con is not None else duckdb.default_connection()
    if not isinstance(raw, duckdb.DuckDBPyConnection):
        msg = (
            "The 'con' parameter of sql_table must be the duckdb connection a DuckDB relation "
            f"was made on. Got {type(con).__name__} instead."
        )
        raise ParameterError(msg)
    # A view keeps the relation lazy (its SQL runs inside the funnel's query). It is made
    # by the relation itself, so it lands on the relation's own connection, and Python
    # frames the relation scans stay bound.
    view = f"lf_relation_{uuid.uuid4().hex}"
    try:
        relation.create_view(view, replace=True)
    except duckdb.Error as exc:
        msg = f"DuckDB could not use the relation: {type(exc).__name__}: {exc}"
        raise EngineError(msg, sql=relation.sql_query(), backend="duckdb") from exc
    try:
        seen = raw.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [view]
        ).fetchall()[0]  # fetched to the end: DuckDB keeps an unfinished result open
    except duckdb.Error as exc:
        msg = f"The duckdb connection given as 'con' cannot be used: {type(exc).__name__}: {exc}"
        raise ParameterError(msg) from exc
    if not seen or not seen[0]:
        where = (
            "the connection given as 'con'" if con is not None else "DuckDB's default connection"
        )
        msg = (
            f"The DuckDB relation was made on another connection than {where}, which the "
            "library reads it with.\nHint: pass the connection you made it on: "
            "sql_table(relation, con=con)."
        )
        raise ParameterError(msg)
    table = _ibis_on(raw).table(view)
    return drop_when_unused(table, functools.partial(_drop_duckdb_view, raw, view))


def _ibis_on(raw: Any) -> Any:
    """An Ibis backend on the user's DuckDB connection, which keeps finding Python
    variables by name: Ibis turns DuckDB's replacement scans off on the connection it is
    given (``duckdb.sql("SELECT * FROM frame")`` failed after a funnel on a relation of
    the default connection); the library's queries name only views and tables."""
    import ibis

    setting = "SELECT current_setting('python_enable_replacements')"
    enabled = raw.execute(setting).fetchall()[0][0]
    backend = ibis.duckdb.from_connection(raw)
    if enabled:
        raw.execute("SET python_enable_replacements = true")
    return backend


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
    drop = functools.partial(frame.sparkSession.catalog.dropTempView, view)
    return drop_when_unused(backend.table(view), drop)


def check_columns(table: Any, roles: Sequence[tuple[str, str]], frame_name: str) -> None:
    """Raise :class:`ColumnNotFoundError` for the first ``(role, column)`` not in ``table``."""
    names = list(table.columns)
    for role, col in roles:
        if col not in names:
            raise ColumnNotFoundError(col, names, role=role, frame_name=frame_name)


def check_numbers(table: Any, column: str, frame_name: str) -> None:
    """Raise :class:`SchemaError` unless ``column`` holds numbers (not booleans)."""
    dtype = table[column].type()
    if not dtype.is_numeric() or dtype.is_boolean():
        msg = f"Column {column!r} of the {frame_name} table must hold numbers; found {dtype}."
        raise SchemaError(msg)


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
