"""Data sets: the bundled real "Online Retail" transactions and a seeded synthetic store.

* :func:`load_online_retail` — the UCI "Online Retail" invoice lines, unchanged (real,
  cross-border, messy on purpose); :func:`online_retail_orders` — an order-level view
  after documented cleaning rules.
* :func:`make_demo_store` — a synthetic cross-border store (events, touchpoints, orders,
  spend) with its ground truth (:class:`DemoTruth`), for examples and for tests that
  analyses recover known parameters.
"""

from __future__ import annotations

from ._demo_drop import InjectedDrop
from ._demo_store import DemoStore, make_demo_store
from ._demo_truth import DemoTruth
from ._online_retail import load_online_retail, online_retail_orders

__all__ = [
    "DemoStore",
    "DemoTruth",
    "InjectedDrop",
    "load_online_retail",
    "make_demo_store",
    "online_retail_orders",
]
