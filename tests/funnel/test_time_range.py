"""Funnels on any dates: the kernels work on times relative to the first event."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import DataQualityWarning, EmptyFrameError, SchemaError
from linkstar_funnel.funnel import Funnel

from ..strategies import event_logs, funnels


def _run(spec: Funnel, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    kw = {"session": "session"} if spec.counting == "sessions" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            result = spec.compute(events, by="seg", **kw)
        except EmptyFrameError:
            return None
    return result.to_frame(), result.users()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=event_logs(),
    spec=funnels(),
    shift=st.sampled_from(["-36500D", "-20000D", "-100D", "36500D"]),
)
def test_counts_and_times_do_not_depend_on_the_epoch(
    events: pd.DataFrame, spec: Funnel, shift: str
) -> None:
    # Before 1970, raw epoch nanoseconds minus an unlimited step gap (int64 max) wrapped
    # around and lost chains: a funnel of 1930 counted 1, 0, 0 where 2026 counts 1, 1, 1.
    moved = events.assign(timestamp=events["timestamp"] + pd.Timedelta(shift))
    here, there = _run(spec, events), _run(spec, moved)
    if here is None or there is None:
        assert here is None
        assert there is None
        return
    pd.testing.assert_frame_equal(here[0], there[0])
    times = [c for c in here[1].columns if c.endswith("_time")]
    for c in times:
        pd.testing.assert_series_equal(here[1][c] + pd.Timedelta(shift), there[1][c])


def test_times_spanning_more_than_int64_nanoseconds_are_refused() -> None:
    # A cart 584 years after the visit used to count as within a 7-day window (wrapped).
    events = pd.DataFrame(
        {
            "user_id": [1, 1],
            "timestamp": [pd.Timestamp.min + pd.Timedelta("1D"), pd.Timestamp("2262-04-01")],
            "event": ["visit", "cart"],
        }
    )
    with pytest.raises(SchemaError, match="spans more than 292 years"):
        Funnel(["visit", "cart"], window="7D").compute(events)


@pytest.mark.parametrize("start", ["1930-01-01", "2026-01-01"])
def test_a_funnel_before_1970_with_an_unlimited_step_counts_the_chain(start: str) -> None:
    t = pd.Timestamp(start)
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 1],
            "timestamp": [t, t + pd.Timedelta("1h"), t + pd.Timedelta("2h")],
            "event": ["visit", "cart", "order"],
        }
    )
    result = Funnel(["visit", "cart", "order"], step_windows=[None, "1D"]).compute(events)
    assert result.to_frame()["users"].tolist() == [1, 1, 1]
    assert result.users()["order_time"].tolist() == [t + pd.Timedelta("2h")]
