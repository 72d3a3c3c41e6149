"""The report's attribution section: eight models on the demo store, checked against the truth."""

from __future__ import annotations

import html as html_lib

import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.attribution import DIRECT_NONE
from linkstar_funnel.datasets import DemoStore, make_demo_store
from linkstar_funnel.report import (
    REGISTRY,
    ReportContext,
    ReportData,
    SectionRegistry,
    build_report,
)
from linkstar_funnel.report._attribution_section import render_attribution
from linkstar_funnel.report._attribution_truth import expected_shares, total_variation
from linkstar_funnel.report._attribution_view import MODELS, AttributionView, attribution_view

from .conftest import HOSTILE

KEPT = ("paid", "shipped", "delivered")


def _render(data: ReportData) -> str | None:
    return REGISTRY.get("attribution").render(ReportContext(data))


@pytest.fixture(scope="module")
def store() -> DemoStore:
    return make_demo_store(20_000, seed=0)


@pytest.fixture(scope="module")
def data(store: DemoStore) -> ReportData:
    return ReportData(
        events=store.events,
        orders=store.orders,
        touchpoints=store.touchpoints,
        spend=store.spend,
        extras={"store": store},
    )


@pytest.fixture(scope="module")
def view(data: ReportData) -> AttributionView:
    v = attribution_view(data)
    assert v is not None
    return v


@pytest.fixture(scope="module")
def kept(store: DemoStore) -> pd.DataFrame:
    return store.orders[store.orders["status"].isin(KEPT)]


@pytest.fixture(scope="module")
def section_html(data: ReportData) -> str:
    out = _render(data)
    assert out is not None
    return out


def test_numbers_equal_the_library_computed_directly(
    store: DemoStore, kept: pd.DataFrame, view: AttributionView, section_html: str
) -> None:
    j = lf.Journeys.from_touchpoints(
        store.touchpoints, kept, conversion_user="customer_id", value="revenue", lookback="30D"
    )
    direct = lf.compare_attribution(list(MODELS), j)
    assert view.comparison.labels == direct.labels
    pd.testing.assert_frame_equal(view.comparison.wide(), direct.wide())
    pd.testing.assert_frame_equal(view.comparison.wide("value"), direct.wide("value"))
    # The table shows each model's share of orders as the library computes it.
    shares = direct.wide() / j.total_conversions
    for channel, share in shares["Markov"].items():
        assert f"{share:.1%}" in section_html, channel
    markov = direct.results[direct.labels.index("Markov")]
    assert isinstance(markov, lf.MarkovResult)
    pd.testing.assert_frame_equal(view.markov.removal_effects, markov.removal_effects)
    with pytest.warns(lf.DataQualityWarning, match="no spend"):  # organic, direct: no CPA
        econ = direct.economics(store.spend).to_frame()
    pd.testing.assert_frame_equal(view.economics.to_frame(), econ)  # type: ignore[union-attr]


def test_refunded_orders_are_excluded(
    store: DemoStore, kept: pd.DataFrame, view: AttributionView
) -> None:
    refunded = int((store.orders["status"] == "refunded").sum())
    assert refunded > 0
    assert view.orders_excluded == refunded
    assert view.orders_in == len(store.orders)
    assert view.journeys.total_conversions == len(kept)


def test_credit_sums_equal_total_conversions_and_value(
    kept: pd.DataFrame, view: AttributionView
) -> None:
    conv, value = view.comparison.wide(), view.comparison.wide("value")
    np.testing.assert_allclose(conv.sum().to_numpy(), len(kept), rtol=1e-9)
    np.testing.assert_allclose(value.sum().to_numpy(), kept["revenue"].sum(), rtol=1e-9)
    np.testing.assert_allclose(view.shares().sum().to_numpy(), 1.0, rtol=1e-9)
    truth = view.truth
    assert truth is not None
    assert truth.channels["true_orders"].sum() == len(kept)
    assert truth.channels["true_revenue"].sum() == pytest.approx(kept["revenue"].sum())


def test_truth_is_the_acquisition_channel_and_distances_are_total_variation(
    kept: pd.DataFrame, view: AttributionView
) -> None:
    truth = view.truth
    assert truth is not None
    expected = kept["channel"].astype(str).value_counts(normalize=True)
    for channel, share in expected.items():
        assert truth.true_share(str(channel)) == pytest.approx(share)
    shares = view.shares()
    for label, distance in zip(truth.distances["model"], truth.distances["distance"], strict=True):
        model = shares[label]
        true = expected.reindex(model.index, fill_value=0.0)  # no truth for (direct/none)
        assert distance == pytest.approx(0.5 * np.abs(model - true).sum())
    # Orders without a touch in the window go to (direct/none), which the truth never credits.
    none = shares.loc[DIRECT_NONE, "Last touch"]
    assert none > 0
    first = truth.distances.set_index("model").loc["First touch"]
    assert first["direct_none"] == pytest.approx(none)
    assert first["distance"] >= none - 1e-12


def test_total_variation_reference() -> None:
    p = pd.Series({"a": 0.2, "b": 0.8})
    assert total_variation(p, p) == 0.0
    assert total_variation(p, pd.Series({"c": 1.0})) == 1.0
    assert total_variation(p, pd.Series({"a": 0.5, "b": 0.5})) == pytest.approx(0.3)


def test_expected_shares_from_the_truth_tables_match_a_large_store() -> None:
    big = make_demo_store(200_000, seed=5)
    realised = big.orders["channel"].astype(str).value_counts(normalize=True)
    assert total_variation(expected_shares(big)["expected_share"], realised) < 0.02


def test_section_html(section_html: str, view: AttributionView) -> None:
    for heading in (
        "Credit by model",
        "Markov removal effects",
        "Channel economics",
        "How close each model gets to the truth",
    ):
        assert f"<h3>{heading}</h3>" in section_html
    assert "Refunded orders are excluded" in section_html
    assert '<img src="data:image/png;base64,' in section_html
    best, distance = view.truth.ranked()[0]  # type: ignore[union-attr]
    assert html_lib.escape(f"Closest to the truth: {best}, which credits {distance:.1%}") in (
        section_html
    )


def _layout(*names: str) -> SectionRegistry:
    """The report's own sections ``names`` (placed by their registered order)."""
    registry = SectionRegistry()
    for name in names:
        section = REGISTRY.get(name)
        registry.register(section.name, order=section.order, title=section.title)(section.render)
    return registry


def test_whole_report_places_the_section_after_the_overviews(data: ReportData) -> None:
    page = build_report(data, registry=_layout("attribution", "orders-overview"))
    assert 'id="attribution"' in page
    assert page.index('id="orders-overview"') < page.index('id="attribution"')


def test_skipped_without_touchpoints_or_orders(store: DemoStore) -> None:
    assert _render(ReportData(orders=store.orders, spend=store.spend)) is None
    assert _render(ReportData(touchpoints=store.touchpoints)) is None
    page = build_report(
        ReportData(orders=store.orders), registry=_layout("attribution", "orders-overview")
    )
    assert 'id="attribution"' not in page


def _hostile_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    n = 400
    start = pd.Timestamp("2026-02-01", tz="UTC")
    touches = pd.DataFrame(
        {
            "user_id": rng.integers(0, 80, n),
            "timestamp": start + pd.to_timedelta(rng.integers(0, 20 * 86_400, n), unit="s"),
            "channel": rng.choice([HOSTILE, "email", "$x^2$ & <b>", "search"], n),
        }
    )
    orders = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 80, 60),
            "timestamp": start + pd.to_timedelta(rng.integers(0, 20 * 86_400, 60), unit="s"),
            "revenue": rng.gamma(2.0, 30.0, 60).round(2),
            "status": rng.choice(["paid", "Refunded", "delivered"], 60),
        }
    )
    return touches, orders


def test_hostile_channel_names_are_escaped() -> None:
    touches, orders = _hostile_inputs()
    spend = pd.DataFrame({"channel": [HOSTILE, "search"], "cost": [100.0, 50.0]})
    out = _render(ReportData(touchpoints=touches, orders=orders, spend=spend))
    assert out is not None
    assert HOSTILE not in out
    assert "<b>" not in out
    assert html_lib.escape(HOSTILE) in out
    assert "Channel economics" in out
    assert "How close each model" not in out  # no demo store: no truth to compare with


def test_user_orders_statuses_and_negative_revenue_are_left_out() -> None:
    touches, orders = _hostile_inputs()
    orders.loc[orders.index[:3], "status"] = "paid"
    orders.loc[orders.index[:3], "revenue"] = -5.0
    v = attribution_view(ReportData(touchpoints=touches, orders=orders))
    assert v is not None
    dropped = (orders["status"] == "Refunded") | (orders["revenue"] < 0)
    assert v.orders_excluded == int(dropped.sum())
    assert v.journeys.total_conversions == int((~dropped).sum())
    assert v.economics is None
    assert "Channel economics" not in render_attribution(v)
