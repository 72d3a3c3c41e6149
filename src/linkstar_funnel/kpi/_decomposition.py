"""The :class:`DecompositionResult` and the ``KPITree.decompose`` driver."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import Boolean, Integer, Options, validate_params
from ..errors import DataQualityWarning, ParameterError
from ..results import Provenance, ResultMixin, Summary
from ._compute import compute_nodes
from ._format import METHOD_TITLES, fmt_column, fmt_number, fmt_share
from ._inputs import Pair, by_tuple, read_pair
from ._lmdi import log_mean
from ._protocol import Decomposition, Edge, get_decomposition
from ._specs import NAME

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._tree import KPITree

__all__ = ["DecompositionResult", "decompose"]

FloatArray = npt.NDArray[np.float64]

_TITLES = METHOD_TITLES


@attrs.frozen(eq=False)
class DecompositionResult(ResultMixin):
    """Contributions of every driver to the change of a KPI tree's root.

    Attributes
    ----------
    tree
        The tree decomposed.
    method
        The method's name (``"lmdi"``, ``"shapley"``, ``"sequential"``...).
    order_dependent
        Whether another order of the drivers would give other contributions.
    keys
        One row per segment (the segment key columns; no columns for a single row).
    before, after
        Per node, its value per segment in each period.
    edge_contributions
        Per ``(parent, child)`` edge, the contribution per segment, in the root's units.
    order
        The substitution order, for order-dependent methods.
    effects
        Optional labels per node (``"activity"``, ``"structure"``, ``"intensity"``).
    notes
        Caveats (absent segments, the order used...).
    """

    tree: KPITree
    method: str
    order_dependent: bool
    keys: pd.DataFrame
    before: Mapping[str, FloatArray]
    after: Mapping[str, FloatArray]
    edge_contributions: Mapping[Edge, FloatArray]
    provenance: Provenance
    order: tuple[str, ...] | None = None
    effects: Mapping[str, str] = attrs.field(factory=dict)
    notes: tuple[str, ...] = ()

    # ------------------------------------------------------------------ numbers

    @property
    def root_before(self) -> float:
        """The root's value in the first period (summed over segments)."""
        return float(self.before[self.tree.root].sum())

    @property
    def root_after(self) -> float:
        """The root's value in the second period (summed over segments)."""
        return float(self.after[self.tree.root].sum())

    @property
    def total(self) -> float:
        """The root's change, which the contributions of each level sum to."""
        return self.root_after - self.root_before

    @property
    def contributions(self) -> dict[str, float]:
        """Contribution of each input of the root, in the root's units."""
        root = self.tree.root
        return {
            c: float(self.edge_contributions[(root, c)].sum()) for c in self.tree.children(root)
        }

    @property
    def leaf_contributions(self) -> dict[str, float]:
        """Contribution of each leaf, summed over every path to it (these sum to the total)."""
        return {leaf: self.contribution(leaf) for leaf in self.tree.leaves}

    @validate_params(node=NAME)
    def contribution(self, node: str) -> float:
        """A node's contribution, summed over all the nodes that use it."""
        self.tree._check_name(node, owner="DecompositionResult.contribution")
        if node == self.tree.root:
            return self.total
        return float(sum(self.edge_contributions[(p, node)].sum() for p in self.tree.parents(node)))

    @property
    def factors(self) -> dict[str, float]:
        """Multiplicative LMDI-I effects of the root's inputs; they multiply to after/before.

        Raises
        ------
        ParameterError
            The method is not LMDI, or the root is 0 in a period.
        """
        if self.method != "lmdi":
            msg = (
                f"Multiplicative factors come with method='lmdi'; this result used {self.method!r}."
            )
            raise ParameterError(msg)
        weight = float(log_mean(self.root_after, self.root_before))
        if weight == 0:
            msg = "The root is 0 in one period: the multiplicative form is undefined."
            raise ParameterError(msg)
        return {k: float(np.exp(v / weight)) for k, v in self.contributions.items()}

    # ------------------------------------------------------------------ tables

    def _node_value(self, values: Mapping[str, FloatArray], node: str) -> float:
        if len(self.keys) == 1 or node == self.tree.root:
            return float(values[node].sum())
        return float("nan")

    @validate_params(by_segment=Boolean())
    def to_frame(self, *, by_segment: bool = False) -> pd.DataFrame:
        """One row per node (root first, then every edge depth first).

        Columns: ``node``, ``parent``, ``level``, ``owner``, ``unit``, ``before``,
        ``after``, ``change``, ``contribution`` (root units), ``share`` (of the root's
        change), then ``effect`` and, for LMDI, ``factor`` (multiplicative effect).
        With several segments a node has one value per segment, so ``before``, ``after``
        and ``change`` are left out (``root_before``/``root_after`` give the root's
        totals); ``by_segment=True`` gives one row per segment and node, with the key
        columns and those values.

        ``share`` is NaN where the change it divides is 0 (and ``factor`` where the root
        is 0 in a period): a :class:`~linkstar_funnel.DataQualityWarning` says so.
        """
        out = self._frame(by_segment=by_segment)
        if not by_segment and len(self.keys) > 1:
            out = out.drop(columns=["before", "after", "change"])
        _warn_undefined(out, by_segment=by_segment)
        return out

    def _frame(self, *, by_segment: bool = False) -> pd.DataFrame:
        tree = self.tree
        rows: list[tuple[str, str | None, int]] = [(tree.root, None, 0)]
        rows += [(child, parent, level) for parent, child, level in tree.edge_levels]
        root = tree.root
        if by_segment:
            total = self.after[root] - self.before[root]
            parts = []
            for node, parent, level in rows:
                seg_contrib = total if parent is None else self.edge_contributions[(parent, node)]
                part = self.keys.reset_index(drop=True).copy()
                part = part.assign(
                    node=node,
                    parent=parent,
                    level=level,
                    before=self.before[node],
                    after=self.after[node],
                    change=self.after[node] - self.before[node],
                    contribution=seg_contrib,
                )
                parts.append(part)
            out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
            with np.errstate(divide="ignore", invalid="ignore"):
                seg_total = np.tile(total, len(rows))
                out["share"] = np.where(seg_total != 0, out["contribution"] / seg_total, np.nan)
            return out
        before = [self._node_value(self.before, r[0]) for r in rows]
        after = [self._node_value(self.after, r[0]) for r in rows]
        contrib: list[float] = [self.total] + [
            float(self.edge_contributions[(str(parent), node)].sum())
            for node, parent, _ in rows[1:]
        ]
        out = pd.DataFrame(
            {
                "node": [r[0] for r in rows],
                "parent": [r[1] for r in rows],
                "level": np.array([r[2] for r in rows], dtype=np.int64),
                "owner": [tree.node(r[0]).owner for r in rows],
                "unit": [tree.node(r[0]).unit for r in rows],
                "before": before,
                "after": after,
                "change": np.subtract(after, before),
                "contribution": contrib,
            }
        )
        out["share"] = out["contribution"] / self.total if self.total != 0 else np.nan
        if self.effects:
            out["effect"] = [self.effects.get(r[0], "") for r in rows]
        if self.method == "lmdi":
            weight = float(log_mean(self.root_after, self.root_before))
            with np.errstate(over="ignore"):
                out["factor"] = np.exp(out["contribution"] / weight) if weight else np.nan
        return out

    def summary(self) -> Summary:
        """The root's change, the method, and the contribution of each input of the root."""
        tree, root = self.tree, self.tree.root
        unit = f" {tree.node(root).unit}" if tree.node(root).unit else ""
        pct = self.total / self.root_before if self.root_before else float("nan")
        change = (
            f"{fmt_number(self.root_before)} → {fmt_number(self.root_after)}{unit} "
            f"({fmt_number(self.total, signed=True)}, {fmt_share(pct, signed=True)})"
        )
        facts = [
            (root, change),
            ("method", _TITLES.get(self.method, self.method)),
        ]
        if len(self.keys) > 1:
            facts.append(("segments", f"{len(self.keys):,}"))
        frame = self._frame()
        top = frame[frame["level"] == 1]
        table = pd.DataFrame(
            {
                "driver": top["node"],
                "owner": top["owner"].fillna(""),
                "before": top["before"].map(fmt_number),
                "after": top["after"].map(fmt_number),
                "contribution": fmt_column(top["contribution"], signed=True),
                "share": top["share"].map(lambda v: fmt_share(v, signed=True)),
            }
        )
        if top["before"].isna().all():  # several segments: node values differ by segment
            table = table.drop(columns=["before", "after"])
            notes_extra = ["per-segment values: to_frame(by_segment=True)"]
        else:
            notes_extra = []
        if "effect" in top:
            table.insert(1, "effect", top["effect"])
        notes = list(self.notes) + notes_extra
        if self.order_dependent:
            notes.insert(0, f"order dependent: substituted in the order {list(self.order or ())}")
        notes += self.provenance.lines()
        return Summary(
            f"Change in {root}: {_TITLES.get(self.method, self.method)}",
            facts=tuple(facts),
            table=table.reset_index(drop=True),
            notes=tuple(notes),
        )

    @validate_params(kind=Options("waterfall", "tree"), level=[Integer(1), Options("leaves")])
    def plot(
        self,
        ax: Axes | None = None,
        *,
        kind: Literal["waterfall", "tree"] = "waterfall",
        level: int | Literal["leaves"] = 1,
        **kwargs: Any,
    ) -> Axes:
        """A waterfall of the contributions (``level=1`` or ``"leaves"``), or the tree."""
        from ._plot import plot_decomposition_tree, plot_waterfall

        if kind == "waterfall":
            return plot_waterfall(self, ax=ax, level=level, **kwargs)
        if kind == "tree":
            return plot_decomposition_tree(self, ax=ax, **kwargs)
        msg = (
            "The 'kind' parameter of DecompositionResult.plot must be 'waterfall' or 'tree'. "
            f"Got {kind!r} instead."
        )
        raise ParameterError(msg)


def _warn_undefined(frame: pd.DataFrame, *, by_segment: bool) -> None:
    reasons = []
    share = int(frame["share"].isna().sum())
    if share:
        where = "a segment's change" if by_segment else "the root's change"
        reasons.append(f"share is NaN in {share:,} rows where {where} is 0 (a share of no change)")
    if "factor" in frame and frame["factor"].isna().any():
        reasons.append("factor is NaN: the root is 0 in a period (no multiplicative form)")
    if reasons:
        warnings.warn("; ".join(reasons) + ".", DataQualityWarning, stacklevel=4)


def node_values(tree: KPITree, pair: Pair) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    """Every node's value in both periods (zero denominators raise)."""

    def describe(i: int) -> str:
        if pair.keys.shape[1] == 0:
            return f"row {i}"
        return ", ".join(f"{k}={v!r}" for k, v in pair.keys.iloc[i].items())

    v0 = compute_nodes(
        tree, pair.before, absent=pair.absent_before, describe_row=describe,
        where=" in the 'before' data",
    )  # fmt: skip
    v1 = compute_nodes(
        tree, pair.after, absent=pair.absent_after, describe_row=describe,
        where=" in the 'after' data",
    )  # fmt: skip
    return v0, v1


def checked_contributions(
    impl: Decomposition,
    tree: KPITree,
    before: Mapping[str, FloatArray],
    after: Mapping[str, FloatArray],
) -> dict[Edge, FloatArray]:
    """Run ``impl``; refuse contributions that are not finite numbers.

    Both periods' node values are finite, but a method combines them (Shapley's mixed
    coalitions, a change ``after - before`` of two huge numbers) and may pass the largest
    float64 number on the way: that is an error, never an inf or NaN contribution.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = impl.contributions(tree, before, after)
        b, a = before[tree.root].sum(), after[tree.root].sum()
        totals = np.array([b, a, a - b, *(v.sum() for v in out.values())])
    if not np.isfinite(totals[:3]).all():
        msg = (
            f"The change of {tree.root!r} ({b:g} → {a:g}, summed over rows) is beyond the "
            "largest float64 number (about 1.8e308): it cannot be represented, nor split.\nHint: "
            "rescale the leaves (e.g. to thousands)."
        )
        raise ParameterError(msg)
    bad = [
        edge
        for (edge, values), total in zip(out.items(), totals[3:], strict=True)
        if not (np.isfinite(values).all() and np.isfinite(total))
    ]
    if bad:
        parent, child = bad[0]
        msg = (
            f"The {impl.name!r} decomposition gives {child!r} (in {parent!r}) a contribution "
            "that is not a finite number: the values or the change go beyond the largest float64 "
            "number (about 1.8e308) on the way.\nHint: rescale the leaves (e.g. to thousands)."
        )
        raise ParameterError(msg)
    return out


def absent_notes(pair: Pair) -> tuple[str, ...]:
    """Notes naming segments present in one period only."""
    notes = []
    for label, mask in (("before", pair.absent_after), ("after", pair.absent_before)):
        if mask.any():
            names = [", ".join(map(str, r)) for r in pair.keys[mask].itertuples(index=False)]
            shown = ", ".join(names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else "")
            notes.append(f"{int(mask.sum())} segment(s) only in the {label!r} period: {shown}")
    return tuple(notes)


def decompose(
    tree: KPITree,
    before: object,
    after: object,
    method: str | Decomposition = "lmdi",
    *,
    by: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    **options: Any,
) -> DecompositionResult:
    """Read both periods, evaluate every node and run ``method``; see ``KPITree.decompose``."""
    seg = by_tuple(by, "KPITree.decompose")
    impl = get_decomposition(method, **options)
    pair = read_pair(tree.leaves, before, after, by=seg, columns=columns)
    v0, v1 = node_values(tree, pair)
    contributions = checked_contributions(impl, tree, v0, v1)
    order = getattr(impl, "order", None)
    return DecompositionResult(
        tree=tree,
        method=impl.name,
        order_dependent=impl.order_dependent,
        keys=pair.keys,
        before=v0,
        after=v1,
        edge_contributions=contributions,
        provenance=Provenance(spec=impl, inputs=pair.accounting),
        order=tuple(order) if order is not None else None,
        notes=absent_notes(pair),
    )
