"""Drawings: the tree diagram (structure, or a decomposition on it) and the waterfall."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import ParameterError
from ..plotting import PALETTE, get_axes, style_axes
from ._format import METHOD_TITLES, fmt_column, fmt_number, fmt_share

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._decomposition import DecompositionResult
    from ._tree import KPITree

__all__ = ["plot_decomposition_tree", "plot_tree", "plot_waterfall"]

_UP, _DOWN, _NEUTRAL = PALETTE[2], PALETTE[3], "#666666"
_OPS = {"product": " \u00d7 ", "ratio": " / "}  # a multiplication sign in the boxes


def _layout(tree: KPITree) -> dict[str, tuple[float, float]]:
    """x = depth (root at 0, left), y = leaf slot (top to bottom), parents centred."""
    # Longest path from the root, so a shared node sits right of every node using it.
    depth = dict.fromkeys(tree.names, 0)
    for name in reversed(tree.order):
        for child in tree.children(name):
            depth[child] = max(depth[child], depth[name] + 1)
    pos: dict[str, tuple[float, float]] = {}
    slot = [0.0]

    def place(name: str) -> float:
        if name in pos:
            return pos[name][1]
        kids = tree.children(name)
        if not kids:
            y = slot[0]
            slot[0] += 1.0
        else:
            ys = [place(k) for k in kids]
            y = float(np.mean(ys))
        pos[name] = (float(depth[name]), y)
        return y

    place(tree.root)
    # Shared nodes can pull two boxes of one column together: keep them a slot apart.
    for column in set(depth.values()):
        names = sorted((n for n in pos if depth[n] == column), key=lambda n: pos[n][1])
        for above, below in itertools.pairwise(names):
            if pos[below][1] - pos[above][1] < 1.0:
                pos[below] = (pos[below][0], pos[above][1] + 1.0)
    return pos


def _node_text(tree: KPITree, name: str) -> str:
    node = tree.node(name)
    lines = [name]
    if node.kind != "leaf":
        expr = _OPS.get(node.kind, "")
        body = expr.join(node.inputs) if expr else node.expression
        lines.append(f"= {body}")
    meta = " · ".join(x for x in (node.owner, node.unit) if x)
    if meta:
        lines.append(meta)
    return "\n".join(lines)


def _draw(
    tree: KPITree,
    ax: Axes,
    extra: Mapping[str, str],
    edge_colors: Mapping[tuple[str, str], str],
    box_colors: Mapping[str, str],
) -> Axes:
    pos = _layout(tree)
    for parent, child in tree.edges:
        (x0, y0), (x1, y1) = pos[parent], pos[child]
        xm = x0 + 0.5  # fan out next to the parent, then run level to the child
        color = edge_colors.get((parent, child), "#999999")
        ax.plot([x0, xm, xm, x1], [y0, y0, y1, y1], color=color, linewidth=1.3, zorder=1)
    for name, (x, y) in pos.items():
        text = _node_text(tree, name)
        if name in extra:
            text += "\n" + extra[name]
        ax.text(
            x, y, text, ha="center", va="center", fontsize=8.5, zorder=3, linespacing=1.3,
            bbox={"boxstyle": "round,pad=0.45", "facecolor": "white",
                  "edgecolor": box_colors.get(name, "#444444"), "linewidth": 1.2},
        )  # fmt: skip
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.55, max(xs) + 0.55)
    ax.set_ylim(max(ys) + 0.7, min(ys) - 0.7)
    ax.set_axis_off()
    return ax


def _wrap(name: str, width: int = 12) -> str:
    """Break a long node name at underscores so tick labels do not collide."""
    if len(name) <= width:
        return name
    return "\n".join(textwrap.wrap(name.replace("_", "_ "), width)).replace("_ ", "_")


def _figsize(tree: KPITree) -> tuple[float, float]:
    pos = _layout(tree)
    width = 2.6 * (max(p[0] for p in pos.values()) + 1) + 0.6
    height = 1.05 * (max(p[1] for p in pos.values()) + 1) + 0.6
    return (max(width, 5.0), max(height, 2.6))


def plot_tree(tree: KPITree, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """The tree's structure: one box per node (name, formula, owner · unit)."""
    if kwargs:
        msg = f"KPITree.plot takes only 'ax'. Got {sorted(kwargs)}."
        raise ParameterError(msg)
    ax = get_axes(ax, figsize=_figsize(tree))
    _draw(tree, ax, {}, {}, {})
    ax.set_title(f"KPI tree: {tree.root}", loc="left", fontsize=12, fontweight="bold")
    return ax


def plot_decomposition_tree(d: DecompositionResult, ax: Axes | None = None) -> Axes:
    """The tree with each node's values and contribution; edges coloured by sign."""
    tree = d.tree
    ax = get_axes(ax, figsize=_figsize(tree))
    frame = d._frame()
    extra: dict[str, str] = {}
    box: dict[str, str] = {}
    for name in tree.names:
        rows = frame[frame["node"] == name]
        before, after = rows["before"].iloc[0], rows["after"].iloc[0]
        lines = []
        if not np.isnan(before):
            lines.append(f"{fmt_number(before)} → {fmt_number(after)}")
        c = float(rows["contribution"].sum())
        lines.append(f"effect {fmt_number(c, signed=True)}" if name != tree.root else "")
        extra[name] = "\n".join(x for x in lines if x)
        box[name] = _UP if c > 0 else _DOWN if c < 0 else _NEUTRAL
    edges = {
        (p, c): (_UP if v.sum() > 0 else _DOWN if v.sum() < 0 else _NEUTRAL)
        for (p, c), v in d.edge_contributions.items()
    }
    _draw(tree, ax, extra, edges, box)
    ax.set_title(
        f"Change in {tree.root} by driver: {METHOD_TITLES.get(d.method, d.method)}", loc="left", fontsize=12,
        fontweight="bold",
    )  # fmt: skip
    return ax


def plot_waterfall(
    d: DecompositionResult,
    ax: Axes | None = None,
    *,
    level: int | Literal["leaves"] = 1,
    **kwargs: Any,
) -> Axes:
    """Before → each driver's contribution → after, as floating bars."""
    if level == 1:
        items = list(d.contributions.items())
    elif level == "leaves":
        items = list(d.leaf_contributions.items())
    else:
        msg = f"The 'level' parameter of DecompositionResult.plot must be 1 or 'leaves'. Got {level!r} instead."
        raise ParameterError(msg)
    ax = get_axes(ax, figsize=(max(6.0, 1.45 * (len(items) + 2) + 1.0), 4.8))
    root = d.tree.root
    start, end = d.root_before, d.root_after
    running = [start]
    for _, v in items:
        running.append(running[-1] + v)
    lo, hi = min(*running, end), max(*running, end)
    span = hi - lo or abs(hi) or 1.0
    floor = 0.0
    if lo > 0 and lo > 0.35 * hi:  # a zero baseline would squash the changes: cut the axis
        step = 10 ** np.floor(np.log10(span)) / 2
        floor = max(0.0, float(np.floor((lo - 0.6 * span) / step) * step))
    # Shares of a small net change (e.g. +1,066%) say little: show them only when tame.
    show_share = d.total != 0 and all(abs(v / d.total) <= 2 for _, v in items)
    labels = [f"{root}\nbefore"]
    owners = {k: d.tree.node(k).owner for k, _ in items}
    labels += [_wrap(k) + (f"\n({owners[k]})" if owners[k] else "") for k, _ in items]
    labels.append(f"{root}\nafter")
    x = np.arange(len(labels))
    ax.bar(x[0], start - floor, bottom=floor, color=PALETTE[0], width=0.6, **kwargs)
    ax.bar(x[-1], end - floor, bottom=floor, color=PALETTE[0], width=0.6, **kwargs)
    pad = 0.02 * (hi - floor)
    ax.annotate(fmt_number(start), (x[0], start), xytext=(0, 3), textcoords="offset points",
                ha="center", va="bottom", fontsize=9)  # fmt: skip
    ax.annotate(fmt_number(end), (x[-1], end), xytext=(0, 3), textcoords="offset points",
                ha="center", va="bottom", fontsize=9)  # fmt: skip
    texts = fmt_column([v for _, v in items], signed=True)
    for i, (_, v) in enumerate(items, start=1):
        base = running[i - 1]
        ax.bar(x[i], v, bottom=base, color=_UP if v >= 0 else _DOWN, width=0.6, **kwargs)
        top = max(base, base + v)
        text = texts[i - 1]
        if show_share:
            text += f"\n{fmt_share(v / d.total, signed=True)}"
        ax.annotate(text, (x[i], top), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=9)  # fmt: skip
    for i in range(len(items) + 1):
        level_y = running[i] if i < len(items) else end
        ax.plot([x[i] + 0.3, x[i + 1] - 0.3], [level_y, level_y], color="#888888", linewidth=0.8)
    ax.set_xticks(x, labels, fontsize=9)
    ax.set_ylim(floor, hi + 0.22 * (hi - floor) + pad)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_number(v)))
    unit = d.tree.node(root).unit
    ylabel = f"{root} ({unit})" if unit else root
    if floor > 0:
        ylabel += f" - axis starts at {fmt_number(floor)}"
    ax.set_ylabel(ylabel)
    title = (
        f"Change in {root}: {fmt_number(start)} → {fmt_number(end)} "
        f"({fmt_number(d.total, signed=True)}), {METHOD_TITLES.get(d.method, d.method)}"
    )
    title += ", order dependent" if d.order_dependent else ""
    return style_axes(ax, title=title)
