"""``retention_cells`` in SQL: cohort memberships, returns and cells counted by the engine.

Calendar periods in any zone: every UTC offset in use since 1972 is a multiple of 15
minutes, so a time's period and wall-clock offset are those of its quarter-hour. The engine
returns the distinct quarter-hours of the data; the client numbers their periods in ``tz``
(with the calendar functions both backends share, ISO weeks from Monday included) and the
table of (quarter-hour, offset, period) is joined back. Then, all in the engine:

* memberships: per user the period of the first ``start`` event (``cohort="first"``), or
  the distinct (user, period) pairs of ``start`` events (``"recurring"``), each with the
  segment of its earliest ``start`` event (ties: ``row_order`` of the
  :class:`~linkstar_funnel.sql.SQLTable`, else the smallest segment value);
* returns: the distinct (user, period) pairs of ``returning`` events (with their revenue);
* cells: memberships joined to returns on the user, the period difference ``n`` grouped and
  counted per (cohort, segment, n) (``"unbounded"``: per user the last return's ``n``, then
  a reverse cumulative sum on the client).

Only the cells come back. :func:`prepare` (columns, drops, calendar, cut) is shared with
the lifecycle (:mod:`~linkstar_funnel.engines.sql._lifecycle`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..._accounting import RowAccounting
from ..._times import TimeValues, check_time_zone
from ...errors import EmptyFrameError, SchemaError
from ...stages import StageMatcher
from .._retention import (
    LifecycleQuery,
    RetentionCells,
    RetentionQuery,
    end_wall,
    period_numbers,
    wall_ns,
)
from ._cohort import _clock
from ._errors import execute
from ._stages import stage_predicate
from ._tables import check_columns, check_numbers, check_time, epoch_seconds, sql_table

__all__ = ["Prepared", "prepare", "retention_cells", "seg", "segment_labels", "tie_notes"]

_QUARTER_S = 900
_U, _P, _C, _N, _K = "__lf_u", "__lf_p", "__lf_c", "__lf_n", "__lf_k"


def _num(value: object) -> int:
    return 0 if pd.isna(value) else int(value)  # type: ignore[call-overload]


def seg(i: int) -> str:
    return f"__lf_b{i}"


_TIES = (
    "segments: among a user's events at the same time, the smallest segment value "
    "(SQL tables have no row order; SQLTable(table, row_order=...) sets one)"
)


def tie_notes(query: RetentionQuery | LifecycleQuery, row_order: str | None) -> tuple[str, ...]:
    return (_TIES,) if query.by and not row_order else ()


class Prepared(NamedTuple):
    """The usable rows with their period and wall clock, and what the cut left."""

    rows: Any
    late: Any
    accounting: RowAccounting
    end: int
    counts: dict[str, int]
    zone: str | None
    row_order: str | None


def prepare(
    source: Any, query: RetentionQuery | LifecycleQuery, stages: dict[str, StageMatcher]
) -> Prepared:
    """Check the columns, count the drops, number the periods and cut at the end.

    ``counts`` holds, per stage flag, the kept rows matching it (``flag``) and the first
    and last period they fall in (``flag:min``, ``flag:max``)."""
    src = sql_table(source)
    t = src.table
    value = [("value", query.value)] if query.value is not None else []
    check_columns(
        t,
        [*query.roles, *value, *(("by", b) for b in query.by)]
        + ([("row_order", src.row_order)] if src.row_order else []),
        "events",
    )
    check_time(t, query.time, "events")
    if query.value is not None:
        check_numbers(t, query.value, "events")
    zone = check_time_zone(query.tz) if query.tz is not None else None
    data_tz = t[query.time].type().timezone
    acc, ok = _accounting(t, query)
    lut, per_q = _calendar(t, ok, query, stages, data_tz, zone)
    rows = _rows(t, ok, query, stages, src.row_order).join(lut, "__lf_q")
    rows = rows.mutate(__lf_wall=rows["__lf_us"] + rows["__lf_off"])
    if query.observation_end is None:
        # Nothing is cut: the end and the stage counts come from the quarter-hours.
        end = int((per_q["__lf_max"] + per_q["__lf_off"]).max()) * 1_000 + 1
        late = rows["__lf_wall"].isnull() & False  # noqa: PD003 - Ibis expression (column-shaped False)
        counts: dict[str, int] = {}
        for flag in stages:
            n = per_q[flag].to_numpy(np.int64)
            hit = per_q[_P].to_numpy(np.int64)[n > 0]
            counts |= {flag: int(n.sum())}
            counts |= (
                {f"{flag}:min": int(hit.min()), f"{flag}:max": int(hit.max())} if len(hit) else {}
            )
    else:
        acc, end, late, counts = _cut(rows, query, acc, data_tz, zone, list(stages))
    return Prepared(rows, late, acc, end, counts, zone, src.row_order)


def retention_cells(source: Any, query: RetentionQuery) -> RetentionCells:
    """The retention cells of ``source`` (any input of the SQL engine)."""
    prep = prepare(source, query, {"__lf_s": query.start, "__lf_r": query.returning})
    rows = prep.rows
    kept = rows.filter(~prep.late & (rows["__lf_s"] | rows["__lf_r"]))
    seg_names = [seg(i) for i in range(len(query.by))]
    members = _memberships(kept, query, seg_names, prep.row_order)
    users, retained, revenue, segments, cohort, segment = _cells(kept, members, query, seg_names)
    return RetentionCells(
        cohort=cohort,
        segment=segment,
        segments=segments,
        users=users,
        retained=retained,
        revenue=revenue,
        end_wall=prep.end,
        start_rows=prep.counts["__lf_s"],
        returning_rows=prep.counts["__lf_r"],
        tz=prep.zone,
        accounting=prep.accounting,
        notes=tie_notes(query, prep.row_order),
    )


def _accounting(t: Any, query: RetentionQuery | LifecycleQuery) -> tuple[RowAccounting, Any]:
    """Rows in and dropped for missing values (as the in-memory schema counts them)."""
    import ibis

    ok: Any = ibis.literal(True)
    aggs: dict[str, Any] = {"rows_in": t.count()}
    for i, (_, col) in enumerate(query.roles):
        aggs[f"miss{i}"] = ibis.ifelse(ok & t[col].isnull(), 1, 0).sum()  # noqa: PD003 - Ibis expression
        ok = ok & t[col].notnull()  # noqa: PD004 - Ibis expression
    if query.value is not None:
        aggs["inf"] = ibis.ifelse(t[query.value].cast("float64").isinf(), 1, 0).sum()
    head = execute(t.aggregate(**aggs), "events accounting").iloc[0]
    if query.value is not None and _num(head["inf"]):
        msg = f"Column {query.value!r} of the events frame holds infinite values."
        raise SchemaError(msg)
    acc = RowAccounting(rows_in=_num(head["rows_in"]))
    if not acc.rows_in:
        msg = "The events frame is empty: there is nothing to compute on."
        raise EmptyFrameError(msg)
    for i, (role, col) in enumerate(query.roles):
        acc = acc.with_dropped(f"missing {role}", _num(head[f"miss{i}"]), column=col)
    if not acc.rows_used:
        msg = (
            f"No rows of the events frame are usable: {acc}."
            "\nHint: check the column mapping and that ids and times are filled in."
        )
        raise EmptyFrameError(msg)
    return acc, ok


def _quarter(column: Any) -> Any:
    return epoch_seconds(column.truncate("s")) // _QUARTER_S


def _calendar(
    t: Any,
    ok: Any,
    query: RetentionQuery | LifecycleQuery,
    stages: dict[str, StageMatcher],
    data_tz: Any,
    zone: str | None,
) -> tuple[Any, pd.DataFrame]:
    """(quarter-hour, wall-clock offset in µs, period number) of every quarter-hour in the
    data, as an in-memory table to join; and per quarter-hour, its last time (µs) and the
    rows matching each stage."""
    import ibis

    time = t[query.time]
    aggs = {"__lf_max": _clock(time, 1_000).max()}
    aggs |= {
        flag: ibis.ifelse(stage_predicate(stage, t, query.event), 1, 0).sum()
        for flag, stage in stages.items()
    }
    kept = t.filter(ok)
    found = execute(
        kept.group_by(__lf_q=_quarter(kept[query.time])).aggregate(**aggs), "quarter-hours"
    ).sort_values("__lf_q", ignore_index=True)
    q = found["__lf_q"].to_numpy(np.int64)
    utc = q * (_QUARTER_S * 10**9)
    wall = wall_ns(TimeValues(utc, data_tz, query.time), zone)
    found["__lf_off"] = (wall - utc) // 1_000
    found[_P] = period_numbers(wall, query.period)
    for flag in stages:
        found[flag] = found[flag].fillna(0).astype(np.int64)
    lut = ibis.memtable(found[["__lf_q", "__lf_off", _P]])
    return lut, found


def _rows(
    t: Any,
    ok: Any,
    query: RetentionQuery | LifecycleQuery,
    stages: dict[str, StageMatcher],
    row_order: str | None,
) -> Any:
    """The usable rows: user, time, µs since the epoch, quarter-hour, stage flags, value,
    segments (and row order)."""
    time = t[query.time]
    cols: dict[str, Any] = {
        _U: t[query.user],
        "__lf_t": time,
        "__lf_us": _clock(time, 1_000),
        "__lf_q": _quarter(time),
    }
    cols |= {flag: stage_predicate(stage, t, query.event) for flag, stage in stages.items()}
    if query.value is not None:
        cols["__lf_v"] = t[query.value].cast("float64").fill_null(0.0)
    cols |= {seg(i): t[b] for i, b in enumerate(query.by)}
    if row_order:
        cols["__lf_o"] = t[row_order]
    return t.filter(ok).select(**cols)


def _cut(
    rows: Any,
    query: RetentionQuery | LifecycleQuery,
    acc: RowAccounting,
    data_tz: Any,
    zone: str | None,
    flags: list[str],
) -> tuple[RowAccounting, int, Any, dict[str, int]]:
    """The end of the data (wall-clock ns, from ``observation_end``), the rows at or after it
    counted and flagged, and per stage flag the kept rows and their first and last period."""
    import ibis

    wall = rows["__lf_wall"]
    assert query.observation_end is not None
    end = end_wall(query.observation_end, data_tz, zone, query.owner)
    late = wall >= -(-end // 1_000)  # the first microsecond at or after the end
    aggs: dict[str, Any] = {}
    for f in flags:
        hit = ~late & rows[f]
        aggs[f] = ibis.ifelse(hit, 1, 0).sum()
        period = ibis.ifelse(hit, rows[_P], ibis.null("int64"))
        aggs |= {f"{f}:min": period.min(), f"{f}:max": period.max()}
    head = execute(
        rows.aggregate(__lf_late=ibis.ifelse(late, 1, 0).sum(), __lf_rows=rows.count(), **aggs),
        "events after observation_end",
    ).iloc[0]
    n_late = _num(head["__lf_late"])
    if n_late:
        acc = acc.with_dropped("after observation_end", n_late, column=query.time)
        if n_late == _num(head["__lf_rows"]):
            msg = f"No events fall before observation_end: {acc}."
            raise EmptyFrameError(msg)
    return acc, end, late, {name: _num(v) for name, v in head.items() if name in aggs}


def _memberships(
    kept: Any, query: RetentionQuery, seg_names: list[str], row_order: str | None
) -> Any:
    """(user, cohort period, segments) per cohort membership."""
    import ibis

    s = kept.filter(kept["__lf_s"])
    if not seg_names:
        if query.cohort == "first":
            return s.group_by(_U).aggregate(**{_C: s[_P].min()})
        return s.select(_U, **{_C: s[_P]}).distinct()
    tie = [s["__lf_o"]] if row_order else [s[c] for c in seg_names]
    groups = [s[_U]] if query.cohort == "first" else [s[_U], s[_P]]
    ranked = s.mutate(
        __lf_rank=ibis.row_number().over(group_by=groups, order_by=[s["__lf_t"], *tie])
    )
    firsts = ranked.filter(ranked["__lf_rank"] == 0)
    return firsts.select(_U, *seg_names, **{_C: firsts[_P]})


def _cells(kept: Any, members: Any, query: RetentionQuery, seg_names: list[str]) -> tuple[Any, ...]:
    """Users, retained and revenue per cell, and the cells' segments and cohorts."""
    k = query.periods + 1
    keys = [_C, *seg_names]
    per_cell = execute(members.group_by(keys).aggregate(**{_K: members.count()}), "cohort sizes")
    r = kept.filter(kept["__lf_r"])
    value = query.value is not None
    aggs = {"__lf_rv": r["__lf_v"].sum()} if value else {}
    returns = r.group_by([_U, _P]).aggregate(**aggs).rename(__lf_ru=_U, __lf_rp=_P)
    rev = None
    if query.returns == "unbounded":
        last = returns.group_by("__lf_ru").aggregate(__lf_last=returns["__lf_rp"].max())
        j = members.left_join(last, members[_U] == last["__lf_ru"])
        reach = (j["__lf_last"] - j[_C]).fill_null(0).clip(lower=0, upper=query.periods)
        j = j.mutate(**{_N: reach})
        at = execute(j.group_by([*keys, _N]).aggregate(**{_K: j.count()}), "retained users")
    if query.returns == "classic" or value:
        # Returns at n = 0..periods: retained (n >= 1) and revenue from one join.
        jv = members.join(returns, members[_U] == returns["__lf_ru"])
        jv = jv.mutate(**{_N: jv["__lf_rp"] - jv[_C]})
        jv = jv.filter((jv[_N] >= 0) & (jv[_N] <= query.periods))
        aggs = {_K: jv.count()} | ({"__lf_rv": jv["__lf_rv"].sum()} if value else {})
        got = execute(jv.group_by([*keys, _N]).aggregate(**aggs), "returns per cell")
        if query.returns == "classic":
            at = got
        if value:
            rev = got.drop(columns=[_K]).rename(columns={"__lf_rv": _K})
    cohort = per_cell[_C].to_numpy(np.int64)
    seg_keys = segment_labels(per_cell, seg_names)
    seg_code, seg_uniques = pd.factorize(pd.Series(seg_keys, dtype=object), sort=False)
    order = np.lexsort((seg_code, cohort))
    cohort, seg_code = cohort[order], np.asarray(seg_code, dtype=np.int64)[order]
    ordered = [seg_keys[o] for o in order]
    cell_of = {(int(c), s): i for i, (c, s) in enumerate(zip(cohort, ordered, strict=True))}
    n_cells = len(cohort)
    users = per_cell[_K].to_numpy(np.int64)[order]
    retained = _spread(at, seg_names, cell_of, n_cells, k, np.int64)
    if query.returns == "unbounded":
        retained = np.cumsum(retained[:, ::-1], axis=1)[:, ::-1]
    retained = np.ascontiguousarray(retained, dtype=np.int64)
    retained[:, 0] = users
    revenue = None if rev is None else _spread(rev, seg_names, cell_of, n_cells, k, np.float64)
    labels = list(seg_uniques) if seg_names else [()]
    segments = pd.DataFrame(
        {b: np.array([lab[i] for lab in labels], dtype=object) for i, b in enumerate(query.by)},
        index=range(len(labels)),
    )
    return users, retained, revenue, segments, cohort, seg_code


def segment_labels(frame: pd.DataFrame, seg_names: list[str]) -> list[tuple[object, ...]]:
    """Segment values per row as tuples, a missing value as ``None``."""
    if not seg_names:
        return [()] * len(frame)
    cols = [
        [None if pd.isna(v) else v for v in frame[c].astype(object).tolist()] for c in seg_names
    ]
    return list(zip(*cols, strict=True))


def _spread(
    frame: pd.DataFrame,
    seg_names: list[str],
    cell_of: dict[tuple[int, tuple[object, ...]], int],
    n_cells: int,
    k: int,
    dtype: type,
) -> Any:
    """(cohort, segments, n, count) rows as a cells x k array."""
    out: Any = np.zeros((n_cells, k), dtype=dtype)
    if frame.empty:
        return out
    cells = np.array(
        [
            cell_of[(int(c), s)]
            for c, s in zip(frame[_C].tolist(), segment_labels(frame, seg_names), strict=True)
        ],
        dtype=np.int64,
    )
    n = frame[_N].to_numpy(np.int64)
    np.add.at(out, (cells, n), frame[_K].to_numpy(dtype).astype(dtype))
    return out
