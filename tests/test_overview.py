"""OverviewResult: numbers against plain pandas, the Result protocol, no mutation."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.errors import (
    ColumnNotFoundError,
    EmptyFrameError,
    ParameterError,
    SchemaError,
)
from linkstar_funnel.overview import (
    MISSING_LABEL,
    OverviewResult,
    describe_events,
    describe_orders,
)
from linkstar_funnel.results import Result, Summary


def _events(n: int = 3_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "uid": pd.array(rng.integers(0, 400, n), dtype="Int64"),
            "ts": pd.Timestamp("2026-03-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 15 * 86_400, n), unit="s"),
            "name": pd.Categorical(rng.choice(["visit", "cart", "pay"], n)),
            "country": rng.choice(["US", "DE", "FR"], n).astype(object),
            "platform": rng.choice(["site", "amazon"], n),
        }
    )
    frame.loc[frame.index[:11], "uid"] = pd.NA
    frame.loc[frame.index[11:14], "ts"] = pd.NaT
    frame.loc[frame.index[20:40], "country"] = None
    return frame


def _describe(frame: pd.DataFrame, **kwargs: object) -> OverviewResult:
    return describe_events(frame, user="uid", time="ts", event="name", **kwargs)  # type: ignore[arg-type]


def test_totals_match_pandas() -> None:
    frame = _events()
    ov = _describe(frame)
    clean = frame.dropna(subset=["uid", "ts", "name"])
    assert ov.n_rows == len(clean)
    assert ov.n_entities == clean["uid"].nunique()
    assert ov.start == clean["ts"].min()
    assert ov.end == clean["ts"].max()
    acc = ov.provenance.inputs["events"]
    assert (acc.rows_in, acc.rows_dropped) == (len(frame), 14)
    reasons = {d.reason: d.count for d in acc.dropped}
    assert reasons == {"missing user": 11, "missing time": 3}


def test_segments_match_pandas() -> None:
    frame = _events()
    ov = _describe(frame)
    clean = frame.dropna(subset=["uid", "ts", "name"])
    for dim in ("name", "country", "platform"):
        label = "event" if dim == "name" else dim
        got = ov.segments(label).set_index("value")
        keyed = clean.assign(key=clean[dim].astype(object).fillna(MISSING_LABEL).astype(str))
        expected = keyed.groupby("key", observed=True).agg(
            rows=("uid", "size"), users=("uid", "nunique")
        )
        pd.testing.assert_series_equal(
            got["rows"].sort_index(),
            expected["rows"].sort_index(),
            check_names=False,
            check_dtype=False,
        )
        pd.testing.assert_series_equal(
            got["users"].sort_index(),
            expected["users"].sort_index(),
            check_names=False,
            check_dtype=False,
        )
        assert got["rows"].is_monotonic_decreasing
        assert got["share"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("tz", [None, "Asia/Shanghai", "America/Los_Angeles"])
def test_daily_matches_pandas(tz: str | None) -> None:
    frame = _events()
    ov = _describe(frame, tz=tz)
    clean = frame.dropna(subset=["uid", "ts", "name"])
    local = clean["ts"].dt.tz_convert(tz or "UTC").dt.tz_localize(None).dt.floor("D")
    expected = (
        clean.assign(date=local).groupby("date").agg(rows=("uid", "size"), users=("uid", "nunique"))
    )
    daily = ov.daily().set_index("date")
    assert daily.index.is_monotonic_increasing
    assert (daily.index.to_series().diff().dropna() == pd.Timedelta("1D")).all()
    aligned = daily.loc[expected.index]
    np.testing.assert_array_equal(aligned["rows"], expected["rows"])
    np.testing.assert_array_equal(aligned["users"], expected["users"])
    assert daily["rows"].sum() == ov.n_rows
    if tz is not None:
        assert str(ov.start.tz) == tz


def test_gap_days_are_zero_and_naive_times_stay_naive() -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1, 2, 1],
            "timestamp": pd.to_datetime(
                ["2026-01-01 10:00", "2026-01-04 09:00", "2026-01-04 00:00"]
            ),
            "event": ["a", "b", "a"],
        }
    )
    ov = describe_events(frame, by=())
    assert ov.daily()["rows"].tolist() == [1, 0, 0, 2]
    assert ov.daily()["users"].tolist() == [1, 0, 0, 2]
    assert ov.start.tz is None
    assert ov.n_days == 4


def test_input_not_mutated() -> None:
    frame = _events()
    before = frame.copy(deep=True)
    ov = _describe(frame, tz="Europe/Berlin")
    ov.to_frame()
    ov.summary()
    pd.testing.assert_frame_equal(frame, before)


def test_result_protocol_and_frames_are_copies() -> None:
    ov = _describe(_events())
    assert isinstance(ov, Result)
    seg = ov.segments()
    seg.loc[0, "rows"] = -1
    assert ov.segments().loc[0, "rows"] != -1
    tidy = ov.to_frame()
    assert list(tidy.columns) == ["dimension", "level", "metric", "value"]
    assert set(tidy["dimension"]) == {"total", "event", "country", "platform", "date"}
    total = tidy[(tidy["dimension"] == "total") & (tidy["metric"] == "rows")]["value"]
    assert total.item() == ov.n_rows
    day_rows = tidy[(tidy["dimension"] == "date") & (tidy["metric"] == "rows")]["value"]
    assert day_rows.sum() == ov.n_rows


def test_summary_and_html_escape() -> None:
    frame = _events()
    frame["country"] = frame["country"].replace({"FR": "<script>alert(1)</script>"})
    ov = _describe(frame)
    summary = ov.summary()
    assert isinstance(summary, Summary)
    assert "missing user" in str(summary)
    page = ov._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_missing_by_column_names_it() -> None:
    with pytest.raises(ColumnNotFoundError, match="'countryy'") as info:
        _describe(_events(), by=("countryy",))
    assert "country" in str(info.value)  # suggests the close match


def test_missing_mapped_column_and_bad_by() -> None:
    with pytest.raises(ColumnNotFoundError, match="'user_id'"):
        describe_events(_events())
    with pytest.raises(ParameterError, match="'by' parameter of describe_events"):
        _describe(_events(), by=("country", "country"))
    with pytest.raises(EmptyFrameError):
        _describe(_events().iloc[:0])


def test_orders_overview_matches_pandas() -> None:
    rng = np.random.default_rng(3)
    n = 500
    orders = pd.DataFrame(
        {
            "order_id": rng.integers(0, 400, n),
            "customer_id": rng.integers(0, 90, n),
            "timestamp": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 30 * 86_400, n), unit="s"),
            "revenue": rng.gamma(2.0, 20.0, n),
            "status": rng.choice(["paid", "refunded"], n),
        }
    )
    orders.loc[orders.index[:4], "revenue"] = np.nan
    ov = describe_orders(orders, by="status")
    clean = orders.dropna(subset=["revenue"])
    assert ov.n_rows == len(clean)
    assert ov.n_entities == clean["customer_id"].nunique()
    assert ov.n_orders == clean["order_id"].nunique()
    assert ov.revenue == pytest.approx(clean["revenue"].sum())
    by_status = ov.segments("status").set_index("value")
    expected = clean.groupby("status")["revenue"].sum()
    np.testing.assert_allclose(by_status.loc[expected.index, "revenue"], expected)
    assert ov.daily()["revenue"].sum() == pytest.approx(clean["revenue"].sum())
    assert "revenue" in set(ov.to_frame()["metric"])


def test_plot_returns_axes_with_legend_and_title() -> None:
    ov = _describe(_events())
    ax = ov.plot()
    try:
        assert ax.get_legend() is not None
        assert "per day" in ax.get_title(loc="left")
        assert len(ax.get_lines()) == 2
    finally:
        plt.close(ax.figure)
    fig, given = plt.subplots()
    try:
        assert ov.plot(given, linewidth=1.0) is given
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"by": 5}, "'by' parameter of describe_events"),
        ({"by": [1]}, "'by' parameter of describe_events"),
        ({"tz": 5}, "'tz' parameter of describe_events"),
        ({"user": 5}, "'user' parameter of describe_events"),
    ],
)
def test_bad_arguments_are_parameter_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        describe_events(_events(), **{"by": (), **kwargs})  # type: ignore[arg-type]


def test_orders_bad_arguments_are_parameter_errors() -> None:
    orders = pd.DataFrame(
        {
            "order_id": [1, 2],
            "customer_id": [1, 2],
            "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "revenue": [1.0, 2.0],
        }
    )
    with pytest.raises(ParameterError, match="'order' parameter of describe_orders"):
        describe_orders(orders, order=5, by=())  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'value' parameter of describe_orders"):
        describe_orders(orders, value=None, by=())  # type: ignore[arg-type]


def test_revenue_beyond_float64_is_refused_not_inf() -> None:
    # The total used to be inf, with only numpy's RuntimeWarning.
    orders = pd.DataFrame(
        {
            "order_id": [1, 2],
            "customer_id": [1, 2],
            "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "revenue": [1e308, 1e308],
        }
    )
    with pytest.raises(SchemaError, match="beyond the float64 range"):
        describe_orders(orders, by=())


def test_segments_dimension_must_be_a_name() -> None:
    overview = _describe(_events(), by="country")
    with pytest.raises(ParameterError, match=r"'dimension' parameter of OverviewResult\.segments"):
        overview.segments(["country"])  # type: ignore[arg-type]


def test_the_old_result_name_is_a_deprecated_alias() -> None:
    from linkstar_funnel import overview

    with pytest.warns(DeprecationWarning, match="'?OverviewResult'?"):
        old = overview.__getattr__("DataOverview")
    assert old is OverviewResult
    assert "DataOverview" not in overview.__all__
