"""Judging days against their expected range, and the :class:`AlertsResult` result."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ParameterError
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ..stats import z_value
from ._kernels import DailySeries, FloatArray, IntArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._methods import MonitorMethod
    from ._spec import Monitor

__all__ = ["ALERT_COLUMNS", "AlertsResult", "judge_series"]

#: Columns of ``AlertsResult.to_frame()`` after the segment columns.
ALERT_COLUMNS: tuple[str, ...] = (
    "lower",
    "upper",
    "expected",
    "observed",
    "severity",
    "direction",
    "score",
    "n",
    "rule",
    "method",
)


def _same(column: pd.Series[Any], value: object) -> npt.NDArray[np.bool_]:
    """Rows whose ``column`` equals ``value`` (a missing value picks the missing rows)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return np.asarray(column.isna(), dtype=bool)
    return np.asarray(column == value, dtype=bool)


def expectations(
    method: MonitorMethod, s: DailySeries, judge: IntArray, spec: Monitor
) -> tuple[FloatArray, FloatArray]:
    """``method.expect`` on ``judge``, its output checked: two float arrays of its length."""
    if not len(judge):
        return np.full(0, np.nan), np.full(0, np.nan)
    out = method.expect(s, judge, spec)
    try:
        expected, scale = (np.asarray(a, dtype=np.float64) for a in out)
    except (TypeError, ValueError):
        expected = scale = np.full(0, np.nan)
    if expected.shape != judge.shape or scale.shape != judge.shape:
        msg = (
            f"The 'method' parameter of Monitor must return (expected, scale), two float "
            f"arrays of the {len(judge)} judged days. Method {spec.method_name!r} returned "
            f"{type(out).__name__} {out!r:.120} instead.\nHint: run "
            "linkstar_funnel.monitor.check_monitor_method on it."
        )
        raise ParameterError(msg)
    return expected, scale


def judge_series(
    s: DailySeries,
    judge: IntArray,
    labels: Mapping[str, object],
    spec: Monitor,
    method: MonitorMethod,
) -> pd.DataFrame:
    """One row per judged day with a value: expected range, score, status and severity."""
    judge = judge[np.isfinite(s.y[judge])]
    ok = judge[s.usable[judge]]
    expected, scale = expectations(method, s, ok, spec)
    z = z_value(spec.alpha)
    y = s.y[ok]
    score = (y - expected) / scale
    lower, upper = expected - z * scale, expected + z * scale
    low, high = y < lower, y > upper
    flagged = {"both": low | high, "drop": low, "rise": high}[spec.direction]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(y / expected - 1.0)
    flagged &= ~(rel < spec.min_relative_change)
    rule = np.where(flagged, "range", "")
    severity = np.where(np.abs(score) >= z_value(spec.critical), "critical", "warning")
    metric = str(labels["metric"])
    direction = np.where(y < expected, "drop", "rise")
    for t in spec.thresholds:
        if t.metric != metric:
            continue
        hit = np.zeros(len(ok), dtype=bool)
        if t.below is not None:
            under = y < t.below
            direction = np.where(under, "drop", direction)  # with or without history
            hit |= under
        if t.above is not None:
            over = y > t.above
            direction = np.where(over, "rise", direction)
            hit |= over
        flagged |= hit
        rule = np.where(hit, "threshold", rule)
        severity = np.where(hit, "critical", severity)
    status = np.where(flagged, "alert", np.where(np.isnan(expected), "no history", "ok"))
    rows = pd.DataFrame(
        {
            "date": s.days[ok],
            "observed": y,
            "expected": expected,
            "lower": lower,
            "upper": upper,
            "score": score,
            "n": s.trials[ok] if s.trials is not None else np.nan,
            "status": status,
            "severity": _only(flagged, severity),
            "direction": _only(flagged, direction),
            "rule": _only(flagged, rule),
        }
    )
    idle = judge[~s.usable[judge]]
    if len(idle):
        low_volume = pd.DataFrame(
            {
                "date": s.days[idle],
                "observed": s.y[idle],
                "n": s.trials[idle] if s.trials is not None else np.nan,
                "status": "low volume",
            }
        )
        rows = pd.concat([rows, low_volume], ignore_index=True).sort_values("date")
    for i, (key, val) in enumerate(labels.items()):
        rows.insert(1 + i, key, [val] * len(rows))
    rows["method"] = spec.method_name
    rows["weekday"] = pd.DatetimeIndex(rows["date"]).day_of_week
    return rows.reset_index(drop=True)


def _only(mask: npt.NDArray[np.bool_], values: npt.NDArray[Any]) -> npt.NDArray[np.object_]:
    """``values`` where ``mask``, None elsewhere (an object array)."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = values[mask]
    return out


@attrs.frozen(eq=False)
class AlertsResult(ResultMixin):
    """Days whose value falls outside what earlier days lead to expect.

    Attributes
    ----------
    table
        Every judged day (see :meth:`checks`).
    spec
        The :class:`Monitor` used.
    by
        Segment columns.
    has_counts
        Whether the series were rates with counts.
    provenance
        The spec and the input's row accounting.
    """

    table: pd.DataFrame
    spec: Monitor
    by: tuple[str, ...]
    has_counts: bool
    provenance: Provenance

    @classmethod
    def build(
        cls,
        table: pd.DataFrame,
        spec: Monitor,
        by: tuple[str, ...],
        has_counts: bool,
        provenance: Provenance,
    ) -> AlertsResult:
        """Assemble the result from the per-series check tables."""
        return cls(table, spec, by, has_counts, provenance)

    @property
    def segments(self) -> tuple[str, ...]:
        """Deprecated name of :attr:`by`."""
        warnings.warn(
            "AlertsResult.segments is deprecated and will be removed in the next release; "
            "use 'by' instead (same meaning).",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.by

    def to_frame(self) -> pd.DataFrame:
        """One row per alert: ``date``, ``metric``, [segments], ``lower``, ``upper``
        (the expected range), ``expected``, ``observed``, ``severity`` ("warning" or
        "critical"), ``direction`` ("drop" or "rise"), ``score`` (standardised deviation),
        ``n`` (trials, for rates), ``rule`` ("range" or "threshold"), ``method``."""
        alerts = self.table.loc[self.table["status"] == "alert"]
        cols = ["date", "metric", *self.by, *ALERT_COLUMNS]
        return alerts[cols].sort_values(["date", "metric"], kind="stable").reset_index(drop=True)

    def checks(self) -> pd.DataFrame:
        """Every judged day, with ``status``: "ok", "alert", "no history" (not enough
        earlier days) or "low volume" (fewer trials than ``min_trials``)."""
        return self.table.copy()

    def summary(self) -> Summary:
        """Alert counts by severity and the latest alerts."""
        alerts = self.to_frame()
        t = self.table
        judged = int(t["status"].isin(["ok", "alert"]).sum())
        facts = (
            ("method", self.spec.method_name),
            (
                "series",
                f"{t.groupby(['metric', *self.by], observed=True, dropna=False).ngroups:,}",
            ),
            ("days judged", f"{judged:,}"),
            (
                "alerts (critical)",
                f"{len(alerts):,} ({int((alerts['severity'] == 'critical').sum())})",
            ),
            ("alpha", f"{self.spec.alpha:g}"),
        )
        recent = alerts.sort_values("date", ascending=False).head(8)
        cols = ["date", "metric", *self.by, "observed", "lower", "upper", "severity"]
        recent = recent[cols].assign(date=recent["date"].dt.date)
        notes = tuple(self.provenance.lines()[1:])
        skipped = t["status"].value_counts()
        for status in ("no history", "low volume"):
            if skipped.get(status, 0):
                notes += (f"{int(skipped[status]):,} day(s) not judged: {status}",)
        return Summary("Alerts", facts, recent.round(4), notes)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """One series: observed values, the expected range, alerts marked.

        Keyword arguments ``metric`` and segment columns pick the series (default: the
        one with the most alerts).
        """
        t = self.table
        keys = ["metric", *self.by]
        unknown = set(kwargs) - set(keys)
        if unknown:
            msg = (
                f"AlertsResult.plot picks a series by {keys}. Got unknown argument(s) "
                f"{sorted(unknown)}."
            )
            raise ParameterError(msg)
        mask = np.ones(len(t), dtype=bool)
        for k, v in kwargs.items():
            mask &= _same(t[k], v)
        if not kwargs:
            alerts = t.loc[t["status"] == "alert"]
            counts = alerts.groupby(keys, observed=True, dropna=False).size()
            best = counts.idxmax() if len(counts) else tuple(t.iloc[0][keys])
            pick = list(best) if isinstance(best, tuple) else [best]
            for k, v in zip(keys, pick, strict=True):
                mask &= _same(t[k], v)
        part = t.loc[mask].sort_values("date")
        if part.empty:
            msg = f"No series matches {kwargs}."
            raise ParameterError(msg)
        return _plot_series(self, part, keys, get_axes(ax, figsize=(9.0, 4.0)))


def _plot_series(result: AlertsResult, part: pd.DataFrame, keys: list[str], ax: Axes) -> Axes:
    import matplotlib.dates as mdates

    days = pd.DatetimeIndex(part["date"])
    ax.fill_between(
        days,
        part["lower"],
        part["upper"],
        color=PALETTE[5],
        alpha=0.25,
        linewidth=0,
        label=f"expected range (alpha={result.spec.alpha:g})",
    )
    ax.plot(
        days, part["expected"], color=PALETTE[0], linewidth=1.0, linestyle="--", label="expected"
    )
    ax.plot(
        days,
        part["observed"],
        color="#333333",
        linewidth=1.0,
        marker="o",
        markersize=3,
        label="observed",
    )
    for severity, colour in (("warning", PALETTE[1]), ("critical", PALETTE[3])):
        hit = part.loc[(part["status"] == "alert") & (part["severity"] == severity)]
        if len(hit):
            ax.scatter(
                pd.DatetimeIndex(hit["date"]),
                hit["observed"],
                s=70,
                color=colour,
                zorder=4,
                label=severity,
            )
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    first = part.iloc[0]
    name = " · ".join(str(first[k]) for k in keys)
    style_axes(ax, title=f"{name} ({result.spec.method_name})")
    ax.legend(frameon=False, fontsize=8, loc="lower left", ncols=5, bbox_to_anchor=(0.0, -0.3))
    return ax
