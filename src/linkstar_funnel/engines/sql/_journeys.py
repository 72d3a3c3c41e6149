"""Journeys from touchpoints and conversions compiled to Ibis: windows and aggregates only.

Touches (kind 0) and conversions (kind 1) are unioned; per user, ordered by (time, kind):

* a running sum of ``kind`` gives each touch the number ``n`` of the user's conversions
  before it (a touch at a conversion's instant comes first), so it belongs to the user's
  conversion ranked ``n + 1`` (conversions ranked per user by time, ties by ``row_order``
  of an :class:`SQLTable`, else by value: SQL tables have no row order);
* a minimum over the following rows gives the time of that conversion (the journey's end);
  touches with none are trailing and end at the user's last trailing touch;
* touches older than ``lookback`` before their end are dropped (and counted).

The kept touches and the conversions come back to the client to build :class:`Journeys`.
With no row order, the result is canonical: channels sorted by name (``"(direct/none)"``
last), converting journeys by user then time, then non-converting journeys by user.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..._validators import format_duration
from ...attribution._journeys import DIRECT_NONE, Journeys
from ...errors import EmptyFrameError, ParameterError, SchemaError, TimeZoneError
from ...schema import RowAccounting
from ._errors import backend_name, execute, to_sql
from ._tables import SQLTable, check_columns, check_time, interval, sql_table

__all__ = ["journeys_from_tables"]

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
    t_tz, c_tz = tt[time].type().timezone is not None, ct[c_time].type().timezone is not None
    if t_tz != c_tz:
        msg = (
            "The touchpoints and conversions frames must both hold tz-aware times or both "
            f"naive times. Got touchpoints {'aware' if t_tz else 'naive'} "
            f"and conversions {'aware' if c_tz else 'naive'} instead."
        )
        raise TimeZoneError(msg)
    a, b = tt[user].type(), ct[c_user].type()
    if a != b and not (a.is_integer() and b.is_integer()) and not (a.is_string() and b.is_string()):
        msg = (
            f"The user columns of the touchpoints ({user!r}) and conversions ({c_user!r}) "
            f"tables must have the same type. Got {a} and {b} instead."
            "\nHint: cast one of them in the engine first."
        )
        raise SchemaError(msg)


def _check_values(ct: Any, value: str) -> None:
    import ibis

    dtype = ct[value].type()
    if not dtype.is_numeric() or dtype.is_boolean():
        msg = f"Column {value!r} of the conversions frame must hold numbers; found type {dtype}."
        raise SchemaError(msg)
    col = ct[value].cast("float64")
    aggs = {"neg": ibis.ifelse(col < 0, 1, 0).sum(), "low": col.min()}
    row = execute(ct.aggregate(**aggs, inf=col.isinf().sum()), "value checks").iloc[0]
    if not pd.isna(row["inf"]) and int(row["inf"]):
        msg = f"Column {value!r} of the conversions frame holds infinite values."
        raise SchemaError(msg)
    if not pd.isna(row["neg"]) and int(row["neg"]):
        msg = (
            f"Column {value!r} of the conversions frame must hold values ≥ 0. Got "
            f"{float(row['low'])!r} ({int(row['neg']):,} negative rows) instead."
            "\nHint: leave refunds out of the conversions, or net them per order first."
        )
        raise SchemaError(msg)


def _ns(series: pd.Series) -> IntArray:
    s = pd.to_datetime(series)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return np.asarray(s.to_numpy(dtype="datetime64[ns]").view(np.int64), dtype=np.int64)


def _channels(
    tt: Any, channel: str, channel_map: Any, sep: str
) -> tuple[list[str], dict[Any, int]]:
    """Channel names sorted (canonical order), and each raw label's code."""
    labels = execute(tt.select(tt[channel]).distinct(), "channel labels")[channel].tolist()
    mapped = [str(channel_map.get(lab, lab)) if channel_map else str(lab) for lab in labels]
    bad = sorted(m for m in mapped if sep in m or not m.strip())
    if bad:
        msg = (
            f"Column {channel!r} of the touchpoints frame must hold non-empty channel names "
            f"without the separator {sep!r}. Got {bad[0]!r} instead."
            "\nHint: pass another sep=, or rename the channel with channel_map=."
        )
        raise SchemaError(msg)
    names = sorted(set(mapped))
    code = {n: i for i, n in enumerate(names)}
    return names, {lab: code[m] for lab, m in zip(labels, mapped, strict=True)}


def journeys_from_tables(
    touches: object,
    conversions: object,
    *,
    user: str,
    time: str,
    channel: str,
    window: pd.Timedelta,
    conversion_user: str | None,
    conversion_time: str | None,
    value: str | None,
    channel_map: Any,
    sep: str,
) -> Journeys:
    """:func:`~linkstar_funnel.attribution.journeys_from_touchpoints` on engine tables.

    ``window`` and ``sep`` are already checked. Either input may be a pandas frame (read
    as an Ibis memtable) when the other is an engine table.
    """
    import ibis

    ns = int(window.value)
    if ns % 1000:
        msg = (
            "The 'lookback' parameter of Journeys.from_touchpoints must be a whole number of "
            f"microseconds on the SQL engine. Got {window!r} instead."
        )
        raise ParameterError(msg)
    t_src, c_src = _sources(touches, conversions)
    c_user, c_time = conversion_user or user, conversion_time or time
    t_cols = [("user", user), ("time", time), ("channel", channel)]
    c_cols = [("user", c_user), ("time", c_time)] + ([("value", value)] if value else [])
    tab_t, tab_c = t_src.table, c_src.table
    check_columns(tab_t, t_cols, "touchpoints")
    c_extra = [("row_order", c_src.row_order)] if c_src.row_order else []
    check_columns(tab_c, c_cols + c_extra, "conversions")
    check_time(tab_t, time, "touchpoints")
    check_time(tab_c, c_time, "conversions")
    _check_types(tab_t, tab_c, user, c_user, time, c_time)
    tt, t_acc = _usable(tab_t, t_cols, "touchpoints")
    ct, c_acc = _usable(tab_c, c_cols, "conversions")
    if value is not None:  # on the rows kept, as the in-memory engine checks
        _check_values(ct, value)
    channels, ch_code = _channels(tt, channel, channel_map, sep)

    u_type, t_type = tt[user].type(), tt[time].type()
    val = ct[value].cast("float64") if value else ibis.literal(0.0, "float64")
    tie = ct[c_src.row_order] if c_src.row_order else val
    conv = ct.select(
        __lf_u=ct[c_user].cast(u_type), __lf_t=ct[c_time].cast(t_type), __lf_v=val, __lf_o=tie
    )
    rank = ibis.row_number().over(group_by=conv[_U], order_by=[conv[_T], conv["__lf_o"]])
    conv = conv.mutate(__lf_r=rank + 1).drop("__lf_o")
    k0, k1 = ibis.literal(0, "int8"), ibis.literal(1, "int8")
    t_part = tt.select(__lf_u=tt[user], __lf_t=tt[time], __lf_k=k0, __lf_c=tt[channel])
    c_part = conv.select(_U, _T, __lf_k=k1)
    rows = t_part.union(c_part.mutate(__lf_c=ibis.null(tt[channel].type())), distinct=False)
    order = [rows[_T], rows[_K]]
    before = ibis.window(group_by=rows[_U], order_by=order, rows=(None, 0))
    after = ibis.window(group_by=rows[_U], order_by=order, rows=(0, None))
    next_conv = ibis.ifelse(rows[_K] == 1, rows[_T], ibis.null(t_type)).min().over(after)
    rows = rows.mutate(__lf_r=rows[_K].cast("int64").sum().over(before) + 1, __lf_e=next_conv)
    rows = rows.filter(rows[_K] == 0)
    rows = rows.mutate(__lf_trail=rows[_E].isnull())  # noqa: PD003 - Ibis expression
    trail_end = rows[_T].max().over(group_by=[rows[_U], rows["__lf_trail"]])
    rows = rows.mutate(__lf_e=ibis.coalesce(rows[_E], trail_end))
    kept_expr = rows.filter(rows[_T] >= rows[_E] - interval(ns))
    kept = execute(kept_expr.select(_U, _T, _C, _R, _E, "__lf_trail"), "journey touches")
    cf = execute(conv, "conversions")
    # Users seen in the touchpoints at all (rows dropped for a missing time or channel too).
    seen = tab_t.filter(tab_t[user].notnull()).select(__lf_u=tab_t[user]).distinct()  # noqa: PD004 - Ibis expression
    unseen = conv.anti_join(seen, _U)
    n_unseen = execute(unseen.aggregate(__lf_n=unseen.count()), "conversions never touched")
    touch_acc = t_acc.with_dropped(
        f"touch older than the {format_duration(window)} lookback",
        t_acc.rows_used - len(kept),
        column=time,
    )
    journeys = _assemble(
        kept, cf, channels, ch_code, sep=sep, unseen=int(n_unseen["__lf_n"].iloc[0])
    )
    tie_by = f"row_order {c_src.row_order!r}" if c_src.row_order else "value"
    notes = (
        f"journeys: lookback {format_duration(window)}, a new journey after each conversion",
        "touches at the same time ordered by channel name",
        *journeys.notes,
        (
            f"computed by the SQL engine ({backend_name(kept_expr)} through Ibis); SQL tables "
            "have no row order, so channels are sorted by name and journeys by user then "
            f"time (non-converting last); a user's conversions at one instant ranked by {tie_by}"
        ),
        "SQL: " + to_sql(kept_expr),
    )
    inputs = {"touchpoints": touch_acc, "conversions": c_acc}
    return attrs.evolve(journeys, inputs=inputs, notes=notes)


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
    sep: str,
    unseen: int,
) -> Journeys:
    """:class:`Journeys` from the kept touches and the ranked conversions (notes: counts)."""
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
    per_journey = np.bincount(journey, minlength=n_conv + len(lead_users))
    no_touch = np.flatnonzero(per_journey[:n_conv] == 0)
    if len(no_touch):
        if DIRECT_NONE not in channels:
            channels = [*channels, DIRECT_NONE]
        journey = np.concatenate([journey, no_touch])
        k_ch = np.concatenate([k_ch, np.full(len(no_touch), channels.index(DIRECT_NONE))])
        k_age = np.concatenate([k_age, np.zeros(len(no_touch))])
        k_time = np.concatenate([k_time, np.zeros(len(no_touch), dtype=np.int64)])
    by_journey = np.lexsort((k_ch, k_time, journey))  # ties at one time: by channel name
    journey, k_ch, k_age = journey[by_journey], k_ch[by_journey], k_age[by_journey]
    counts = np.bincount(journey, minlength=n_conv + len(lead_users))
    values = cf[_V].to_numpy(dtype=np.float64)[c_order]
    notes = (
        f"{len(no_touch):,} conversions without a touch credited to {DIRECT_NONE!r}",
        f"{unseen:,} conversions by users with no touchpoint at all",
        f"{len(lead_users):,} non-converting journeys",
    )
    return Journeys(
        channels=tuple(channels),
        offsets=np.concatenate([[0], np.cumsum(counts)]),
        touches=k_ch,
        conversions=np.r_[np.ones(n_conv), np.zeros(len(lead_users))],
        value=np.r_[values, np.zeros(len(lead_users))],
        nulls=np.r_[np.zeros(n_conv), np.ones(len(lead_users))],
        ages=k_age,
        sep=sep,
        notes=notes,
    )
