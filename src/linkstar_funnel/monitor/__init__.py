"""Alerts on daily KPI series: ``lf.monitor.detect(daily_kpis, method=...)``.

Each day is judged only by earlier days (no look-ahead), with one of three methods:
a robust rolling median/MAD, a p-chart for rates with varying denominators, or prophet
with weekly seasonality. Days are calendar days in the market's time zone
(:func:`daily_rate` builds daily rates from an event log), compared with days of the same
type (weekday or weekend). Run over history (``mode="backfill"``) or on the last day
(``mode="latest"``) from a daily script.
"""

from __future__ import annotations

from ._alerts import Alerts
from ._daily import add_day_type, daily_rate
from ._prophet import quiet_prophet
from ._spec import Monitor, Threshold, detect

__all__ = [
    "Alerts",
    "Monitor",
    "Threshold",
    "add_day_type",
    "daily_rate",
    "detect",
    "quiet_prophet",
]
