"""``journey_arrays`` in memory: one sort of touches and conversions, then array passes.

Touches (kind 0) and conversions (kind 1, ranked per user by time, then frame order) are
merged and sorted by (user, time, kind, channel name): a touch at a conversion's instant
comes first and belongs to it. A reversed running minimum gives every touch the next
conversion of its user (its journey's end); touches with none are trailing and end at the
user's last touch. Touches older than the lookback before their end are dropped (counted).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..._validators import format_duration
from ...errors import SchemaError
from ...schema import Column, Table, key_kind, validate
from .._journeys import JourneyArrays, JourneyQuery, check_time_zones

__all__ = ["journey_arrays"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_NS = 1_000_000_000


def journey_arrays(source: object, query: JourneyQuery) -> JourneyArrays:
    """The ``"pandas"`` backend's :class:`~linkstar_funnel.engines.JourneyArraysEngine`.

    Examples
    --------
    >>> import pandas as pd
    >>> from linkstar_funnel.engines._journeys import JourneyQuery
    >>> t = pd.DataFrame({"user_id": ["u1", "u1"], "channel": ["seo", "ads"],
    ...                   "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02"])})
    >>> c = pd.DataFrame({"user_id": ["u1"], "timestamp": pd.to_datetime(["2026-01-03"])})
    >>> q = JourneyQuery(c, "user_id", "timestamp", "channel", "user_id", "timestamp",
    ...                  None, pd.Timedelta("30D"))
    >>> out = journey_arrays(t, q)
    >>> out.channels, out.offsets.tolist(), out.touches.tolist(), out.ages.tolist()
    (('seo', 'ads'), [0, 2], [0, 1], [172800.0, 86400.0])
    """
    t, c = _validated(source, query)
    channels, touch_ch, rank = _channel_codes(t, query)
    t_user, c_user, n_unseen = _user_codes(t, c)
    t_time, c_time = t.times["time"].ns, c.times["time"].ns
    c_order = np.lexsort((c_time, c_user))  # conversion journeys 0..n_conv-1
    # Touches in merged (user, time, kind, channel name) order from here on.
    touch_id, journey, end_time = _journey_of_touch(
        t_user, t_time, rank[touch_ch], c_user[c_order], c_time[c_order]
    )
    t_user, t_time, touch_ch = t_user[touch_id], t_time[touch_id], touch_ch[touch_id]
    n_conv = len(c_order)
    n_lead = _trailing_journeys(journey, end_time, t_user, t_time, n_conv)
    age_ns = end_time - t_time
    # A touch never follows its journey's end, so a negative age is int64 wrapping round
    # (a span beyond 292 years): far outside any lookback.
    inside = (age_ns >= 0) & (age_ns <= query.lookback.value)
    kept = np.flatnonzero(inside)
    kept = kept[np.argsort(journey[kept], kind="stable")]  # merged order within a journey
    counts = np.bincount(journey[kept], minlength=n_conv + n_lead)
    # Null journeys emptied by the lookback go; converting ones stay (possibly empty).
    is_conv = np.arange(len(counts)) < n_conv
    n_null = int((counts[~is_conv] > 0).sum())
    values = c.numbers.get("value", np.zeros(c.n_rows))[c_order]
    touch_acc = t.accounting.with_dropped(
        f"touch older than the {format_duration(query.lookback)} lookback",
        len(inside) - len(kept),
        column=query.time,
    )
    return JourneyArrays(
        channels=tuple(channels),
        offsets=np.concatenate([[0], np.cumsum(counts[(counts > 0) | is_conv])]),
        touches=touch_ch[kept],
        ages=age_ns[kept].astype(np.float64) / _NS,
        conversions=np.r_[np.ones(n_conv), np.zeros(n_null)],
        value=np.r_[values, np.zeros(n_null)],
        nulls=np.r_[np.zeros(n_conv), np.ones(n_null)],
        touch_accounting=touch_acc,
        conversion_accounting=c.accounting,
        unseen_conversions=n_unseen,
    )


def _trailing_journeys(
    journey: IntArray, end_time: IntArray, t_user: IntArray, t_time: IntArray, n_conv: int
) -> int:
    """Give touches after their user's last conversion (``journey == -1``) one
    non-converting journey per user, ending at that user's last such touch (in place).
    Returns the number of such journeys."""
    trailing = journey < 0
    lead_users, null_id = np.unique(t_user[trailing], return_inverse=True)
    journey[trailing] = n_conv + null_id
    last_touch = np.full(len(lead_users), np.iinfo(np.int64).min)
    np.maximum.at(last_touch, null_id, t_time[trailing])
    end_time[trailing] = last_touch[null_id]
    return len(lead_users)


def _validated(source: object, query: JourneyQuery) -> tuple[Table, Table]:
    """Both frames validated (rows with a missing field dropped and counted)."""
    t = validate(
        source,
        [
            Column("user", query.user, "key"),
            Column("time", query.time, "time"),
            Column("channel", query.channel, "category"),
        ],
        frame_name="touchpoints",
    )
    c_cols = [
        Column("user", query.conversion_user, "key"),
        Column("time", query.conversion_time, "time"),
    ]
    if query.value is not None:
        c_cols.append(Column("value", query.value, "number"))
    c = validate(query.conversions, c_cols, frame_name="conversions")
    check_time_zones(t.times["time"].is_aware, c.times["time"].is_aware)
    _check_key_kinds(t, c)
    return t, c


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


def _channel_codes(t: Table, query: JourneyQuery) -> tuple[list[str], IntArray, IntArray]:
    """Channel names (first appearance), each touch's code, and each name's rank by name."""
    mapped = query.channel_names(t.labels["channel"])
    names_codes, names = pd.factorize(pd.Index(mapped, dtype=object))
    channels = [str(n) for n in names]
    touch_ch = np.asarray(names_codes, dtype=np.int64)[t.codes["channel"]]
    rank = np.empty(len(channels), dtype=np.int64)
    rank[np.argsort(np.array(channels, dtype=object), kind="stable")] = np.arange(len(channels))
    return channels, touch_ch, rank


def _user_codes(t: Table, c: Table) -> tuple[IntArray, IntArray, int]:
    """Users of both frames on one code space (conversions by users never touched get fresh
    codes), and how many conversions such users made."""
    t_users = t.labels["user"]
    conv_user = t_users.get_indexer(c.labels["user"])
    unseen = conv_user < 0
    n_unseen = int(unseen[c.codes["user"]].sum())
    conv_user[unseen] = len(t_users) + np.arange(int(unseen.sum()))
    return t.codes["user"], conv_user[c.codes["user"]], n_unseen


def _journey_of_touch(
    t_user: IntArray, t_time: IntArray, t_tie: IntArray, c_user: IntArray, c_time: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Touches and conversions (given sorted by user, time) merged in (user, time, kind,
    tie) order: the touches' indices in that order, and for each the index of the
    conversion ending its journey (-1: none) and that conversion's time."""
    n_t, n_conv = len(t_user), len(c_user)
    user_all = np.concatenate([t_user, c_user])
    time_all = np.concatenate([t_time, c_time])
    kind = np.concatenate([np.zeros(n_t, np.int64), np.ones(n_conv, np.int64)])
    tie = np.concatenate([t_tie, np.zeros(n_conv, np.int64)])
    ident = np.concatenate([np.arange(n_t), np.arange(n_conv)])
    order = np.lexsort((tie, kind, time_all, user_all))
    u_s, tm_s, k_s, id_s = user_all[order], time_all[order], kind[order], ident[order]
    n_all = len(order)
    conv_pos = np.where(k_s == 1, np.arange(n_all), n_all)
    next_conv = np.minimum.accumulate(conv_pos[::-1])[::-1]
    tpos = np.flatnonzero(k_s == 0)
    nxt = next_conv[tpos]
    nxt_c = np.minimum(nxt, n_all - 1)
    same_user = (nxt < n_all) & (u_s[nxt_c] == u_s[tpos])
    journey = np.where(same_user, id_s[nxt_c], -1)
    end_time = np.where(same_user, tm_s[nxt_c], 0)
    return id_s[tpos], journey, end_time
