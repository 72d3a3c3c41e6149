"""A slow, obviously-correct reference for funnel semantics: one plain-Python loop per user.

Chains are enumerated exhaustively (depth-first), straight from the definitions in
``linkstar_funnel.funnel._spec``; ClickHouse's default-mode algorithm is transcribed
separately in :func:`clickhouse_level`. Only for small logs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from linkstar_funnel.funnel import Funnel


@dataclass(frozen=True)
class Ev:
    row: int
    t: int
    stages: frozenset[int]
    excl: frozenset[int] = field(default_factory=frozenset)


@dataclass
class Outcome:
    level: int  # -1: dropped by an exclusion
    reach: list[
        int | None
    ]  # R_k: time first reaching step k (ordered); stage event time (unordered)
    start: list[int | None]
    rows: list[int | None]  # row serving each step at its reach time (first in frame order)
    completed: int | None = None  # time the last step was reached (None: not completed)


def _ordered(
    evs: list[Ev], spec: Funnel, scope: list[int], k_n: int
) -> tuple[list[Any], list[Any]]:
    w = spec.window.value
    gaps = [None if g is None else g.value for g in (spec.step_windows or [None] * (k_n - 1))]
    strict_inc = spec.ties == "strict_increase"
    reach: list[Any] = [None] * k_n
    start: list[Any] = [None] * k_n
    firsts = [e.t for e in evs if 0 in e.stages]
    if not firsts:
        return reach, start
    first_t = min(firsts)

    def dfs(chain: list[Ev]) -> None:
        k = len(chain)
        t_k, s = chain[-1].t, chain[0].t
        if reach[k - 1] is None or t_k < reach[k - 1] or (t_k == reach[k - 1] and s > start[k - 1]):
            reach[k - 1], start[k - 1] = t_k, s
        if k == k_n:
            return
        prev = chain[-1]
        for e in evs:
            if k not in e.stages or e.t < prev.t or (strict_inc and e.t == prev.t):
                continue
            if spec.distinct_events and any(c.row == e.row for c in chain):
                continue
            if e.t - s > w or (gaps[k - 1] is not None and e.t - prev.t > gaps[k - 1]):
                continue
            if spec.order == "strict" and any(prev.t < x < e.t for x in scope):
                continue
            dfs([*chain, e])

    for e in evs:
        if 0 in e.stages and (spec.entry == "any" or e.t == first_t):
            dfs([e])
    return reach, start


def _unordered(
    evs: list[Ev], spec: Funnel, k_n: int
) -> tuple[list[Any], list[Any], int, int | None]:
    """Returns stage event times at first completion, starts, the level and the time the
    level was reached (the latest event of the first window holding stages 1..level)."""
    w = spec.window.value
    reach: list[Any] = [None] * k_n
    start: list[Any] = [None] * k_n
    f = min((e for e in evs if 0 in e.stages), key=lambda e: (e.t, e.row), default=None)
    level = 0
    done: int | None = None
    for k in range(1, k_n + 1):
        best: tuple[int, int] | None = None  # (completion time, -start)
        pools = [[e for e in evs if s in e.stages] for s in range(k)]
        if spec.entry == "first":
            pools[0] = [f] if f is not None else []
        for combo in itertools.product(*pools):
            if spec.distinct_events and len({e.row for e in combo}) < k:
                continue
            ts = [e.t for e in combo]
            if max(ts) - min(ts) > w:
                continue
            key = (max(ts), -min(ts))
            if best is None or key < best:
                best = key
        if best is None:
            break
        level = k
        done = best[0]
        reach[k - 1] = max(e.t for e in pools[k - 1] if e.t <= done)
        start[k - 1] = -best[1]
    return reach, start, level, done


def _attempt(evs: list[Ev], all_evs: list[Ev], spec: Funnel) -> Outcome:
    k_n = len(spec.stages)
    if spec.order == "unordered":
        reach, start, level, done = _unordered(evs, spec, k_n)
    else:
        scope_src = all_evs if spec.strict_scope == "all" else [e for e in all_evs if e.stages]
        scope = sorted({e.t for e in scope_src})
        reach, start = _ordered(evs, spec, scope, k_n)
        level = sum(r is not None for r in reach)
        done = reach[k_n - 1]
    rows: list[int | None] = []
    for s in range(k_n):
        cands = [e.row for e in evs if s in e.stages and e.t == reach[s]]
        rows.append(min(cands) if reach[s] is not None and cands else None)
    completed = done if level == k_n else None  # also when an exclusion drops the attempt
    for x, ex in enumerate(spec.exclusions):
        i, j = (spec.step_number(b) - 1 for b in ex.between)
        if level > j and any(x in e.excl and reach[i] < e.t < reach[j] for e in evs):
            level = -1
            break
    return Outcome(level, reach, start, rows, completed)


def reference_outcomes(
    events: pd.DataFrame,
    spec: Funnel,
    *,
    user: str = "user_id",
    time: str = "timestamp",
    event: str = "event",
    session: str | None = None,
) -> dict[Any, list[Outcome]]:
    """Per entity (user, or (user, session)): its attempt outcomes."""
    masks = [np.asarray(s.mask(events, event=event)) for s in spec.stages]
    xmasks = [np.asarray(x.stage.mask(events, event=event)) for x in spec.exclusions]
    ns = pd.DatetimeIndex(events[time]).as_unit("ns").asi8
    by_entity: dict[Any, list[Ev]] = {}
    for r in range(len(events)):
        key = (
            events[user].iloc[r]
            if session is None
            else (events[user].iloc[r], events[session].iloc[r])
        )
        ev = Ev(
            r,
            int(ns[r]),
            frozenset(s for s, m in enumerate(masks) if m[r]),
            frozenset(x for x, m in enumerate(xmasks) if m[r]),
        )
        by_entity.setdefault(key, []).append(ev)
    out: dict[Any, list[Outcome]] = {}
    for key, evs in by_entity.items():
        if not any(e.stages for e in evs):
            continue
        attempts: list[Outcome] = []
        floor = None
        while True:
            part = [e for e in evs if floor is None or e.t > floor]
            res = _attempt(part, part, spec)
            if res.level == 0 and attempts:
                break
            attempts.append(res)
            # An attempt dropped by an exclusion still ended at its conversion: re-enter.
            if spec.counting != "totals" or res.completed is None:
                break
            floor = res.completed
        out[key] = attempts
    return out


def reference_counts(outcomes: dict[Any, list[Outcome]], k_n: int) -> list[int]:
    """Entities (attempts) reaching each step."""
    levels = [a.level for v in outcomes.values() for a in v]
    return [sum(lv >= k for lv in levels) for k in range(1, k_n + 1)]


def clickhouse_level(evs: list[tuple[int, frozenset[int]]], k_n: int, window: int) -> int:
    """ClickHouse windowFunnel default mode, transcribed (events: (time, stages))."""
    data = sorted(((t, s + 1) for t, stages in evs for s in stages), key=lambda p: (p[0], p[1]))
    ts: list[Any] = [None] * k_n
    for t, idx in data:
        i = idx - 1
        if i == 0:
            ts[0] = (t, t)
        elif ts[i - 1] is not None and t <= ts[i - 1][0] + window:
            ts[i] = (ts[i - 1][0], t)
            if i + 1 == k_n:
                return k_n
    return max((i + 1 for i in range(k_n) if ts[i] is not None), default=0)
