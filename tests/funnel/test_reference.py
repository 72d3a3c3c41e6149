"""The engine against the plain-Python reference, for every mode and option."""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import DataQualityWarning, EmptyFrameError
from linkstar_funnel.funnel import Funnel

from ..strategies import event_logs, funnels
from .reference import Ev, clickhouse_level, reference_counts, reference_outcomes

# 100 examples per property in the suite's budget; LF_FUNNEL_EXAMPLES=2000 for a deeper run.
SETTINGS = settings(
    max_examples=int(os.environ.get("LF_FUNNEL_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def run(spec: Funnel, events: pd.DataFrame, **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            return spec.compute(events, **kw)
        except EmptyFrameError:
            return None


def engine_outcomes(result: Any, spec: Funnel, session: bool) -> dict[Any, list[tuple[Any, ...]]]:
    users = result.users()
    att = result.attempts
    out: dict[Any, list[tuple[Any, ...]]] = {}
    records = np.arange(len(att.level)) if att.in_funnel is None else np.flatnonzero(att.in_funnel)
    for row, i in enumerate(records):
        key = (
            users["user_id"].iloc[row]
            if not session
            else (users["user_id"].iloc[row], users["session"].iloc[row])
        )
        level = -1 if users["excluded"].iloc[row] else int(users["level"].iloc[row])
        lo, hi = att.offsets[i], att.offsets[i + 1]
        pad = [None] * (len(spec.stages) - (hi - lo))
        reach = tuple([int(v) for v in att.reach_ns[lo:hi]] + pad)
        start = tuple([int(v) for v in att.start_ns[lo:hi]] + pad)
        out.setdefault(key, []).append((level, reach, start))
    return out


def ref_as_tuples(ref: dict[Any, list[Any]]) -> dict[Any, list[tuple[Any, ...]]]:
    return {k: [(o.level, tuple(o.reach), tuple(o.start)) for o in v] for k, v in ref.items()}


@SETTINGS
@given(events=event_logs(), spec=funnels())
def test_engine_matches_reference(events: pd.DataFrame, spec: Funnel) -> None:
    session = spec.counting == "sessions"
    kw = {"session": "session"} if session else {}
    result = run(spec, events, **kw)
    ref = reference_outcomes(events, spec, session="session" if session else None)
    k_n = len(spec.stages)
    if result is None:  # nothing matches stage 1
        assert reference_counts(ref, k_n)[0] == 0
        return
    got = engine_outcomes(result, spec, session)
    want = ref_as_tuples(ref)
    if spec.order == "unordered":  # starts: compare levels and stage times
        got = {k: [g[:2] for g in v] for k, v in got.items()}
        want = {k: [w[:2] for w in v] for k, v in want.items()}
    assert got == want
    counts = result.to_frame()["users"].tolist()
    assert counts == reference_counts(ref, k_n)


@SETTINGS
@given(events=event_logs(max_rows=20), spec=funnels(orders=("ordered",), counting=("users",)))
def test_default_mode_matches_clickhouse_transcription(events: pd.DataFrame, spec: Funnel) -> None:
    spec = Funnel(spec.stages, window=spec.window)
    k_n = len(spec.stages)
    masks = [np.asarray(s.mask(events, event="event")) for s in spec.stages]
    ns = pd.DatetimeIndex(events["timestamp"]).as_unit("ns").asi8
    want: dict[str, int] = {}
    for u, grp in events.groupby("user_id"):
        evs = [(int(ns[r]), frozenset(s for s in range(k_n) if masks[s][r])) for r in grp.index]
        want[str(u)] = clickhouse_level(evs, k_n, spec.window.value)
    result = run(spec, events)
    if result is None:
        assert all(v == 0 for v in want.values())
        return
    users = result.users()
    got = dict(zip(users["user_id"], users["level"], strict=True))
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}


@SETTINGS
@given(
    events=event_logs(),
    spec=funnels(counting=("users",)),
    attribution=st.sampled_from(["first_touch", "last_touch", 1, 2]),
)
def test_breakdown_attribution_matches_reference(
    events: pd.DataFrame, spec: Funnel, attribution: Any
) -> None:
    import attrs

    if spec.order == "unordered" and spec.distinct_events:
        return
    spec = attrs.evolve(spec, attribution=attribution)
    result = run(spec, events, by="seg")
    ref = reference_outcomes(events, spec)
    if result is None:
        return
    k_n = len(spec.stages)
    tally: dict[tuple[str, int], int] = {}
    for outs in ref.values():
        o = outs[0]
        if attribution == "first_touch":
            row = o.rows[0]
        elif attribution == "last_touch":
            row = o.rows[max(o.level, 1) - 1]
        else:
            row = o.rows[attribution - 1]
        seg = "(not reached)" if row is None else events["seg"].iloc[row]
        for k in range(1, k_n + 1):
            if o.level >= k:
                tally[(seg, k)] = tally.get((seg, k), 0) + 1
    frame = result.to_frame()
    got = {
        (s, k): u for s, k, u in zip(frame["seg"], frame["step"], frame["users"], strict=True) if u
    }
    assert got == tally


def test_ev_is_hashable() -> None:
    assert Ev(0, 1, frozenset({0})) == Ev(0, 1, frozenset({0}))


@pytest.mark.parametrize("order", ["ordered", "strict", "unordered"])
def test_input_rows_order_does_not_matter(order: str) -> None:
    rng = np.random.default_rng(7)
    n = 400
    events = pd.DataFrame(
        {
            "user_id": rng.integers(0, 30, n),
            "timestamp": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 50, n), unit="s"),
            "event": rng.choice(["a", "b", "c", "x"], n),
        }
    )
    spec = Funnel(["a", "b", "c"], window="20s", order=order)  # type: ignore[arg-type]
    a = spec.compute(events).to_frame()
    b = spec.compute(events.sample(frac=1.0, random_state=3)).to_frame()
    pd.testing.assert_frame_equal(a, b)
