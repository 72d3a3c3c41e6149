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
level (and segment), pulled to the client as a small table.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ...errors import DataQualityWarning, EmptyFrameError, ParameterError
from ...funnel._engine import as_columns
from ...funnel._entries import EntryCounts
from ...funnel._result import OTHER, FunnelResult, tidy_counts
from ...schema import RowAccounting
from ._errors import backend_name, execute, to_sql
from ._stages import stage_predicate
from ._tables import check_columns, check_time, epoch_seconds, interval, sql_table

if TYPE_CHECKING:
    from ...funnel._spec import Funnel

__all__ = ["compute_funnel"]

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


def _unsupported(spec: Funnel) -> None:
    """Raise :class:`ParameterError` for options the SQL engine does not compile (yet)."""
    checks = [
        (spec.step_windows is not None, "step_windows", "None"),
        (spec.distinct_events, "distinct_events", "False"),
        (bool(spec.exclusions), "exclusions", "no exclusions"),
        (spec.counting == "totals", "counting", "'users' or 'sessions'"),
        (spec.attribution != "first_touch", "attribution", "'first_touch'"),
    ]
    for bad, param, supported in checks:
        if bad:
            got = getattr(spec, param)
            msg = (
                f"The {param!r} parameter of Funnel must be {supported} on the SQL engine. "
                f"Got {got!r} instead.\nHint: the SQL engine computes order='ordered', "
                "'strict' and 'unordered' with entry, ties, window, sessions and "
                "first-touch breakdowns; compute on a pandas frame for the other options."
            )
            raise ParameterError(msg)


def _interval(spec: Funnel) -> Any:
    ns = int(spec.window.value)
    if ns % 1000:
        msg = (
            "The 'window' parameter of Funnel must be a whole number of microseconds on "
            f"the SQL engine. Got {spec.window!r} instead."
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


def _check_rows(spec: Funnel, acc: RowAccounting, matched: list[int]) -> None:
    if acc.rows_in == 0:
        msg = "The events frame is empty: there is nothing to compute on."
        raise EmptyFrameError(msg)
    if acc.rows_used == 0:
        msg = (
            f"No rows of the events frame are usable: {acc}."
            "\nHint: check the column mapping and that ids and times are filled in."
        )
        raise EmptyFrameError(msg)
    never = [name for name, n in zip(spec.stage_names, matched, strict=True) if n == 0]
    if never:
        warnings.warn(
            f"Stage(s) {never} of the funnel match no event of the {acc.rows_used:,} rows "
            "used; their counts are 0.\nHint: check the event names and 'where' filters.",
            DataQualityWarning,
            stacklevel=4,
        )
    if matched[0] == 0:
        msg = (
            f"No event matches the first stage {spec.stage_names[0]!r}: the funnel is "
            "empty.\nHint: check the event names, 'where' filters and the event column."
        )
        raise EmptyFrameError(msg)


def _levels(spec: Funnel, rows: Any, ent: list[str], time_type: Any) -> Any:
    """Per row of the stage-match union, the level of the chain it completes."""
    import ibis

    k_n = len(spec.stages)
    w = _interval(spec)
    null_t = ibis.null(time_type)
    entity = ibis.window(group_by=ent)
    if spec.entry == "first":
        first = ibis.ifelse(rows[_K] == 1, rows[_T], null_t).min().over(entity)
        rows = rows.mutate(__lf_first=first)
    if spec.order == "unordered":
        frame = ibis.range_window(group_by=ent, order_by=rows[_T], preceding=0, following=w)
        present = [ibis.ifelse(rows[_K] == j, 1, 0).max().over(frame) for j in range(1, k_n + 1)]
        if spec.entry == "first":
            f = rows["__lf_first"]
            present[0] = ibis.ifelse((f >= rows[_T]) & (f <= rows[_T] + w), 1, 0)
        level = present[-1]
        for p in reversed(present[:-1]):
            level = p * (level + 1)
        return rows.mutate(**{_LV: level})
    start = rows[_K] == 1
    if spec.entry == "first":
        start = start & (rows[_T] == rows["__lf_first"])
    rows = rows.mutate(**{_S: ibis.ifelse(start, rows[_T], null_t)})
    strict_inc = spec.ties == "strict_increase"
    if spec.order == "strict":
        rows = rows.mutate(**{_G: ibis.dense_rank().over(group_by=ent, order_by=rows[_T])})
    for j in range(2, k_n + 1):
        if spec.order == "strict":
            win = ibis.window(group_by=ent, order_by=rows[_G], range=(-1, -1 if strict_inc else 0))
        else:
            stage_key = ibis.desc(rows[_K]) if strict_inc else rows[_K]
            win = ibis.window(group_by=ent, order_by=[rows[_T], stage_key], rows=(None, 0))
        best = ibis.ifelse(rows[_K] == j - 1, rows[_S], null_t).max().over(win)
        extended = ibis.ifelse(rows[_T] <= best + w, best, null_t)
        rows = rows.mutate(**{_S: ibis.ifelse(rows[_K] == j, extended, rows[_S])})
    return rows.mutate(**{_LV: ibis.ifelse(rows[_S].notnull(), rows[_K], 0)})  # noqa: PD004 - Ibis expression


def _counts_expr(
    spec: Funnel,
    table: Any,
    *,
    ent_cols: list[str],
    time: str,
    by_cols: tuple[str, ...],
    row_order: str | None,
    preds: list[Any],
    valid: Any,
) -> Any:
    """Ibis expression: entities per (level, segment), for levels ≥ 1."""
    import ibis

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
    if spec.order == "strict" and spec.strict_scope == "all":
        parts.append(base.select(**keep, **{_K: ibis.literal(0, "int16")}, **extra))
    rows = parts[0].union(*parts[1:], distinct=False)
    leveled = _levels(spec, rows, ent, base[time].type())
    first_t = ibis.ifelse(leveled[_K] == 1, leveled[_T], ibis.null(base[time].type())).min()
    per_ent = leveled.group_by(ent).aggregate(**{_LV: leveled[_LV].max(), _EN: first_t})
    per_ent = per_ent.filter(per_ent[_LV] >= 1)
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
    return per_ent.group_by([_LV, *segs, _Q]).aggregate(__lf_n=per_ent.count())


def _appearance(table: Any, by_cols: tuple[str, ...], row_order: str) -> list[dict[Any, int]]:
    """Per segment column, each value's first row (by ``row_order``): the in-memory
    engine orders segments by first appearance in the frame."""
    out = []
    for b in by_cols:
        first = execute(
            table.group_by(b).aggregate(__lf_first=table[row_order].min()), "segment order"
        )
        values = first[b].astype(object).where(first[b].notna(), None)
        out.append(dict(zip(values, first["__lf_first"], strict=True)))
    return out


def _sort_key(column: pd.Series, first: dict[Any, int] | None) -> IntArray:
    if first is not None:  # missing values first, as the in-memory engine's code -1
        return np.array([-1 if v is None else first[v] for v in column], dtype=np.int64)
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


def _assemble(
    spec: Funnel,
    frame: pd.DataFrame,
    by_cols: tuple[str, ...],
    appearance: list[dict[Any, int]] | None,
) -> tuple[pd.DataFrame, IntArray, IntArray]:
    """Segment labels, the (segments x stages) reach matrix and each frame row's segment
    code, from per-level counts."""
    k_n = len(spec.stages)
    levels = frame[_LV].to_numpy(dtype=np.int64)
    n = frame["__lf_n"].to_numpy(dtype=np.int64)
    if not by_cols:
        reach = np.array([[int(n[levels >= k].sum()) for k in range(1, k_n + 1)]], np.int64)
        return pd.DataFrame(index=range(1)), reach, np.zeros(len(frame), dtype=np.int64)
    segs = frame[[_seg(i) for i in range(len(by_cols))]].astype(object)
    segs = segs.where(segs.notna(), None)  # a missing value is a segment of its own
    segs.columns = list(by_cols)
    labels = segs.drop_duplicates()
    orders: list[dict[Any, int] | None] = [None] * len(by_cols)
    if appearance is not None:
        orders = list(appearance)
    keys = [_sort_key(labels[b], o) for b, o in reversed(list(zip(by_cols, orders, strict=True)))]
    labels = labels.iloc[np.lexsort(keys)].reset_index(drop=True)
    codes = _row_codes(segs, labels, by_cols)
    reach = np.zeros((len(labels), k_n), dtype=np.int64)
    for k in range(1, k_n + 1):
        ok = levels >= k
        reach[:, k - 1] = np.bincount(codes[ok], weights=n[ok], minlength=len(labels))
    top_n = spec.top_n
    if top_n is not None and len(labels) > top_n:
        size = reach[:, 0]
        ranked = np.lexsort((np.arange(len(labels)), -size))
        keep = np.sort(ranked[:top_n])
        rest = np.setdiff1d(np.arange(len(labels)), keep)
        other = pd.DataFrame({b: [OTHER] for b in by_cols})
        labels = pd.concat([labels.iloc[keep], other], ignore_index=True).astype(object)
        reach = np.vstack([reach[keep], reach[rest].sum(axis=0, keepdims=True)])
        remap = np.full(len(size), len(keep), dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        codes = remap[codes]
    return labels.astype(object), reach, codes


def compute_funnel(
    spec: Funnel,
    source: object,
    *,
    user: str = "user_id",
    time: str = "timestamp",
    event: str = "event",
    by: str | Sequence[str] | None = None,
    session: str | None = None,
) -> FunnelResult:
    """Compute ``spec`` in the SQL engine; see :meth:`Funnel.compute`.

    Parameters
    ----------
    spec
        The funnel.
    source
        An Ibis table, a DuckDB relation or an :class:`~linkstar_funnel.sql.SQLTable`.
    user, time, event, by, session
        As for :meth:`Funnel.compute`.

    Returns
    -------
    FunnelResult
        Counts per stage (and segment), as the in-memory engine gives them, and
        ``trends()`` (entry times come back floored to quarter-hours, exact for every UTC
        offset in use since 1972). The per-entity drill-down (``users()``, step times) is not available: those
        methods raise the same error as on a :meth:`Funnel.from_counts` result.

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
    by_cols = as_columns(by)
    _unsupported(spec)
    required = [("user", user), ("time", time), ("event", event)]
    ent_cols = [user]
    if spec.counting == "sessions":
        if session is None:
            msg = (
                "The 'session' parameter of Funnel.compute must name the session column "
                "when counting='sessions'. Got None instead."
            )
            raise ParameterError(msg)
        required.append(("session", session))
        ent_cols.append(session)
    optional = [("by", b) for b in by_cols]
    if src.row_order is not None:
        optional.append(("row_order", src.row_order))
    check_columns(table, [*required, *optional], "events")
    check_time(table, time, "events")
    preds = [stage_predicate(s, table, event) for s in spec.stages]
    accounting, matched, end_ns = _accounting(table, required, preds)
    _check_rows(spec, accounting, matched)
    valid = table[required[0][1]].notnull()  # noqa: PD004 - Ibis expression
    for _, col in required[1:]:
        valid = valid & table[col].notnull()  # noqa: PD004 - Ibis expression
    expr = _counts_expr(
        spec,
        table,
        ent_cols=ent_cols,
        time=time,
        by_cols=by_cols,
        row_order=src.row_order,
        preds=preds,
        valid=valid,
    )
    frame = execute(expr, "funnel levels")
    appearance = None
    if by_cols and src.row_order is not None:
        appearance = _appearance(table, by_cols, src.row_order)
    labels, reach, codes = _assemble(spec, frame, by_cols, appearance)
    counts = tidy_counts(spec.stage_names, labels, reach)
    result = FunnelResult.build(
        spec=spec, counts=counts, by=by_cols, attempts=None, accounting=accounting
    )
    entries = EntryCounts(
        entry_ns=frame[_Q].to_numpy(dtype=np.int64) * (_QUARTER_S * 1_000_000_000),
        segment=codes,
        level=frame[_LV].to_numpy(dtype=np.int64),
        n=frame["__lf_n"].to_numpy(dtype=np.int64),
        segment_labels=labels,
        tz=table[time].type().timezone,
        data_end_ns=end_ns,
        window_ns=int(spec.window.value),
    )
    engine_note = (
        f"computed by the SQL engine ({backend_name(expr)} through Ibis); trends() from "
        "entry quarter-hours; no per-user drill-down (users(), step times)"
    )
    notes = [engine_note]
    if by_cols and src.row_order is None:
        notes.append(
            "segment ties (several first-stage events at the same time) go to the smallest "
            "segment value and segments are sorted by value; give sql_table(..., "
            "row_order=...) to follow a row order as the in-memory engine does"
        )
    notes.append("SQL: " + to_sql(expr))
    provenance = attrs.evolve(result.provenance, notes=(*result.provenance.notes, *notes))
    return attrs.evolve(result, provenance=provenance, entries=entries)
