"""Plain per-user reference implementations of retention and lifecycle (slow, obvious).

Calendar periods come from Python's ``datetime`` alone: the wall clock in the zone, then
the day's ordinal, the ordinal of its ISO week's Monday divided by 7, or year * 12 + month.
Naive times are read as UTC when a zone is asked for (the library's convention).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd


def wall(ts: pd.Timestamp, tz: str | None) -> dt.datetime:
    """Wall clock of ``ts`` in ``tz`` (None: its own zone or the naive clock)."""
    py = ts.to_pydatetime()
    if tz is None:
        return py.replace(tzinfo=None)
    if py.tzinfo is None:
        py = py.replace(tzinfo=dt.UTC)
    return py.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def period_of(w: dt.datetime, period: str) -> int:
    d = w.date()
    if period == "D":
        return d.toordinal()
    if period == "W":
        return ((d - dt.timedelta(days=d.weekday())).toordinal() - 1) // 7  # ordinal 1: a Monday
    return d.year * 12 + d.month - 1


def period_start(p: int, period: str) -> dt.datetime:
    if period == "D":
        return dt.datetime.combine(dt.date.fromordinal(p), dt.time())
    if period == "W":
        return dt.datetime.combine(dt.date.fromordinal(p * 7 + 1), dt.time())
    return dt.datetime(p // 12, p % 12 + 1, 1)


def _rows(events: pd.DataFrame, tz: str | None, period: str) -> list[dict[str, object]]:
    out = []
    for i, row in enumerate(events.itertuples(index=False)):
        r = row._asdict()
        if pd.isna(r["user_id"]) or pd.isna(r["timestamp"]) or pd.isna(r["event"]):
            continue
        w = wall(pd.Timestamp(r["timestamp"]), tz)
        r.update(row=i, wall=w, p=period_of(w, period))
        out.append(r)
    return out


def reference_retention(
    events: pd.DataFrame,
    *,
    start: set[str],
    returning: set[str],
    period: str,
    periods: int,
    cohort: str,
    returns: str,
    tz: str | None,
    by: str | None = None,
    value: str | None = None,
    observation_end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """One row per (cohort, segment, n): users, retained, complete (and revenue).

    ``observation_end`` (naive: a wall-clock time in ``tz``) drops the events at or after it
    and ends the data there.
    """
    rows = _rows(events, tz, period)
    if observation_end is None:
        end_ns = pd.Timestamp(max(r["wall"] for r in rows)).value + 1  # type: ignore[type-var]
    else:
        end_ns = observation_end.value
        rows = [r for r in rows if pd.Timestamp(r["wall"]).value < end_ns]
    per_user: dict[object, list[dict[str, object]]] = {}
    for r in rows:
        per_user.setdefault(r["user_id"], []).append(r)
    cells: dict[tuple[object, ...], dict[str, object]] = {}
    for evs in per_user.values():
        starts = [r for r in evs if r["event"] in start]
        rets = [r for r in evs if r["event"] in returning]
        back = {r["p"] for r in rets}
        if not starts:
            continue
        cohort_periods = sorted({r["p"] for r in starts})  # type: ignore[type-var]
        if cohort == "first":
            cohort_periods = cohort_periods[:1]
        for c in cohort_periods:
            in_c = [r for r in starts if r["p"] == c]
            first = min(in_c, key=lambda r: (r["timestamp"], r["row"]))
            seg = first[by] if by else None
            if by and pd.isna(seg):
                seg = None
            for n in range(periods + 1):
                key = (c, seg, n)
                cell = cells.setdefault(key, {"users": 0, "retained": 0, "revenue": 0.0})
                cell["users"] += 1  # type: ignore[operator]
                if n == 0:
                    hit = True
                elif returns == "classic":
                    hit = c + n in back  # type: ignore[operator]
                else:
                    hit = any(b >= c + n for b in back)  # type: ignore[operator]
                cell["retained"] += int(hit)  # type: ignore[operator]
                if value:
                    cell["revenue"] += sum(  # type: ignore[operator]
                        0.0 if pd.isna(r[value]) else float(r[value])  # type: ignore[arg-type]
                        for r in rets
                        if r["p"] == c + n  # type: ignore[operator]
                    )
    out = []
    for (c, seg, n), cell in sorted(
        cells.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), kv[0][2])
    ):
        nxt = period_start(c + n + 1, period)  # type: ignore[operator]
        rec = {
            "cohort": pd.Timestamp(period_start(c, period)),  # type: ignore[arg-type]
            "period": n,
            "users": cell["users"],
            "retained": cell["retained"],
            "complete": pd.Timestamp(nxt).value <= end_ns,
        }
        if by:
            rec[by] = seg
        if value:
            rec["revenue"] = cell["revenue"]
        out.append(rec)
    return pd.DataFrame(out)


def reference_lifecycle(
    events: pd.DataFrame, *, names: set[str], period: str, tz: str | None
) -> dict[tuple[pd.Timestamp, str], int]:
    """Per (period start, status): users (dormant negative), zeros left out."""
    rows = [r for r in _rows(events, tz, period) if r["event"] in names]
    last = max(r["p"] for r in _rows(events, tz, period))  # type: ignore[type-var]
    active: dict[object, set[int]] = {}
    for r in rows:
        active.setdefault(r["user_id"], set()).add(r["p"])  # type: ignore[arg-type]
    out: dict[tuple[pd.Timestamp, str], int] = {}

    def add(p: int, status: str, k: int) -> None:
        key = (pd.Timestamp(period_start(p, period)), status)
        out[key] = out.get(key, 0) + k

    for ps in active.values():
        first = min(ps)
        for p in ps:
            if p == first:
                add(p, "new", 1)
            elif p - 1 in ps:
                add(p, "returning", 1)
            else:
                add(p, "resurrecting", 1)
            if p + 1 not in ps and p + 1 <= last:  # type: ignore[operator]
                add(p + 1, "dormant", -1)
    return {k: v for k, v in out.items() if v}
