"""Matplotlib helpers shared by every result's ``plot()``.

matplotlib is imported lazily, inside the functions, so importing linkstar_funnel stays
cheap and never selects a backend.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["PALETTE", "figure_to_data_uri", "get_axes", "percent_axis", "style_axes"]

#: Colour-blind-safe palette (Okabe & Ito, 2008), in the order series are drawn.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)


def get_axes(ax: Axes | None = None, *, figsize: tuple[float, float] = (8.0, 4.5)) -> Axes:
    """Return ``ax``, or a fresh Axes on a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def style_axes(ax: Axes, *, title: str | None = None, grid_axis: str = "y") -> Axes:
    """The library's house style: no top/right spines, a light grid, a left-aligned title."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis=grid_axis, color="#dddddd", linewidth=0.8)  # type: ignore[arg-type]
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    return ax


def percent_axis(ax: Axes, axis: str = "y", *, decimals: int | None = None) -> Axes:
    """Format an axis holding fractions (0.25) as percentages (25%)."""
    from matplotlib.ticker import PercentFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(xmax=1.0, decimals=decimals))
    return ax


def figure_to_data_uri(fig: Figure, *, fmt: str = "png", dpi: int = 110) -> str:
    """Encode a figure as a ``data:`` URI, for self-contained HTML; closes the figure."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
    return f"data:{mime};base64," + base64.b64encode(buf.getvalue()).decode("ascii")
