"""The ``Monitor`` spec and ``detect``: alerts on daily KPI series."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from .._params import (
    Boolean,
    ColumnName,
    Columns,
    Duration,
    InstanceOf,
    Integer,
    Options,
    Real,
    Satisfies,
    Timestamp,
    check_param,
    validate_params,
)
from ..errors import ColumnNotFoundError, DataQualityWarning, ParameterError
from ..results import Provenance
from ._alerts import AlertsResult, judge_series
from ._methods import METHOD, MonitorMethod, method_name, resolve_method
from ._read import read_daily_kpis, to_series

__all__ = ["Monitor", "Threshold", "detect"]

#: A registered method's name (built-ins: "robust", "pchart", "prophet") or a method object.
Method = str | MonitorMethod
_DAYS = re.compile(r"^[1-9]\d*D$")
_WINDOW = Satisfies(
    lambda v: isinstance(v, str) and bool(_DAYS.match(v)),
    'a positive whole number of days as a duration such as "28D"',
)
_PROBABILITY = Real(0, 1, closed="neither")
_OPTIONAL_NUMBER = attrs.validators.optional(Real())
#: ``by`` of the monitor: a column name, a list of them, or none (``()`` or ``[]``).
_BY = [
    None,
    Columns(),
    Satisfies(lambda v: isinstance(v, list | tuple) and not v, "an empty list"),
]
_TZ = [None, InstanceOf(str, description="a time zone name such as 'Europe/Berlin'")]
_DETECT_PARAMS: dict[str, Any] = {
    "mode": Options("backfill", "latest"),
    "since": [None, Timestamp()],
    "date": ColumnName(),
    "value": ColumnName(),
    "metric": ColumnName(),
    "by": _BY,
    "successes": ColumnName(),
    "trials": ColumnName(),
    "tz": _TZ,
}


@attrs.frozen
class Threshold:
    """A fixed rule: alert when ``metric`` goes below ``below`` or above ``above``.

    Threshold alerts are "critical" and need no history (e.g. checkout rate under 20%).

    Examples
    --------
    >>> Threshold("checkout_rate", below=0.2)
    Threshold(metric='checkout_rate', below=0.2, above=None)
    """

    metric: str = attrs.field(validator=InstanceOf(str, description="a metric name (a string)"))
    below: float | None = attrs.field(default=None, validator=_OPTIONAL_NUMBER)
    above: float | None = attrs.field(default=None, validator=_OPTIONAL_NUMBER)

    def __attrs_post_init__(self) -> None:
        if self.below is None and self.above is None:
            check_param("Threshold", "below", None, Real())


def _window(value: object) -> object:
    """A window as ``"<n>D"``; a bare number of days is still read, with a warning."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= 1:
        warnings.warn(
            f"Monitor(window={value}) as a number of days is deprecated and will be removed "
            f"in the next release; use a duration string: window='{int(value)}D'.",
            DeprecationWarning,
            stacklevel=3,
        )
        return f"{int(value)}D"
    if isinstance(value, str | dt.timedelta | np.timedelta64) and Duration().accepts(value):
        span = pd.Timedelta(value)
        if span % pd.Timedelta(days=1) == pd.Timedelta(0):
            return f"{span.days}D"
    return value  # refused by the validator, with the standard message


def _thresholds(value: object) -> tuple[Threshold, ...]:
    if isinstance(value, Threshold):
        return (value,)
    check_param(
        "Monitor",
        "thresholds",
        value,
        Satisfies(
            lambda v: isinstance(v, list | tuple) and all(isinstance(t, Threshold) for t in v),
            "a Threshold or a list of Threshold objects",
        ),
    )
    return tuple(value)  # type: ignore[arg-type]


@attrs.frozen
class Monitor:
    """How to judge each day of a KPI series against what earlier days lead to expect.

    Parameters
    ----------
    method
        ``"robust"`` (rolling median and MAD), ``"pchart"`` (binomial control limits for
        rates, varying denominators, Laney-corrected by default), ``"prophet"`` (weekly
        seasonality and trend, refitted every ``refit_days`` on earlier days only), the
        name of a method added with
        :func:`~linkstar_funnel.monitor.register_monitor_method`, or a
        :class:`~linkstar_funnel.monitor.MonitorMethod` object.
    alpha
        Two-sided probability of a normal day falling outside its expected range; the
        range is ``expected ± z(alpha) * scale``. The default 0.001 keeps false alarms
        near 1 in 1,000 series-days on well-behaved series.
    critical_alpha
        Days beyond the ``critical_alpha`` range are "critical", others "warning"
        (default ``alpha / 100``).
    direction
        Alert on ``"both"`` sides, only on a ``"drop"``, or only on a ``"rise"``.
    window
        History (before the judged day) used by robust and pchart: a whole number of days
        as a duration string (``"28D"``; a ``timedelta`` is read too). A bare number of
        days (``28``) still works for one release, with a :class:`DeprecationWarning`.
    min_history
        Usable history days needed to judge a day (per day type).
    seasonality
        Which past days are comparable for robust and pchart: ``"weekend"`` (weekdays with
        weekdays, weekends with weekends), ``"weekday"`` (same day of the week; use a
        longer window) or ``"none"``. prophet models weekly seasonality itself.
    min_trials
        Days with fewer trials (rates with counts) are "low volume": not judged, not used
        as history.
    min_relative_change
        Ignore deviations smaller than this share of the expected value (0.1 = 10%).
    laney
        Laney's overdispersion correction for the p-chart.
    refit_days
        prophet: judged days per fit.
    thresholds
        Fixed :class:`Threshold` rules, checked on every day.
    seed
        Seed for prophet's interval sampling.
    """

    method: Method = attrs.field(default="robust", validator=METHOD)
    alpha: float = attrs.field(default=0.001, validator=_PROBABILITY)
    critical_alpha: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(_PROBABILITY)
    )
    direction: Literal["both", "drop", "rise"] = attrs.field(
        default="both", validator=Options("both", "drop", "rise")
    )
    window: str = attrs.field(default="28D", converter=_window, validator=_WINDOW)
    min_history: int = attrs.field(default=6, validator=Integer(1))
    seasonality: Literal["weekend", "weekday", "none"] = attrs.field(
        default="weekend", validator=Options("weekend", "weekday", "none")
    )
    min_trials: int = attrs.field(default=30, validator=Integer(1))
    min_relative_change: float = attrs.field(default=0.0, validator=Real(0, 1, closed="left"))
    laney: bool = attrs.field(default=True, validator=Boolean())
    refit_days: int = attrs.field(default=7, validator=Integer(1))
    thresholds: tuple[Threshold, ...] = attrs.field(default=(), converter=_thresholds)
    seed: int = attrs.field(default=0, validator=Integer(0, 2**32 - 1))

    @property
    def window_days(self) -> int:
        """:attr:`window` as a number of days."""
        return int(self.window[:-1])

    @property
    def method_name(self) -> str:
        """The method's registered name (its class name for an unregistered object)."""
        return method_name(self.method)

    @property
    def critical(self) -> float:
        """The probability defining "critical" alerts."""
        return self.critical_alpha if self.critical_alpha is not None else self.alpha / 100

    @validate_params(**_DETECT_PARAMS)
    def detect(
        self,
        daily_kpis: object,
        *,
        mode: Literal["backfill", "latest"] = "backfill",
        since: object = None,
        date: str = "date",
        value: str = "value",
        metric: str = "metric",
        by: str | Sequence[str] | None = (),
        successes: str = "successes",
        trials: str = "trials",
        tz: str | None = None,
    ) -> AlertsResult:
        """Judge each day (``"backfill"``, from ``since``) or the last day (``"latest"``).

        See :func:`detect` for the parameters.
        """
        keys = [by] if isinstance(by, str) else list(by or ())
        roles = {date: "date", value: "value", metric: "metric", successes: "successes"}
        roles[trials] = "trials"
        taken = [k for k in keys if k in roles]
        if taken:
            msg = (
                f"The 'by' parameter of detect names column {taken[0]!r}, which is already the "
                f"{roles[taken[0]]} column; a segment column must be another one. Got {by!r}."
            )
            raise ParameterError(msg)
        kpis = read_daily_kpis(
            daily_kpis,
            date=date,
            value=value,
            metric=metric,
            by=keys,
            successes=successes,
            trials=trials,
            tz=tz,
        )
        method = resolve_method(self.method)
        if method.needs_counts and not kpis.has_counts:
            missing = successes if successes not in kpis.columns else trials
            raise ColumnNotFoundError(
                missing,
                kpis.columns,
                role=f"count (method={self.method_name!r} needs successes and trials)",
                frame_name="daily_kpis",
            )
        start = None if since is None else _naive(pd.Timestamp(since))  # type: ignore[arg-type]
        long = kpis.long
        last_day = long["date"].max()
        checks = []
        for label, part in long.groupby(["metric", *keys], sort=True, observed=True, dropna=False):
            series = to_series(
                part, kpis.has_counts, min_trials=self.min_trials, seasonality=self.seasonality
            )
            if mode == "latest":
                judge = np.flatnonzero(series.days == last_day.to_datetime64())
            else:
                judge = np.arange(len(series.days))
                if start is not None:
                    judge = judge[series.days[judge] >= start.to_datetime64()]
            labels = dict(zip(["metric", *keys], label, strict=True))
            checks.append(judge_series(series, judge, labels, self, method))
        table = pd.concat(checks, ignore_index=True)
        unranged = int(((table["status"] == "alert") & table["expected"].isna()).sum())
        if unranged:
            warnings.warn(
                f"{unranged:,} threshold alert(s) fell on days without enough history to "
                "expect a value: their expected, lower, upper and score are NaN.",
                DataQualityWarning,
                stacklevel=3,
            )
        provenance = Provenance(self, {"daily_kpis": kpis.accounting})
        return AlertsResult.build(table, self, tuple(keys), kpis.has_counts, provenance)


def _naive(ts: pd.Timestamp) -> pd.Timestamp:
    """``since`` on the naive day scale of the series (an aware time keeps its wall clock)."""
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


@validate_params(method=METHOD, **_DETECT_PARAMS)
def detect(
    daily_kpis: object,
    method: Method = "robust",
    *,
    mode: Literal["backfill", "latest"] = "backfill",
    since: object = None,
    date: str = "date",
    value: str = "value",
    metric: str = "metric",
    by: str | Sequence[str] | None = (),
    successes: str = "successes",
    trials: str = "trials",
    tz: str | None = None,
    **options: Any,
) -> AlertsResult:
    """Alerts on daily KPI series: each day judged against what earlier days lead to expect.

    Parameters
    ----------
    daily_kpis
        Long frame, one row per day (and metric and segment): ``date``, ``value`` and/or
        ``successes`` + ``trials`` (then ``value`` defaults to their ratio), optional
        ``metric`` and segment columns ``by``. Never modified. Dates may be times: they
        are bucketed into days in ``tz``, summing counts (see :func:`daily_rate`).
    method
        ``"robust"``, ``"pchart"``, ``"prophet"``, a registered method's name or a
        :class:`~linkstar_funnel.monitor.MonitorMethod` object (see :class:`Monitor`).
    mode
        ``"backfill"``: judge every day (from ``since``); ``"latest"``: only the last day,
        for a daily script.
    date, value, metric, by, successes, trials
        Column names. Without a ``metric`` column the series is named after ``value`` (or
        ``"rate"`` for counts without a value column).
    tz
        Time zone to read days in when ``date`` holds times.
    **options
        Any other :class:`Monitor` setting (``alpha``, ``window``, ``direction``...).

    Returns
    -------
    AlertsResult
        ``to_frame()``: one row per alert; ``checks()``: every judged day.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import linkstar_funnel.monitor as mon
    >>> rng = np.random.default_rng(0)
    >>> days = pd.date_range("2026-01-05", periods=60, freq="D")
    >>> n = rng.integers(800, 1200, 60)
    >>> x = rng.binomial(n, np.where(days == "2026-02-20", 0.2, 0.3))
    >>> kpis = pd.DataFrame({"date": days, "metric": "checkout_rate", "successes": x,
    ...                      "trials": n})
    >>> alerts = mon.detect(kpis, method="pchart")
    >>> alerts.to_frame()[["date", "metric", "observed", "severity"]].round({"observed": 3})
            date         metric  observed  severity
    0 2026-02-20  checkout_rate     0.209  critical
    """
    return Monitor(method=method, **options).detect(
        daily_kpis,
        mode=mode,
        since=since,
        date=date,
        value=value,
        metric=metric,
        by=by,
        successes=successes,
        trials=trials,
        tz=tz,
    )
