"""Plots of retention and lifecycle results (matplotlib imported inside the functions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..plotting import PALETTE, get_axes, percent_axis, style_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["cohort_label", "plot_curve", "plot_lifecycle", "plot_triangle"]

_UNIT = {"D": "day", "W": "week", "M": "month"}


def cohort_label(ts: pd.Timestamp, period: str) -> str:
    """``2026-01`` for months, ``2026-01-05`` for days and weeks."""
    return ts.strftime("%Y-%m") if period == "M" else ts.strftime("%Y-%m-%d")


def plot_triangle(frame: pd.DataFrame, period: str, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Cohorts (rows) x periods since the cohort (columns), coloured by rate; incomplete
    cells hatched grey, so partial periods never read as drops."""
    sums = frame.pivot_table(
        index="cohort", columns="period", values=["users", "retained"], aggfunc="sum"
    )
    rate = sums["retained"] / sums["users"]
    done = frame.pivot_table(index="cohort", columns="period", values="complete", aggfunc="all")
    done = done.reindex(index=rate.index, columns=rate.columns).fillna(False).astype(bool)
    users = frame[frame["period"] == 0].groupby("cohort", sort=True)["users"].sum()
    n_rows, n_cols = rate.shape
    ax = get_axes(ax, figsize=(max(6.0, 0.6 * n_cols + 3.0), max(3.0, 0.32 * n_rows + 1.5)))
    values = rate.to_numpy(dtype=np.float64)
    shown = np.where(done.to_numpy(), values, np.nan)
    shown[:, 0] = np.nan  # period 0 is 1 by definition: left blank, its cohort size labels it
    body = shown[:, 1:] if n_cols > 1 else shown
    # The colour scale stops at the 98th percentile: one small late cohort does not wash out
    # the others.
    vmax = float(np.nanpercentile(body, 98)) if np.isfinite(body).any() else 1.0
    cmap = kwargs.pop("cmap", "Blues")
    image = ax.imshow(
        shown, aspect="auto", cmap=cmap, vmin=0.0, vmax=max(vmax, 1e-9), interpolation="nearest"
    )
    annotate = n_rows * n_cols <= 400
    for i in range(n_rows):
        for j in range(n_cols):
            if j == 0:
                ax.text(j, i, f"{int(users.iloc[i]):,}", ha="center", va="center", fontsize=7)
            elif not done.iloc[i, j]:
                ax.add_patch(_hatch(j, i))
            elif annotate and np.isfinite(shown[i, j]):
                dark = shown[i, j] > 0.6 * vmax
                ax.text(
                    j,
                    i,
                    f"{shown[i, j]:.0%}" if shown[i, j] >= 0.1 else f"{shown[i, j]:.1%}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if dark else "#222222",
                )
    labels = [cohort_label(pd.Timestamp(c), period) for c in rate.index]
    step = max(1, n_rows // 25)
    ax.set_yticks(range(0, n_rows, step), labels[::step], fontsize=8)
    ticks = ["size", *(str(c) for c in rate.columns[1:])]
    ax.set_xticks(range(n_cols), ticks, fontsize=8)
    ax.set_xlabel(f"{_UNIT[period]}s since the cohort {_UNIT[period]}")
    ax.set_ylabel("cohort")
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.ax.yaxis.set_major_formatter(_percent())
    bar.set_label("retained", fontsize=8)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title("Retention by cohort (hatched: not fully observed)", loc="left", fontsize=12)
    return ax


def _hatch(x: int, y: int) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle(
        (x - 0.5, y - 0.5), 1, 1, facecolor="#f2f2f2", edgecolor="#c8c8c8", hatch="///", lw=0
    )


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


def plot_curve(
    curve: pd.DataFrame, by: tuple[str, ...], period: str, ax: Axes | None = None, **kwargs: Any
) -> Axes:
    """The weighted retention curve per segment (period ≥ 1) with its interval band."""
    ax = get_axes(ax)
    c = curve[curve["period"] >= 1]
    groups = list(c.groupby(list(by), sort=True, dropna=False)) if by else [((), c)]
    for i, (key, part) in enumerate(groups[:8]):
        colour = PALETTE[i % len(PALETTE)]
        label = ", ".join(map(str, key if isinstance(key, tuple) else (key,))) or "all"
        x = part["period"].to_numpy()
        ax.plot(x, part["rate"].to_numpy(), marker="o", ms=3, color=colour, label=label, **kwargs)
        ax.fill_between(
            x, part["low"].to_numpy(), part["high"].to_numpy(), color=colour, alpha=0.15
        )
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"{_UNIT[period]}s since the cohort {_UNIT[period]}")
    ax.set_ylabel("retained (complete cohorts, weighted)")
    ax.set_ylim(bottom=0)
    percent_axis(ax)
    if by:
        ax.legend(title=", ".join(by), frameon=False, fontsize=8)
    return style_axes(ax, title="Retention curve")


_STATUS_COLOURS = {
    "new": PALETTE[0],
    "returning": PALETTE[2],
    "resurrecting": PALETTE[1],
    "dormant": PALETTE[3],
}


def plot_lifecycle(frame: pd.DataFrame, period: str, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Stacked bars per period: new, returning, resurrecting up; dormant down."""
    ax = get_axes(ax)
    table = frame.pivot_table(
        index="period", columns="status", values="users", aggfunc="sum", fill_value=0
    )
    table = table.reindex(columns=list(_STATUS_COLOURS), fill_value=0).sort_index()
    done = frame.groupby("period", sort=True)["complete"].all().reindex(table.index)
    x = np.arange(len(table))
    up = np.zeros(len(table))
    for status, colour in _STATUS_COLOURS.items():
        v = table[status].to_numpy(dtype=np.float64)
        bottom = np.zeros(len(table)) if status == "dormant" else up
        bars = ax.bar(x, v, bottom=bottom, color=colour, label=status, width=0.8, **kwargs)
        for bar, full in zip(bars, done.to_numpy(dtype=bool), strict=True):
            if not full:  # a partly observed period: faded, so it does not read as a drop
                bar.set_alpha(0.4)
        if status != "dormant":
            up = up + v
    ax.axhline(0, color="#555555", lw=0.8)
    labels = [cohort_label(pd.Timestamp(p), period) for p in table.index]
    step = max(1, len(labels) // 12)
    ax.set_xticks(x[::step], labels[::step], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("users")
    ax.legend(frameon=False, fontsize=8, ncols=4, loc="upper left")
    title = f"Lifecycle per {_UNIT[period]} (dormant below zero; faded: partial period)"
    return style_axes(ax, title=title)
