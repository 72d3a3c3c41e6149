"""A timeline as an event log: one event per status reached, and repurchases."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._times import NAT
from ._observe import label_ranks, to_times
from ._read import OrderTimes

__all__ = ["REPURCHASE", "timeline_events"]

IntArray = npt.NDArray[np.int64]
#: The event a customer's next paid order after a delivered one adds to the event log.
REPURCHASE = "repurchase"


def timeline_events(
    data: OrderTimes, customer: str, order_col: str, by: Sequence[str], time: str, event: str
) -> pd.DataFrame:
    """The event log of :meth:`Timeline.events` (sorted by time, customer, order)."""
    names = data.names
    ok = (data.times != NAT) & (data.times <= data.end_ns)
    row, col = np.nonzero(ok)
    code = col.astype(np.int64)
    ns = data.times[row, col]
    rep = _repurchases(data)
    if len(rep):
        row = np.concatenate([row, rep])
        ns = np.concatenate([ns, data.times[rep, 0]])
        code = np.concatenate([code, np.full(len(rep), len(names), dtype=np.int64)])
    cust, label = _text_ranks(data)
    order = np.lexsort((code, label[row], cust[row], ns))
    row, ns, code = row[order], ns[order], code[order]
    dtype = pd.CategoricalDtype([*names, REPURCHASE])
    out = pd.DataFrame(
        {
            customer: data.customer.iloc[row].reset_index(drop=True),
            time: to_times(ns, data.tz),
            event: pd.Categorical.from_codes(code, dtype=dtype),
            order_col: data.order.iloc[row].reset_index(drop=True),
        }
    )
    for k in by:
        out[k] = data.segments[k].iloc[row].reset_index(drop=True)
    return out


def _text_ranks(data: OrderTimes) -> tuple[IntArray, IntArray]:
    """Customer and order labels as ranks: an order independent of the rows'."""
    return label_ranks(data.customer), label_ranks(data.order)


def _repurchases(data: OrderTimes) -> npt.NDArray[np.intp]:
    """Orders that are a customer's first paid order after one of their delivered orders.

    Paid orders and deliveries are sorted together by customer and time (a delivery after
    the orders paid at the same instant); each delivery's next paid order of the same
    customer is a repurchase. Ties in payment time go to the smaller order label.
    """
    paid = data.times[:, 0]
    step = "delivered" if "delivered" in data.steps else data.steps[-1]
    delivered = data.time_of(step)
    end = data.end_ns
    rows = np.flatnonzero((paid != NAT) & (paid <= end))
    done = np.flatnonzero((delivered != NAT) & (delivered <= end))
    if not len(rows) or not len(done):
        return np.empty(0, dtype=np.intp)
    cust, label = _text_ranks(data)
    c = np.concatenate([cust[rows], cust[done]])
    t = np.concatenate([paid[rows], delivered[done]])
    kind = np.repeat(np.array([0, 1], dtype=np.int64), [len(rows), len(done)])
    lab = np.concatenate([label[rows], np.zeros(len(done), dtype=np.int64)])
    who = np.concatenate([rows, done])
    order = np.lexsort((lab, kind, t, c))
    c, kind, who = c[order], kind[order], who[order]
    paid_pos = np.flatnonzero(kind == 0)
    query_pos = np.flatnonzero(kind == 1)
    nxt = np.searchsorted(paid_pos, query_pos)
    inside = nxt < len(paid_pos)
    target = paid_pos[nxt[inside]]
    same = c[target] == c[query_pos[inside]]
    return np.unique(who[target[same]]).astype(np.intp)
