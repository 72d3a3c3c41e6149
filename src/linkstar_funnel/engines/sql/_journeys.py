"""Journeys from touchpoints and conversions compiled to Ibis: windows and aggregates only.

Touches (kind 0) and conversions (kind 1) are unioned; per user, ordered by (time, kind):

* a running sum of ``kind`` gives each touch the number ``n`` of the user's conversions
  before it (a touch at a conversion's instant comes first), so it belongs to the user's
  conversion ranked ``n + 1`` (conversions ranked per user by time, ties by ``row_order``
  of an :class:`SQLTable`, else by value: SQL tables have no row order);
* a minimum over the following rows gives the time of that conversion (the journey's end);
  touches with none are trailing and end at the user's last trailing touch;
* touches older than ``lookback`` before their end are dropped (and counted).

The kept touches and the conversions come back to the client as
:class:`~linkstar_funnel.engines._journeys.JourneyArrays`. With no row order, the result
is canonical: channels sorted by name, converting journeys by user then time, then
non-converting journeys by user.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..._validators import format_duration
from ...errors import EmptyFrameError, ParameterError, SchemaError
from ...schema import RowAccounting
from .._journeys import JourneyArrays, JourneyQuery, check_time_zones
from ._errors import backend_name, execute, to_sql
from ._tables import SQLTable, check_columns, check_numbers, check_time, interval, sql_table

__all__ = ["journey_arrays"]

IntArray = npt.NDArray[np.int64]

_U, _T, _K, _C, _V, _E, _R = (f"__lf_{s}" for s in ("u", "t", "k", "c", "v", "e", "r"))


def _sources(touches: object, conversions: object) -> tuple[SQLTable, SQLTable]:
    """Both inputs as :class:`SQLTable` (a pandas frame as a memtable), on one connection."""
    import ibis

    srcs = [
        SQLTable(ibis.memtable(x)) if isinstance(x, pd.DataFrame) else sql_table(x)
        for x in (touches, conversions)
    ]
    cons = [{id(getattr(b, "con", b)) for b in s.table._find_backends()[0]} for s in srcs]
    if cons[0] and cons[1] and not cons[0] & cons[1]:
        msg = (
            "The touchpoints and conversions tables of Journeys.from_touchpoints must be on "
            "the same engine connection. Got two different connections instead.\nHint: "
            "read both with one connection, e.g. sql_table(path, con=con) for each."
        )
        raise ParameterError(msg)
    return srcs[0], srcs[1]


def _usable(table: Any, cols: list[tuple[str, str]], frame_name: str) -> tuple[Any, RowAccounting]:
    """The rows with every column filled in, and the drops counted as :func:`validate` does."""
    import ibis

    aggs: dict[str, Any] = {"rows_in": table.count()}
    ok: Any = ibis.literal(True)
    for i, (_, col) in enumerate(cols):
        aggs[f"miss{i}"] = ibis.ifelse(ok & table[col].isnull(), 1, 0).sum()  # noqa: PD003 - Ibis expression
        ok = ok & table[col].notnull()  # noqa: PD004 - Ibis expression
    row = execute(table.aggregate(**aggs), f"{frame_name} row accounting").iloc[0]
    acc = RowAccounting(rows_in=int(row["rows_in"]))
    for i, (role, col) in enumerate(cols):
        n = row[f"miss{i}"]
        acc = acc.with_dropped(f"missing {role}", 0 if pd.isna(n) else int(n), column=col)
    if acc.rows_in == 0:
        msg = f"The {frame_name} frame is empty: there is nothing to compute on."
        raise EmptyFrameError(msg)
    if acc.rows_used == 0:
        msg = (
            f"No rows of the {frame_name} frame are usable: {acc}."
            "\nHint: check the column mapping and that ids and times are filled in."
        )
        raise EmptyFrameError(msg)
    return table.filter(ok), acc


def _check_types(tt: Any, ct: Any, user: str, c_user: str, time: str, c_time: str) -> None:
    check_time_zones(tt[time].type().timezone is not None, ct[c_time].type().timezone is not None)
    a, b = tt[user].type(), ct[c_user].type()
    if a != b and not (a.is_integer() and b.is_integer()) and not (a.is_string() and b.is_string()):
        msg = (
            f"The user columns of the touchpoints ({user!r}) and conversions ({c_user!r}) "
            f"tables must have the same type. Got {a} and {b} instead."
            "\nHint: cast one of them in the engine first."
        )
        raise SchemaError(msg)


def _ns(series: pd.Series) -> IntArray:
    s = pd.to_datetime(series)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return np.asarray(s.to_numpy(dtype="datetime64[ns]").view(np.int64), dtype=np.int64)


def _channels(tt: Any, query: JourneyQuery) -> tuple[list[str], dict[Any, int]]:
    """Channel names sorted (canonical order), and each raw label's code."""
    column = query.channel
    labels = execute(tt.select(tt[column]).distinct(), "channel labels")[column].tolist()
    mapped = query.channel_names(labels)
    names = sorted(set(mapped))
    code = {n: i for i, n in enumerate(names)}
    return names, {lab: code[m] for lab, m in zip(labels, mapped, strict=True)}


def journey_arrays(source: object, query: JourneyQuery) -> JourneyArrays:
    """The SQL backends' :class:`~linkstar_funnel.engines._journeys.JourneyArraysEngine`.

    ``source`` (the touchpoints) and ``query.conversions`` may each be an engine table or
    a pandas frame (read as an Ibis memtable); both must be on one connection. A user's
    conversions at one instant are ranked by the conversions' ``row_order`` column (an
    :class:`SQLTable`'s), else by value.
    """
    ns = int(query.lookback.value)
    if ns % 1000:
        msg = (
            "The 'lookback' parameter of Journeys.from_touchpoints must be a whole number of "
            f"microseconds on the SQL engine. Got {query.lookback!r} instead."
        )
        raise ParameterError(msg)
    t_src, c_src = _sources(source, query.conversions)
    (tt, t_acc), (conv, c_acc) = _inputs(t_src, c_src, query)
    channels, ch_code = _channels(tt, query)
    kept_expr = _kept_touches(tt, conv, query)
    kept = execute(kept_expr.select(_U, _T, _C, _R, _E, "__lf_trail"), "journey touches")
    cf = execute(conv, "conversions")
    touch_acc = t_acc.with_dropped(
        f"touch older than the {format_duration(query.lookback)} lookback",
        t_acc.rows_used - len(kept),
        column=query.time,
    )
    tie_by = f"row_order {c_src.row_order!r}" if c_src.row_order else "value"
    notes = (
        (
            f"computed by the SQL engine ({backend_name(kept_expr)} through Ibis); SQL tables "
            "have no row order, so channels are sorted by name and journeys by user then "
            f"time (non-converting last); a user's conversions at one instant ranked by {tie_by}"
        ),
        "SQL: " + to_sql(kept_expr),
    )
    return _assemble(
        kept,
        cf,
        channels,
        ch_code,
        accounting=(touch_acc, c_acc),
        unseen=_unseen_conversions(t_src.table, conv, query.user),
        notes=notes,
    )


def _inputs(
    t_src: SQLTable, c_src: SQLTable, query: JourneyQuery
) -> tuple[tuple[Any, RowAccounting], tuple[Any, RowAccounting]]:
    """Both tables checked, their usable rows with accounting; conversions ranked per user
    (``__lf_u``, ``__lf_t``, ``__lf_v``, ``__lf_r``)."""
    import ibis

    user, time, value = query.user, query.time, query.value
    c_user, c_time = query.conversion_user, query.conversion_time
    t_cols = [("user", user), ("time", time), ("channel", query.channel)]
    c_cols = [("user", c_user), ("time", c_time)] + ([("value", value)] if value else [])
    tab_t, tab_c = t_src.table, c_src.table
    check_columns(tab_t, t_cols, "touchpoints")
    c_extra = [("row_order", c_src.row_order)] if c_src.row_order else []
    check_columns(tab_c, c_cols + c_extra, "conversions")
    check_time(tab_t, time, "touchpoints")
    check_time(tab_c, c_time, "conversions")
    _check_types(tab_t, tab_c, user, c_user, time, c_time)
    if value is not None:
        check_numbers(tab_c, value, "conversions")
    tt, t_acc = _usable(tab_t, t_cols, "touchpoints")
    ct, c_acc = _usable(tab_c, c_cols, "conversions")
    val = ct[value].cast("float64") if value else ibis.literal(0.0, "float64")
    tie = ct[c_src.row_order] if c_src.row_order else val
    u_type, t_type = tt[user].type(), tt[time].type()
    conv = ct.select(
        __lf_u=ct[c_user].cast(u_type), __lf_t=ct[c_time].cast(t_type), __lf_v=val, __lf_o=tie
    )
    rank = ibis.row_number().over(group_by=conv[_U], order_by=[conv[_T], conv["__lf_o"]])
    conv = conv.mutate(__lf_r=rank + 1).drop("__lf_o")
    return (tt, t_acc), (conv, c_acc)


def _kept_touches(tt: Any, conv: Any, query: JourneyQuery) -> Any:
    """Touches with their user's conversion rank ``__lf_r``, journey end ``__lf_e`` and
    ``__lf_trail`` (no conversion after them), older ones than the lookback left out."""
    import ibis

    t_type = tt[query.time].type()
    k0, k1 = ibis.literal(0, "int8"), ibis.literal(1, "int8")
    t_part = tt.select(
        __lf_u=tt[query.user], __lf_t=tt[query.time], __lf_k=k0, __lf_c=tt[query.channel]
    )
    c_part = conv.select(_U, _T, __lf_k=k1)
    rows = t_part.union(c_part.mutate(__lf_c=ibis.null(tt[query.channel].type())), distinct=False)
    order = [rows[_T], rows[_K]]
    before = ibis.window(group_by=rows[_U], order_by=order, rows=(None, 0))
    after = ibis.window(group_by=rows[_U], order_by=order, rows=(0, None))
    next_conv = ibis.ifelse(rows[_K] == 1, rows[_T], ibis.null(t_type)).min().over(after)
    rows = rows.mutate(__lf_r=rows[_K].cast("int64").sum().over(before) + 1, __lf_e=next_conv)
    rows = rows.filter(rows[_K] == 0)
    rows = rows.mutate(__lf_trail=rows[_E].isnull())  # noqa: PD003 - Ibis expression
    trail_end = rows[_T].max().over(group_by=[rows[_U], rows["__lf_trail"]])
    rows = rows.mutate(__lf_e=ibis.coalesce(rows[_E], trail_end))
    return rows.filter(rows[_T] >= rows[_E] - interval(int(query.lookback.value)))


def _unseen_conversions(tab_t: Any, conv: Any, user: str) -> int:
    """Conversions by users seen nowhere in the touchpoints (rows dropped for a missing
    time or channel count as seen)."""
    seen = tab_t.filter(tab_t[user].notnull()).select(__lf_u=tab_t[user]).distinct()  # noqa: PD004 - Ibis expression
    unseen = conv.anti_join(seen, _U)
    n = execute(unseen.aggregate(__lf_n=unseen.count()), "conversions never touched")
    return int(n["__lf_n"].iloc[0])


def _user_codes(a: pd.Series, b: pd.Series) -> tuple[IntArray, IntArray]:
    """Codes of users sorted by label, on one code space over ``a`` and ``b``."""
    both = pd.concat([a.reset_index(drop=True), b.reset_index(drop=True)], ignore_index=True)
    codes = np.asarray(pd.factorize(both, sort=True)[0], dtype=np.int64)
    return codes[: len(a)], codes[len(a) :]


def _assemble(
    kept: pd.DataFrame,
    cf: pd.DataFrame,
    channels: list[str],
    ch_code: dict[Any, int],
    *,
    accounting: tuple[RowAccounting, RowAccounting],
    unseen: int,
    notes: tuple[str, ...],
) -> JourneyArrays:
    """The arrays from the kept touches and the ranked conversions."""
    k_user, c_user = _user_codes(kept[_U], cf[_U])
    c_rank = cf[_R].to_numpy(dtype=np.int64)
    c_order = np.lexsort((c_rank, c_user))
    n_conv = len(c_order)
    index = pd.MultiIndex.from_arrays([c_user[c_order], c_rank[c_order]])
    conv_id = pd.Series(np.arange(n_conv, dtype=np.int64), index=index)
    trail = kept["__lf_trail"].to_numpy(dtype=bool)
    k_rank = kept[_R].to_numpy(dtype=np.int64)
    journey = np.full(len(kept), -1, dtype=np.int64)
    keys = pd.MultiIndex.from_arrays([k_user[~trail], k_rank[~trail]])
    journey[~trail] = conv_id.reindex(keys).to_numpy(dtype=np.int64)
    lead_users, null_id = np.unique(k_user[trail], return_inverse=True)
    journey[trail] = n_conv + null_id
    k_time = _ns(kept[_T])
    k_age = (_ns(kept[_E]) - k_time).astype(np.float64) / 1e9
    k_ch = kept[_C].map(ch_code).to_numpy(dtype=np.int64)
    by_journey = np.lexsort((k_ch, k_time, journey))  # ties at one time: by channel name
    n_null = len(lead_users)
    counts = np.bincount(journey, minlength=n_conv + n_null)
    values = cf[_V].to_numpy(dtype=np.float64)[c_order]
    return JourneyArrays(
        channels=tuple(channels),
        offsets=np.concatenate([[0], np.cumsum(counts)]),
        touches=k_ch[by_journey],
        ages=k_age[by_journey],
        conversions=np.r_[np.ones(n_conv), np.zeros(n_null)],
        value=np.r_[values, np.zeros(n_null)],
        nulls=np.r_[np.zeros(n_conv), np.ones(n_null)],
        touch_accounting=accounting[0],
        conversion_accounting=accounting[1],
        unseen_conversions=unseen,
        notes=notes,
    )
