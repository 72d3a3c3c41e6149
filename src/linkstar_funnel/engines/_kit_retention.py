"""Conformance cases of ``retention_cells``: a backend must give the in-memory cells.

Each case gives the backend under test and the in-memory reference the same pandas frame
and query, and compares every cell by (cohort period, segment labels): users, retained
users and revenue per period since the cohort; and the end of the data, the rows matching
each stage, the zone and the row accounting; for bad input, the error type. Cases cover
both cohort modes and both return modes, days, ISO weeks across a year boundary and
months, naive and zone-aware times read in other zones, segments with missing values,
revenue with missing values, ``where`` filters, ``observation_end`` and missing values in
every column. Times are distinct within a user, so no tie needs a row order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._conformance import ConformanceKit
from ..errors import LinkstarError
from ..stages import Stage
from ._kit import CASES, Runner, same_record
from ._retention import RetentionCells, RetentionQuery

__all__ = ["events", "retention_cases"]


def events(seed: int, n: int, *, aware: bool = False, missing: float = 0.0) -> pd.DataFrame:
    """~n events of 30 users over 14 weeks from mid-December (ISO week 1 of 2026 inside),
    whole-second times distinct per user, a channel and revenue."""
    rng = np.random.default_rng(seed)
    seconds = rng.choice(98 * 86_400, n, replace=False)
    time = pd.Timestamp("2025-12-15") + pd.to_timedelta(np.sort(seconds), unit="s")
    frame = pd.DataFrame(
        {
            "user_id": rng.choice([f"u{i}" for i in range(30)], n).astype(object),
            "timestamp": time.tz_localize("UTC") if aware else time,
            "event": rng.choice(["signup", "order", "visit"], n, p=[0.2, 0.4, 0.4]).astype(object),
            "channel": rng.choice(["ads", "seo", "email"], n).astype(object),
            "revenue": rng.choice([0.0, 5.0, 12.5, 40.0], n),
        }
    )
    if missing:
        for col in ("user_id", "event", "channel", "revenue"):
            holes = rng.random(n) < missing
            frame[col] = frame[col].astype(object).where(~holes, None)
        frame["revenue"] = frame["revenue"].astype(np.float64)
        frame.loc[rng.random(n) < missing, "timestamp"] = pd.NaT
    return frame


def _query(**kw: Any) -> RetentionQuery:
    base: dict[str, Any] = {
        "user": "user_id",
        "time": "timestamp",
        "event": "event",
        "start": Stage("order"),
        "returning": Stage("order"),
        "periods": 4,
    }
    return RetentionQuery(**(base | kw))


_SIGNUP = Stage("signup")
_PAID = Stage("paid", event="order", where={"channel": ["ads", "email"]})

#: (name, frame builder, query) of the cases whose outputs must match field by field.
_CASES: tuple[tuple[str, Callable[[], pd.DataFrame], RetentionQuery], ...] = (
    ("first cohort, classic returns, ISO weeks", lambda: events(1, 400), _query()),
    (
        "recurring cohorts, unbounded returns, days",
        lambda: events(2, 300),
        _query(period="D", periods=6, cohort="recurring", returns="unbounded"),
    ),
    (
        "months in a zone, segments and revenue",
        lambda: events(3, 400, aware=True),
        _query(
            start=_SIGNUP,
            period="M",
            periods=2,
            tz="America/New_York",
            by=("channel",),
            value="revenue",
        ),
    ),
    (
        "the data's own zone, a where filter, observation_end",
        lambda: events(5, 400, aware=True),
        _query(
            start=_PAID,
            tz=None,
            returns="unbounded",
            by=("channel",),
            observation_end=pd.Timestamp("2026-02-20 13:00"),
        ),
    ),
    (
        "missing values everywhere, recurring, weeks in a half-hour zone",
        lambda: events(6, 500, missing=0.05),
        _query(
            start=_SIGNUP,
            cohort="recurring",
            by=("channel",),
            value="revenue",
            tz="Asia/Kolkata",
        ),
    ),
)


def _cells(out: RetentionCells) -> dict[tuple[int, tuple[str, ...]], tuple[Any, ...]]:
    """Cells keyed by (cohort, segment labels as text)."""
    labels = [
        tuple("<missing>" if pd.isna(v) else str(v) for v in row)
        for row in out.segments.itertuples(index=False)
    ] or [()]
    out_cells = {}
    for i, (c, s) in enumerate(zip(out.cohort.tolist(), out.segment.tolist(), strict=True)):
        revenue = None if out.revenue is None else np.round(out.revenue[i], 6).tolist()
        out_cells[(int(c), labels[s])] = (
            int(out.users[i]),
            out.retained[i].tolist(),
            revenue,
        )
    return out_cells


def _compare(kit: ConformanceKit, case: str, got: Any, want: RetentionCells) -> None:
    """Every field of ``got`` against the reference ``want``; each difference recorded."""
    if not same_record(kit, case, got, want, ("end_wall", "start_rows", "returning_rows", "tz")):
        return
    g, w = _cells(got), _cells(want)
    kit.require(sorted(g) == sorted(w), f"{case}: cells {sorted(g)[:4]} != {sorted(w)[:4]}")
    diff = [key for key in w if key in g and g[key] != w[key]]
    kit.require(
        not diff,
        f"{case}: cell {diff[:1]} {[g.get(k) for k in diff[:1]]} != {[w[k] for k in diff[:1]]}",
    )


def retention_cases(kit: ConformanceKit, run: Runner, reference: Runner) -> None:
    """Every ``retention_cells`` case; see the module docstring."""
    for name, build, query in _CASES:
        frame = build()
        with kit.check(name):
            want = reference(frame, query)
            got = run(frame.copy(), query)
            _compare(kit, name, got, want)
    frame = events(7, 60)
    refusals = (
        ("no usable row", frame.assign(user_id=None), _query()),
        ("a missing column", frame, _query(by=("campaign",))),
        (
            "every event after observation_end",
            frame,
            _query(observation_end=pd.Timestamp("2025-01-01")),
        ),
    )
    for name, bad, query in refusals:
        with kit.check(name):
            try:
                reference(bad, query)
            except LinkstarError as exc:
                kit.raises(name, type(exc), run, bad, query)
            else:
                kit.fail(f"{name}: the in-memory engine did not refuse it")


CASES.register("retention_cells", retention_cases)
