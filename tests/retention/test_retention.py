"""Retention against the per-user reference, invariants, and PostHog's own cases."""

from __future__ import annotations

import warnings

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import DataQualityWarning, EmptyFrameError, ParameterError
from linkstar_funnel.results import check_result
from linkstar_funnel.retention import Retention
from linkstar_funnel.stages import Stage

from .reference import reference_retention

T0 = pd.Timestamp("2025-12-20")  # the logs cross the 2025/2026 year boundary (ISO week 1)
ZONES = ["UTC", "Asia/Shanghai", "America/New_York", None]
KEYS = ["cohort", "period", "users", "retained", "complete"]


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 25))
    users = draw(st.lists(st.sampled_from(["u0", "u1", "u2", "u3", "u4"]), min_size=n, max_size=n))
    # hours over ~6 weeks, many ties
    hours = draw(
        st.lists(st.integers(0, 6 * 7 * 24).map(lambda h: h - h % 5), min_size=n, max_size=n)
    )
    names = draw(st.lists(st.sampled_from(["signup", "order", "visit"]), min_size=n, max_size=n))
    channel = draw(st.lists(st.sampled_from(["ads", "seo", None]), min_size=n, max_size=n))
    revenue = draw(st.lists(st.sampled_from([0.0, 5.0, 12.5, np.nan]), min_size=n, max_size=n))
    ts = T0 + pd.to_timedelta(hours, unit="h")
    if draw(st.booleans()):
        ts = ts.tz_localize("UTC")
    return pd.DataFrame(
        {"user_id": users, "timestamp": ts, "event": names, "channel": channel, "revenue": revenue}
    )


def _labels(s: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in s.tolist()]


def _ours(res_frame: pd.DataFrame, by: str | None, value: bool) -> pd.DataFrame:
    cols = KEYS + ([by] if by else []) + (["revenue"] if value else [])
    f = res_frame[cols].copy()
    if by:
        f[by] = _labels(f[by])
    f["cohort"] = pd.to_datetime(f["cohort"]).astype("datetime64[ns]")
    return f


def _compare(ours: pd.DataFrame, ref: pd.DataFrame, by: str | None, value: bool) -> None:
    sort = ["cohort", "period"] + ([by] if by else [])
    a = _ours(ours, by, value)
    b = ref[a.columns].copy()
    b["cohort"] = pd.to_datetime(b["cohort"]).astype("datetime64[ns]")
    if by:
        b[by] = _labels(b[by])
    key = [*sort]
    a = (
        a.assign(_k=a[by].astype(str) if by else "")
        .sort_values([*key[:2], "_k"])
        .drop(columns="_k")
    )
    b = (
        b.assign(_k=b[by].astype(str) if by else "")
        .sort_values([*key[:2], "_k"])
        .drop(columns="_k")
    )
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    for c in a.columns:
        if c == "revenue":
            np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float))
        else:
            assert a[c].tolist() == b[c].tolist(), c


@settings(max_examples=20, deadline=None)
@given(
    log=logs(),
    period=st.sampled_from(["D", "W", "M"]),
    periods=st.integers(1, 5),
    cohort=st.sampled_from(["first", "recurring"]),
    returns=st.sampled_from(["classic", "unbounded"]),
    tz=st.sampled_from(ZONES),
    by=st.sampled_from([None, "channel"]),
    value=st.booleans(),
    start=st.sampled_from([("order",), ("signup",), ("signup", "visit")]),
    end=st.sampled_from([None, T0 + pd.Timedelta("17D 13h"), T0 + pd.Timedelta("60D")]),
)
def test_matches_per_user_reference(
    log, period, periods, cohort, returns, tz, by, value, start, end
):
    spec = Retention(
        Stage("s", event=list(start)),
        returning=Stage("order"),
        period=period,
        periods=periods,
        cohort=cohort,
        returns=returns,
        tz=tz,
    )
    ref = reference_retention(
        log,
        start=set(start),
        returning={"order"},
        period=period,
        periods=periods,
        cohort=cohort,
        returns=returns,
        tz=tz,
        by=by,
        value="revenue" if value else None,
        observation_end=end,
    )
    kw = {"by": by, "value": "revenue" if value else None, "observation_end": end}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        if ref.empty:
            with pytest.raises(EmptyFrameError):
                spec.compute(log, **kw)
            return
        res = spec.compute(log, **kw)
        unbounded = attrs.evolve(spec, returns="unbounded").compute(log, by=by, observation_end=end)
        unbounded = unbounded.to_frame()
    f = res.to_frame()
    _compare(f, ref, by, value)
    # invariants
    assert (f["retained"] <= f["users"]).all()
    assert (f.loc[f["period"] == 0, "rate"] == 1.0).all()
    assert (f["rate"].between(0, 1)).all()
    assert (unbounded["retained"].to_numpy() >= f["retained"].to_numpy()).all()
    if returns == "unbounded":  # unbounded retention never increases with n
        for _, g in f.groupby(["cohort", *([by] if by else [])], dropna=False):
            assert (np.diff(g["retained"].to_numpy()) <= 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # NaN NRR where period 0 has none
        curve = res.curve()
    assert curve["rate"].between(0, 1).all()
    assert (curve["low"] <= curve["rate"] + 1e-12).all()
    assert (curve["rate"] <= curve["high"] + 1e-12).all()


def test_the_frame_and_the_user_order_do_not_matter() -> None:
    log = pd.DataFrame(
        {
            "user_id": [1, 2, 1, 3, 2, 1],
            "timestamp": pd.to_datetime(
                ["2026-01-01", "2026-01-02", "2026-01-09", "2026-01-20", "2026-01-16", "2026-01-23"]
            ),
            "event": "order",
        }
    )
    spec = Retention("order", periods=3)
    a = spec.compute(log).to_frame()
    b = spec.compute(log.iloc[::-1].reset_index(drop=True)).to_frame()
    pd.testing.assert_frame_equal(a, b)
    before = log.copy()
    spec.compute(log)
    pd.testing.assert_frame_equal(log, before)


def test_iso_weeks_cross_the_year_boundary() -> None:
    # Wed 2025-12-31 and Fri 2026-01-02 are the same ISO week (2026-W01, from Mon 2025-12-29).
    log = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "timestamp": pd.to_datetime(
                ["2025-12-31 23:00", "2026-01-02 00:00", "2026-01-05 00:00"]
            ),
            "event": "order",
        }
    )
    f = Retention("order", period="W", periods=1).compute(log).to_frame()
    assert f["cohort"].tolist()[::2] == [pd.Timestamp("2025-12-29"), pd.Timestamp("2026-01-05")]
    assert f.loc[0:1, "retained"].tolist() == [1, 0]  # a's second order is in week 0


def test_time_zone_moves_events_across_the_period_boundary() -> None:
    # 2026-01-04 20:00 UTC is Monday 2026-01-05 04:00 in Shanghai: the next ISO week.
    log = pd.DataFrame(
        {
            "user_id": ["a", "a"],
            "timestamp": pd.to_datetime(["2025-12-29 10:00", "2026-01-04 20:00"]).tz_localize(
                "UTC"
            ),
            "event": "order",
        }
    )
    utc = Retention("order", period="W", periods=1).compute(log).to_frame()
    sh = Retention("order", period="W", periods=1, tz="Asia/Shanghai").compute(log).to_frame()
    assert utc["retained"].tolist() == [1, 0]
    assert sh["retained"].tolist() == [1, 1]


def test_a_return_before_the_first_start_is_not_a_return() -> None:
    log = pd.DataFrame(
        {
            "user_id": ["a", "a", "a"],
            "timestamp": pd.to_datetime(["2026-01-01", "2026-01-03", "2026-01-04"]),
            "event": ["order", "signup", "visit"],
        }
    )
    spec = Retention("signup", returning="order", period="D", periods=2, returns="unbounded")
    f = spec.compute(log).to_frame()
    assert f["retained"].tolist() == [1, 0, 0]


def test_value_gives_revenue_and_net_revenue_retention() -> None:
    log = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b"],
            "timestamp": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-06", "2026-01-14"]),
            "event": "order",
            "revenue": [10.0, 30.0, 30.0, 5.0],
        }
    )
    res = Retention("order", periods=1).compute(log, value="revenue", observation_end="2026-01-19")
    f = res.to_frame()
    assert f["revenue"].tolist() == [40.0, 35.0]
    assert f["nrr"].tolist() == [1.0, 35.0 / 40.0]
    assert f["complete"].all()
    c = res.curve()
    assert c["nrr"].tolist() == [1.0, 35.0 / 40.0]


def test_no_start_event_is_an_error_and_no_return_a_warning() -> None:
    log = pd.DataFrame(
        {"user_id": ["a"], "timestamp": pd.to_datetime(["2026-01-01"]), "event": ["visit"]}
    )
    with pytest.raises(EmptyFrameError, match="start stage 'order'"):
        Retention("order").compute(log)
    with pytest.warns(DataQualityWarning, match="returning stage 'order'"):
        f = Retention("visit", returning="order", periods=1).compute(log).to_frame()
    assert f["retained"].tolist() == [1, 0]


def test_bad_parameters_name_themselves() -> None:
    with pytest.raises(ParameterError, match="'period'"):
        Retention("order", period="Q")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'periods'"):
        Retention("order", periods=0)
    with pytest.raises(ParameterError, match="'by'"):
        Retention("order").compute(
            pd.DataFrame({"user_id": [1], "timestamp": [T0], "event": ["order"], "rate": [1]}),
            by="rate",
        )


def test_result_kit_and_plots() -> None:
    import matplotlib.pyplot as plt

    log = pd.DataFrame(
        {
            "user_id": [1, 2, 1, 3, 2, 1],
            "timestamp": pd.to_datetime(
                ["2026-01-01", "2026-01-02", "2026-01-09", "2026-01-20", "2026-01-16", "2026-01-23"]
            ),
            "event": "order",
            "channel": ["a", "b", "a", "a", "b", "a"],
        }
    )
    res = Retention("order", periods=3).compute(log, by="channel")
    check_result(res)
    ax = res.plot(kind="curve")
    plt.close(ax.figure)
    assert "Retention" in str(res.summary())


# --------------------------------------------------------------------------- PostHog
# Cases from PostHog's test suite, posthog/hogql_queries/insights/test/
# test_retention_query_runner.py (MIT): events at _date(day) = 2020-06-(10 + day) 05:00 UTC.
# Their default retention is "recurring" (every period with the start event opens a cohort)
# with the start and returning event both $pageview; persons merge distinct ids.


def _posthog_date(day: int, hour: int = 5, month: int = 0) -> pd.Timestamp:
    return pd.Timestamp(2020, 6 + month, 10 + day, hour)


def _triangle(f: pd.DataFrame) -> dict[pd.Timestamp, list[int]]:
    return {c: g.sort_values("period")["retained"].tolist() for c, g in f.groupby("cohort")}


def test_posthog_day_interval() -> None:
    """test_day_interval: person1 (with alias1) on days 0, 1, 2, 5, 6; person2 on 1, 2, 3, 6."""
    days = [("p1", 0), ("p1", 1), ("p1", 2), ("p1", 5), ("p1", 5, 9), ("p1", 6)]
    days += [("p2", 1), ("p2", 2), ("p2", 3), ("p2", 6)]
    log = pd.DataFrame(
        {
            "user_id": [d[0] for d in days],
            "timestamp": [_posthog_date(d[1], *d[2:]) for d in days],
            "event": "$pageview",
        }
    )
    f = Retention("$pageview", period="D", periods=10, cohort="recurring").compute(log).to_frame()
    rows = _triangle(f)
    # PostHog's rows for the non-empty cohorts (days 0, 1, 2, 3, 5, 6), cut at date_to (day 10)
    expected = {
        0: [1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0],
        1: [2, 2, 1, 0, 1, 2, 0, 0, 0, 0],
        2: [2, 1, 0, 1, 2, 0, 0, 0, 0],
        3: [1, 0, 0, 1, 0, 0, 0, 0],
        5: [1, 1, 0, 0, 0, 0],
        6: [2, 0, 0, 0, 0],
    }
    assert sorted(rows) == [pd.Timestamp(2020, 6, 10 + d) for d in expected]
    for d, want in expected.items():
        assert rows[pd.Timestamp(2020, 6, 10 + d)][: len(want)] == want


def test_posthog_month_interval() -> None:
    """test_month_interval: two persons over January-November 2020."""
    months = [("p1", -5), ("p2", -5), ("p1", -4), ("p2", -4), ("p1", -3), ("p2", -3)]
    months += [("p1", -1), ("p1", 0), ("p2", 0), ("p2", 1), ("p1", 3), ("p2", 5)]
    log = pd.DataFrame(
        {
            "user_id": [m[0] for m in months],
            "timestamp": [_posthog_date(0, month=m[1]) for m in months],
            "event": "$pageview",
        }
    )
    f = Retention("$pageview", period="M", periods=10, cohort="recurring").compute(log).to_frame()
    rows = _triangle(f)
    expected = {
        1: [2, 2, 2, 0, 1, 2, 1, 0, 1, 0, 1],
        2: [2, 2, 0, 1, 2, 1, 0, 1, 0, 1],
        3: [2, 0, 1, 2, 1, 0, 1, 0, 1],
        5: [1, 1, 0, 0, 1, 0, 0],
        6: [2, 1, 0, 1, 0, 1],
        7: [1, 0, 0, 0, 1],
        9: [1, 0, 0],
        11: [1],
    }
    for m, want in expected.items():
        assert rows[pd.Timestamp(2020, m, 1)][: len(want)] == want
    assert len(rows) == len(expected)  # April, August and October have no cohort
