"""Stages as Ibis predicates: event names and dict ``where`` filters compile; callables don't."""

from __future__ import annotations

from typing import Any

from ..errors import ColumnNotFoundError, ParameterError
from ..stages import Stage, StageMatcher

__all__ = ["stage_predicate"]


def stage_predicate(stage: StageMatcher, table: Any, event: str) -> Any:
    """An Ibis boolean expression true on the rows of ``table`` matching ``stage``.

    Raises
    ------
    ParameterError
        ``stage`` is a custom :class:`StageMatcher` or has a callable ``where``: both
        are Python code on a pandas frame and cannot be compiled to SQL.
    ColumnNotFoundError
        A ``where`` column is not in the table.
    """
    if not isinstance(stage, Stage):
        msg = (
            f"Stage {stage.name!r} is a custom StageMatcher ({type(stage).__name__}), which "
            "cannot be compiled to SQL.\nHint: on the SQL engine use Stage(name, event=..., "
            "where={column: value or [values]}), or compute on a pandas frame."
        )
        raise ParameterError(msg)
    if callable(stage.where):
        msg = (
            f"The 'where' of stage {stage.name!r} is a callable, which cannot be compiled to "
            "SQL.\nHint: express it as a dict of column -> value (equality) or -> list of "
            "values (membership), or add a column for it in the engine first."
        )
        raise ParameterError(msg)
    pred = table[event].isin(list(stage.events))
    for column, value in (stage.where or {}).items():
        if column not in table.columns:
            raise ColumnNotFoundError(column, table.columns, role="where", frame_name="events")
        if isinstance(value, frozenset):
            values = [v for v in value if v is not None]
            cond = table[column].isin(values) if values else table[column].isnull()
            if len(values) < len(value):
                cond = cond | table[column].isnull()
        elif value is None:
            cond = table[column].isnull() & table[column].notnull()  # pandas: eq(None) is False
        else:
            cond = table[column] == value
        pred = pred & cond.fill_null(False)
    return pred.fill_null(False)
