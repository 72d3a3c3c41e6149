"""Plain per-order loops: what a timeline's lead times, rates and repurchases must equal."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _t(value: Any) -> pd.Timestamp | None:
    return None if pd.isna(value) else pd.Timestamp(value)


def km_quantile(rows: list[tuple[pd.Timedelta, bool]], p: float) -> pd.Timedelta | None:
    """First event time at which the survival product falls to 1 - p (or None)."""
    s = 1.0
    for t in sorted({d for d, done in rows if done}):
        at_risk = sum(1 for d, _ in rows if d >= t)
        ended = sum(1 for d, done in rows if done and d == t)
        s *= 1 - ended / at_risk
        if s <= 1 - p + 1e-9:
            return t
    return None


def lead_times(
    orders: pd.DataFrame,
    steps: dict[str, str],
    outcomes: dict[str, str],
    pair: tuple[str, str],
    end: pd.Timestamp,
    sla: pd.Timedelta | None = None,
) -> dict[str, Any]:
    """One pair over all orders (one row per order), by a loop."""
    names = list(steps)
    a, b = pair
    later = names[names.index(b) + 1 :]
    rows: list[tuple[pd.Timedelta, bool]] = []
    out = {"orders": 0, "completed": 0, "open": 0, "stopped": 0, "left_out": 0}
    for _, r in orders.iterrows():
        t0 = _t(r[steps[a]])
        if t0 is None or t0 > end:
            continue
        t1 = _t(r[steps[b]])
        if t1 is not None and t1 <= end:
            if t1 < t0:
                out["left_out"] += 1
            else:
                rows.append((t1 - t0, True))
                out["completed"] += 1
            continue
        if any((t := _t(r[steps[s]])) is not None and t <= end for s in later):
            out["left_out"] += 1
            continue
        stops = [t for c in outcomes.values() if (t := _t(r[c])) is not None and t0 <= t <= end]
        rows.append(((min(stops) if stops else end) - t0, False))
        out["stopped" if stops else "open"] += 1
    out["orders"] = len(rows)
    for name, p in (("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
        out[name] = km_quantile(rows, p)
    if sla is not None:
        over = [d > sla for d, _ in rows]
        decided = [done or d > sla for d, done in rows]
        out["over_sla"] = sum(o and k for o, k in zip(over, decided, strict=True))
        out["decided"] = sum(decided)
    return out


def rate(
    orders: pd.DataFrame, base_col: str, outcome_col: str, end: pd.Timestamp
) -> tuple[int, int, int]:
    """(successes, trials, left out) of one outcome over the orders at its base step."""
    x = n = left = 0
    for _, r in orders.iterrows():
        t0 = _t(r[base_col])
        if t0 is None or t0 > end:
            continue
        t1 = _t(r[outcome_col])
        if t1 is not None and t1 <= end and t1 < t0:
            left += 1
            continue
        n += 1
        x += int(t1 is not None and t1 <= end)
    return x, n, left


def repurchases(orders: pd.DataFrame, paid: str, delivered: str, end: pd.Timestamp) -> set[Any]:
    """Order ids that are a customer's first paid order after one of their deliveries."""
    found = set()
    for _, r in orders.iterrows():
        d = _t(r[delivered])
        if d is None or d > end:
            continue
        mine = orders.loc[orders["customer_id"] == r["customer_id"]]
        after = [
            (_t(o[paid]), o["order_id"])
            for _, o in mine.iterrows()
            if _t(o[paid]) is not None and d < _t(o[paid]) <= end  # type: ignore[operator]
        ]
        if after:
            found.add(min(after)[1])
    return found


def history_faults(history: pd.DataFrame, steps: list[str]) -> tuple[int, int]:
    """(repeated status rows, step rows going backwards) of a status history, by a loop."""
    repeated = backwards = 0
    for _, rows in history.groupby("order_id"):
        seen: set[str] = set()
        for status in rows["status"]:
            repeated += status in seen
            seen.add(status)
        rank = {s: i for i, s in enumerate(steps)}
        step_rows = rows.loc[rows["status"].isin(steps)]
        ordered = sorted(zip(step_rows["changed_at"], step_rows["status"].map(rank), strict=True))
        highest = -1
        for _, r in ordered:
            backwards += r < highest
            highest = max(highest, r)
    return repeated, backwards
