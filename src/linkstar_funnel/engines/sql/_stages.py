"""Stages as Ibis predicates: event names and dict ``where`` filters compile; callables don't."""

from __future__ import annotations

from typing import Any

from ...errors import ColumnNotFoundError, ParameterError
from ...stages import Stage, StageMatcher

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
    import ibis
    from ibis.common.exceptions import IbisTypeError

    # Event names are text: a column of another type holds none of them (as in pandas,
    # where the stage then matches no event and the funnel warns).
    ev = table[event]
    pred = ev.isin(list(stage.events)) if ev.type().is_string() else ibis.literal(False)
    for column, value in (stage.where or {}).items():
        if column not in table.columns:
            raise ColumnNotFoundError(column, table.columns, role="where", frame_name="events")
        try:
            cond = _condition(table[column], value)
        except IbisTypeError:  # values of another type never compare equal (pandas: False)
            cond = ibis.literal(False)
        pred = pred & cond.fill_null(False)
    return pred.fill_null(False)


def _condition(col: Any, value: object) -> Any:
    if isinstance(value, frozenset):
        values = [v for v in value if v is not None]
        cond = col.isin(values) if values else col.isnull()
        if len(values) < len(value):
            cond = cond | col.isnull()
        return cond
    if value is None:
        return col.isnull() & col.notnull()  # pandas: eq(None) is False
    return col == value
