"""Monitor: recall on injected anomalies, false alarms on clean series, modes, errors.

Measured at the default thresholds (alpha=0.001, window="28D", seasonality="weekend",
Laney-corrected p-chart), on 300 seeded 90-day series (weekdays 30% of ~1,000, weekends
27% of ~700), every day after the first four weeks judged:

* false alarms per judged series-day, binomial series: robust 0.085% (20 of 23,400),
  pchart 0.056% (13); with day-to-day logit-normal noise of s.d. 0.03: robust 0.14%,
  pchart 0.15% (nominal: 0.1%).
* recall of a one-day drop of 30% (4.8-6.2 binomial s.d.): 94-95% (both methods);
  of 20% (3.2-4.1 s.d.): 52-54%. The misses are mostly weekend days (fewer trials) where
  the binomial draw landed near the usual rate.

The tests below rerun smaller versions of those measurements with slack.
"""

from __future__ import annotations

import logging

import matplotlib as mpl

mpl.use("Agg")

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.errors import (
    ColumnNotFoundError,
    DataQualityWarning,
    EmptyFrameError,
    ParameterError,
    SchemaError,
    TimeColumnError,
)
from linkstar_funnel.monitor import Monitor, Threshold, detect

from .simulate import START, rate_series


def _judged(checks: pd.DataFrame) -> int:
    return int(checks["status"].isin(["ok", "alert"]).sum())


@pytest.mark.parametrize("method", ["robust", "pchart"])
def test_clean_series_raise_few_false_alarms(method: str) -> None:
    clean, _ = rate_series(100, seed=11, overdispersion=0.02)
    checks = detect(clean, method=method, by=["series"]).checks()
    rate = (checks["status"] == "alert").sum() / _judged(checks)
    assert _judged(checks) > 6_000
    assert rate < 0.005


@pytest.mark.parametrize("method", ["robust", "pchart"])
def test_injected_drops_are_found(method: str) -> None:
    data, truth = rate_series(100, seed=12, drop=0.35)
    alerts = detect(data, method=method, by=["series"], direction="drop").to_frame()
    found = truth.merge(alerts, on=["series", "date"], how="left")
    assert found["severity"].notna().mean() >= 0.9
    assert set(found["direction"].dropna()) == {"drop"}


def test_alert_frame_columns_and_inputs_not_mutated() -> None:
    data, _ = rate_series(2, seed=3, drop=0.5)
    before = data.copy(deep=True)
    out = detect(data, method="robust", by=["series"]).to_frame()
    pd.testing.assert_frame_equal(data, before)
    assert list(out.columns[:5]) == ["date", "metric", "series", "lower", "upper"]
    assert {"expected", "observed", "severity", "direction", "score", "n"} <= set(out.columns)
    assert (out["lower"] < out["upper"]).all()
    assert set(out["severity"]) <= {"warning", "critical"}


def test_latest_mode_judges_only_the_last_day() -> None:
    data, _ = rate_series(3, seed=4, days=50)
    last = data["date"].max()
    data.loc[data["date"] == last, "successes"] //= 3
    alerts = detect(data, method="pchart", by=["series"], mode="latest")
    checks = alerts.checks()
    assert set(checks["date"]) == {last}
    assert len(alerts.to_frame()) == 3


def test_since_limits_backfill() -> None:
    data, _ = rate_series(1, seed=4, days=50)
    checks = detect(data, since="2026-02-16").checks()
    assert checks["date"].min() == pd.Timestamp("2026-02-16")


def test_low_volume_days_are_not_judged_nor_alerted() -> None:
    data, _ = rate_series(1, seed=5, days=50)
    day = START + pd.Timedelta(days=45)
    data.loc[data["date"] == day, ["successes", "trials"]] = [0, 10]
    checks = detect(data, method="pchart").checks().set_index("date")
    assert checks.loc[day, "status"] == "low volume"
    # Judged anyway, 0 of 10 is within 2.1 binomial s.d. of 30%: a wide range, no alarm.
    judged = detect(data, method="pchart", min_trials=5).checks().set_index("date").loc[day]
    assert judged["status"] == "ok"
    assert judged["upper"] - judged["lower"] > 0.5


def test_values_without_counts_and_thresholds() -> None:
    days = pd.date_range("2026-01-05", periods=40, freq="D")
    rng = np.random.default_rng(8)
    values = 100 + rng.normal(0, 2, 40)
    values[35] = 70.0
    frame = pd.DataFrame({"date": days, "gmv": values})
    out = detect(frame, value="gmv", since="2026-02-02").to_frame()
    assert out["date"].tolist() == [days[35]]
    assert out["metric"].tolist() == ["gmv"]
    rule = detect(
        frame, value="gmv", since="2026-02-02", thresholds=Threshold("gmv", above=104.0)
    ).to_frame()
    assert (rule.loc[rule["rule"] == "threshold", "severity"] == "critical").all()
    assert (rule.loc[rule["rule"] == "threshold", "observed"] > 104.0).all()


def test_direction_rise_ignores_drops() -> None:
    data, _ = rate_series(20, seed=13, drop=0.5)
    assert (
        detect(data, by=["series"], direction="rise").to_frame().empty
        or (detect(data, by=["series"], direction="rise").to_frame()["direction"] == "rise").all()
    )


def test_dates_as_times_are_bucketed_in_the_market_zone() -> None:
    # 23:30 in New York is the next day in UTC; read in New York it stays on its day.
    times = pd.date_range("2026-01-05 23:30", periods=40, freq="D", tz="America/New_York")
    frame = pd.DataFrame({"date": times.tz_convert("UTC"), "value": np.ones(40)})
    checks = detect(frame, tz="America/New_York").checks()
    assert checks["date"].min() == pd.Timestamp("2026-01-05")
    checks_utc = detect(frame).checks()
    assert checks_utc["date"].min() == pd.Timestamp("2026-01-06")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "arima"}, ParameterError, "'method' parameter of detect"),
        ({"alpha": 0.0}, ParameterError, "'alpha' parameter of Monitor"),
        ({"alpha": 1.96}, ParameterError, "'alpha' parameter"),
        ({"window": 0}, ParameterError, "'window' parameter"),
        ({"direction": "down"}, ParameterError, "'direction' parameter"),
        ({"mode": "today"}, ParameterError, "'mode' parameter of detect"),
        ({"by": ["country"]}, ColumnNotFoundError, "'country'"),
    ],
)
def test_bad_parameters(kwargs: dict[str, object], error: type, match: str) -> None:
    data, _ = rate_series(1, seed=1, days=20)
    with pytest.raises(error, match=match):
        detect(data, **kwargs)  # type: ignore[arg-type]


def test_bad_frames() -> None:
    days = pd.date_range("2026-01-05", periods=10, freq="D")
    with pytest.raises(ColumnNotFoundError, match="successes"):
        detect(pd.DataFrame({"date": days, "value": 1.0}), method="pchart")
    with pytest.raises(SchemaError, match="several 'value' values"):
        detect(pd.DataFrame({"date": [days[0], days[0]], "value": [1.0, 2.0]}))
    with pytest.raises(SchemaError, match="0 <= successes <= trials"):
        detect(pd.DataFrame({"date": days, "successes": 5, "trials": 3}))
    with pytest.raises(ColumnNotFoundError, match="'value'"):
        detect(pd.DataFrame({"date": days, "val": 1.0}))
    with pytest.raises(ParameterError, match="'below' parameter of Threshold"):
        Threshold("x")


def test_summary_and_plot() -> None:
    data, _ = rate_series(2, seed=3, drop=0.5)
    alerts = detect(data, by=["series"], method="pchart")
    text = str(alerts)
    assert "alerts (critical)" in text
    assert "not judged: no history" in text
    ax = alerts.plot()
    assert "pchart" in ax.get_title(loc="left")
    ax.figure.savefig("/tmp/lf_monitor_plot.png", dpi=90)
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
    with pytest.raises(ParameterError, match="unknown argument"):
        alerts.plot(channel="x")


def test_monitor_spec_is_frozen_and_reusable() -> None:
    spec = Monitor(method="pchart", alpha=0.01)
    data, _ = rate_series(1, seed=2, days=40)
    a = spec.detect(data)
    assert a.spec is spec
    assert a.provenance.spec is spec
    with pytest.raises(AttributeError):
        spec.alpha = 0.5  # type: ignore[misc]


def test_prophet_finds_a_drop_quietly_and_restores_state(caplog: pytest.LogCaptureFixture) -> None:
    data, truth = rate_series(1, seed=5, drop=0.35, days=63, drop_from=50)
    np.random.seed(123)  # noqa: NPY002 - checks prophet leaves the global state as it found it
    state = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    with caplog.at_level(logging.INFO):
        alerts = detect(data, method="prophet", since="2026-02-23", direction="drop")
    assert np.random.random() == state  # noqa: NPY002
    assert not [r for r in caplog.records if r.name.startswith(("cmdstanpy", "prophet"))]
    assert logging.getLogger("cmdstanpy").level == logging.NOTSET
    out = alerts.to_frame()
    assert truth["date"].iloc[0] in set(out["date"])
    checks = alerts.checks()
    judged = checks.loc[checks["status"].isin(["ok", "alert"])]
    assert (judged["status"] == "alert").sum() <= 2


@pytest.mark.parametrize("mode", ["backfill", "latest"])
def test_a_row_without_date_is_dropped_and_counted_not_put_on_the_last_day(mode: str) -> None:
    # A NaT date used to be indexed -1, i.e. written onto the last day: a false critical alert.
    days = pd.date_range("2026-01-05", periods=40, freq="D")
    frame = pd.DataFrame({"date": [*days, pd.NaT], "value": [10.0] * 40 + [100.0]})
    alerts = detect(frame, mode=mode)  # type: ignore[arg-type]
    assert alerts.to_frame().empty
    last = alerts.checks().loc[lambda c: c["date"] == days[-1], "observed"]
    assert last.tolist() == [10.0]
    accounting = alerts.provenance.inputs["daily_kpis"]
    assert accounting.rows_in == 41
    assert accounting.rows_used == 40
    assert [(d.reason, d.column, d.count) for d in accounting.dropped] == [
        ("missing date", "date", 1)
    ]


def test_missing_values_and_counts_are_dropped_and_counted() -> None:
    days = pd.date_range("2026-01-05", periods=30, freq="D")
    counts = pd.DataFrame({"date": days, "successes": 300.0, "trials": 1000.0})
    counts.loc[3, "successes"] = np.nan
    counts.loc[4, "trials"] = np.nan
    acc = detect(counts, method="pchart").provenance.inputs["daily_kpis"]
    assert acc.rows_used == 28
    values = pd.DataFrame({"date": days, "value": 1.0, "metric": "m"})
    values.loc[5, "value"] = np.nan
    values.loc[6, "metric"] = None
    acc = detect(values).provenance.inputs["daily_kpis"]
    assert sorted((d.reason, d.count) for d in acc.dropped) == [
        ("missing metric", 1),
        ("missing value", 1),
    ]


def test_monitor_frames_go_through_the_schema_layer() -> None:
    days = pd.date_range("2026-01-05", periods=10, freq="D")
    with pytest.raises(EmptyFrameError):
        detect(pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "value": []}))
    with pytest.raises(EmptyFrameError):
        detect(pd.DataFrame({"date": [pd.NaT] * 3, "value": 1.0}))
    with pytest.raises(TimeColumnError):
        detect(pd.DataFrame({"date": np.arange(10), "value": 1.0}))
    with pytest.raises(SchemaError, match="infinite"):
        detect(pd.DataFrame({"date": days, "value": [np.inf] + [1.0] * 9}))
    with pytest.raises(SchemaError):
        detect(pd.DataFrame({"date": days, "value": "high"}))


def test_by_as_one_column_name() -> None:
    data, _ = rate_series(2, seed=3, days=30)
    one = detect(data, by="series").checks()
    assert one.equals(detect(data, by=["series"]).checks())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"by": 5}, "'by' parameter of detect"),
        ({"since": "soon"}, "'since' parameter of detect"),
        ({"date": 3}, "'date' parameter of detect"),
        ({"tz": 1}, "'tz' parameter of detect"),
        ({"min_relative_change": float("nan")}, "'min_relative_change' parameter of Monitor"),
        ({"laney": "yes"}, "'laney' parameter of Monitor"),
        ({"seed": 1.5}, "'seed' parameter of Monitor"),
        ({"critical_alpha": 2.0}, "'critical_alpha' parameter of Monitor"),
        ({"thresholds": [1]}, "'thresholds' parameter of Monitor"),
        ({"thresholds": 3}, "'thresholds' parameter of Monitor"),
        ({"by": ["date"]}, "'by' parameter of detect names column 'date'"),
        ({"by": "value"}, "which is already the value column"),
    ],
)
def test_bad_arguments_are_parameter_errors(kwargs: dict[str, object], match: str) -> None:
    data, _ = rate_series(1, seed=1, days=20)
    with pytest.raises(ParameterError, match=match):
        detect(data, **kwargs)  # type: ignore[arg-type]


def test_threshold_refuses_nan_and_inf_bounds() -> None:
    with pytest.raises(ParameterError, match="'below' parameter of Threshold"):
        Threshold("x", below=float("nan"))
    with pytest.raises(ParameterError, match="'above' parameter of Threshold"):
        Threshold("x", above=float("inf"))
    with pytest.raises(ParameterError, match="'metric' parameter of Threshold"):
        Threshold(3, below=1.0)  # type: ignore[arg-type]


def test_values_too_large_to_square_are_refused_not_inf() -> None:
    # Used to overflow to inf with only numpy's RuntimeWarning.
    days = pd.date_range("2026-01-05", periods=40, freq="D")
    values = np.r_[np.full(39, 1e308), -1e308]
    with pytest.raises(SchemaError, match="beyond"):
        detect(pd.DataFrame({"date": days, "value": values}))


def test_a_missing_segment_is_a_series_of_its_own() -> None:
    days = pd.date_range("2026-01-05", periods=40, freq="D")
    frame = pd.DataFrame(
        {
            "date": np.r_[days, days],
            "value": np.r_[np.ones(39), 50.0, np.ones(40)],
            "shop": ["a"] * 40 + [None] * 40,
        }
    )
    alerts = detect(frame, by="shop")
    assert len(alerts.checks()) == 80
    assert "series: 2" in str(alerts)
    ax = alerts.plot(shop=None)
    assert len(ax.lines) > 0
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_threshold_alerts_without_history_say_so_and_point_the_right_way() -> None:
    # A "below" threshold alert on a day without history used to read direction "rise"
    # (NaN expected), with NaN range and score and no word about it.
    days = pd.date_range("2026-01-05", periods=3, freq="D")
    frame = pd.DataFrame({"date": days, "metric": "rate", "value": [0.3, 0.1, 0.3]})
    with pytest.warns(DataQualityWarning, match="1 threshold alert"):
        alerts = detect(frame, thresholds=Threshold("rate", below=0.2)).to_frame()
    assert alerts["direction"].tolist() == ["drop"]
    assert alerts["rule"].tolist() == ["threshold"]
