"""Tie clicks and orders to the search that led to them.

An event (a click, an order) belongs to the latest search of the same user at or before
it, when no more than ``window`` separates them. Events and searches are ordered by (user,
time), a search before an event at the same instant; of several searches of one user at
the same instant, the one on the later row of the searches frame is the latest. An event
with no such search belongs to none. One linear pass over the sorted rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["tie_to_searches"]

IntArray = npt.NDArray[np.int64]


def tie_to_searches(
    search_user: IntArray,
    search_ns: IntArray,
    event_user: IntArray,
    event_ns: IntArray,
    window_ns: int,
) -> IntArray:
    """Per event, the row of the search it belongs to, or -1.

    Users are codes shared by both inputs (an event user that never searched: any code
    no search has, e.g. -1).

    Examples
    --------
    >>> s_user, s_ns = np.array([0, 0, 1]), np.array([10, 20, 10])
    >>> tie_to_searches(s_user, s_ns, np.array([0, 0, 1, 1, -1]),
    ...                 np.array([20, 35, 5, 25, 30]), window_ns=15).tolist()
    [1, 1, -1, 2, -1]
    """
    n_s, n_e = len(search_user), len(event_user)
    user = np.concatenate([search_user, event_user]).astype(np.int64)
    ns = np.concatenate([search_ns, event_ns]).astype(np.int64)
    kind = np.r_[np.zeros(n_s, dtype=np.int8), np.ones(n_e, dtype=np.int8)]
    row = np.r_[np.arange(n_s), np.arange(n_e)]
    order = np.lexsort((row, kind, ns, user))
    is_search = kind[order] == 0
    last = np.maximum.accumulate(np.where(is_search, np.arange(len(order)), -1))
    events = ~is_search
    found = last[events]
    tied = found >= 0
    search_row = np.where(tied, order[np.maximum(found, 0)], 0)  # rows < n_s: searches
    event_row = order[events] - n_s
    tied &= search_user[search_row] == event_user[event_row]
    tied &= event_ns[event_row] - search_ns[search_row] <= window_ns
    out = np.full(n_e, -1, dtype=np.int64)
    out[event_row] = np.where(tied, search_row, -1)
    return out
