"""The demo store's extras: drawn on first use, seeded, reachable from the public API."""

from __future__ import annotations

import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.datasets import (
    DemoIdentity,
    DemoSearch,
    DemoTimelines,
    demo_ad_spend,
    demo_timelines,
    make_demo_store,
)

FRAMES = ("events", "touchpoints", "orders", "spend", "markets")


@pytest.fixture(scope="module")
def store() -> lf.datasets.DemoStore:
    return make_demo_store(1_500, seed=3, days=28)


def test_extras_leave_the_store_frames_unchanged(store: lf.datasets.DemoStore) -> None:
    plain = make_demo_store(1_500, seed=3, days=28)
    assert isinstance(store.timelines, DemoTimelines)
    assert isinstance(store.search, DemoSearch)
    assert isinstance(store.identity, DemoIdentity)
    assert {"impressions", "clicks", "creative"} <= set(store.ad_spend.columns)
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(store, name), getattr(plain, name))


def test_extras_are_drawn_once_and_are_seeded(store: lf.datasets.DemoStore) -> None:
    assert store.timelines is store.timelines
    again = make_demo_store(1_500, seed=3, days=28)
    pd.testing.assert_frame_equal(again.timelines.orders, store.timelines.orders)
    pd.testing.assert_frame_equal(again.search.searches, store.search.searches)
    pd.testing.assert_frame_equal(again.ad_spend, store.ad_spend)
    other = make_demo_store(1_500, seed=4, days=28)
    assert not other.ad_spend["clicks"].equals(store.ad_spend["clicks"])


def test_extras_cover_the_store(store: lf.datasets.DemoStore) -> None:
    tl = store.timelines
    assert tl.end == store.truth.end
    assert len(tl.orders) == len(store.orders)
    refunded = store.orders["status"].astype(str).eq("refunded").to_numpy()
    assert (tl.truth["refunded_at"].notna().to_numpy() <= refunded).all()
    searchers = set(store.events.loc[store.events["event"] == "search", "user_id"])
    assert set(store.search.searches["user_id"]) <= searchers
    assert abs(store.ad_spend["cost"].sum() - store.spend["cost"].sum()) < 0.01
    assert set(store.identity.orders["order_id"]) == set(store.orders["order_id"])


def test_generators_are_public(store: lf.datasets.DemoStore) -> None:
    assert demo_timelines(store.orders, seed=1).end == store.timelines.end
    assert len(demo_ad_spend(store.spend, seed=1)) == len(store.ad_spend)
    for name in ("make_demo_experiment", "DemoExperiment", "make_demo_search", "demo_identity"):
        assert name in lf.datasets.__all__


def test_timelines_of_a_store_with_renamed_segments(store: lf.datasets.DemoStore) -> None:
    import attrs

    renamed = store.orders.assign(
        country=store.orders["country"].cat.rename_categories({"BR": "<b>"})
    )
    copy = attrs.evolve(store, orders=renamed)
    tl = copy.timelines
    assert "<b>" in set(tl.orders["country"])
    assert "BR" not in set(tl.history["country"])
    pd.testing.assert_frame_equal(
        tl.orders.drop(columns="country"), store.timelines.orders.drop(columns="country")
    )
