"""The funnel on a SQL engine: every ``Funnel`` option, compiled to Ibis expressions.

The compiler (:mod:`._funnel_options`: chains in :mod:`._funnel_levels`, reach times in
:mod:`._funnel_reach`, tables in :mod:`._funnel_tables`) returns entities (attempts, with
``counting="totals"``) per level and segment, the number dropped by exclusions, and
queries not run yet: entry quarter-hours for trends and durations for
``time_to_convert()`` / ``time_between_steps()``. This module checks the input, runs the
row accounting and turns the counts into a
:class:`~linkstar_funnel.engines._funnel.FunnelLevels` of weighted records.

Times are truncated to whole microseconds (the window must be a whole number of them;
step gaps are floored to them, exact on microsecond times). The one option combination
that does not compile, ``distinct_events=True`` with ``ties="stage_order"`` when an event
matches several stages, raises :class:`~linkstar_funnel.errors.ParameterError`, as do
ClickHouse ``windowFunnel`` modes (``clickhouse_modes``: computed in memory only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ...errors import EmptyFrameError, ParameterError
from ...schema import RowAccounting
from .._funnel import FunnelDurations, FunnelEntries, FunnelLevels, FunnelQuery
from ._errors import backend_name, execute, to_sql
from ._funnel_options import OptionOutcome, funnel_outcome, options_from_query
from ._funnel_tables import NOT_REACHED, QUARTER_US
from ._stages import stage_predicate
from ._tables import check_columns, check_time, sql_table

__all__ = ["funnel_levels"]

IntArray = npt.NDArray[np.int64]

_LV, _Q, _N = "__lf_level", "__lf_q", "__lf_n"
#: Entry times come back floored to quarter-hours: every UTC offset in use since 1972 is
#: a multiple of 15 minutes (older local-mean-time offsets are not).
_QUARTER_NS = QUARTER_US * 1000


def _seg(i: int) -> str:
    return f"__lf_b{i}"


def _check_window(query: FunnelQuery) -> None:
    """Refuse a window that is not a whole number of microseconds (times are whole µs)."""
    ns = int(query.window_ns)
    if ns % 1000:
        msg = (
            "The 'window' parameter of Funnel must be a whole number of microseconds on "
            f"the SQL engine. Got {pd.Timedelta(ns, unit='ns')!r} instead."
        )
        raise ParameterError(msg)


def _check_modes(query: FunnelQuery, table: Any) -> None:
    """Refuse ClickHouse ``windowFunnel`` modes: they are computed in memory only."""
    if not query.clickhouse_modes:
        return
    msg = (
        "The 'clickhouse_modes' parameter of Funnel is computed by the in-memory engine "
        f"only, not on the SQL engine ({backend_name(table)}). Got "
        f"{query.clickhouse_modes!r} instead.\nHint: compute on a pandas frame "
        "(table.to_pandas()), or on ClickHouse itself with windowFunnel(window, 'mode')."
    )
    raise ParameterError(msg)


def _accounting(
    table: Any, required: Sequence[tuple[str, str]], preds: Sequence[Any]
) -> tuple[RowAccounting, list[int], int]:
    """Rows in, rows dropped per missing required column, rows matching each stage, and
    the last kept time (ns; UTC for tz-aware times, wall clock for naive ones)."""
    import ibis

    aggs: dict[str, Any] = {"rows_in": table.count()}
    ok: Any = ibis.literal(True)
    for i, (_, col) in enumerate(required):
        aggs[f"miss{i}"] = ibis.ifelse(ok & table[col].isnull(), 1, 0).sum()  # noqa: PD003 - Ibis expression
        ok = ok & table[col].notnull()  # noqa: PD004 - Ibis expression
    for k, pred in enumerate(preds):
        aggs[f"stage{k}"] = ibis.ifelse(ok & pred, 1, 0).sum()
    time_col = table[required[1][1]]
    aggs["t_max"] = ibis.ifelse(ok, time_col, ibis.null(time_col.type())).max()
    row = execute(table.aggregate(**aggs), "row accounting").iloc[0]

    def num(name: str) -> int:
        value = row[name]
        return 0 if pd.isna(value) else int(value)

    acc = RowAccounting(rows_in=num("rows_in"))
    for i, (role, col) in enumerate(required):
        acc = acc.with_dropped(f"missing {role}", num(f"miss{i}"), column=col)
    end = pd.Timestamp(row["t_max"]) if pd.notna(row["t_max"]) else None
    end_ns = 0 if end is None else int(end.as_unit("ns").value)  # UTC for aware times
    return acc, [num(f"stage{k}") for k in range(len(preds))], end_ns


def _check_rows(acc: RowAccounting) -> None:
    if acc.rows_in == 0:
        msg = "The events frame is empty: there is nothing to compute on."
        raise EmptyFrameError(msg)
    if acc.rows_used == 0:
        msg = (
            f"No rows of the events frame are usable: {acc}."
            "\nHint: check the column mapping and that ids and times are filled in."
        )
        raise EmptyFrameError(msg)


def _appearance(table: Any, by_cols: tuple[str, ...], row_order: str) -> list[dict[Any, int]]:
    """Per segment column, each value's first row (by ``row_order``): the in-memory
    engine orders segments by first appearance in the frame."""
    out = []
    for b in by_cols:
        first = execute(
            table.group_by(b).aggregate(__lf_first=table[row_order].min()), "segment order"
        )
        values = _none_for_missing(first[b])
        out.append(dict(zip(values, first["__lf_first"], strict=True)))
    return out


def _none_for_missing(values: pd.Series) -> npt.NDArray[np.object_]:
    """The values as objects, missing ones (NaN, NA, None) as ``None``."""
    return np.array([None if pd.isna(v) else v for v in values], dtype=object)


def _sort_key(column: pd.Series, first: dict[Any, int] | None) -> IntArray:
    if first is not None:  # missing values first, as the in-memory engine's code -1
        return np.array([-1 if pd.isna(v) else first[v] for v in column], dtype=np.int64)
    try:
        codes, _ = pd.factorize(column, sort=True)
    except TypeError:  # unorderable mix of types: keep the engine's order
        codes, _ = pd.factorize(column, sort=False)
    return np.asarray(codes, dtype=np.int64)


def _row_codes(rows: pd.DataFrame, labels: pd.DataFrame, by_cols: tuple[str, ...]) -> IntArray:
    """Position in ``labels`` of each row of ``rows`` (same columns; missing values match)."""
    key_rows = np.zeros(len(rows), dtype=np.int64)
    key_labels = np.zeros(len(labels), dtype=np.int64)
    for b in by_cols:
        both = pd.concat([labels[b], rows[b]], ignore_index=True).astype(object)
        code, uniq = pd.factorize(both, use_na_sentinel=False)
        key_labels = key_labels * len(uniq) + code[: len(labels)]
        key_rows = key_rows * len(uniq) + code[len(labels) :]
    return np.asarray(pd.Index(key_labels).get_indexer(pd.Index(key_rows)), dtype=np.int64)


def _segments(
    frame: pd.DataFrame,
    by_cols: tuple[str, ...],
    ints: frozenset[str],
    appearance: list[dict[Any, int]] | None,
) -> tuple[pd.DataFrame, IntArray]:
    """Segment labels (in the in-memory engine's order when a row order is known, else by
    value) and each frame row's segment code (-1: the attributed step was not reached)."""
    if not by_cols:
        return pd.DataFrame(index=range(1)), np.zeros(len(frame), dtype=np.int64)
    reached = ~_not_reached(frame)
    segs = _frame_segments(frame, by_cols, ints)
    labels = segs.loc[reached].drop_duplicates()
    orders: list[dict[Any, int] | None] = [None] * len(by_cols)
    if appearance is not None:
        orders = list(appearance)
    keys = [_sort_key(labels[b], o) for b, o in reversed(list(zip(by_cols, orders, strict=True)))]
    labels = labels.iloc[np.lexsort(keys)].reset_index(drop=True).astype(object)
    return labels, _codes(frame, labels, by_cols, ints)


def _not_reached(frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Rows whose attributed step was not reached (no segment value)."""
    if NOT_REACHED not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(frame[NOT_REACHED].fillna(0).to_numpy(dtype=np.int64) == 1)


def _codes(
    frame: pd.DataFrame, labels: pd.DataFrame, by_cols: tuple[str, ...], ints: frozenset[str]
) -> IntArray:
    """Each row's segment code in ``labels`` (-1: the attributed step was not reached)."""
    codes = _row_codes(_frame_segments(frame, by_cols, ints), labels, by_cols)
    return np.where(_not_reached(frame), -1, codes)


def _frame_segments(
    frame: pd.DataFrame, by_cols: tuple[str, ...], ints: frozenset[str]
) -> pd.DataFrame:
    """The segment columns of a result frame, missing values as ``None``; columns in
    ``ints`` (integer in the source) as ints, though an outer join made them float."""
    # A missing value is a segment of its own, labelled None (as in the in-memory engine).
    columns = {}
    for i, b in enumerate(by_cols):
        values = _none_for_missing(frame[_seg(i)])
        if b in ints:
            values = np.array([None if v is None else int(v) for v in values], dtype=object)
        columns[b] = values
    return pd.DataFrame(columns, index=frame.index, dtype=object)


@attrs.frozen(eq=False)
class _Entries:
    """The entry query, run when trends are first asked for."""

    expr: Any
    labels: pd.DataFrame
    by_cols: tuple[str, ...]
    ints: frozenset[str]

    def __call__(self) -> FunnelEntries:
        frame = execute(self.expr, "funnel entries")
        codes = np.zeros(len(frame), dtype=np.int64)
        if self.by_cols:
            codes = _codes(frame, self.labels, self.by_cols, self.ints)
        return FunnelEntries(
            entry_ns=frame[_Q].to_numpy(dtype=np.int64) * _QUARTER_NS,
            level=frame[_LV].to_numpy(dtype=np.int64),
            segment=codes,
            weight=frame[_N].to_numpy(dtype=np.int64),
            resolution_ns=_QUARTER_NS,
        )


@attrs.frozen(eq=False)
class _Durations:
    """The duration queries, run when ``time_to_convert()`` or ``time_between_steps()``
    is first asked for."""

    outcome: OptionOutcome

    def __call__(self) -> FunnelDurations:
        to_convert, between_steps = self.outcome.durations()
        return FunnelDurations(to_convert, between_steps)


def _empty_entries() -> FunnelEntries:
    empty = np.zeros(0, dtype=np.int64)
    return FunnelEntries(entry_ns=empty, level=empty, segment=empty, weight=empty)


def _columns(query: FunnelQuery) -> tuple[list[tuple[str, str]], list[str]]:
    """Required (role, column) pairs and the entity columns."""
    required = [("user", query.user), ("time", query.time), ("event", query.event)]
    ent_cols = [query.user]
    if query.counting == "sessions":
        if query.session is None:
            msg = (
                "The 'session' field of FunnelQuery must name the session column when "
                "counting='sessions'. Got None instead."
            )
            raise ParameterError(msg)
        required.append(("session", query.session))
        ent_cols.append(query.session)
    return required, ent_cols


def _nobody(
    query: FunnelQuery, accounting: RowAccounting, never: tuple[str, ...], tz: Any, end_ns: int
) -> FunnelLevels:
    """No event matches the first stage: no record, no query to run."""
    k_n = query.n_stages
    empty = np.zeros(0, dtype=np.int64)
    return FunnelLevels(
        accounting=accounting,
        level=np.zeros(0, dtype=np.int8),
        segment=empty,
        segment_labels=pd.DataFrame({b: [] for b in query.by}, dtype=object),
        weight=empty,
        entries=_empty_entries(),
        never_matched=never,
        tz=tz,
        data_end_ns=end_ns,
        durations=FunnelDurations((empty,) * (k_n - 1), (empty,) * (k_n - 1)),
    )


def funnel_levels(source: object, query: FunnelQuery) -> FunnelLevels:
    """Levels of ``source`` computed in its SQL engine, as weighted records per (level,
    segment); see :class:`~linkstar_funnel.engines._funnel.FunnelLevelsEngine`.

    Parameters
    ----------
    source
        An Ibis table, a DuckDB relation, a Parquet path, a Spark DataFrame or an
        :class:`~linkstar_funnel.sql.SQLTable`.
    query
        The funnel: every option compiles.

    Returns
    -------
    FunnelLevels
        Records per (level, segment), with a weight; excluded entities (attempts) as
        level -1. No drill-down (entities, reach times): entries for trends and the
        durations behind ``time_to_convert()`` / ``time_between_steps()`` come from
        further queries, run when first asked for. Entries are floored to quarter-hours
        (exact for every UTC offset in use since 1972).

    Raises
    ------
    ParameterError
        ``clickhouse_modes`` (in-memory only), ``distinct_events=True`` with
        ``ties="stage_order"`` when an event matches several stages (the one combination
        that does not compile), a window that is not a whole
        number of microseconds, a custom ``StageMatcher`` or a callable ``where``.
    ColumnNotFoundError, TimeColumnError, EmptyFrameError
        As for the in-memory engine.
    EngineError
        The engine failed; the generated SQL is attached.
    """
    src = sql_table(source)
    table = src.table
    _check_modes(query, table)
    _check_window(query)
    required, ent_cols = _columns(query)
    optional = [("by", b) for b in query.by]
    if src.row_order is not None:
        optional.append(("row_order", src.row_order))
    check_columns(table, [*required, *optional], "events")
    check_time(table, query.time, "events")
    preds = [stage_predicate(s, table, query.event) for s in query.stages]
    xpreds = [stage_predicate(m, table, query.event) for m, _, _ in query.exclusions]
    accounting, matched, end_ns = _accounting(table, required, preds)
    _check_rows(accounting)
    never = tuple(s.name for s, n in zip(query.stages, matched, strict=True) if n == 0)
    tz = table[query.time].type().timezone
    if matched[0] == 0:
        return _nobody(query, accounting, never, tz, end_ns)
    valid = table[required[0][1]].notnull()  # noqa: PD004 - Ibis expression
    for _, col in required[1:]:
        valid = valid & table[col].notnull()  # noqa: PD004 - Ibis expression
    out = funnel_outcome(
        table,
        ent_cols=ent_cols,
        time=query.time,
        by_cols=query.by,
        row_order=src.row_order,
        preds=preds,
        xpreds=xpreds,
        valid=valid,
        opts=options_from_query(query),
    )
    appearance = None
    if query.by and src.row_order is not None:
        appearance = _appearance(table, query.by, src.row_order)
    ints = frozenset(b for b in query.by if table[b].type().is_integer())
    labels, codes = _segments(out.counts, query.by, ints, appearance)
    return FunnelLevels(  # excluded entities are records of level -1, with their segment
        accounting=accounting,
        level=out.counts[_LV].to_numpy(dtype=np.int8),
        segment=codes,
        segment_labels=labels,
        weight=out.counts[_N].to_numpy(dtype=np.int64),
        entries=_Entries(out.entries, labels, query.by, ints),
        never_matched=never,
        tz=tz,
        data_end_ns=end_ns,
        durations=_Durations(out),
        notes=_notes(query, out.levels_query, src.row_order),
    )


def _notes(query: FunnelQuery, expr: Any, row_order: str | None) -> tuple[str, ...]:
    engine = backend_name(expr)
    notes = [
        f"computed by the SQL engine ({engine} through Ibis); trends() from entry "
        + "quarter-hours; no per-user drill-down (users(), step times)"
    ]
    if query.by and row_order is None:
        notes.append(
            "segment ties (several events at the attributed step's time) go to the "
            "smallest segment value and segments are sorted by value; give sql_table(..., "
            "row_order=...) to follow a row order as the in-memory engine does"
        )
    notes.append("SQL: " + to_sql(expr))
    return tuple(notes)
