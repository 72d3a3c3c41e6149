"""A first look at an event log or an order table: rows, people, dates, segments, days.

:func:`describe_events` and :func:`describe_orders` read a frame through the schema layer
(so rows with a missing id or time are dropped and counted exactly as every analysis does)
and return an :class:`OverviewResult`: totals, the date range, counts per segment for each
``by`` column, and a daily series of rows and distinct people.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.overview import describe_events
>>> events = pd.DataFrame({
...     "user_id": [1, 1, 2, 3, None],
...     "timestamp": pd.to_datetime(["2026-03-01 09:00", "2026-03-01 10:00",
...                                  "2026-03-02 11:00", "2026-03-03 12:00",
...                                  "2026-03-03 13:00"], utc=True),
...     "event": ["visit", "add_to_cart", "visit", "visit", "visit"],
...     "country": ["DE", "DE", "US", None, "US"],
... })
>>> ov = describe_events(events, by=("country",))
>>> ov.n_rows, ov.n_entities
(4, 3)
>>> ov.segments()[["dimension", "value", "rows", "users"]]
  dimension        value  rows  users
0     event        visit     3      3
1     event  add_to_cart     1      1
2   country           DE     2      1
3   country           US     1      1
4   country  (missing)     1      1
"""

from __future__ import annotations

from .._deprecation import renamed_attributes
from ._describe import describe_events, describe_orders
from ._result import MISSING_LABEL, OverviewResult, OverviewSpec

__all__ = [
    "MISSING_LABEL",
    "OverviewResult",
    "OverviewSpec",
    "describe_events",
    "describe_orders",
]

#: Old names served for one release with a DeprecationWarning naming the new one.
_RENAMED: dict[str, tuple[str, object]] = {"DataOverview": ("OverviewResult", OverviewResult)}
__getattr__ = renamed_attributes(__name__, _RENAMED)
