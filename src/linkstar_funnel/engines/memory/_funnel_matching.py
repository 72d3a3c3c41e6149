"""Bipartite matching of stages to distinct events (``distinct_events=True`` at equal times)."""

from __future__ import annotations

from typing import Any

from numba import njit


@njit(cache=True)
def _try_assign(
    s: int,
    gm: Any,
    m: int,
    row_match: Any,
    stage_match: Any,
    seen: Any,
    parent: Any,
    queue: Any,
    blocked: int = -1,
) -> bool:  # pragma: no cover
    """Augmenting-path step of bipartite matching: give stage ``s`` a distinct row
    (row ``blocked`` is reserved and never used)."""
    for r in range(m):
        seen[r] = r == blocked
    qh = 0
    qt = 1
    queue[0] = s
    while qh < qt:
        u = queue[qh]
        qh += 1
        for r in range(m):
            if seen[r] or ((gm[r] >> u) & 1) == 0:
                continue
            seen[r] = True
            parent[r] = u
            if row_match[r] == -1:
                rr = r
                while True:
                    uu = parent[rr]
                    prev = stage_match[uu]
                    stage_match[uu] = rr
                    row_match[rr] = uu
                    if uu == s:
                        return True
                    rr = prev
            else:
                queue[qt] = row_match[r]
                qt += 1
    return False


@njit(cache=True)
def _match_prefix(
    lo: int, hi: int, ms: Any, k_n: int, fixed: int, sc: Any
) -> int:  # pragma: no cover
    """Longest prefix of stages matched to distinct rows in [lo, hi); ``fixed`` serves stage 0."""
    row_match, stage_match, seen, parent, queue = sc[0], sc[1], sc[2], sc[3], sc[4]
    m = hi - lo
    for r in range(m):
        row_match[r] = -1
    for s in range(k_n):
        stage_match[s] = -1
    first = 0
    if fixed >= 0:
        if fixed < lo or fixed >= hi:
            return 0
        stage_match[0] = fixed - lo
        first = 1
    blocked = fixed - lo if fixed >= 0 else -1
    for s in range(first, k_n):
        if not _try_assign(s, ms[lo:hi], m, row_match, stage_match, seen, parent, queue, blocked):
            return s
    return k_n
