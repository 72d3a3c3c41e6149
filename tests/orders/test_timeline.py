"""Hand-made timelines: data-quality findings, censoring, errors, and the results' uses."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
import linkstar_funnel.monitor as mon
from linkstar_funnel.benchmark import Benchmark, RateSource
from linkstar_funnel.datasets import demo_timelines
from linkstar_funnel.datasets._demo_params import PLATFORMS, REFUND_RATES
from linkstar_funnel.datasets._demo_timelines import CANCEL_RATE
from linkstar_funnel.orders import LeadTimesResult, OrderRatesResult, Timeline
from linkstar_funnel.results import check_result

STEPS = {"paid": "paid_at", "shipped": "shipped_at", "delivered": "delivered_at"}


def _ts(values: list[str | None]) -> pd.Series:
    """Times in March 2026 from "MM-DD" (or "MM-DD HH:MM") strings."""
    text = [None if v is None else f"2026-{v}" for v in values]
    return pd.Series(pd.to_datetime(text, format="ISO8601"))


def _t(value: str) -> pd.Timestamp:
    return pd.Timestamp(f"2026-{value}")


def _messy() -> pd.DataFrame:
    """Six orders: clean, open, backwards, a gap, a refund before payment, a cancellation."""
    return pd.DataFrame(
        {
            "order_id": [1, 2, 3, 4, 5, 6],
            "customer_id": ["a", "b", "c", "d", "e", "a"],
            "country": ["DE", "DE", "US", "US", "US", "DE"],
            "paid_at": _ts(["03-01", "03-01", "03-02", "03-02", "03-03", "03-10"]),
            "shipped_at": _ts(["03-02", "03-03", "03-01", None, "03-04", None]),
            "delivered_at": _ts(["03-06", None, "03-05", "03-08", None, None]),
            "refunded_at": _ts([None, None, None, None, "03-02", None]),
            "cancelled_at": _ts([None, None, None, None, None, "03-11"]),
        }
    )


def _timeline(frame: pd.DataFrame | None = None, **kw: object) -> Timeline:
    frame = _messy() if frame is None else frame
    return Timeline.from_columns(
        frame, steps=STEPS, refunded="refunded_at", cancelled="cancelled_at", by="country", **kw
    )


def test_contradictions_are_counted_and_left_out() -> None:
    tl = _timeline()
    quality = tl.data_quality().set_index("issue")["count"].to_dict()
    assert quality == {
        "step times out of order": 1,  # order 3 shipped before paid
        "a step time missing before a later step": 1,  # order 4 delivered, never shipped
        "refunded before paid": 1,  # order 5
    }
    with pytest.warns(lf.DataQualityWarning, match="unknown"):
        lt = tl.lead_times().to_frame().set_index("pair")
    ship = lt.loc["paid->shipped"]
    # order 3 (backwards) and 4 (gap) left out; order 6 stopped by its cancellation
    assert (ship["orders"], ship["left_out"], ship["stopped"], ship["open"]) == (4, 2, 1, 0)
    assert ship["median"] == pd.Timedelta(days=1)
    deliver = lt.loc["shipped->delivered"]
    # 1: 4 days; 2: open since 03-03; 3: 4 days (its own pair is in order); 5: open
    assert (deliver["orders"], deliver["completed"], deliver["open"]) == (4, 2, 2)
    rates = tl.rates().to_frame().set_index("outcome")
    assert rates.loc["refunded", ["successes", "trials", "left_out"]].tolist() == [0, 5, 1]
    assert rates.loc["cancelled", ["successes", "trials"]].tolist() == [1, 6]
    notes = " ".join(tl.rates().provenance.notes)
    assert "refunded before paid" in notes
    assert "step times out of order" in notes


def test_a_history_counts_repeats_backwards_and_other_statuses() -> None:
    history = pd.DataFrame(
        {
            "order_id": [1, 1, 1, 1, 1, 2, 2, None],
            "customer_id": ["a"] * 8,
            "status": [
                "created",
                "paid",
                "shipped",
                "delivered",
                "shipped",
                "paid",
                "paid",
                "paid",
            ],
            "changed_at": _ts(
                ["03-01", "03-01", "03-02", "03-04", "03-05", "03-02", "03-03", "03-03"]
            ),
        }
    )
    tl = Timeline.from_history(history, steps=["paid", "shipped", "delivered"])
    assert tl.data_quality().set_index("issue")["count"].to_dict() == {
        "a status repeated": 2,
        "a status going backwards": 1,
    }
    acc = tl.data.accounting
    assert acc.rows_in == 8
    assert {d.reason: d.count for d in acc.dropped} == {
        "missing order": 1,
        "another status (not a step or outcome)": 1,
    }
    with pytest.warns(lf.DataQualityWarning, match="p75"):  # order 2 is still open
        lt = tl.lead_times().to_frame().set_index("pair")
    # the earliest time of each status: 1 day to ship, 2 days to deliver
    assert lt.loc["paid->shipped", "median"] == pd.Timedelta(days=1)
    assert lt.loc["shipped->delivered", "median"] == pd.Timedelta(days=2)


def test_order_lines_are_merged_whatever_their_order() -> None:
    lines = pd.DataFrame(
        {
            "order_id": [1, 1, 2],
            "customer_id": ["a", "a", "b"],
            "country": ["US", "DE", "US"],
            "paid_at": _ts(["03-01", "03-01 06:00", "03-02"]),
            "shipped_at": _ts([None, "03-03", "03-04"]),
            "delivered_at": _ts([None, None, None]),
        }
    )
    for frame in (lines, lines.iloc[::-1]):
        tl = Timeline.from_columns(frame, steps=STEPS, by="country")
        assert tl.n_orders == 2
        q = tl.data_quality().set_index("issue")["count"].to_dict()
        assert q["several rows"] == 1
        assert q["rows disagreeing on the customer or a segment"] == 1
        ev = tl.events()
        assert ev.loc[ev["order_id"] == 1, "country"].unique().tolist() == ["DE"]
        paid = ev.loc[(ev["order_id"] == 1) & (ev["event"] == "paid"), "timestamp"]
        assert paid.tolist() == [_t("03-01")]


def test_observation_end_censors_later_steps() -> None:
    frame = _messy()
    tl = _timeline(frame, observation_end="2026-03-04")
    assert tl.observation_end == _t("03-04")
    assert "times after observation_end" in set(tl.data_quality()["issue"])
    ev = tl.events()
    assert (ev["timestamp"] <= _t("03-04")).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        lt = tl.lead_times(by="country").to_frame()
    assert (lt["open"] >= 0).all()
    assert set(lt["pair"]) <= {"paid->shipped", "shipped->delivered"}


def test_repurchase_follows_a_delivery() -> None:
    ev = _timeline().events()
    # customer a: order 1 delivered 03-06, order 6 paid 03-10
    rep = ev.loc[ev["event"] == "repurchase"]
    assert rep["order_id"].tolist() == [6]
    assert rep["timestamp"].tolist() == [_t("03-10")]


def test_errors_name_the_parameter() -> None:
    tl = _timeline()
    with pytest.raises(lf.ParameterError, match="'sla' parameter"):
        tl.lead_times(sla={"shipped->paid": "2D"})
    with pytest.raises(lf.ParameterError, match="'sla' parameter"):
        tl.lead_times(sla={"paid->shipped": "-2D"})
    with pytest.raises(lf.ParameterError, match="'by' parameter"):
        tl.rates(by="channel")
    with pytest.raises(lf.ParameterError, match="'event' parameter"):
        tl.events(event="country")
    no_outcomes = Timeline.from_columns(_messy(), steps=STEPS)
    with pytest.raises(lf.EmptyFrameError, match="refunded="):
        no_outcomes.rates()
    with pytest.raises(lf.ParameterError, match="'steps' parameter"):
        Timeline.from_columns(_messy(), steps={"refunded": "paid_at"})
    with pytest.raises(lf.ParameterError, match="'customer' parameter"):
        Timeline.from_columns(_messy(), customer="order_id", steps=STEPS)
    with pytest.raises(lf.ColumnNotFoundError, match="shiped_at"):
        Timeline.from_columns(_messy(), steps={"paid": "paid_at", "shipped": "shiped_at"})
    aware = _messy().assign(paid_at=lambda f: f["paid_at"].dt.tz_localize("UTC"))
    with pytest.raises(lf.TimeZoneError, match="mixes"):
        Timeline.from_columns(aware, steps=STEPS)
    with pytest.raises(lf.ParameterError, match="one step"):
        Timeline.from_columns(_messy(), steps={"paid": "paid_at"}).lead_times()
    with pytest.raises(lf.EmptyFrameError, match="status among"):
        Timeline.from_history(
            pd.DataFrame({"order_id": [1], "customer_id": [1], "status": ["x"],
                          "changed_at": _ts(["03-01"])})
        )  # fmt: skip


def test_the_input_is_never_modified() -> None:
    frame = _messy()
    before = frame.copy(deep=True)
    tl = _timeline(frame)
    tl.events()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        tl.lead_times(sla={"paid->shipped": "1D"}, by="country")
    tl.rates(by="country")
    pd.testing.assert_frame_equal(frame, before)


# ----------------------------------------------------------------- the demo store


@pytest.fixture(scope="module")
def demo() -> object:
    store = lf.datasets.make_demo_store(1_500, seed=5, days=56)
    return store, demo_timelines(store.orders, seed=5)


def _demo_timeline(demo: object) -> Timeline:
    _, d = demo  # type: ignore[misc]
    return Timeline.from_columns(d.orders, **d.columns)


def test_results_keep_the_result_conventions(demo: object) -> None:
    tl = _demo_timeline(demo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        lt = tl.lead_times(sla={"paid->shipped": "2D", "shipped->delivered": "10D"}, by="country")
    rates = tl.rates(by="channel")
    for result in (lt, rates):
        check_result(result)
        assert isinstance(result, RateSource)
    assert isinstance(lt, LeadTimesResult)
    assert isinstance(rates, OrderRatesResult)


def test_rates_and_lead_times_feed_a_benchmark_and_the_monitor(demo: object) -> None:
    tl = _demo_timeline(demo)
    rates = tl.rates(by="platform")
    bench = Benchmark.from_rates(
        {"refunded": 0.04, "paid->shipped over SLA": 0.1}, source="target", as_of="2026-01",
        kind="target",
    )  # fmt: skip
    cmp = rates.compare(bench).to_frame()
    assert set(cmp["stage"]) == {"refunded"}
    assert sorted(cmp["platform"]) == ["amazon", "own_site", "tiktok_shop"]
    lt = tl.lead_times(sla={"paid->shipped": "2D"})
    row = bench.compare(lt).to_frame().iloc[0]
    frame = lt.to_frame().iloc[0]
    assert row["observed"] == pytest.approx(frame["share_over_sla"])
    assert row["ci_low"] == pytest.approx(frame["ci_low"])
    daily = rates.trend_observations("D")
    assert {"period", "stage", "base", "step", "successes", "trials", "platform"} <= set(daily)
    alerts = mon.detect(daily, method="pchart", date="period", metric="stage", by="platform",
                        min_trials=1)  # fmt: skip
    assert set(alerts.checks()["metric"]) == {"refunded", "returned", "cancelled"}
    sla_daily = lt.trend_observations("D")
    assert (sla_daily["successes"] <= sla_daily["trials"]).all()
    total = sla_daily[["successes", "trials"]].sum()
    assert (total["successes"], total["trials"]) == (frame["over_sla"], frame["decided"])


def test_the_ten_stage_template_spans_site_and_orders(demo: object) -> None:
    store, _ = demo  # type: ignore[misc]
    stages = lf.stage_template("cross_border_full")
    assert [s.name for s in stages] == [
        "impression", "click", "visit", "add_to_cart", "checkout", "payment",
        "shipped", "delivered", "review", "repurchase",
    ]  # fmt: skip
    site = store.events[["user_id", "timestamp", "event"]]
    after = _demo_timeline(demo).events().rename(columns={"customer_id": "user_id"})
    events = pd.concat([site, after[["user_id", "timestamp", "event"]]], ignore_index=True)
    counts = lf.Funnel(stages, window="90D").compute(events).to_frame()["users"].to_numpy()
    assert (np.diff(counts) <= 0).all()
    assert counts[5] > counts[6] > counts[7] > 0  # payment > shipped > delivered


def test_the_estimates_recover_the_generator_truth() -> None:
    rng = np.random.default_rng(0)
    n = 6_000
    orders = pd.DataFrame(
        {
            "order_id": np.arange(n),
            "customer_id": rng.integers(0, 4_000, n),
            "timestamp": pd.Timestamp("2026-01-01", tz="UTC")
            + pd.to_timedelta(rng.uniform(0, 60, n), unit="D"),
            "country": rng.choice(["US", "BR"], n),
            "platform": rng.choice(["own_site", "amazon", "tiktok_shop"], n),
        }
    )
    d = demo_timelines(orders, seed=1)
    tl = Timeline.from_columns(d.orders, **d.columns)
    truth = d.true_medians()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        ship = tl.lead_times(sla={"paid->shipped": "2D"}, by="platform").to_frame()
        transit = tl.lead_times(sla={"shipped->delivered": "10D"}, by=["country", "carrier"])
    for _, row in ship.iterrows():
        want = truth.loc[truth["platform"] == row["platform"], "median_days"].iloc[0]
        assert row["median"] / pd.Timedelta(days=1) == pytest.approx(want, rel=0.08)
    t = transit.to_frame().merge(truth, on=["country", "carrier"])
    got = t["median"].dt.total_seconds() / 86_400
    np.testing.assert_allclose(got, t["median_days"], rtol=0.12)
    # refund rates of settled orders cover the truth: REFUND_RATES x (1 - CANCEL_RATE)
    rates = tl.rates(by="platform", settle="30D", alpha=0.001).to_frame()
    refunds = rates.loc[rates["outcome"] == "refunded"].set_index("platform")
    for platform, rate in zip(PLATFORMS, REFUND_RATES, strict=True):
        row = refunds.loc[platform]
        assert row["ci_low"] <= rate * (1 - CANCEL_RATE) <= row["ci_high"], platform
    unsettled = tl.rates(by="platform").to_frame().set_index(["outcome", "platform"])
    assert (unsettled.loc["refunded", "rate"] < refunds["rate"]).all()  # biased low
    # the completed orders alone understate the slow routes (open orders are the slow ones)
    rec = transit.records
    slow = rec.loc[(rec["country"] == "BR") & (rec["carrier"] == "postal")]
    naive = slow.loc[slow["completed"], "duration"].median() / 86_400e9
    assert naive < 21.0 * 0.97 < got[(t["country"] == "BR") & (t["carrier"] == "postal")].iloc[0]
