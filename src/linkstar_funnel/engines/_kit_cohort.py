"""Conformance cases of ``cohort_cells``: a backend must give the in-memory cells.

Each case gives the backend under test and the in-memory reference the same pandas frame
and query, and compares every field of the outputs: the cells (leaf, cohort, acquisition
step, customers, ages observed, value by age, value sums and squares), the segment paths,
the cohort starts, the cut, the zone, the row accounting and, where the backend returns
them, the per-customer values; for bad input, the error type. Cases cover segment
hierarchies, every cohort calendar in another zone, zone-aware times, refunds netted and
dropped, missing values, and orders a fraction of a second either side of a period boundary with a
sub-second step and a cut between two microseconds. Every difference is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._conformance import ConformanceKit
from ..errors import LinkstarError
from ._cohort import CohortCells, CohortQuery
from ._kit import CASES, Runner, accounting_key

__all__ = ["cohort_cases"]

_START = pd.Timestamp("2026-01-01")
_WEEK = pd.Timedelta("7D")


def _orders(seed: int, n: int, *, days: int = 90, missing: float = 0.0) -> pd.DataFrame:
    """Orders of ~n/3 customers at whole seconds, in two segment levels; refunds and free
    orders among them, and (with ``missing``) holes in every column."""
    rng = np.random.default_rng(seed)
    customers = rng.integers(0, max(n // 3, 1), n).astype(str).astype(object)
    seconds = rng.integers(0, days * 86_400, n)
    value = rng.choice(np.array([-5.0, 0.0, 12.0, 30.0, 99.5]), n, p=[0.1, 0.1, 0.3, 0.3, 0.2])
    frame = pd.DataFrame(
        {
            "customer_id": customers,
            "timestamp": _START + pd.to_timedelta(seconds, unit="s"),
            "revenue": value,
            "channel": rng.choice(np.array(["ads", "email", "seo"], dtype=object), n),
            "country": rng.choice(np.array(["DE", "FR"], dtype=object), n),
        }
    )
    if missing:
        for col in frame.columns:
            holes = rng.random(n) < missing
            frame[col] = frame[col].where(~holes, None if col != "timestamp" else pd.NaT)
    return frame


def _boundary_orders() -> pd.DataFrame:
    """Orders at microseconds a fraction of a second either side of 1.5 s periods."""
    cut = _START + pd.Timedelta("30D 00:00:00.250000300")
    offsets = ["1500ms", "1500.001ms", "1499.999ms", "3s", "3000.0003ms", "0.0003ms", "4.5s"]
    times = [cut - pd.Timedelta(o) for o in offsets] + [cut - pd.Timedelta("10s")]
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "a", "d", "b", "e", "f"],
            "timestamp": pd.DatetimeIndex(times).floor("us"),
            "revenue": [10.0, 20.0, 30.0, 5.0, 7.0, 3.0, 4.0, 8.0],
        }
    )


def _query(**kw: Any) -> CohortQuery:
    base: dict[str, Any] = {
        "customer": "customer_id",
        "time": "timestamp",
        "value": "revenue",
        "step": _WEEK,
    }
    return CohortQuery(**(base | kw))


#: (name, frame builder, query) of the cases whose outputs must match field by field.
_CASES: tuple[tuple[str, Callable[[], pd.DataFrame], CohortQuery], ...] = (
    ("one segment level, default cut", lambda: _orders(1, 600), _query(by=("channel",))),
    (
        "a hierarchy, monthly cohorts in another zone, a cut",
        lambda: _orders(2, 600),
        _query(
            by=("country", "channel"),
            period="M",
            tz="Asia/Kolkata",
            observation_end=_START + pd.Timedelta("60D"),
        ),
    ),
    (
        "zone-aware times, weekly cohorts in the data's zone, a cut",
        lambda: _orders(6, 500).assign(
            timestamp=lambda f: f["timestamp"].dt.tz_localize("America/New_York")
        ),
        _query(by=("channel",), period="W", observation_end=pd.Timestamp("2026-02-15")),
    ),
    (
        "daily cohorts, refunds dropped",
        lambda: _orders(3, 300, days=30),
        _query(period="D", refunds="drop", step=pd.Timedelta("3D")),
    ),
    (
        "weekly cohorts, missing values everywhere",
        lambda: _orders(4, 400, missing=0.05),
        _query(by=("channel",), period="W", observation_end=_START + pd.Timedelta("45D 12h")),
    ),
    (
        "sub-second step, a cut between two microseconds",
        _boundary_orders,
        _query(
            period="D",
            step=pd.Timedelta("1500ms"),
            observation_end=_START + pd.Timedelta("30D 00:00:00.250000300"),
        ),
    ),
)


def _accounting(out: CohortCells) -> tuple[int, list[tuple[str, str | None, int]]]:
    return accounting_key(out.accounting)


def _compare(kit: ConformanceKit, case: str, got: Any, want: CohortCells) -> None:
    """Every field of ``got`` against the reference ``want``; each difference recorded."""
    if not kit.require(
        isinstance(got, CohortCells), f"{case}: returned {type(got).__name__}, not CohortCells"
    ):
        return
    kit.require(
        _accounting(got) == _accounting(want),
        f"{case}: row accounting {got.accounting} != {want.accounting}",
    )
    kit.require(got.cut_ns == want.cut_ns, f"{case}: cut {got.cut_ns} != {want.cut_ns}")
    kit.require(str(got.tz) == str(want.tz), f"{case}: zone {got.tz!r} != {want.tz!r}")
    kit.require(
        tuple(got.leaf_paths) == tuple(want.leaf_paths),
        f"{case}: segment paths {list(got.leaf_paths)[:4]} != {list(want.leaf_paths)[:4]}",
    )
    kit.require(
        pd.DatetimeIndex(got.cohort_labels).equals(want.cohort_labels),
        f"{case}: cohorts {list(got.cohort_labels)[:3]} != {list(want.cohort_labels)[:3]}",
    )
    g, w = got.cells, want.cells
    if not kit.require(
        len(g.n) == len(w.n), f"{case}: {len(g.n)} cells, the in-memory engine gives {len(w.n)}"
    ):
        return
    for field in ("leaf", "cohort", "acq", "n", "k_obs"):
        a, b = np.asarray(getattr(g, field)), np.asarray(getattr(w, field))
        kit.require(
            a.shape == b.shape and bool((a == b).all()),
            f"{case}: cells' {field} {a[:6].tolist()} != {b[:6].tolist()}",
        )
    for field in ("value", "value_sum", "value_sq"):
        a, b = np.asarray(getattr(g, field)), np.asarray(getattr(w, field))
        kit.require(
            a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-9)),
            f"{case}: cells' {field} differ (shapes {a.shape} and {b.shape})",
        )
    if len(got.customers):  # per-customer values are optional; when given, they must match
        kit.require(
            got.customers.equals(want.customers)
            and bool((g.customer_cell == w.customer_cell).all())
            and bool(np.allclose(g.customer_value, w.customer_value)),
            f"{case}: per-customer cells or values differ",
        )


def _raises_like_reference(
    kit: ConformanceKit, case: str, run: Runner, reference: Runner, frame: Any, query: Any
) -> None:
    """The backend refuses the input with the reference's error type."""
    try:
        reference(frame, query)
    except LinkstarError as exc:
        want: type[Exception] = type(exc)
    else:
        kit.fail(f"{case}: the in-memory engine did not refuse it")
        return
    try:
        run(frame, query)
    except want:
        return
    except Exception as exc:  # noqa: BLE001 - the kit reports what the backend raised
        kit.fail(f"{case}: raised {type(exc).__name__}, not {want.__name__}: {exc}")
        return
    kit.fail(f"{case}: raised nothing, not {want.__name__}")


def cohort_cases(kit: ConformanceKit, run: Runner, reference: Runner) -> None:
    """Every ``cohort_cells`` case; see the module docstring."""
    for name, build, query in _CASES:
        frame = build()
        with kit.check(name):
            want = reference(frame, query)
            got = run(frame.copy(), query)
            _compare(kit, name, got, want)
    frame = _orders(5, 60)
    refusals = (
        ("every order after the cut", frame, _query(observation_end=_START)),
        ("only refunds and free orders", frame.assign(revenue=-1.0), _query()),
        ("a missing column", frame, _query(value="gmv")),
    )
    for name, bad, query in refusals:
        with kit.check(name):
            _raises_like_reference(kit, name, run, reference, bad, query)


CASES.register("cohort_cells", cohort_cases)
