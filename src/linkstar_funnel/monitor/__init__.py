"""Alerts on daily KPI series: ``lf.monitor.detect(daily_kpis, method=...)``.

Each day is judged only by earlier days (no look-ahead), with one of three methods:
a robust rolling median/MAD, a p-chart for rates with varying denominators, or prophet
with weekly seasonality. Days are calendar days in the market's time zone
(:func:`daily_rate` builds daily rates from an event log), compared with days of the same
type (weekday or weekend). Run over history (``mode="backfill"``) or on the last day
(``mode="latest"``) from a daily script.

Methods are an extension point: a :class:`MonitorMethod` computes each judged day's
expected value and scale from earlier days; :func:`register_monitor_method` makes it
available by name (the built-ins are registered the same way) and
:func:`check_monitor_method` checks it, reporting every failure at once.
"""

from __future__ import annotations

from .._deprecation import renamed_attributes
from ._alerts import AlertsResult
from ._daily import add_day_type, daily_rate
from ._kernels import DailySeries
from ._kit import check_monitor_method
from ._methods import (
    MonitorMethod,
    PChartMethod,
    ProphetMethod,
    RobustMethod,
    monitor_methods,
    register_monitor_method,
)
from ._prophet import quiet_prophet
from ._spec import Monitor, Threshold, detect

__all__ = [
    "AlertsResult",
    "DailySeries",
    "Monitor",
    "MonitorMethod",
    "PChartMethod",
    "ProphetMethod",
    "RobustMethod",
    "Threshold",
    "add_day_type",
    "check_monitor_method",
    "daily_rate",
    "detect",
    "monitor_methods",
    "quiet_prophet",
    "register_monitor_method",
]

#: Old names served for one release with a DeprecationWarning naming the new one.
_RENAMED: dict[str, tuple[str, object]] = {"Alerts": ("AlertsResult", AlertsResult)}
__getattr__ = renamed_attributes(__name__, _RENAMED)
