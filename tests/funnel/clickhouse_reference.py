"""Slow reference: ClickHouse ``windowFunnel(window, modes...)`` as plain Python.

A line-by-line port of ``getEventLevel`` / ``getEventLevelNonStrictOnce`` of ClickHouse's
``src/AggregateFunctions/AggregateFunctionWindowFunnel.cpp`` (2026 master, the code of
ClickHouse 26.9 that chdb 4.4.0 embeds): every row becomes one ``(time, step)`` entry per
step it matches (and a ``(time, 0)`` entry when it matches none, under strict_order), the
entries are sorted, then one greedy loop keeps, per level, the (first, last) times of the
chain holding it. It agrees with chdb on every case of ``clickhouse_cases`` (except
``strict_once``, not ported) and on random logs (``test_clickhouse_modes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: ClickHouse adds the window to the first time in UInt64 (it wraps past 2**64).
_U64 = (1 << 64) - 1


def window_funnel(
    events: Iterable[tuple[int, Sequence[bool]]], window: int, n: int, modes: Iterable[str] = ()
) -> int:
    """The level (0..n) of one group: ``events`` are ``(time, [matches step k])`` in any
    order, ``modes`` ClickHouse mode names (validated by the caller)."""
    m = set(modes)
    dedup = "strict_deduplication" in m
    strict_order = "strict_order" in m
    increase = "strict_increase" in m
    reentry = "allow_reentry" in m

    # add(): one entry per matched condition; under strict_order a row matching nothing
    # adds event 0. The list is sorted by (timestamp, event).
    entries = []
    for t, conds in events:
        matched = [i for i in range(1, n + 1) if conds[i - 1]]
        entries += [(t, i) for i in matched]
        if strict_order and not matched:
            entries.append((t, 0))
    if not entries:
        return 0
    if not strict_order and n == 1:
        return 1
    entries.sort()

    chains: list[tuple[int, int] | None] = [None] * n  # level k+1: (first_ts, last_ts)

    def max_level() -> int:
        return max((k + 1 for k in range(n) if chains[k] is not None), default=0)

    first_event = False
    for t, ev in entries:
        idx = ev - 1
        if strict_order and idx == -1:  # a row matching no step
            if first_event:
                break
            continue
        if idx == 0:
            chains[0] = (t, t)
            first_event = True
        elif dedup and chains[idx] is not None:
            return max_level()
        elif strict_order and first_event and chains[idx - 1] is None:
            if reentry:
                continue
            return next(k for k in range(n) if chains[k] is None)
        elif chains[idx - 1] is not None:
            first_ts, last_ts = chains[idx - 1]  # type: ignore[misc]
            ok = t <= (first_ts + window) & _U64
            if increase:
                ok = ok and last_ts < t
            if ok:
                chains[idx] = (first_ts, t)
                if idx + 1 == n:
                    return n
    return max_level()
