"""Data sets: the bundled real "Online Retail" transactions.

* :func:`load_online_retail` — the UCI "Online Retail" invoice lines, unchanged (real,
  cross-border, messy on purpose); :func:`online_retail_orders` — an order-level view
  after documented cleaning rules.
"""

from __future__ import annotations

from ._online_retail import load_online_retail, online_retail_orders

__all__ = ["load_online_retail", "online_retail_orders"]
