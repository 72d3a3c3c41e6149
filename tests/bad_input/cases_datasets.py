"""Bad-input cases of the demo store's generators exported from ``lf.datasets``."""

from __future__ import annotations

import linkstar_funnel as lf
from linkstar_funnel.datasets import demo_ad_spend, demo_timelines, make_demo_search

from .cases import Case, Frames, store


def _spend() -> Frames:
    return {"spend": store().spend.iloc[:200].reset_index(drop=True)}


def _orders() -> Frames:
    return {"orders": store().orders.iloc[:120].reset_index(drop=True)}


CASES: list[Case] = [
    Case(
        "datasets.demo_ad_spend",
        demo_ad_spend,
        (demo_ad_spend,),
        frames=_spend,
        params={"seed": 1},
    ),
    Case(
        "datasets.demo_timelines",
        demo_timelines,
        (demo_timelines,),
        frames=_orders,
        params={"seed": 3, "end": "2026-01-25"},
    ),
    Case(
        "datasets.make_demo_search",
        make_demo_search,
        (make_demo_search,),
        params={"n_users": 300, "seed": 5, "start": "2026-01-05", "days": 14},
    ),
]

#: Records the generators return (built from validated input, like results).
EXEMPT = {
    name: reason
    for name, reason in {
        "datasets.DemoSearch": "result record: built by make_demo_search and store.search",
        "datasets.DemoTimelines": "result record: built by demo_timelines and store.timelines",
    }.items()
    if name.split(".")[1] in lf.datasets.__all__
}
