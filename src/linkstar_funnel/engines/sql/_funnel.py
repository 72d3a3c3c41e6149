"""The funnel compiled to Ibis expressions: window functions and group aggregates only.

Every (event, stage) match becomes one row (a union of per-stage filtered selections), so
an event matching several stages serves each of them. Per entity:

* ``order="ordered"``: ``S_1`` is a stage-1 row's own time; for k = 2..K, a stage-k row
  takes ``S_k = cummax(S_{k-1})`` over the entity's rows ordered by (time, stage) (by
  (time, stage descending) with ``ties="strict_increase"``, which leaves out equal times)
  when its time is within ``window`` of it (DESIGN.md section 3). K - 1 window passes.
* ``order="strict"``: rows are numbered by distinct time (``dense_rank``; with
  ``strict_scope="all"`` every event of the entity takes part), and the running maximum
  becomes a maximum over the previous and the current time (a range frame over that
  number): no other event can lie between two consecutive steps.
* ``order="unordered"``: from each row's time, a range frame ``[t, t + window]`` says
  which stages occur; the level there is the longest prefix of stages all present.

The entity's level is the largest stage with a value; counts are a group aggregate by
level (and segment), pulled to the client as a small table and returned as weighted
records of a :class:`~linkstar_funnel.engines._funnel.FunnelLevels`. Entry counts for
trends (per level, segment and entry quarter-hour) are a second query, run only when
trends are asked for.
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
from .._funnel import FunnelEntries, FunnelLevels, FunnelQuery
from ._errors import backend_name, execute, to_sql
from ._stages import stage_predicate
from ._tables import check_columns, check_time, epoch_seconds, interval, sql_table

__all__ = ["funnel_levels"]

IntArray = npt.NDArray[np.int64]

_T, _K, _S, _R, _G, _LV = "__lf_t", "__lf_k", "__lf_s", "__lf_r", "__lf_g", "__lf_level"
_EN, _Q = "__lf_entry", "__lf_q"
#: Entry times are returned floored to quarter-hours: every UTC offset in use since 1972
#: is a multiple of 15 minutes (older local-mean-time offsets are not).
_QUARTER_S = 900


def _ent(i: int) -> str:
    return f"__lf_e{i}"


def _seg(i: int) -> str:
    return f"__lf_b{i}"


#: Query fields -> the Funnel parameter users set.
_PARAMS = {"step_gaps_ns": "step_windows"}


def _unsupported(query: FunnelQuery) -> None:
    """Raise :class:`ParameterError` for options the SQL engine does not compile (yet)."""
    checks = [
        (query.step_gaps_ns is not None, "step_gaps_ns", "None"),
        (query.distinct_events, "distinct_events", "False"),
        (bool(query.exclusions), "exclusions", "no exclusions"),
        (query.counting == "totals", "counting", "'users' or 'sessions'"),
        (query.attribution != "first_touch", "attribution", "'first_touch'"),
    ]
    for bad, field, supported in checks:
        if bad:
            param = _PARAMS.get(field, field)
            got = getattr(query, field)
            msg = (
                f"The {param!r} parameter of Funnel must be {supported} on the SQL engine. "
                f"Got {got!r} instead.\nHint: the SQL engine computes order='ordered', "
                "'strict' and 'unordered' with entry, ties, window, sessions and "
                "first-touch breakdowns; compute on a pandas frame for the other options."
            )
            raise ParameterError(msg)


def _interval(query: FunnelQuery) -> Any:
    ns = int(query.window_ns)
    if ns % 1000:
        msg = (
            "The 'window' parameter of Funnel must be a whole number of microseconds on "
            f"the SQL engine. Got {pd.Timedelta(ns, unit='ns')!r} instead."
        )
        raise ParameterError(msg)
    return interval(ns)


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


def _levels(query: FunnelQuery, rows: Any, ent: list[str], time_type: Any) -> Any:
    """Per row of the stage-match union, the level of the chain it completes."""
    import ibis

    k_n = query.n_stages
    w = _interval(query)
    null_t = ibis.null(time_type)
    entity = ibis.window(group_by=ent)
    if query.entry == "first":
        first = ibis.ifelse(rows[_K] == 1, rows[_T], null_t).min().over(entity)
        rows = rows.mutate(__lf_first=first)
    if query.order == "unordered":
        frame = ibis.range_window(group_by=ent, order_by=rows[_T], preceding=0, following=w)
        present = [ibis.ifelse(rows[_K] == j, 1, 0).max().over(frame) for j in range(1, k_n + 1)]
        if query.entry == "first":
            f = rows["__lf_first"]
            present[0] = ibis.ifelse((f >= rows[_T]) & (f <= rows[_T] + w), 1, 0)
        level = present[-1]
        for p in reversed(present[:-1]):
            level = p * (level + 1)
        return rows.mutate(**{_LV: level})
    start = rows[_K] == 1
    if query.entry == "first":
        start = start & (rows[_T] == rows["__lf_first"])
    rows = rows.mutate(**{_S: ibis.ifelse(start, rows[_T], null_t)})
    strict_inc = query.ties == "strict_increase"
    if query.order == "strict":
        rows = rows.mutate(**{_G: ibis.dense_rank().over(group_by=ent, order_by=rows[_T])})
    for j in range(2, k_n + 1):
        if query.order == "strict":
            win = ibis.window(group_by=ent, order_by=rows[_G], range=(-1, -1 if strict_inc else 0))
        else:
            stage_key = ibis.desc(rows[_K]) if strict_inc else rows[_K]
            win = ibis.window(group_by=ent, order_by=[rows[_T], stage_key], rows=(None, 0))
        best = ibis.ifelse(rows[_K] == j - 1, rows[_S], null_t).max().over(win)
        extended = ibis.ifelse(rows[_T] <= best + w, best, null_t)
        rows = rows.mutate(**{_S: ibis.ifelse(rows[_K] == j, extended, rows[_S])})
    return rows.mutate(**{_LV: ibis.ifelse(rows[_S].notnull(), rows[_K], 0)})  # noqa: PD004 - Ibis expression


def _counts_expr(
    query: FunnelQuery,
    table: Any,
    *,
    ent_cols: list[str],
    row_order: str | None,
    preds: list[Any],
    valid: Any,
    entries: bool = False,
) -> Any:
    """Ibis expression: entities per (level, segment), for levels ≥ 1 (and per entry
    quarter-hour with ``entries``)."""
    import ibis

    time, by_cols = query.time, query.by

    base = table.filter(valid)
    ent = [_ent(i) for i in range(len(ent_cols))]
    keep: dict[str, Any] = {e: base[c] for e, c in zip(ent, ent_cols, strict=True)}
    keep[_T] = base[time]
    extra: dict[str, Any] = {_seg(i): base[b] for i, b in enumerate(by_cols)}
    if row_order is not None:
        extra[_R] = base[row_order]
    parts = [
        base.filter(pred).select(**keep, **{_K: ibis.literal(k + 1, "int16")}, **extra)
        for k, pred in enumerate(preds)
    ]
    if query.order == "strict" and query.strict_scope == "all":
        parts.append(base.select(**keep, **{_K: ibis.literal(0, "int16")}, **extra))
    rows = parts[0].union(*parts[1:], distinct=False)
    leveled = _levels(query, rows, ent, base[time].type())
    aggs: dict[str, Any] = {_LV: leveled[_LV].max()}
    if entries:
        null_t = ibis.null(base[time].type())
        aggs[_EN] = ibis.ifelse(leveled[_K] == 1, leveled[_T], null_t).min()
    per_ent = leveled.group_by(ent).aggregate(**aggs)
    per_ent = per_ent.filter(per_ent[_LV] >= 1)
    if entries:
        # Entry quarter-hour (seconds since the epoch // 900): trends in any time zone.
        per_ent = per_ent.mutate(**{_Q: epoch_seconds(per_ent[_EN]) // _QUARTER_S})
    segs = [_seg(i) for i in range(len(by_cols))]
    if by_cols:
        firsts = rows.filter(rows[_K] == 1)
        tie = [firsts[_R]] if row_order is not None else [firsts[s] for s in segs]
        order = [firsts[_T], *tie]
        rank = ibis.row_number().over(group_by=ent, order_by=order)
        firsts = firsts.mutate(__lf_rank=rank)
        firsts = firsts.filter(firsts["__lf_rank"] == 0).select(*ent, *segs)
        per_ent = per_ent.join(firsts, ent)
    keys = [_LV, *segs, _Q] if entries else [_LV, *segs]
    return per_ent.group_by(keys).aggregate(__lf_n=per_ent.count())


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
    frame: pd.DataFrame, by_cols: tuple[str, ...], appearance: list[dict[Any, int]] | None
) -> tuple[pd.DataFrame, IntArray]:
    """Segment labels (in the in-memory engine's order when a row order is known, else by
    value) and each frame row's segment code."""
    if not by_cols:
        return pd.DataFrame(index=range(1)), np.zeros(len(frame), dtype=np.int64)
    segs = _frame_segments(frame, by_cols)
    labels = segs.drop_duplicates()
    orders: list[dict[Any, int] | None] = [None] * len(by_cols)
    if appearance is not None:
        orders = list(appearance)
    keys = [_sort_key(labels[b], o) for b, o in reversed(list(zip(by_cols, orders, strict=True)))]
    labels = labels.iloc[np.lexsort(keys)].reset_index(drop=True).astype(object)
    return labels, _row_codes(segs, labels, by_cols)


def _frame_segments(frame: pd.DataFrame, by_cols: tuple[str, ...]) -> pd.DataFrame:
    """The segment columns of a result frame, missing values as ``None``."""
    # A missing value is a segment of its own, labelled None (as in the in-memory engine).
    columns = {b: _none_for_missing(frame[_seg(i)]) for i, b in enumerate(by_cols)}
    return pd.DataFrame(columns, index=frame.index, dtype=object)


@attrs.frozen(eq=False)
class _Entries:
    """The entry query, run when trends are first asked for."""

    expr: Any
    labels: pd.DataFrame
    by_cols: tuple[str, ...]

    def __call__(self) -> FunnelEntries:
        frame = execute(self.expr, "funnel entries")
        codes = np.zeros(len(frame), dtype=np.int64)
        if self.by_cols:
            codes = _row_codes(_frame_segments(frame, self.by_cols), self.labels, self.by_cols)
        return FunnelEntries(
            entry_ns=frame[_Q].to_numpy(dtype=np.int64) * (_QUARTER_S * 1_000_000_000),
            level=frame[_LV].to_numpy(dtype=np.int64),
            segment=codes,
            weight=frame["__lf_n"].to_numpy(dtype=np.int64),
            resolution_ns=_QUARTER_S * 1_000_000_000,
        )


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


def funnel_levels(source: object, query: FunnelQuery) -> FunnelLevels:
    """Levels of ``source`` computed in its SQL engine, as weighted records per (level,
    segment); see :class:`~linkstar_funnel.engines._funnel.FunnelLevelsEngine`.

    Parameters
    ----------
    source
        An Ibis table, a DuckDB relation, a Parquet path, a Spark DataFrame or an
        :class:`~linkstar_funnel.sql.SQLTable`.
    query
        The funnel.

    Returns
    -------
    FunnelLevels
        No drill-down (entities, reach times); entries for trends come from a second
        query, run when they are first asked for, floored to quarter-hours (exact for
        every UTC offset in use since 1972).

    Raises
    ------
    ParameterError
        An option the SQL engine does not compile (the message names what it supports),
        a custom ``StageMatcher`` or a callable ``where``.
    ColumnNotFoundError, TimeColumnError, EmptyFrameError
        As for the in-memory engine.
    EngineError
        The engine failed; the generated SQL is attached.
    """
    src = sql_table(source)
    table = src.table
    _unsupported(query)
    required, ent_cols = _columns(query)
    optional = [("by", b) for b in query.by]
    if src.row_order is not None:
        optional.append(("row_order", src.row_order))
    check_columns(table, [*required, *optional], "events")
    check_time(table, query.time, "events")
    preds = [stage_predicate(s, table, query.event) for s in query.stages]
    accounting, matched, end_ns = _accounting(table, required, preds)
    _check_rows(accounting)
    never = tuple(s.name for s, n in zip(query.stages, matched, strict=True) if n == 0)
    tz = table[query.time].type().timezone
    if matched[0] == 0:  # nobody enters: no query to run
        return FunnelLevels(
            accounting=accounting,
            level=np.zeros(0, dtype=np.int8),
            segment=np.zeros(0, dtype=np.int64),
            segment_labels=pd.DataFrame({b: [] for b in query.by}, dtype=object),
            weight=np.zeros(0, dtype=np.int64),
            entries=_empty_entries(),
            never_matched=never,
            tz=tz,
            data_end_ns=end_ns,
        )
    valid = table[required[0][1]].notnull()  # noqa: PD004 - Ibis expression
    for _, col in required[1:]:
        valid = valid & table[col].notnull()  # noqa: PD004 - Ibis expression
    exprs = [
        _counts_expr(
            query,
            table,
            ent_cols=ent_cols,
            row_order=src.row_order,
            preds=preds,
            valid=valid,
            entries=entries,
        )
        for entries in (False, True)
    ]
    frame = execute(exprs[0], "funnel levels")
    appearance = None
    if query.by and src.row_order is not None:
        appearance = _appearance(table, query.by, src.row_order)
    labels, codes = _segments(frame, query.by, appearance)
    return FunnelLevels(
        accounting=accounting,
        level=frame[_LV].to_numpy(dtype=np.int8),
        segment=codes,
        segment_labels=labels,
        weight=frame["__lf_n"].to_numpy(dtype=np.int64),
        entries=_Entries(exprs[1], labels, query.by),
        never_matched=never,
        tz=tz,
        data_end_ns=end_ns,
        notes=_notes(query, exprs[0], src.row_order),
    )


def _notes(query: FunnelQuery, expr: Any, row_order: str | None) -> tuple[str, ...]:
    engine = backend_name(expr)
    notes = [
        f"computed by the SQL engine ({engine} through Ibis); trends() from entry "
        + "quarter-hours; no per-user drill-down (users(), step times)"
    ]
    if query.by and row_order is None:
        notes.append(
            "segment ties (several first-stage events at the same time) go to the smallest "
            "segment value and segments are sorted by value; give sql_table(..., "
            "row_order=...) to follow a row order as the in-memory engine does"
        )
    notes.append("SQL: " + to_sql(expr))
    return tuple(notes)
