"""Drawing a :class:`BenchmarkComparisonResult`: each rate relative to its reference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._params import Integer, validate_params
from ..plotting import PALETTE, get_axes, percent_axis, style_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._compare import BenchmarkComparisonResult

__all__ = ["plot_comparison"]

_COLOURS = {"below": PALETTE[3], "above": PALETTE[2], "in line": "#888888"}


@validate_params(top=Integer(1))
def plot_comparison(
    cmp: BenchmarkComparisonResult, *, ax: Axes | None = None, top: int = 15, **_: Any
) -> Axes:
    """One row per stage/segment, largest impact on top (at most ``top`` rows).

    Rates sit on very different scales (1.6% conversion, 45% checkout completion), so each
    is drawn relative to its own reference: ``observed / reference - 1`` with its
    interval, coloured by verdict; the impact is written on the right.
    """
    table = cmp.table.sort_values("impact", ascending=False, kind="stable").head(top)
    table = table.iloc[::-1]
    ax = get_axes(ax, figsize=(8.5, 1.3 + 0.4 * len(table)))
    y = np.arange(len(table))
    ref = table["reference"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = table["observed"].to_numpy() / ref - 1.0
        lo = table["ci_low"].to_numpy() / ref - 1.0
        hi = table["ci_high"].to_numpy() / ref - 1.0
    labels = []
    for row in table.to_dict("records"):
        seg = ", ".join(str(row[c]) for c in cmp.by)
        base = f" ← {row['base']}" if row["base"] else ""
        labels.append(f"{row['stage']}{base}" + (f"  [{seg}]" if seg else ""))
    colours = [_COLOURS[v] for v in table["verdict"]]
    ax.axvline(0.0, color="black", linewidth=1.0)
    ax.hlines(y, lo, hi, colors=colours, linewidth=2.5)
    ax.scatter(rel, y, c=colours, s=36, zorder=3)
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(table) - 0.3)
    percent_axis(ax, "x", decimals=0)
    unit = {"value": "value", "orders": "orders", "successes": "entities"}[cmp.impact_unit]
    for yi, (impact, obs, r) in enumerate(
        zip(table["impact"], table["observed"], table["reference"], strict=True)
    ):
        _note(ax, yi, f"{obs:.1%} vs {r:.1%}", 8)
        _note(ax, yi, f"{impact:+,.0f}" if np.isfinite(impact) else "", 175, ha="right")
    _note(ax, len(table) - 0.35, "observed vs ref", 8, bold=True)
    _note(ax, len(table) - 0.35, f"{unit} lost", 175, ha="right", bold=True)
    level = round(100 * (1 - cmp.spec.alpha))
    style_axes(ax, title=f"Observed vs {cmp.spec.benchmark.name}", grid_axis="x")
    ax.set_xlabel(f"relative to the reference ({level}% Wilson interval)")
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=c, marker="o", linewidth=2.5, label=v) for v, c in _COLOURS.items()
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        frameon=False,
        fontsize=9,
        bbox_to_anchor=(0.5, -0.16),
        ncols=3,
    )
    return ax


def _note(
    ax: Axes, y: float, text: str, dx: float, *, ha: str = "left", bold: bool = False
) -> None:
    """Text in the right margin at data height ``y``, ``dx`` points right of the axes."""
    ax.annotate(
        text,
        (1.0, y),
        xycoords=("axes fraction", "data"),
        xytext=(dx, 0),
        textcoords="offset points",
        va="center",
        ha=ha,
        fontsize=8.5,
        color="#333333",
        fontweight="bold" if bold else "normal",
    )
