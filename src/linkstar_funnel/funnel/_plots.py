"""Drawing a :class:`FunnelResult`: funnel bars, trend lines, the time-to-convert histogram."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validators import bad_parameter
from ..plotting import PALETTE, get_axes, percent_axis, style_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._result import FunnelResult

__all__ = ["KINDS", "plot"]

KINDS: tuple[str, ...] = ("funnel", "trends", "time_to_convert")
#: Most lines drawn by the trends plot (the largest segments by entrants).
MAX_LINES = len(PALETTE) - 1
_RATES = ("conversion_from_start", "conversion_from_previous")
_PLOT = "FunnelResult.plot"


def plot(result: FunnelResult, ax: Axes | None, kind: str, **kwargs: Any) -> Axes:
    """Dispatch on ``kind``; see :meth:`FunnelResult.plot`."""
    if kind == "funnel":
        return funnel_bars(result, get_axes(ax), **kwargs)
    if kind == "trends":
        return trend_lines(result, get_axes(ax), **kwargs)
    if kind == "time_to_convert":
        return histogram_bars(result, get_axes(ax), **kwargs)
    raise bad_parameter(_PLOT, "kind", " or ".join(map(repr, KINDS)), kind)


def _segment_label(grp: pd.DataFrame, by: Sequence[str]) -> str | None:
    return None if not by else " / ".join(str(grp[b].iloc[0]) for b in by)


def funnel_bars(result: FunnelResult, ax: Axes, **kwargs: Any) -> Axes:
    """Funnel bars (one colour per segment) annotated with conversion from the previous step."""
    frame = result.counts
    by = list(result.by)
    groups = [frame] if not by else [g for _, g in frame.groupby(by, sort=False, dropna=False)]
    width = 0.8 / len(groups)
    x = np.arange(len(result.stages))
    for g_i, grp in enumerate(groups):
        pos = x - 0.4 + width * (g_i + 0.5)
        bars = ax.bar(
            pos,
            grp["users"].to_numpy(),
            width=width,
            label=_segment_label(grp, by),
            color=PALETTE[g_i % len(PALETTE)],
            **kwargs,
        )
        rates = grp["conversion_from_previous"].to_numpy()
        texts = ["" if s == 0 or np.isnan(r) else f"{r:.0%}" for s, r in enumerate(rates)]
        if len(groups) < 3:
            ax.bar_label(bars, labels=texts, fontsize=8)
        else:  # narrow bars: vertical labels do not run into the neighbours'
            ax.bar_label(bars, labels=texts, fontsize=7, rotation=90, padding=2)
    ax.set_xticks(x, list(result.stages))
    if len(result.stages) > 5:
        ax.tick_params(axis="x", labelrotation=20)
    ax.set_ylabel("users")
    if by:
        ax.legend(frameon=False, fontsize=8, ncols=1 + len(groups) // 8)
    return style_axes(ax, title="Funnel (labels: conversion from previous step)")


def trend_lines(
    result: FunnelResult,
    ax: Axes,
    *,
    period: str = "W",
    tz: str | None = None,
    stage: int | str | None = None,
    rate: str = "conversion_from_start",
    **kwargs: Any,
) -> Axes:
    """A rate by entry period, one line per segment; open-window periods dashed and hollow."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.lines import Line2D

    from ._drivers import step_after_first

    owner = _PLOT
    if rate not in _RATES:
        raise bad_parameter(owner, "rate", " or ".join(map(repr, _RATES)), rate)
    names = list(result.stages)
    s = len(names) if stage is None else step_after_first(names, stage, owner=owner, param="stage")
    trends = result.trends(period, tz)
    by = list(result.by)
    entrants = trends.loc[trends["step"] == 1]
    rows = trends.loc[trends["step"] == s]
    groups: list[tuple[str | None, pd.DataFrame]] = [(None, rows)]
    title_note = ""
    if by:
        key: str | list[str] = by[0] if len(by) == 1 else by  # scalar keys for one column
        size = entrants.groupby(key, sort=False, dropna=False, observed=True)["users"].sum()
        keep = size.sort_values(ascending=False, kind="stable").index[:MAX_LINES]
        if len(size) > MAX_LINES:
            title_note = f" ({MAX_LINES} largest segments)"
        grouped = dict(iter(rows.groupby(key, sort=False, dropna=False, observed=True)))
        groups = [(" / ".join(map(str, np.atleast_1d(k))), grouped[k]) for k in keep]
    for g_i, (label, unsorted) in enumerate(groups):
        color = PALETTE[g_i % len(PALETTE)]
        grp = unsorted.sort_values("period")
        t = pd.DatetimeIndex(grp["period"])
        y = grp[rate].to_numpy(dtype=np.float64)
        done = grp["complete"].to_numpy(dtype=bool)
        last_done = int(np.flatnonzero(done)[-1]) if done.any() else -1
        solid = slice(0, last_done + 1)
        ax.plot(t[solid], y[solid], color=color, marker="o", markersize=4, label=label, **kwargs)
        if not done.all():
            tail = slice(max(last_done, 0), len(y))
            ax.plot(t[tail], y[tail], color=color, linestyle="--", linewidth=1.2, **kwargs)
            ax.plot(
                t[~done], y[~done], linestyle="none", marker="o", markersize=5,
                markerfacecolor="white", markeredgecolor=color,
            )  # fmt: skip
    handles, labels = ax.get_legend_handles_labels()
    if not trends["complete"].all():
        handles.append(
            Line2D([], [], color="#777777", linestyle="--", marker="o", markerfacecolor="white")
        )
        labels.append("incomplete (window still open)")
    if by:  # outside the axes: several lines fill the plot and a legend would hide them
        ax.legend(handles, labels, frameon=False, fontsize=8, loc="upper left",
                  bbox_to_anchor=(1.01, 1.0))  # fmt: skip
    elif handles:
        ax.legend(handles, labels, frameon=False, fontsize=8, loc="lower left")
    # matplotlib.dates ships without annotations on these constructors.
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.set_ylim(bottom=0)
    top = ax.get_ylim()[1]
    percent_axis(ax, decimals=0 if top >= 0.1 else 1 if top >= 0.01 else 2)
    base = names[0] if rate == _RATES[0] else names[s - 2]
    unit = {"D": "day", "W": "week", "M": "month"}[period]
    ax.set_ylabel(f"{base} → {names[s - 1]}")
    ax.set_xlabel(f"entry {unit} (first {names[0]})")
    title = f"Conversion {base} → {names[s - 1]} by entry {unit}{title_note}"
    return style_axes(ax, title=title)


def short_duration(value: pd.Timedelta) -> str:
    """``"0"``, ``"30s"``, ``"5min"``, ``"3h"``, ``"2d"``, ``"1.5d"``: a compact label."""
    secs = value.total_seconds()
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        if secs >= size:
            n = secs / size
            return f"{n:.0f}{unit}" if n == round(n) else f"{n:.1f}{unit}"
    return "0" if secs == 0 else f"{secs * 1000:.0f}ms"


def histogram_bars(
    result: FunnelResult,
    ax: Axes,
    *,
    from_step: int | str = 1,
    to_step: int | str | None = None,
    bins: int | str | Sequence[object] = "auto",
    **kwargs: Any,
) -> Axes:
    """Users per time-to-convert bin, one bar per bin (bins may differ in width)."""
    hist = result.time_to_convert_histogram(from_step, to_step, bins)
    x = np.arange(len(hist))
    kwargs.setdefault("color", PALETTE[0])
    bars = ax.bar(x, hist["users"].to_numpy(), width=0.85, **kwargs)
    share = hist["share"].to_numpy(dtype=np.float64)
    texts = [f"{v:.0%}" if v >= 0.005 else "" for v in np.nan_to_num(share)]
    ax.bar_label(bars, labels=texts, fontsize=7)
    labels = [f"{short_duration(a)}\N{EN DASH}{short_duration(b)}" for a, b in
              zip(hist["bin_start"], hist["bin_end"], strict=True)]  # fmt: skip
    ax.set_xticks(
        x, labels, rotation=45 if len(x) > 6 else 0, ha="right" if len(x) > 6 else "center"
    )
    ax.set_ylabel("users")
    frm, to, n = hist.attrs["from_stage"], hist.attrs["to_stage"], hist.attrs["n"]
    ax.set_xlabel(f"time from {frm} to {to} (labels: share of the {n:,} who converted)")
    return style_axes(ax, title=f"Time to convert: {frm} → {to}")
