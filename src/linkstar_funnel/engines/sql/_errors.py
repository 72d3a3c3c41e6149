"""Engine errors, with the SQL that failed attached, and the one place queries run."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...errors import EngineError
from ._tables import drop_pending

__all__ = ["EngineError", "execute", "to_sql"]


def backend_name(expr: Any) -> str:
    """The name of the backend an Ibis expression runs on (``"duckdb"`` for memtables)."""
    try:
        return str(expr._find_backend(use_default=True).name)
    except Exception:  # noqa: BLE001 - a name for messages only
        return "duckdb"


def to_sql(expr: Any) -> str:
    """The SQL Ibis generates for ``expr`` on its backend (best effort, for messages)."""
    import ibis

    try:
        return str(ibis.to_sql(expr, dialect=backend_name(expr)))
    except Exception:  # noqa: BLE001 - the SQL is a debugging aid, never a failure
        return "<SQL not available>"


def execute(expr: Any, what: str) -> pd.DataFrame:
    """Run ``expr`` and return a pandas frame; engine failures become :class:`EngineError`.

    Parameters
    ----------
    expr
        An Ibis table expression.
    what
        What the query computes, for the message (``"funnel levels"``...).
    """
    from ._progress import reporting

    drop_pending()  # views of sources nothing uses any more (a safe point: no query runs)
    backend = backend_name(expr)
    try:
        with reporting(what, backend):
            out = expr.execute()
    except Exception as exc:
        sql = to_sql(expr)
        msg = (
            f"The {backend} engine failed computing {what}: {type(exc).__name__}: {exc}"
            "\nHint: the generated SQL is on this error's 'sql' attribute; memory limits "
            "(DuckDB: SET memory_limit) and column types are the usual causes."
        )
        raise EngineError(msg, sql=sql, backend=backend) from exc
    if not isinstance(out, pd.DataFrame):  # pragma: no cover - table expressions give frames
        out = pd.DataFrame(out)
    return out
