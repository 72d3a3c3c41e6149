"""Plots of the LTV results (matplotlib imported lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..plotting import PALETTE, get_axes, style_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._backtest import BacktestResult
    from ._cohort_fit import CohortForecastResult
    from ._count import CountModelResult
    from ._gammagamma import GammaGammaResult

__all__ = [
    "plot_backtest",
    "plot_cohort_curves",
    "plot_frequency_histogram",
    "plot_holdout_by_frequency",
    "plot_p_alive_matrix",
    "plot_spend_fit",
]


def plot_frequency_histogram(freq: pd.Series, ax: Axes | None = None, max_x: int = 10) -> Axes:
    """Customers by number of repeat purchases (the last bar collects ``max_x`` and more)."""
    ax = get_axes(ax)
    counts = np.bincount(np.minimum(freq.to_numpy(dtype=np.int64), max_x), minlength=max_x + 1)
    labels = [str(i) for i in range(max_x)] + [f"{max_x}+"]
    ax.bar(labels, counts, color=PALETTE[0])
    ax.set_xlabel("repeat purchases")
    ax.set_ylabel("customers")
    return style_axes(ax, title="Customers by repeat purchases")


def plot_holdout_by_frequency(
    frame: pd.DataFrame,
    ax: Axes | None = None,
    predicted: pd.Series | None = None,
    max_x: int = 7,
) -> Axes:
    """Mean holdout purchases by calibration repeat purchases (and predictions if given)."""
    ax = get_axes(ax)
    bins = np.minimum(frame["frequency"].to_numpy(dtype=np.int64), max_x)
    actual = pd.Series(frame["frequency_holdout"].to_numpy(), index=bins).groupby(level=0).mean()
    ax.plot(actual.index, actual.to_numpy(), marker="o", color=PALETTE[0], label="actual")
    if predicted is not None:
        pred = pd.Series(predicted.to_numpy(), index=bins).groupby(level=0).mean()
        ax.plot(pred.index, pred.to_numpy(), marker="s", ls="--", color=PALETTE[1], label="model")
    ax.set_xticks(range(max_x + 1), [*map(str, range(max_x)), f"{max_x}+"])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("mean purchases in holdout")
    ax.legend(frameon=False)
    return style_axes(ax, title="Calibration vs holdout")


def plot_p_alive_matrix(
    fit: CountModelResult, ax: Axes | None = None, max_frequency: int | None = None
) -> Axes:
    """Heat map of P(alive) by frequency and recency, at the largest observed age T."""
    ax = get_axes(ax, figsize=(7.0, 5.0))
    d = fit.data
    t_max = float(d.T.max())
    x_max = int(max_frequency or max(5, np.quantile(d.frequency, 0.99)))
    x = np.arange(x_max + 1, dtype=np.float64)
    rec = np.linspace(0.0, t_max, 40)
    xx, rr = np.meshgrid(x, rec, indexing="ij")
    p = fit._p_alive(xx.ravel(), np.where(xx.ravel() > 0, rr.ravel(), 0.0), np.full(xx.size, t_max))
    grid = p.reshape(xx.shape)
    grid[0, 1:] = np.nan  # no recency without repeat purchases
    mesh = ax.pcolormesh(rec, x, grid, cmap="viridis", vmin=0, vmax=1, shading="nearest")
    cbar = ax.figure.colorbar(mesh, ax=ax)
    cbar.set_label("P(alive)")
    ax.set_xlabel(f"recency ({fit.unit})")
    ax.set_ylabel("repeat purchases")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    style_axes(ax, title=f"P(alive) at T = {t_max:.0f} {fit.unit}")
    ax.grid(False)
    return ax


def plot_spend_fit(fit: GammaGammaResult, ax: Axes | None = None) -> Axes:
    """Histogram of mean repeat values with the fitted population mean marked."""
    ax = get_axes(ax)
    d = fit.data
    assert d.monetary_value is not None
    m = d.monetary_value[(d.frequency > 0) & (d.monetary_value > 0)]
    ax.hist(m, bins=40, color=PALETTE[0], alpha=0.8)
    ax.axvline(fit.mean_spend, color=PALETTE[3], ls="--", label=f"model mean {fit.mean_spend:,.2f}")
    ax.set_xlabel("mean repeat transaction value")
    ax.set_ylabel("customers")
    ax.legend(frameon=False)
    return style_axes(ax, title="Spend per transaction")


def plot_cohort_curves(
    forecast: CohortForecastResult,
    ax: Axes | None = None,
    max_lines: int = 6,
    segment: dict[str, str] | None = None,
) -> Axes:
    """Cumulative value per customer by age; observed solid, forecast dashed, with bands.

    Shows the ``max_lines`` largest cohort * segment curves (filter with ``segment``).
    """
    ax = get_axes(ax)
    f = forecast.frame
    if segment:
        for k, v in segment.items():
            f = f[f[k] == v]
    keys = ["cohort", *forecast.by]
    sizes = f.groupby(keys, observed=True, sort=False)["customers"].first()
    top = sizes.sort_values(ascending=False).index[:max_lines]
    top_set = {t if isinstance(t, tuple) else (t,) for t in top}
    ordered = sorted(top_set, key=lambda t: tuple(map(str, t)))
    for i, key in enumerate(ordered):
        mask = np.ones(len(f), dtype=bool)
        for col, val in zip(keys, key, strict=True):
            mask &= (f[col] == val).to_numpy()
        g = f[mask].sort_values("age")
        days = g["age"].dt.days.to_numpy()
        color = PALETTE[i % len(PALETTE)]
        label = f"{pd.Timestamp(key[0]):%Y-%m-%d}" + "".join(f" · {k}" for k in key[1:])
        label += f" (n={int(g['customers'].iloc[0]):,})"
        obs = g["observed"].to_numpy()
        ax.plot(days[obs], g["value"].to_numpy()[obs], color=color, lw=2, label=label)
        fut = ~obs
        if fut.any():
            start = max(int(np.flatnonzero(fut)[0]) - 1, 0)
            sl = slice(start, None)
            ax.plot(days[sl], g["value"].to_numpy()[sl], color=color, lw=1.6, ls="--")
            ax.fill_between(
                days[sl],
                g["lower"].to_numpy()[sl],
                g["upper"].to_numpy()[sl],
                color=color,
                alpha=0.15,
                lw=0,
            )
    ax.set_xlabel("days since acquisition")
    ax.set_ylabel("cumulative value per customer")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    band = f"{1 - forecast.alpha:.0%}"
    return style_axes(ax, title=f"Cohort LTV curves (dashed: forecast, band: {band} interval)")


def plot_backtest(result: BacktestResult, ax: Axes | None = None) -> Axes:
    """Predicted vs actual holdout value per cohort, one bar group per cohort and model."""
    ax = get_axes(ax, figsize=(9.0, 4.5))
    # One bar per model and cohort: segments (``by``) are summed within each cohort.
    f = (
        result.cohorts.groupby(["model", "cohort"], observed=True, sort=False)[
            ["actual", "predicted"]
        ]
        .sum()
        .reset_index()
    )
    cohorts = list(dict.fromkeys(f["cohort"]))
    models = list(dict.fromkeys(f["model"]))
    width = 0.8 / (len(models) + 1)
    x = np.arange(len(cohorts))
    actual = f.drop_duplicates("cohort").set_index("cohort")["actual"].reindex(cohorts)
    ax.bar(x, actual.to_numpy(), width, color="#999999", label="actual")
    for i, m in enumerate(models):
        g = f[f["model"] == m].set_index("cohort").reindex(cohorts)
        ax.bar(
            x + (i + 1) * width,
            g["predicted"].to_numpy(),
            width,
            color=PALETTE[i % len(PALETTE)],
            label=m,
        )
    labels = [f"{pd.Timestamp(c):%b %Y}" if not isinstance(c, str) else c for c in cohorts]
    ax.set_xticks(x + width * len(models) / 2, labels, rotation=0, fontsize=8)
    ax.set_ylabel("holdout value")
    ax.legend(frameon=False, fontsize=8)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    return style_axes(ax, title="Backtest: holdout value by cohort, actual vs forecast")
