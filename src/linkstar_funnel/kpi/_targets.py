"""Targets cascaded down a tree.

``target``: for a root target, the value one driver must reach with every other node
held, solved exactly down the path from the root (product: divide by the other factors;
ratio: multiply or divide; sum: subtract the other terms). Every node on the path gets its
required value, so a GMV target becomes a CVR target becomes an orders target.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import DataQualityWarning, ParameterError
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ._compute import compute_nodes
from ._format import fmt_number, fmt_share

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._tree import KPITree

__all__ = ["TargetResult", "point_values", "target", "warn_nan"]

FloatArray = npt.NDArray[np.float64]


def point_values(tree: KPITree, at: object, owner: str) -> dict[str, float]:
    """Every node's value at one point given as leaf numbers or a one-row frame."""
    if isinstance(at, pd.DataFrame):
        if len(at) != 1:
            msg = (
                f"The 'at' parameter of {owner} must be one row of leaf values. Got a frame "
                f"with {len(at)} rows instead.\nHint: select one period and segment first."
            )
            raise ParameterError(msg)
        at = at.iloc[0].to_dict()
    if not isinstance(at, Mapping):
        msg = (
            f"The 'at' parameter of {owner} must be a mapping of leaf values or a one-row "
            f"frame. Got {type(at).__name__} instead."
        )
        raise ParameterError(msg)
    leaves = {}
    for leaf in tree.leaves:
        if leaf not in at:
            msg = f"The 'at' parameter of {owner} has no value for the leaf {leaf!r}."
            raise ParameterError(msg)
        value = at[leaf]
        if (
            isinstance(value, bool | np.bool_)
            or not isinstance(value, int | float | np.number)
            or not np.isfinite(float(value))
        ):
            msg = f"The 'at' value of {leaf!r} must be a finite number. Got {value!r} instead."
            raise ParameterError(msg)
        leaves[leaf] = np.array([float(value)])
    values = compute_nodes(tree, leaves, where=f" in the 'at' values of {owner}")
    return {k: float(v[0]) for k, v in values.items()}


def warn_nan(frame: pd.DataFrame, column: str, why: str) -> None:
    bad = frame[column].isna()
    if bad.any():
        nodes = ", ".join(map(repr, frame.loc[bad, "node"]))
        warnings.warn(f"{column} is NaN for {nodes}: {why}.", DataQualityWarning, stacklevel=3)


def _paths(tree: KPITree, goal: str, limit: int = 5) -> tuple[int, list[list[str]]]:
    """How many paths lead from the root to ``goal``, and the first ``limit`` of them.

    Counted level by level (a chain of shared nodes has exponentially many paths, so
    they are never all listed).
    """
    count = dict.fromkeys(tree.names, 0)
    count[goal] = 1
    for name in tree.order:  # inputs before the nodes that use them
        if name != goal:
            count[name] = sum(count[c] for c in tree.children(name))
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        if len(found) >= limit:
            return
        if path[-1] == goal:
            found.append(path)
            return
        for child in tree.children(path[-1]):
            if count[child]:
                walk([*path, child])

    walk([tree.root])
    return count[tree.root], found


@attrs.frozen(eq=False)
class TargetResult(ResultMixin):
    """What a driver (and every node above it) must reach for the root to hit a target.

    Attributes
    ----------
    tree, target_value, driver
        The tree, the root's target and the node solved for.
    path
        Nodes from the root down to the driver.
    current, required
        Per node on the path: the value now and the value needed.
    held
        Every other node, held at its current value.
    """

    tree: KPITree
    target_value: float
    driver: str
    path: tuple[str, ...]
    current: Mapping[str, float]
    required: Mapping[str, float]
    held: Mapping[str, float]
    provenance: Provenance

    @property
    def required_value(self) -> float:
        """The value the driver must reach."""
        return self.required[self.driver]

    @property
    def lift(self) -> float:
        """The driver's needed relative change (0.25 = +25%)."""
        now = self.current[self.driver]
        return self.required_value / now - 1 if now else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One row per node on the path: ``node``, ``owner``, ``unit``, ``current``,
        ``required``, ``change``, ``lift``.

        ``lift`` is NaN where the current value is 0 (no relative change from 0), with a
        :class:`~linkstar_funnel.DataQualityWarning` naming the nodes."""
        out = self._frame()
        warn_nan(out, "lift", "their current value is 0 (no relative change from 0)")
        return out

    def _frame(self) -> pd.DataFrame:
        cur = np.array([self.current[n] for n in self.path])
        req = np.array([self.required[n] for n in self.path])
        with np.errstate(divide="ignore", invalid="ignore"):
            lift = np.where(cur != 0, req / cur - 1, np.nan)
        return pd.DataFrame(
            {
                "node": list(self.path),
                "owner": [self.tree.node(n).owner for n in self.path],
                "unit": [self.tree.node(n).unit for n in self.path],
                "current": cur,
                "required": req,
                "change": req - cur,
                "lift": lift,
            }
        )

    def summary(self) -> Summary:
        """The driver's required value and lift; the cascade as a table."""
        root = self.tree.root
        frame = self._frame()
        table = pd.DataFrame(
            {
                "node": frame["node"],
                "owner": frame["owner"].fillna(""),
                "current": frame["current"].map(fmt_number),
                "required": frame["required"].map(fmt_number),
                "lift": frame["lift"].map(lambda v: fmt_share(v, signed=True)),
            }
        )
        notes = [f"held: {', '.join(f'{k}={fmt_number(v)}' for k, v in self.held.items())}"]
        if self.required_value < 0:
            notes.insert(0, f"{self.driver} would have to be negative: out of reach alone")
        change = f"{fmt_number(self.current[self.driver])} → {fmt_number(self.required_value)}"
        return Summary(
            f"Target {root} = {fmt_number(self.target_value)}: {self.driver} needed",
            facts=((self.driver, change), ("lift needed", fmt_share(self.lift, signed=True))),
            table=table,
            notes=tuple(notes),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Bars of the lift needed at each node of the path."""
        ax = get_axes(ax, figsize=(7.0, 1.2 + 0.6 * len(self.path)))
        frame = self._frame()
        y = np.arange(len(frame))
        colors = [PALETTE[2] if v >= 0 else PALETTE[3] for v in frame["lift"].fillna(0)]
        ax.barh(y, 100 * frame["lift"].fillna(0), color=colors, **kwargs)
        ax.set_yticks(y, frame["node"])
        ax.invert_yaxis()
        ax.axvline(0, color="#555555", linewidth=0.8)
        for yi, (lift, req) in enumerate(zip(frame["lift"], frame["required"], strict=True)):
            ax.annotate(
                f"{fmt_share(lift, signed=True)} (to {fmt_number(req)})",
                (100 * (0 if np.isnan(lift) else lift), yi),
                xytext=(4 if lift >= 0 else -4, 0), textcoords="offset points",
                ha="left" if lift >= 0 else "right", va="center", fontsize=9,
            )  # fmt: skip
        ax.margins(x=0.35)
        ax.set_xlabel("change needed (%)")
        return style_axes(ax, title=f"{self.tree.root} target {fmt_number(self.target_value)}",
                          grid_axis="x")  # fmt: skip


def _solve(node: Any, child: str, need: float, values: Mapping[str, float]) -> float:
    """The value of input ``child`` that makes ``node`` equal ``need``."""
    others = [c for c in node.inputs if c != child]
    if node.kind == "sum":
        signs = dict(zip(node.inputs, node.weights, strict=True))
        return float((need - sum(signs[c] * values[c] for c in others)) / signs[child])
    if node.kind == "ratio":
        num, den = node.inputs
        if child == num:
            return need * values[den]
        if need == 0:
            msg = f"{node.name!r} cannot reach 0 through its denominator {den!r}."
            raise ParameterError(msg)
        return values[num] / need
    rest = float(np.prod([values[c] for c in others]))
    if rest == 0:
        zero = [c for c in others if values[c] == 0]
        msg = (
            f"{node.name!r} = {node.expression} is 0 whatever {child!r} is, because "
            f"{zero} is 0: the target cannot be reached through {child!r}."
        )
        raise ParameterError(msg)
    return need / rest


def target(tree: KPITree, value: float, *, driver: str, at: object) -> TargetResult:
    """See :meth:`KPITree.target`.

    Examples
    --------
    >>> from linkstar_funnel.kpi import KPITree
    >>> tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    >>> t = tree.target(110_000, driver="cvr", at={"traffic": 100_000, "cvr": 0.02, "aov": 50})
    >>> round(t.required_value, 4), round(t.lift, 2)
    (0.022, 0.1)
    """
    tree._check_name(driver, param="driver", owner="KPITree.target")
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        msg = f"The 'value' parameter of KPITree.target must be a number. Got {value!r} instead."
        raise ParameterError(msg)
    if driver == tree.root:
        msg = f"The 'driver' parameter of KPITree.target must be below the root {tree.root!r}."
        raise ParameterError(msg)
    n_paths, paths = _paths(tree, driver)
    if n_paths > 1:
        shown = "; ".join(" → ".join(p) for p in paths) + ("; ..." if n_paths > len(paths) else "")
        msg = (
            f"The driver {driver!r} feeds the root along {n_paths:,} paths ({shown}), so "
            "holding 'the others' is ambiguous.\nHint: set a target on a node with one "
            "path, e.g. " + ", ".join(repr(p[1]) for p in paths) + "."
        )
        raise ParameterError(msg)
    path = paths[0]
    current = point_values(tree, at, "KPITree.target")
    required = {tree.root: float(value)}
    for parent, child in itertools.pairwise(path):
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            required[child] = _solve(tree.node(parent), child, required[parent], current)
        if not np.isfinite(required[child]):
            msg = (
                f"For {tree.root!r} to reach {value:g}, {child!r} would have to be beyond the "
                "largest float64 number (about 1.8e308): the target cannot be reached through "
                f"{driver!r} with the other nodes where they are."
            )
            raise ParameterError(msg)
    held = {
        c: current[c]
        for p in path[:-1]
        for c in tree.children(p)
        if c not in path
    }  # fmt: skip
    return TargetResult(
        tree=tree,
        target_value=float(value),
        driver=driver,
        path=tuple(path),
        current={n: current[n] for n in path},
        required=required,
        held=held,
        provenance=Provenance(spec=tree, notes=(f"{driver} solved with the others held",)),
    )
