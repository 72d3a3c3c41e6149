"""``lifecycle_cells`` in SQL: the distinct (user, period) pairs of activity with their
neighbours (``lag``/``lead`` per user), grouped by period, segment and status; a user with
no activity in the next period counts as dormant there. Columns, drops, the calendar in
``tz`` and the cut are read as for ``retention_cells``
(:func:`~linkstar_funnel.engines.sql._retention.prepare`). Only the counts come back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._retention import LifecycleCells, LifecycleQuery, period_numbers
from ._errors import execute
from ._retention import prepare, seg, segment_labels, tie_notes

__all__ = ["lifecycle_cells"]

_U, _P, _K = "__lf_u", "__lf_p", "__lf_k"


def lifecycle_cells(source: Any, query: LifecycleQuery) -> LifecycleCells:
    """Users per period, segment and lifecycle status in ``source`` (any input of the SQL
    engine): the distinct (user, period) pairs of activity, each with its neighbours
    (``lag``/``lead`` per user), grouped by period, segment and status; a user with no
    activity in the next period counts as dormant there."""
    import ibis

    prep = prepare(source, query, {"__lf_a": query.activity})
    rows, counts = prep.rows, prep.counts
    seg_names = [seg(i) for i in range(len(query.by))]
    if seg_names:
        found = execute(rows.select(*seg_names).distinct(), "segments")
        labels = list(dict.fromkeys(segment_labels(found, seg_names)))
    else:
        labels = [()]
    segments = pd.DataFrame(
        {b: np.array([lab[i] for lab in labels], dtype=object) for i, b in enumerate(query.by)},
        index=range(len(labels)),
    )
    g = len(labels)
    if not counts["__lf_a"]:
        empty = np.zeros((0, g, 4), dtype=np.int64)
        return LifecycleCells(empty, 0, segments, prep.end, 0, prep.zone, prep.accounting)
    p0 = counts["__lf_a:min"]
    last = int(period_numbers(np.array([prep.end - 1], dtype=np.int64), query.period)[0])
    p_last = max(last, counts["__lf_a:max"])
    a = rows.filter(~prep.late & rows["__lf_a"])
    pairs = a.select(_U, _P).distinct()
    w = ibis.window(group_by=pairs[_U], order_by=pairs[_P])
    pairs = pairs.mutate(__lf_prev=pairs[_P].lag().over(w), __lf_next=pairs[_P].lead().over(w))
    prev, nxt, p = pairs["__lf_prev"], pairs["__lf_next"], pairs[_P]
    pairs = pairs.mutate(
        __lf_status=ibis.ifelse(prev.isnull(), 0, ibis.ifelse(prev == p - 1, 1, 2)).cast("int64"),  # noqa: PD003 - Ibis expression
        __lf_gone=(nxt.isnull() | (nxt != p + 1)) & (p + 1 <= p_last),  # noqa: PD003 - Ibis expression
    )
    if seg_names:
        tie = [a["__lf_o"]] if prep.row_order else [a[c] for c in seg_names]
        ranked = a.mutate(
            __lf_rank=ibis.row_number().over(group_by=a[_U], order_by=[a["__lf_t"], *tie])
        )
        firsts = ranked.filter(ranked["__lf_rank"] == 0).select(_U, *seg_names)
        firsts = firsts.rename(__lf_fu=_U)
        pairs = pairs.join(firsts, pairs[_U] == firsts["__lf_fu"])
    active = pairs.select(
        _P, *seg_names, __lf_status=pairs["__lf_status"], **{_K: ibis.literal(1).cast("int64")}
    )
    gone = pairs.filter(pairs["__lf_gone"])
    dormant = gone.select(
        *seg_names,
        **{
            _P: gone[_P] + 1,
            "__lf_status": ibis.literal(3).cast("int64"),
            _K: ibis.literal(-1).cast("int64"),
        },
    ).select(_P, *seg_names, "__lf_status", _K)
    both = active.union(dormant)
    got = execute(
        both.group_by([_P, *seg_names, "__lf_status"]).aggregate(__lf_sum=both[_K].sum()),
        "lifecycle statuses",
    )
    out: Any = np.zeros((p_last - p0 + 1, g, 4), dtype=np.int64)
    code = {lab: i for i, lab in enumerate(labels)}
    seg_code = np.array([code[lab] for lab in segment_labels(got, seg_names)], dtype=np.int64)
    np.add.at(
        out,
        (got[_P].to_numpy(np.int64) - p0, seg_code, got["__lf_status"].to_numpy(np.int64)),
        got["__lf_sum"].to_numpy(np.int64),
    )
    return LifecycleCells(
        counts=out,
        first_period=p0,
        segments=segments,
        end_wall=prep.end,
        active_rows=counts["__lf_a"],
        tz=prep.zone,
        accounting=prep.accounting,
        notes=tie_notes(query, prep.row_order),
    )
