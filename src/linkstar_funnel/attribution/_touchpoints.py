"""Journeys from timestamped touchpoints and conversions, with a lookback window.

Rules (each one visible in the resulting journeys' provenance):

* every conversion opens one journey made of the user's touches at or before its time,
  after the user's previous conversion, and no older than ``lookback`` (a new journey
  starts after each conversion);
* a conversion without any such touch gets the single touch ``"(direct/none)"`` instead
  of being dropped;
* touches after a user's last conversion form one non-converting journey, kept for
  Markov, limited to the ``lookback`` before that user's last touch;
* touches older than the lookback are dropped and counted;
* touches at the same time are ordered by channel name, so the result does not depend on
  the input's row order; a touch at the very instant of a conversion counts for it;
* ``channel_map`` groups labels (e.g. campaign → channel); unmapped labels keep their name.

Ibis tables, DuckDB relations, Spark DataFrames and :class:`~linkstar_funnel.sql.SQLTable`
inputs are computed in their engine by ``linkstar_funnel.sql._journeys`` (same rules; Ibis
is imported only then). SQL tables have no row order, so that result is canonical: channels
sorted by name, journeys by user then time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._params import validate_params
from .._validators import format_duration, to_timedelta
from ..errors import SchemaError, TimeZoneError
from ..schema import Column, Table, key_kind, validate
from ._journeys import DIRECT_NONE, Journeys, check_total
from ._specs import TOUCHPOINT_PARAMS

__all__ = ["journeys_from_touchpoints"]

_NS = 1_000_000_000

# Kinds of user id that can equal each other: ints and floats compare by value (1 == 1.0).


@validate_params(**TOUCHPOINT_PARAMS)
def journeys_from_touchpoints(
    touches: object,
    conversions: object,
    *,
    user: str = "user_id",
    time: str = "timestamp",
    channel: str = "channel",
    lookback: object = "30D",
    conversion_user: str | None = None,
    conversion_time: str | None = None,
    value: str | None = None,
    channel_map: Mapping[Any, str] | None = None,
    sep: str = ">",
) -> Journeys:
    """Build :class:`Journeys` from touches and conversions (rules in the module notes).

    Parameters
    ----------
    touches
        One row per touch: user, time, channel (never modified). A pandas frame, or an
        Ibis table, DuckDB relation, Spark DataFrame or
        :class:`~linkstar_funnel.sql.SQLTable` to compute in that engine (either input
        being one sends both there).
    conversions
        One row per conversion (an order): user, time and optionally its value. On the
        SQL engine a user's conversions at the same instant are ranked by the
        ``SQLTable``'s ``row_order`` column if given, else by value.
    user, time, channel
        Column names in ``touches``.
    lookback
        How far before a conversion touches count (``"30D"``, a timedelta).
    conversion_user, conversion_time
        Column names in ``conversions`` (default: ``user`` and ``time``).
    value
        Optional column of conversion value (e.g. ``"revenue"``); ≥ 0.
    channel_map
        Optional mapping from labels in ``channel`` to channel names.
    sep
        Separator used to show paths; channel names may not contain it.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> touches = pd.DataFrame({
    ...     "user_id": ["u1", "u1", "u1", "u2"],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-03", "2026-01-10",
    ...                                  "2026-01-02"], utc=True),
    ...     "channel": ["seo", "email", "ads", "ads"]})
    >>> orders = pd.DataFrame({
    ...     "user_id": ["u1", "u3"],
    ...     "timestamp": pd.to_datetime(["2026-01-05", "2026-01-06"], utc=True),
    ...     "revenue": [50.0, 20.0]})
    >>> j = la.Journeys.from_touchpoints(touches, orders, value="revenue")
    >>> j.to_frame()
                path  conversions  value  nulls
    0    seo > email          1.0   50.0    0.0
    1  (direct/none)          1.0   20.0    0.0
    2            ads          0.0    0.0    1.0
    3            ads          0.0    0.0    1.0
    """
    window = to_timedelta(lookback, param="lookback", owner="Journeys.from_touchpoints")
    from ..sql import is_engine_table  # never imports Ibis

    if is_engine_table(touches) or is_engine_table(conversions):
        from ..engines.sql._journeys import journeys_from_tables

        return journeys_from_tables(
            touches,
            conversions,
            user=user,
            time=time,
            channel=channel,
            window=window,
            conversion_user=conversion_user,
            conversion_time=conversion_time,
            value=value,
            channel_map=channel_map,
            sep=sep,
        )
    t = validate(
        touches,
        [
            Column("user", user, "key"),
            Column("time", time, "time"),
            Column("channel", channel, "category"),
        ],
        frame_name="touchpoints",
    )
    c_cols = [
        Column("user", conversion_user or user, "key"),
        Column("time", conversion_time or time, "time"),
    ]
    if value is not None:
        c_cols.append(Column("value", value, "number"))
    c = validate(conversions, c_cols, frame_name="conversions")
    if t.times["time"].is_aware != c.times["time"].is_aware:
        msg = (
            "The touchpoints and conversions frames must both hold tz-aware times or both "
            f"naive times. Got touchpoints {'aware' if t.times['time'].is_aware else 'naive'} "
            f"and conversions {'aware' if c.times['time'].is_aware else 'naive'} instead."
        )
        raise TimeZoneError(msg)
    _check_key_kinds(t, c)
    values = c.numbers.get("value", np.zeros(c.n_rows))
    if (values < 0).any():
        pos = int(np.flatnonzero(values < 0)[0])
        msg = (
            f"Column {value!r} of the conversions frame must hold values ≥ 0. Got "
            f"{float(values[pos])!r} ({int((values < 0).sum()):,} negative rows) instead."
            "\nHint: leave refunds out of the conversions, or net them per order first."
        )
        raise SchemaError(msg)
    check_total(values, f"Column {value!r} of the conversions frame")

    # Channels: map, check, and rank by name for the deterministic tie order.
    raw_labels = list(t.labels["channel"])
    mapped = [str(channel_map.get(lab, lab)) if channel_map else str(lab) for lab in raw_labels]
    bad = [m for m in mapped if sep in m or not m.strip()]
    if bad:
        msg = (
            f"Column {channel!r} of the touchpoints frame must hold non-empty channel names "
            f"without the separator {sep!r}. Got {bad[0]!r} instead."
            "\nHint: pass another sep=, or rename the channel with channel_map=."
        )
        raise SchemaError(msg)
    names_codes, names = pd.factorize(pd.Index(mapped, dtype=object))
    channels = [str(n) for n in names]
    touch_ch = np.asarray(names_codes, dtype=np.int64)[t.codes["channel"]]
    rank = np.empty(len(channels), dtype=np.int64)
    rank[np.argsort(np.array(channels, dtype=object), kind="stable")] = np.arange(len(channels))

    # Users on one code space (conversions by users never touched get fresh codes).
    t_users = t.labels["user"]
    conv_user = t_users.get_indexer(c.labels["user"])
    unseen = conv_user < 0
    n_unseen_conv = int(unseen[c.codes["user"]].sum())
    conv_user[unseen] = len(t_users) + np.arange(int(unseen.sum()))
    c_user = conv_user[c.codes["user"]]
    t_user = t.codes["user"]
    t_time, c_time = t.times["time"].ns, c.times["time"].ns

    # Conversions sorted by (user, time): journey ids 0..n_conv-1.
    c_order = np.lexsort((c_time, c_user))
    n_conv = len(c_order)
    # Merge touches and conversions; at equal times touches come first (kind 0).
    n_t = len(t_user)
    user_all = np.concatenate([t_user, c_user[c_order]])
    time_all = np.concatenate([t_time, c_time[c_order]])
    kind = np.concatenate([np.zeros(n_t, np.int64), np.ones(n_conv, np.int64)])
    tie = np.concatenate([rank[touch_ch], np.zeros(n_conv, np.int64)])
    ident = np.concatenate([np.arange(n_t), np.arange(n_conv)])
    order = np.lexsort((tie, kind, time_all, user_all))
    u_s, tm_s, k_s, id_s = user_all[order], time_all[order], kind[order], ident[order]
    n_all = len(order)
    conv_pos = np.where(k_s == 1, np.arange(n_all), n_all)
    next_conv = np.minimum.accumulate(conv_pos[::-1])[::-1]

    is_touch = k_s == 0
    tpos = np.flatnonzero(is_touch)
    nxt = next_conv[tpos]
    has_next = nxt < n_all
    nxt_c = np.minimum(nxt, n_all - 1)
    same_user = has_next & (u_s[nxt_c] == u_s[tpos])
    journey = np.where(same_user, id_s[nxt_c], -1)
    end_time = np.where(same_user, tm_s[nxt_c], 0)
    # Trailing touches (after the user's last conversion): one null journey per user.
    trailing = ~same_user
    lead_users, null_id = np.unique(u_s[tpos][trailing], return_inverse=True)
    journey[trailing] = n_conv + null_id
    last_touch = np.full(len(lead_users), np.iinfo(np.int64).min)
    np.maximum.at(last_touch, null_id, tm_s[tpos][trailing])
    end_time[trailing] = last_touch[null_id]
    age_ns = end_time - tm_s[tpos]
    # A touch never follows its journey's end, so a negative age is int64 wrapping round
    # (a span beyond 292 years): far outside any lookback.
    inside = (age_ns >= 0) & (age_ns <= window.value)
    n_outside = int((~inside).sum())

    kept = tpos[inside]
    k_journey = journey[inside]
    k_ch = touch_ch[id_s[kept]]
    k_age = age_ns[inside].astype(np.float64) / _NS
    n_journeys = n_conv + len(lead_users)
    per_journey = np.bincount(k_journey, minlength=n_journeys)
    # Conversions with no touch get "(direct/none)"; null journeys emptied by the window go.
    no_touch_conv = np.flatnonzero(per_journey[:n_conv] == 0)
    if len(no_touch_conv):
        if DIRECT_NONE not in channels:
            channels.append(DIRECT_NONE)
        direct = channels.index(DIRECT_NONE)
        k_journey = np.concatenate([k_journey, no_touch_conv])
        k_ch = np.concatenate([k_ch, np.full(len(no_touch_conv), direct)])
        k_age = np.concatenate([k_age, np.zeros(len(no_touch_conv))])
        kept = np.concatenate([kept, np.full(len(no_touch_conv), -1)])
    by_journey = np.lexsort((kept, k_journey))  # stable within a journey: sorted position
    k_journey, k_ch, k_age = k_journey[by_journey], k_ch[by_journey], k_age[by_journey]
    present, counts = np.unique(k_journey, return_counts=True)
    conv_arr = np.zeros(n_journeys)
    conv_arr[:n_conv] = 1.0
    val_arr = np.zeros(n_journeys)
    val_arr[:n_conv] = values[c_order]
    null_arr = np.zeros(n_journeys)
    null_arr[n_conv:] = 1.0

    touch_acc = t.accounting.with_dropped(
        f"touch older than the {format_duration(window)} lookback", n_outside, column=time
    )
    notes = (
        f"journeys: lookback {format_duration(window)}, a new journey after each conversion",
        "touches at the same time ordered by channel name",
        f"{len(no_touch_conv):,} conversions without a touch credited to {DIRECT_NONE!r}",
        f"{n_unseen_conv:,} conversions by users with no touchpoint at all",
        f"{len(present) - n_conv:,} non-converting journeys",
    )
    return Journeys(
        channels=tuple(channels),
        offsets=np.concatenate([[0], np.cumsum(counts)]),
        touches=k_ch,
        conversions=conv_arr[present],
        value=val_arr[present],
        nulls=null_arr[present],
        ages=k_age,
        sep=sep,
        inputs={"touchpoints": touch_acc, "conversions": c.accounting},
        notes=notes,
    )


def _check_key_kinds(t: Table, c: Table) -> None:
    """Refuse user ids that can never equal each other (ints in one frame, text in the other)."""
    a, b = key_kind(t.labels["user"]), key_kind(c.labels["user"])
    if a is None or b is None or a == b:
        return
    t_col, c_col = t.columns["user"], c.columns["user"]
    msg = (
        f"The user columns of the touchpoints ({t_col!r}, dtype {t.frame[t_col].dtype}, "
        f"{a}) and conversions ({c_col!r}, dtype {c.frame[c_col].dtype}, {b}) frames must "
        "hold the same kind of id: no conversion could match a touch."
        "\nHint: cast one side, e.g. "
        f"conversions[{c_col!r}] = conversions[{c_col!r}].astype(str)"
        + (" (or .astype('int64'))." if a == "numbers" else ".")
    )
    raise SchemaError(msg)
