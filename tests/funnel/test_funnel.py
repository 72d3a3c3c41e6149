"""Funnel spec validation, bad input, results, invariants and from_counts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from linkstar_funnel.engines.memory import funnel as _engine
from linkstar_funnel.errors import (
    ColumnNotFoundError,
    DataQualityWarning,
    EmptyFrameError,
    ParameterError,
    SchemaError,
)
from linkstar_funnel.funnel import Exclusion, Funnel, FunnelResult
from linkstar_funnel.results import Result
from linkstar_funnel.stages import Stage

from ..strategies import event_logs, funnels


def log(n: int = 3000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user_id": rng.integers(0, 300, n),
            "ts": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 20 * 86_400, n), unit="s"),
            "event": rng.choice(
                ["impression", "click", "add_to_cart", "buy_now", "order", "scroll"], n
            ),
            "status": rng.choice(["paid", "refunded"], n),
            "country": rng.choice(["US", "DE", "FR", "JP"], n),
        }
    )


STAGES = [
    Stage("impression"),
    Stage("click"),
    Stage("cart", event=["add_to_cart", "buy_now"]),
    Stage("order", event="order", where={"status": "paid"}),
]


def test_issue_example_runs_and_is_tidy() -> None:
    events = log()
    before = events.copy(deep=True)
    result = Funnel(STAGES, window="7D").compute(events, user="user_id", time="ts", by=["country"])
    pd.testing.assert_frame_equal(events, before)  # never mutated
    frame = result.to_frame()
    assert list(frame.columns) == [
        "country",
        "stage",
        "step",
        "users",
        "conversion_from_previous",
        "conversion_from_start",
        "drop_off",
    ]
    assert len(frame) == 4 * 4
    assert isinstance(result, Result)
    assert "Funnel" in str(result.summary())
    assert "<table" in result._repr_html_()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window": "-3D"}, "The 'window' parameter of Funnel must be a duration of 0 or more"),
        ({"window": "soon"}, "'window' parameter of Funnel"),
        ({"window": pd.NaT}, "'window' parameter of Funnel"),
        ({"step_windows": ["1h", "-1h"]}, "'step_windows' parameter of Funnel"),
        ({"step_windows": "1h"}, "'step_windows' parameter of Funnel"),
        ({"distinct_events": 1}, "'distinct_events' parameter of Funnel"),
        ({"top_n": 2.0}, "'top_n' parameter of Funnel"),
        ({"counting": "all"}, "'counting' parameter of Funnel"),
        ({"stages": "abc"}, "'stages' parameter of Funnel"),
        ({"window": 0}, "'window' parameter of Funnel"),
        ({"window": "-1ns"}, "'window' parameter of Funnel must be a duration of 0 or more"),
        ({"order": "sorted"}, "'order'"),
        ({"entry": "last"}, "'entry'"),
        ({"step_windows": ["1h"]}, "'step_windows'"),
        ({"top_n": 0}, "'top_n'"),
        ({"attribution": "nowhere"}, "'attribution'"),
        ({"order": "unordered", "ties": "strict_increase"}, "'ties'"),
        ({"exclusions": [Exclusion("x", between=(3, 2))]}, "'between'"),
    ],
)
def test_funnel_rejects_bad_parameters(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        Funnel(**{"stages": ["a", "b", "c"], **kwargs})  # type: ignore[arg-type]


def test_funnel_needs_unique_stages() -> None:
    with pytest.raises(ParameterError, match="at least 1 stage"):
        Funnel([])
    with pytest.raises(ParameterError, match="unique names"):
        Funnel(["a", "b", "a"])


def test_unknown_stage_events_warn_naming_the_stage() -> None:
    with pytest.warns(DataQualityWarning, match="'checkout'"):
        Funnel(["impression", "checkout", "order"]).compute(log(), time="ts")


def test_first_stage_never_seen_is_an_error_not_zeros() -> None:
    spec = Funnel(["landing", "order"])
    with (
        pytest.raises(EmptyFrameError, match="first stage 'landing'"),
        pytest.warns(DataQualityWarning),
    ):
        spec.compute(log(), time="ts")


def test_missing_rows_are_counted_in_provenance() -> None:
    events = log(200)
    events.loc[[1, 2], "user_id"] = None
    result = Funnel(["impression", "click"]).compute(events, time="ts")
    assert result.provenance.rows_dropped == 2
    assert result.provenance.inputs["events"].rows_used == 198


def test_missing_column_is_named() -> None:
    with pytest.raises(ColumnNotFoundError, match="'ts'"):
        Funnel(["impression", "click"]).compute(log(), time="timestamp")


def test_sessions_need_a_session_column() -> None:
    with pytest.raises(ParameterError, match="'session'"):
        Funnel(["impression", "click"], counting="sessions").compute(log(), time="ts")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=event_logs(), spec=funnels())
def test_invariants(events: pd.DataFrame, spec: Funnel) -> None:
    kw = {"session": "session"} if spec.counting == "sessions" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            result = spec.compute(events, by="seg", **kw)
        except EmptyFrameError:
            return
    frame = result.to_frame()
    for _, grp in frame.groupby("seg"):
        users = grp["users"].to_numpy()
        assert (np.diff(users) <= 0).all()
        assert (grp["drop_off"].to_numpy() >= 0).all()
    rates = frame[["conversion_from_previous", "conversion_from_start"]].to_numpy()
    assert ((rates[~np.isnan(rates)] >= 0) & (rates[~np.isnan(rates)] <= 1)).all()
    total = frame.groupby("stage", sort=False)["users"].sum()
    from_counts = Funnel.from_counts(dict(total.items()))
    assert from_counts.to_frame()["users"].tolist() == total.tolist()
    seg = Funnel.from_counts(frame[["seg", "stage", "users"]], count="users", by="seg").to_frame()
    merged = seg.merge(frame, on=["seg", "stage"], suffixes=("", "_events"))
    np.testing.assert_array_equal(merged["users"], merged["users_events"])


def test_from_counts() -> None:
    result = Funnel.from_counts({"visit": 10_000, "cart": 800, "order": 300})
    assert isinstance(result, FunnelResult)
    frame = result.to_frame()
    assert frame["users"].tolist() == [10_000, 800, 300]
    assert frame["drop_off"].tolist() == [0, 9_200, 500]
    with pytest.raises(SchemaError, match="aggregated counts"):
        result.users()
    with pytest.raises(SchemaError, match="aggregated counts"):
        result.time_to_convert()
    with pytest.raises(ParameterError, match="never increase"):
        Funnel.from_counts({"visit": 10, "cart": 20})
    with pytest.raises(ParameterError, match="at least 2 stages"):
        Funnel.from_counts({"visit": 10})


def test_top_n_folds_small_segments_into_other() -> None:
    result = Funnel(["impression", "click"], top_n=2).compute(log(), time="ts", by="country")
    frame = result.to_frame()
    assert "other" in frame["country"].tolist()
    assert frame["country"].nunique() == 3
    whole = Funnel(["impression", "click"]).compute(log(), time="ts").to_frame()
    assert frame.groupby("step")["users"].sum().tolist() == whole["users"].tolist()


def test_drill_down_and_times() -> None:
    result = Funnel(STAGES).compute(log(), time="ts")
    users = result.users()
    assert list(users.columns[:3]) == ["user_id", "level", "excluded"]
    counts = result.to_frame()["users"].tolist()
    assert [(users["level"] >= k).sum() for k in range(1, 5)] == counts
    assert users["click_time"].notna().sum() == counts[1]
    gaps = result.time_between_steps()
    assert gaps["n"].tolist() == counts[1:]
    assert (gaps["q50"] >= pd.Timedelta(0)).all()
    ttc = result.time_to_convert(quantiles=(0.5,))
    assert (ttc["q50"] <= pd.Timedelta("7D")).all()


def test_plot_returns_axes() -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    ax = Funnel(STAGES).compute(log(), time="ts", by="country").plot()
    assert ax.get_xticklabels()[0].get_text() == "impression"
    plt.close("all")


@pytest.mark.parametrize("counting", ["users", "totals"])
def test_parallel_pass_matches_single_thread(
    monkeypatch: pytest.MonkeyPatch, counting: str
) -> None:
    # users: threads write disjoint slices of the per-entity arrays; totals: growable
    # per-thread buffers, concatenated.
    events = log(5000)
    spec = Funnel(STAGES, counting=counting)  # type: ignore[arg-type]
    one = spec.compute(events, time="ts", by="country")
    monkeypatch.setattr(_engine, "_PARALLEL_ROWS", 0)
    monkeypatch.setattr(_engine, "_MAX_THREADS", 3)
    monkeypatch.setattr(_engine.os, "cpu_count", lambda: 3)
    many = spec.compute(events, time="ts", by="country")
    pd.testing.assert_frame_equal(one.to_frame(), many.to_frame())
    pd.testing.assert_frame_equal(one.users(), many.users())


@pytest.mark.parametrize("order", ["ordered", "strict", "unordered"])
def test_totals_grow_output_beyond_one_record_per_user(order: str) -> None:
    # One user converting 300 times: the kernel's record and reach buffers (sized for one
    # record per entity at first) must grow between entity batches without losing any.
    n = 300
    t0 = pd.Timestamp("2026-03-01")
    events = pd.DataFrame(
        {
            "user_id": ["u"] * (2 * n) + ["v"],
            "ts": [t0 + pd.Timedelta(minutes=m) for m in range(2 * n)] + [t0],
            "event": ["view", "buy"] * n + ["view"],
        }
    )
    result = Funnel(["view", "buy"], order=order, counting="totals").compute(events, time="ts")
    assert result.to_frame()["users"].tolist() == [n + 1, n]
    users = result.users()
    assert len(users) == n + 1
    assert users["buy_time"].notna().sum() == n


@pytest.mark.parametrize("period", ["D", "W", "M"])
def test_trends_add_up_and_flag_open_windows(period: str) -> None:
    result = Funnel(STAGES, window="3D").compute(log(), time="ts", by="country")
    trends = result.trends(period)
    overall = result.to_frame().groupby(["country", "step"])["users"].sum()
    by_period = trends.groupby(["country", "step"])["users"].sum()
    pd.testing.assert_series_equal(by_period.sort_index(), overall.sort_index())
    last = trends["period"].max()
    assert not trends.loc[trends["period"] == last, "complete"].any()
    if period == "D":
        assert trends.loc[trends["period"] == trends["period"].min(), "complete"].all()
    with pytest.raises(ParameterError, match="'period'"):
        result.trends("Y")


def test_bottleneck_ranks_steps_by_gain() -> None:
    result = Funnel.from_counts({"visit": 1000, "cart": 100, "checkout": 50, "order": 40})
    table = result.bottleneck({"cart": 0.2, "checkout": 0.6, "order": 0.8})
    assert table["stage"].tolist() == ["cart", "checkout", "order"]
    assert table["gain"].iloc[0] == pytest.approx(40.0)  # 1000 x .2 x .5 x .8 - 40
    assert table["gain"].iloc[-1] == pytest.approx(0.0)  # already above the reference
    events = Funnel(STAGES).compute(log(), time="ts", by="country")
    own = events.bottleneck(period="D", min_entrants=1)
    assert (own["gain"] >= 0).all()
    assert set(own["country"]) <= {"US", "DE", "FR", "JP"}
    with pytest.raises(ParameterError, match="'reference'"):
        result.bottleneck({"nope": 0.5})


@pytest.mark.filterwarnings("ignore::linkstar_funnel.errors.DataQualityWarning")
def test_a_misspelt_first_stage_fails_with_a_did_you_mean() -> None:
    import linkstar_funnel as lf

    events = lf.datasets.make_demo_store(n_users=500, seed=4).events
    with pytest.raises(lf.EmptyFrameError, match=r"'Visit': did you mean 'visit'"):
        Funnel(["Visit", "payment"]).compute(events)


def test_a_misspelt_stage_event_gets_a_did_you_mean() -> None:
    import linkstar_funnel as lf

    events = lf.datasets.make_demo_store(n_users=500, seed=4).events
    with pytest.warns(lf.DataQualityWarning, match=r"looks for 'paymnt': did you mean 'payment'"):
        Funnel(["visit", "paymnt"]).compute(events)


@pytest.mark.filterwarnings("ignore::linkstar_funnel.errors.DataQualityWarning")
def test_freq_is_the_deprecated_name_of_period() -> None:
    import matplotlib.pyplot as plt  # MPLBACKEND=Agg in the test sessions

    result = Funnel(STAGES, window="3D").compute(log(), time="ts")
    want = result.trends(period="D")
    with pytest.warns(DeprecationWarning, match="'period'"):
        pd.testing.assert_frame_equal(result.trends(freq="D"), want)
    with pytest.warns(DeprecationWarning, match="'period'"):
        old = result.bottleneck(freq="D", min_entrants=1)
    pd.testing.assert_frame_equal(old, result.bottleneck(period="D", min_entrants=1))
    with pytest.warns(DeprecationWarning, match="'period'"):
        old = result.trend_observations(freq="D", complete_only=False)
    pd.testing.assert_frame_equal(old, result.trend_observations(period="D", complete_only=False))
    with pytest.warns(DeprecationWarning, match="'period'"):
        ax = result.plot(kind="trends", freq="D")
    assert "by entry day" in ax.get_title(loc="left")
    plt.close("all")
    with pytest.raises(ParameterError, match="Got both"):
        result.trends(freq="D", period="W")


def test_the_result_is_built_once_from_the_engine_levels() -> None:
    """The drill-down, trends and counts of one compute agree (one FunnelLevels)."""
    spec = Funnel(STAGES, window="3D", top_n=2)
    result = spec.compute(log(), time="ts", by="country")
    users = result.users()
    counts = result.to_frame()
    for (country, step), n in counts.groupby(["country", "step"])["users"].sum().items():
        assert int((users.loc[users["country"] == country, "level"] >= step).sum()) == n
    trends = result.trends("M")
    pd.testing.assert_series_equal(
        trends.groupby(["country", "step"])["users"].sum(),
        counts.groupby(["country", "step"])["users"].sum(),
    )
