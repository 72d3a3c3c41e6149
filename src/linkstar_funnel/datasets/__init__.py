"""Data sets: the bundled real "Online Retail" transactions and a seeded synthetic store.

* :func:`load_online_retail` — the UCI "Online Retail" invoice lines, unchanged (real,
  cross-border, messy on purpose); :func:`online_retail_orders` — an order-level view
  after documented cleaning rules.
* :func:`make_demo_store` — a synthetic cross-border store (events, touchpoints, orders,
  spend) with its ground truth (:class:`DemoTruth`), for examples and for tests that
  analyses recover known parameters. Its extras are drawn on first use, each from its own
  seeded stream: ``store.timelines`` (order status times, :class:`DemoTimelines`),
  ``store.ad_spend`` (creative-level impressions, clicks, cost), ``store.search``
  (on-site search and baskets, :class:`DemoSearch`), ``store.identity`` (cookies, logins,
  checkout e-mails, :class:`DemoIdentity`).
* :func:`make_demo_experiment` — the store's users split into an A/B test with a known
  lift (:class:`DemoExperiment`); :func:`make_demo_search` — search and basket data on
  its own; :func:`demo_timelines`, :func:`demo_ad_spend`, :func:`demo_identity` — the
  generators behind the store's extras, for rows of the store's frames.
"""

from __future__ import annotations

from ._demo_ads import demo_ad_spend
from ._demo_drop import InjectedDrop
from ._demo_experiment import DemoExperiment, make_demo_experiment
from ._demo_identity import DemoIdentity, demo_identity
from ._demo_search import DemoSearch, make_demo_search
from ._demo_store import DemoStore, make_demo_store
from ._demo_timelines import DemoTimelines, demo_timelines
from ._demo_truth import DemoTruth
from ._online_retail import load_online_retail, online_retail_orders

__all__ = [
    "DemoExperiment",
    "DemoIdentity",
    "DemoSearch",
    "DemoStore",
    "DemoTimelines",
    "DemoTruth",
    "InjectedDrop",
    "demo_ad_spend",
    "demo_identity",
    "demo_timelines",
    "load_online_retail",
    "make_demo_experiment",
    "make_demo_search",
    "make_demo_store",
    "online_retail_orders",
]
