"""The ``Monitor`` spec and ``detect``: alerts on daily KPI series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from .._validators import bad_parameter, in_choices, positive_int
from ..errors import ColumnNotFoundError, SchemaError
from ..results import Provenance
from ..schema import RowAccounting, as_frame, check_time_zone, read_times
from ._alerts import Alerts, judge_series
from ._kernels import DailySeries

__all__ = ["Monitor", "Threshold", "detect"]

_MONITOR = "Monitor"
_THRESHOLD = "Threshold"

Method = Literal["robust", "pchart", "prophet"]
_DETECT = "detect"


def _probability(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name == "critical_alpha":
        return
    if isinstance(value, bool) or not isinstance(value, float | int) or not 0 < value < 1:
        raise bad_parameter(
            type(instance).__name__, attribute.name, "a probability strictly between 0 and 1", value
        )


def _opt_float(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, float | int)):
        raise bad_parameter(type(instance).__name__, attribute.name, "None or a number", value)


@attrs.frozen
class Threshold:
    """A fixed rule: alert when ``metric`` goes below ``below`` or above ``above``.

    Threshold alerts are "critical" and need no history (e.g. checkout rate under 20%).

    Examples
    --------
    >>> Threshold("checkout_rate", below=0.2)
    Threshold(metric='checkout_rate', below=0.2, above=None)
    """

    metric: str
    below: float | None = attrs.field(default=None, validator=_opt_float)
    above: float | None = attrs.field(default=None, validator=_opt_float)

    def __attrs_post_init__(self) -> None:
        if self.below is None and self.above is None:
            raise bad_parameter(_THRESHOLD, "below", "a number when 'above' is None", None)


def _check_min_change(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, float | int) or not 0 <= value < 1:
        raise bad_parameter(type(instance).__name__, attribute.name, "a number in [0, 1)", value)


def _thresholds(value: object) -> tuple[Threshold, ...]:
    items = (value,) if isinstance(value, Threshold) else tuple(value)  # type: ignore[arg-type]
    for t in items:
        if not isinstance(t, Threshold):
            raise bad_parameter(_MONITOR, "thresholds", "Threshold objects", t)
    return items


@attrs.frozen
class Monitor:
    """How to judge each day of a KPI series against what earlier days lead to expect.

    Parameters
    ----------
    method
        ``"robust"`` (rolling median and MAD), ``"pchart"`` (binomial control limits for
        rates, varying denominators, Laney-corrected by default) or ``"prophet"`` (weekly
        seasonality and trend, refitted every ``refit_days`` on earlier days only).
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
        Days of history (before the judged day) used by robust and pchart.
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

    method: Method = attrs.field(
        default="robust", validator=in_choices(("robust", "pchart", "prophet"))
    )
    alpha: float = attrs.field(default=0.001, validator=_probability)
    critical_alpha: float | None = attrs.field(default=None, validator=_probability)
    direction: Literal["both", "drop", "rise"] = attrs.field(
        default="both", validator=in_choices(("both", "drop", "rise"))
    )
    window: int = attrs.field(default=28, validator=positive_int)
    min_history: int = attrs.field(default=6, validator=positive_int)
    seasonality: Literal["weekend", "weekday", "none"] = attrs.field(
        default="weekend", validator=in_choices(("weekend", "weekday", "none"))
    )
    min_trials: int = attrs.field(default=30, validator=positive_int)
    min_relative_change: float = attrs.field(default=0.0, validator=_check_min_change)
    laney: bool = True
    refit_days: int = attrs.field(default=7, validator=positive_int)
    thresholds: tuple[Threshold, ...] = attrs.field(default=(), converter=_thresholds)
    seed: int = 0

    @property
    def critical(self) -> float:
        """The probability defining "critical" alerts."""
        return self.critical_alpha if self.critical_alpha is not None else self.alpha / 100

    def detect(
        self,
        daily_kpis: object,
        *,
        mode: Literal["backfill", "latest"] = "backfill",
        since: object = None,
        date: str = "date",
        value: str = "value",
        metric: str = "metric",
        by: Sequence[str] = (),
        successes: str = "successes",
        trials: str = "trials",
        tz: str | None = None,
    ) -> Alerts:
        """Judge each day (``"backfill"``, from ``since``) or the last day (``"latest"``).

        See :func:`detect` for the parameters.
        """
        if mode not in ("backfill", "latest"):
            raise bad_parameter(_DETECT, "mode", "'backfill' or 'latest'", mode)
        frame = as_frame(daily_kpis, frame_name="daily_kpis")
        long, keys, has_counts = _read(frame, date, value, metric, by, successes, trials, tz)
        if self.method == "pchart" and not has_counts:
            missing = successes if successes not in frame.columns else trials
            raise ColumnNotFoundError(
                missing,
                frame.columns,
                role="count (method='pchart' needs successes and trials)",
                frame_name="daily_kpis",
            )
        start = None if since is None else pd.Timestamp(str(since))
        last_day = long["date"].max()
        checks = []
        for label, part in long.groupby(["metric", *keys], sort=True, observed=True, dropna=False):
            series = _series(part, has_counts, self)
            if mode == "latest":
                judge = np.flatnonzero(series.days == last_day.to_datetime64())
            else:
                judge = np.arange(len(series.days))
                if start is not None:
                    judge = judge[series.days[judge] >= start.to_datetime64()]
            labels = dict(zip(["metric", *keys], label, strict=True))
            checks.append(judge_series(series, judge, labels, self))
        table = pd.concat(checks, ignore_index=True)
        accounting = RowAccounting(rows_in=len(frame))
        return Alerts.build(
            table, self, tuple(keys), has_counts, Provenance(self, {"daily_kpis": accounting})
        )


def detect(
    daily_kpis: object,
    method: Method = "robust",
    *,
    mode: Literal["backfill", "latest"] = "backfill",
    since: object = None,
    date: str = "date",
    value: str = "value",
    metric: str = "metric",
    by: Sequence[str] = (),
    successes: str = "successes",
    trials: str = "trials",
    tz: str | None = None,
    **options: Any,
) -> Alerts:
    """Alerts on daily KPI series: each day judged against what earlier days lead to expect.

    Parameters
    ----------
    daily_kpis
        Long frame, one row per day (and metric and segment): ``date``, ``value`` and/or
        ``successes`` + ``trials`` (then ``value`` defaults to their ratio), optional
        ``metric`` and segment columns ``by``. Never modified. Dates may be times: they
        are bucketed into days in ``tz``, summing counts (see :func:`daily_rate`).
    method
        ``"robust"``, ``"pchart"`` or ``"prophet"`` (see :class:`Monitor`).
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
    Alerts
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


def _read(
    frame: pd.DataFrame,
    date: str,
    value: str,
    metric: str,
    by: Sequence[str],
    successes: str,
    trials: str,
    tz: str | None,
) -> tuple[pd.DataFrame, list[str], bool]:
    has_counts = successes in frame.columns and trials in frame.columns
    needed = [date, *by] + ([] if has_counts else [value])
    for col in needed:
        if col not in frame.columns:
            role = "value" if col == value else ("date" if col == date else "segment")
            raise ColumnNotFoundError(col, frame.columns, role=role, frame_name="daily_kpis")
    if frame.empty:
        msg = "The daily_kpis frame is empty: there is nothing to monitor."
        raise SchemaError(msg)
    days = read_times(frame[date], column=date, frame_name="daily_kpis").bucket(
        "D", check_time_zone(tz)
    )
    keys = list(by)
    out = pd.DataFrame({"date": days.to_numpy()})
    default_name = "rate" if has_counts and value not in frame.columns else value
    out["metric"] = (
        frame[metric].astype(str).to_numpy() if metric in frame.columns else default_name
    )
    for k in keys:
        out[k] = frame[k].to_numpy()
    if has_counts:
        for col in (successes, trials):
            raw = frame[col]
            if not pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw):
                msg = f"Column {col!r} of the daily_kpis frame must hold counts. Got dtype {raw.dtype}."
                raise SchemaError(msg)
            out[col.join(("_", ""))] = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        s, n = out[f"_{successes}"], out[f"_{trials}"]
        if ((s < 0) | (n < 0) | (s > n)).any():
            msg = (
                f"Columns {successes!r} and {trials!r} of the daily_kpis frame must satisfy "
                f"0 <= {successes} <= {trials}."
            )
            raise SchemaError(msg)
        out = out.rename(columns={f"_{successes}": "successes", f"_{trials}": "trials"})
        grouped = out.groupby(["date", "metric", *keys], observed=True, dropna=False, sort=True)
        out = grouped[["successes", "trials"]].sum(min_count=1).reset_index()
        out["value"] = out["successes"] / out["trials"].where(out["trials"] > 0)
    else:
        raw = frame[value]
        if not pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw):
            msg = f"Column {value!r} of the daily_kpis frame must hold numbers. Got dtype {raw.dtype}."
            raise SchemaError(msg)
        out["value"] = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        dup = out.duplicated(["date", "metric", *keys])
        if dup.any():
            row = out.loc[dup].iloc[0]
            msg = (
                f"The daily_kpis frame has several {value!r} values for day {row['date'].date()} "
                f"of metric {row['metric']!r}.\nHint: one row per day, metric and segment "
                f"(pass by=[...] for segment columns), or give {successes!r}/{trials!r} counts, "
                "which are summed."
            )
            raise SchemaError(msg)
    return out, keys, has_counts


def _series(part: pd.DataFrame, has_counts: bool, spec: Monitor) -> DailySeries:
    part = part.sort_values("date")
    days = pd.date_range(part["date"].min(), part["date"].max(), freq="D")
    pos = days.get_indexer(pd.DatetimeIndex(part["date"]))
    y = np.full(len(days), np.nan)
    y[pos] = part["value"].to_numpy(dtype=np.float64)
    usable = np.isfinite(y)
    s = n = None
    if has_counts:
        s = np.full(len(days), np.nan)
        n = np.zeros(len(days))
        s[pos] = part["successes"].to_numpy(dtype=np.float64)
        n[pos] = np.nan_to_num(part["trials"].to_numpy(dtype=np.float64))
        usable &= n >= spec.min_trials
    weekday = np.asarray(days.day_of_week, dtype=np.int64)
    key = {
        "weekend": (weekday >= 5).astype(np.int64),
        "weekday": weekday,
        "none": np.zeros(len(days), dtype=np.int64),
    }[spec.seasonality]
    return DailySeries(days.to_numpy(), y, s, n, usable, key)
