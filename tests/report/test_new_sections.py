"""The report's sections on the new areas: after the payment, retention, experiments,
targets, search and cross-sell. Each runs the section kit on small data and checks that
the figures shown are the library's."""

from __future__ import annotations

import re

import attrs
import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.datasets import DemoStore, make_demo_experiment, make_demo_store
from linkstar_funnel.report import REGISTRY, ReportContext, ReportData, check_report_section
from linkstar_funnel.report._action_section import render_off_track
from linkstar_funnel.report._experiment_section import (
    CONTROL_EXTRA,
    VARIANT_EXTRA,
    experiment_view,
    lift_table,
)
from linkstar_funnel.report._orders_section import SLA, lead_table, orders_view
from linkstar_funnel.report._retention_section import (
    curve_table,
    p_alive_separates,
    retention_views,
    segment_sizes,
)
from linkstar_funnel.report._search_section import search_view
from linkstar_funnel.report._targets_section import (
    TARGETS_EXTRA,
    daily_actuals,
    off_track_table,
    targets_view,
)


@pytest.fixture(scope="module")
def store() -> DemoStore:
    return make_demo_store(2_500, seed=2, days=42)


def _data(store: DemoStore, **extras: object) -> ReportData:
    return ReportData(
        events=store.events,
        orders=store.orders,
        extras={"store": store, **extras},
        source="test store",
    )


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


# ------------------------------------------------------------------ after the payment


def test_after_payment_section_shows_the_timeline(store: DemoStore) -> None:
    # the kit on the status-time columns (its relabelled store cannot draw demo timelines)
    data = ReportData(events=store.events, orders=store.timelines.orders)
    assert check_report_section(REGISTRY.get("after-payment"), data) is not None
    ctx = ReportContext(_data(store))
    html = REGISTRY.get("after-payment").render(ctx)
    assert html is not None
    view = orders_view(ctx)  # cached by the render
    assert view is not None
    demo = store.timelines
    tl = lf.orders.Timeline.from_columns(demo.orders, **demo.columns)
    expected = tl.lead_times(sla=SLA, by="platform").to_frame()
    expected = expected.loc[expected["pair"] == "paid->shipped"]
    shown = lead_table(view.handling, "paid->shipped", view.truth)
    assert shown["orders"].tolist() == expected["orders"].tolist()
    np.testing.assert_allclose(shown["over SLA"], expected["share_over_sla"])
    # the demo's true medians sit beside the estimates
    truth = demo.true_medians().set_index(["pair", "platform"])["median_days"]
    for platform, value in zip(shown["platform"], shown["true median (days)"], strict=True):
        assert value == pytest.approx(truth[("paid->shipped", platform)])
    assert f"{expected['share_over_sla'].iloc[0]:.1%}" in html
    assert view.journey is not None
    stages = view.journey.to_frame()["stage"].astype(str).tolist()
    assert stages == [s.name for s in lf.stage_template("cross_border_full")]
    assert "repurchase" in html


def test_after_payment_reads_status_time_columns_of_user_orders(store: DemoStore) -> None:
    orders = store.timelines.orders
    view = orders_view(ReportContext(ReportData(orders=orders)))
    assert view is not None
    assert view.truth is None
    assert view.journey is None
    assert int(view.rates.to_frame()["trials"].max()) <= len(orders)
    # no status times: left out
    assert (
        REGISTRY.get("after-payment").render(ReportContext(ReportData(orders=store.orders))) is None
    )


# ----------------------------------------------------------------------- retention


def test_retention_section_weekly_on_the_store(store: DemoStore) -> None:
    data = ReportData(orders=store.orders, extras={"store": store})
    html = check_report_section(REGISTRY.get("retention"), data)
    assert html is not None
    (view,) = retention_views(ReportContext(data))
    res = lf.Retention(
        start=lf.Stage("order"), returning=lf.Stage("order"), period="W", periods=10
    ).compute(store.orders.assign(event="order"), user="customer_id", time="timestamp")
    curve = res.curve()
    shown = curve_table(view)
    np.testing.assert_allclose(shown["rate"], curve.loc[curve["period"] >= 1, "rate"])
    first = int(curve.loc[curve["period"] == 0, "users"].iloc[0])
    assert f"{first:,}" in _text(html)
    sizes = view.rfm.segment_table()
    assert int(sizes["customers"].sum()) == store.orders["customer_id"].nunique()
    assert "champions" in html


def test_p_alive_is_shown_only_where_it_tells_customers_apart(store: DemoStore) -> None:
    (view,) = retention_views(ReportContext(ReportData(orders=store.orders)))
    frame = view.rfm.frame
    spread = frame.assign(p_alive=np.linspace(0.1, 1.0, len(frame)))
    flat = frame.assign(p_alive=np.r_[0.5, np.full(len(frame) - 1, 0.99)])
    shown = attrs.evolve(view, rfm=attrs.evolve(view.rfm, frame=spread))
    hidden = attrs.evolve(view, rfm=attrs.evolve(view.rfm, frame=flat))
    assert p_alive_separates(shown)
    assert "mean P(alive)" in segment_sizes(shown)
    assert not p_alive_separates(hidden)
    assert "mean P(alive)" not in segment_sizes(hidden)


# ---------------------------------------------------------------------- experiments


@pytest.fixture(scope="module")
def experiment() -> lf.datasets.DemoExperiment:
    return make_demo_experiment(4_000, seed=4, lift=0.8, days=21)


def test_experiment_section_on_a_variant_column(experiment: lf.datasets.DemoExperiment) -> None:
    events = experiment.events.rename(columns={"variant": "arm"})
    data = ReportData(events=events, extras={VARIANT_EXTRA: "arm", CONTROL_EXTRA: "control"})
    html = check_report_section(REGISTRY.get("experiments"), data)
    assert html is not None
    view = experiment_view(ReportContext(data))
    assert view is not None
    assert view.control == "control"
    assert view.truth is None
    stages = ["impression", "click", "visit", "product_view", "add_to_cart", "checkout", "payment"]
    direct = (
        lf.Funnel(stages, window="7D")
        .compute(events, by="arm")
        .experiment(control="control", rate="conversion_from_previous")
    )
    for line in direct.lines():
        assert line.split(" (")[0] in _text(html).replace("&#x27;", "'")
    table = lift_table(view.result)
    assert table["step"].tolist() == stages[1:]
    cart = table.loc[table["step"] == "add_to_cart"].iloc[0]
    assert cart["significant"] == "yes"
    assert cart["lift"] > 0
    # no variant column: left out
    assert REGISTRY.get("experiments").render(ReportContext(ReportData(events=events))) is None


def test_experiment_section_on_the_demo_store_says_the_truth(store: DemoStore) -> None:
    view = experiment_view(ReportContext(_data(store)))
    assert view is not None
    assert view.truth is not None
    assert "+15%" in view.truth


# -------------------------------------------------------------------------- targets


def test_targets_section_and_off_track_actions(store: DemoStore) -> None:
    actual = daily_actuals(ReportData(events=store.events, orders=store.orders))
    assert actual is not None
    assert actual["orders"].sum() == len(store.orders)
    assert actual["revenue"].sum() == pytest.approx(store.orders["revenue"].sum())
    sessions = actual[["paid_sessions", "organic_sessions", "direct_sessions"]].sum().sum()
    assert sessions == store.events["session_id"].nunique()
    targets = pd.DataFrame(
        {"node": ["gmv", "orders", "cvr"], "target": [1e9, 1.0, 0.01], "owner": ["Ana", "", "Bo"]}
    )
    data = ReportData(events=store.events, orders=store.orders, extras={TARGETS_EXTRA: targets})
    html = check_report_section(REGISTRY.get("targets"), data)
    assert html is not None
    assert "Ana" in html
    view = targets_view(ReportContext(data))
    assert view is not None
    off = off_track_table(view)
    assert off["node"].tolist() == ["gmv"]
    assert off["owner"].tolist() == ["Ana"]
    assert "Targets off track" in render_off_track(off)
    # without a funnel the actions list still names the off-track target
    orders_only = ReportData(orders=store.orders, extras={TARGETS_EXTRA: targets.iloc[:2]})
    actions = REGISTRY.get("actions").render(ReportContext(orders_only))
    assert actions is not None
    assert "Targets off track" in actions
    assert "gmv" in actions


def test_targets_left_out_without_targets(store: DemoStore) -> None:
    data = ReportData(events=store.events, orders=store.orders)
    assert REGISTRY.get("targets").render(ReportContext(data)) is None


# ------------------------------------------------------------ search and cross-sell


def test_search_section_on_the_demo_store(store: DemoStore) -> None:
    html = check_report_section(REGISTRY.get("search-basket"), _data(store))
    assert html is not None
    view = search_view(ReportContext(_data(store)))
    assert view is not None
    assert view.keywords is not None
    planted = {term for _, term in store.search.truth["zero_result_terms"]}
    found = set(view.keywords.opportunities()["keyword"].astype(str))
    assert planted <= found
    (basket,) = view.baskets
    words = basket.rules.in_words(top=1, names=store.search.product_names.to_dict())
    assert words[0] in html.replace("&#x27;", "'")
    assert re.search(r"\d+% of orders with .+ also contain .+ times the usual chance", html)


def test_search_keywords_from_user_events(store: DemoStore) -> None:
    s = store.search.searches
    events = pd.DataFrame(
        {
            "user_id": s["user_id"],
            "timestamp": s["timestamp"],
            "event": "search",
            "search_term": s["search_term"],
            "result_count": s["result_count"],
        }
    )
    view = search_view(ReportContext(ReportData(events=events)))
    assert view is not None
    assert view.keywords is not None
    assert not view.baskets
    top = view.keywords.to_frame()["searches"].sum()
    assert top == len(s)
