"""Conformance cases of ``lifecycle_cells``: a backend must give the in-memory counts.

Each case gives the backend under test and the in-memory reference the same pandas frame
and query, and compares users per (period, segment labels, status), the first period, the
end of the data, the active rows, the zone and the row accounting; for bad input, the error
type. Cases cover days, ISO weeks across a year boundary and months, naive and zone-aware
times read in other zones, segments with missing values, ``where`` filters,
``observation_end`` and missing values in every column (the frames of the
``retention_cells`` cases).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from .._conformance import ConformanceKit
from ..errors import LinkstarError
from ..stages import Stage
from ._kit import CASES, Runner, same_record
from ._kit_retention import events
from ._retention import STATUSES, LifecycleCells, LifecycleQuery

__all__ = ["lifecycle_cases"]


def _query(**kw: Any) -> LifecycleQuery:
    base: dict[str, Any] = {
        "user": "user_id",
        "time": "timestamp",
        "event": "event",
        "activity": Stage("order"),
    }
    return LifecycleQuery(**(base | kw))


#: (name, frame builder, query) of the cases whose outputs must match field by field.
_CASES: tuple[tuple[str, Callable[[], pd.DataFrame], LifecycleQuery], ...] = (
    ("ISO weeks across the year boundary", lambda: events(11, 400), _query()),
    (
        "days in a half-hour zone, segments",
        lambda: events(12, 300, aware=True),
        _query(period="D", tz="Asia/Kolkata", by=("channel",)),
    ),
    (
        "months in the data's zone, a where filter, observation_end, missing values",
        lambda: events(13, 500, aware=True, missing=0.05),
        _query(
            activity=Stage("paid", event="order", where={"channel": ["ads", "email"]}),
            period="M",
            tz=None,
            by=("channel",),
            observation_end=pd.Timestamp("2026-02-20 13:00"),
        ),
    ),
)


def _cells(out: LifecycleCells) -> dict[tuple[int, tuple[str, ...], str], int]:
    """Non-zero counts keyed by (period, segment labels as text, status)."""
    labels = [
        tuple("<missing>" if pd.isna(v) else str(v) for v in row)
        for row in out.segments.itertuples(index=False)
    ] or [()]
    found = {}
    periods, segs, statuses = out.counts.nonzero()
    for i, s, k in zip(periods.tolist(), segs.tolist(), statuses.tolist(), strict=True):
        found[(out.first_period + i, labels[s], STATUSES[k])] = int(out.counts[i, s, k])
    return found


def _compare(kit: ConformanceKit, case: str, got: Any, want: LifecycleCells) -> None:
    """Every field of ``got`` against the reference ``want``; each difference recorded."""
    if not same_record(kit, case, got, want, ("first_period", "end_wall", "active_rows", "tz")):
        return
    kit.require(
        got.counts.shape[0] == want.counts.shape[0],
        f"{case}: {got.counts.shape[0]} periods != {want.counts.shape[0]}",
    )
    g, w = _cells(got), _cells(want)
    diff = sorted(set(g.items()) ^ set(w.items()))
    kit.require(not diff, f"{case}: counts differ at {diff[:3]}")


def lifecycle_cases(kit: ConformanceKit, run: Runner, reference: Runner) -> None:
    """Every ``lifecycle_cells`` case; see the module docstring."""
    for name, build, query in _CASES:
        frame = build()
        with kit.check(name):
            want = reference(frame, query)
            got = run(frame.copy(), query)
            _compare(kit, name, got, want)
    frame = events(14, 60)
    refusals = (
        ("no usable row", frame.assign(user_id=None), _query()),
        ("a missing column", frame, _query(by=("campaign",))),
    )
    for name, bad, query in refusals:
        with kit.check(name):
            try:
                reference(bad, query)
            except LinkstarError as exc:
                kit.raises(name, type(exc), run, bad, query)
            else:
                kit.fail(f"{name}: the in-memory engine did not refuse it")


CASES.register("lifecycle_cells", lifecycle_cases)
