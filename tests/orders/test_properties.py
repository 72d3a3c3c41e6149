"""Timelines against per-order loops, on small messy order tables drawn by hypothesis."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import DataQualityWarning, EmptyFrameError
from linkstar_funnel.orders import Timeline

from . import reference as ref

T0 = pd.Timestamp("2026-03-01")
STEPS = {"paid": "paid_at", "shipped": "shipped_at", "delivered": "delivered_at"}
OUTCOMES = {"refunded": "refunded_at", "cancelled": "cancelled_at"}
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _time(hours: int | None) -> pd.Timestamp:
    return pd.NaT if hours is None else T0 + pd.Timedelta(hours=hours)


maybe_hours = st.one_of(st.none(), st.integers(0, 60))


@st.composite
def order_tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 12))
    rows = []
    for i in range(n):
        paid = draw(st.one_of(st.none(), st.integers(0, 30)))
        row = {"order_id": i + 1, "customer_id": draw(st.sampled_from(["a", "b", "c"]))}
        row["seg"] = draw(st.sampled_from(["x", "y"]))
        row["paid_at"] = _time(paid)
        for col in ("shipped_at", "delivered_at", "refunded_at", "cancelled_at"):
            row[col] = _time(draw(maybe_hours))
        rows.append(row)
    frame = pd.DataFrame(rows)
    times = frame[[*STEPS.values(), *OUTCOMES.values()]]
    if times.isna().all(axis=None):
        frame.loc[0, "paid_at"] = T0
    return frame


def _timeline(frame: pd.DataFrame, end: pd.Timestamp | None = None) -> Timeline:
    return Timeline.from_columns(
        frame, steps=STEPS, refunded="refunded_at", cancelled="cancelled_at", by="seg",
        observation_end=end,
    )  # fmt: skip


def _quiet(func):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return func()


ends = st.one_of(st.none(), st.integers(10, 70).map(lambda h: T0 + pd.Timedelta(hours=h)))


@SETTINGS
@given(frame=order_tables(), end=ends)
def test_lead_times_and_rates_equal_the_loops(
    frame: pd.DataFrame, end: pd.Timestamp | None
) -> None:
    tl = _timeline(frame, end)
    stop = tl.observation_end
    sla = {"paid->shipped": pd.Timedelta(hours=12), "shipped->delivered": pd.Timedelta(hours=20)}
    try:
        result = _quiet(lambda: tl.lead_times(sla=sla))
    except EmptyFrameError:  # nothing usable: the loop must agree
        for pair in sla:
            a, b = pair.split("->")
            assert ref.lead_times(frame, STEPS, OUTCOMES, (a, b), stop)["orders"] == 0
    else:
        assert (result.records["duration"] >= 0).all()  # never a negative duration
        got = result.to_frame()
        for pair, limit in sla.items():
            a, b = pair.split("->")
            want = ref.lead_times(frame, STEPS, OUTCOMES, (a, b), stop, limit)
            row = got.loc[got["pair"] == pair]
            if want["orders"] == 0:
                assert row.empty
                continue
            r = row.iloc[0]
            for key in (
                "orders",
                "completed",
                "open",
                "stopped",
                "left_out",
                "over_sla",
                "decided",
            ):
                assert r[key] == want[key], (pair, key)
            for key in ("median", "p75", "p90"):
                assert (pd.isna(r[key]) and want[key] is None) or r[key] == want[key], (pair, key)
                assert pd.isna(r[key]) or r[key] >= pd.Timedelta(0)
    try:
        rates = _quiet(lambda: tl.rates().to_frame())
    except EmptyFrameError:
        return
    assert rates["rate"].dropna().between(0, 1).all()
    for _, r in rates.iterrows():
        want = ref.rate(frame, STEPS[r["base"]], OUTCOMES[r["outcome"]], stop)
        assert (r["successes"], r["trials"], r["left_out"]) == want


@SETTINGS
@given(frame=order_tables(), seed=st.integers(0, 2**32 - 1))
def test_row_order_history_shape_and_repurchases(frame: pd.DataFrame, seed: int) -> None:
    rng = np.random.default_rng(seed)
    shuffled = frame.sample(frac=1.0, random_state=rng).reset_index(drop=True)
    a, b = _timeline(frame), _timeline(shuffled)
    events = a.events()
    pd.testing.assert_frame_equal(events, b.events())
    for make in (lambda t: t.lead_times(by="seg"), lambda t: t.rates(by="seg")):
        try:
            fa = _quiet(lambda make=make: make(a).to_frame())
        except EmptyFrameError:
            continue
        pd.testing.assert_frame_equal(fa, _quiet(lambda make=make: make(b).to_frame()))
    # repurchases: a customer's first paid order after each delivered one
    got = set(events.loc[events["event"] == "repurchase", "order_id"])
    assert got == ref.repurchases(frame, "paid_at", "delivered_at", a.observation_end)
    assert (events["timestamp"] <= a.observation_end).all()
    # the same orders as a status history give the same events
    cols = {**STEPS, **OUTCOMES}
    long = shuffled.melt(
        id_vars=["order_id", "customer_id", "seg"], value_vars=list(cols.values()),
        var_name="column", value_name="changed_at",
    ).dropna(subset=["changed_at"])  # fmt: skip
    long["status"] = long["column"].map({v: k for k, v in cols.items()})
    h = Timeline.from_history(long, steps=list(STEPS), returned=None, by="seg")
    if a.n_orders == h.n_orders:  # rows without any time are not in a history
        pd.testing.assert_frame_equal(events, h.events().astype(events.dtypes.to_dict()))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=order_tables(), data=st.data())
def test_a_messy_history_keeps_the_earliest_times_and_counts_its_faults(
    frame: pd.DataFrame, data: st.DataObject
) -> None:
    cols = {**STEPS, **OUTCOMES}
    long = frame.melt(
        id_vars=["order_id", "customer_id", "seg"], value_vars=list(cols.values()),
        var_name="column", value_name="changed_at",
    ).dropna(subset=["changed_at"])  # fmt: skip
    long["status"] = long["column"].map({v: k for k, v in cols.items()})
    long = long.drop(columns="column").reset_index(drop=True)
    # repeat some rows later (some of them after a later step: going backwards)
    picks = data.draw(st.lists(st.integers(0, len(long) - 1), max_size=6), label="repeats")
    later = data.draw(st.lists(st.integers(1, 40), min_size=len(picks), max_size=len(picks)))
    extra = long.iloc[picks].copy()
    extra["changed_at"] = extra["changed_at"] + pd.to_timedelta(later, unit="h")
    messy = pd.concat([long, extra], ignore_index=True).sample(frac=1.0, random_state=0)
    clean = Timeline.from_history(long, steps=list(STEPS), returned=None, by="seg")
    tl = Timeline.from_history(messy, steps=list(STEPS), returned=None, by="seg",
                               observation_end=clean.observation_end)  # fmt: skip
    pd.testing.assert_frame_equal(tl.events(), clean.events())
    found = tl.data_quality().set_index("issue")["count"].to_dict()
    repeated, backwards = ref.history_faults(messy, list(STEPS))
    base_repeated, _ = ref.history_faults(long, list(STEPS))
    assert found.get("a status repeated", 0) == repeated == base_repeated + len(picks)
    assert found.get("a status going backwards", 0) == backwards
    assert base_repeated == 0
