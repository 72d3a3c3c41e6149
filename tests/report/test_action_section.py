"""The "what needs action" section: the injected drop is found, numbers are the library's."""

from __future__ import annotations

import pandas as pd
import pytest

from linkstar_funnel import Funnel
from linkstar_funnel.benchmark import observations_from_counts
from linkstar_funnel.datasets import make_demo_store
from linkstar_funnel.monitor import daily_rate, detect
from linkstar_funnel.report import ReportContext, ReportData
from linkstar_funnel.report._action_section import action_table, recent_alerts, render_action
from linkstar_funnel.report._action_view import ActionView, action_view, industry_benchmark
from linkstar_funnel.report._funnel_view import DEMO_STAGES
from linkstar_funnel.report._io import DEMO_DROP, DEMO_SEED, DEMO_USERS

from .conftest import HOSTILE


@pytest.fixture(scope="module")
def demo() -> ReportData:
    # The report's demo store: enough users for DE to have ~30 checkouts a day.
    store = make_demo_store(DEMO_USERS, seed=DEMO_SEED, drop=DEMO_DROP)
    return ReportData(events=store.events, orders=store.orders, extras={"store": store})


@pytest.fixture(scope="module")
def view(demo: ReportData) -> ActionView:
    v = action_view(ReportContext(demo))
    assert v is not None
    return v


def test_injected_drop_is_an_alert_with_its_date(demo: ReportData, view: ActionView) -> None:
    recent = recent_alerts(view)
    de = recent.loc[recent["country"] == "DE", "date"].str[:10].tolist()
    assert len(set(de) & {"2026-03-10", "2026-03-11", "2026-03-12"}) >= 2
    assert len(recent) - len(de) <= 1  # at most one alarm elsewhere in 28 days
    html = render_action(demo, view)
    assert "Check against the truth" in html
    assert "2026-03-11" in html


def test_alerts_equal_the_library(demo: ReportData, view: ActionView) -> None:
    store = demo.extras["store"]
    zones = dict(zip(store.markets["country"], store.markets["time_zone"], strict=True))
    daily = daily_rate(
        demo.events, "payment", "checkout", metric="checkout→payment", tz=zones, market="country"
    )
    daily = daily.loc[daily["date"] <= pd.Timestamp("2026-03-29")]
    direct = detect(daily, method="pchart", by=["country"], direction="drop").to_frame()
    assert view.alerts is not None
    pd.testing.assert_frame_equal(view.alerts.to_frame(), direct)


def test_industry_rows_equal_the_library(demo: ReportData, view: ActionView) -> None:
    result = Funnel(list(DEMO_STAGES), window="7D").compute(demo.events, by="platform")
    obs = observations_from_counts(
        result.to_frame(), stages=DEMO_STAGES, by=["platform"], value_per_order=view.value_per_order
    )
    bench = industry_benchmark(DEMO_STAGES)
    assert bench is not None
    assert {(r.base, r.stage) for r in bench.references} == {
        ("checkout", "payment"),
        ("add_to_cart", "payment"),
    }
    direct = bench.compare(obs)
    assert view.industry is not None
    pd.testing.assert_frame_equal(view.industry.to_frame(), direct.to_frame())
    below = direct.needs_action()
    table = action_table(view)
    industry_rows = table.loc[table["against"] != "own history"]
    assert len(industry_rows) == len(below)
    assert sorted(industry_rows["orders lost"].round(6)) == sorted(below["impact_orders"].round(6))
    assert table["orders lost"].is_monotonic_decreasing


def test_skipped_without_a_funnel(events: pd.DataFrame) -> None:
    assert action_view(ReportContext(ReportData())) is None
    assert action_view(ReportContext(ReportData(events=events))) is None  # no demo stage names


def test_hostile_country_escaped() -> None:
    store = make_demo_store(3_000, seed=1)
    ev = store.events.assign(country=store.events["country"].astype(str).replace("DE", HOSTILE))
    v = action_view(ReportContext(ReportData(events=ev)))
    assert v is not None
    html = render_action(ReportData(events=ev), v)
    assert HOSTILE not in html
    assert "<script" not in html
