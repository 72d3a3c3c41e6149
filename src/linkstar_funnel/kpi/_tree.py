"""The :class:`KPITree`: nodes, structure checks, and the entry points of every analysis."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .._params import Columns, Real, Satisfies, validate_params
from .._validators import bad_parameter
from ..errors import ParameterError, _close_names
from ._formula import parse_formula
from ._graph import check_graph, edges_from, topological_order
from ._nodes import Leaf, Node, Product, Ratio, Sum
from ._specs import (
    AT,
    COLUMNS,
    FORMULA,
    FRAME_OR_MAPPING,
    METHOD,
    NAME,
    SEGMENTS,
    TEXT_MAP,
    ZERO_DIVISION,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._compute import ZeroDivision
    from ._decomposition import DecompositionResult
    from ._evaluate import KPIValues, ValueSource
    from ._mix import MixRateResult
    from ._protocol import Decomposition
    from ._sensitivity import SensitivityResult
    from ._targets import TargetResult

__all__ = ["KPITree"]

_NODE_TYPES = (Leaf, Product, Ratio, Sum)


def _to_nodes(value: object) -> tuple[Node, ...]:
    owner = "KPITree"
    if not isinstance(value, Iterable) or isinstance(value, str):
        raise bad_parameter(owner, "nodes", "a sequence of Leaf/Product/Ratio/Sum", value)
    out = tuple(value)
    for node in out:
        if not isinstance(node, _NODE_TYPES):
            raise bad_parameter(owner, "nodes", "a sequence of Leaf/Product/Ratio/Sum nodes", node)
    if not out:
        raise bad_parameter(owner, "nodes", "at least one node", value)
    return out


def _evolve(node: Node, changes: Mapping[str, str]) -> Node:
    if not changes:
        return node
    owner = changes.get("owner", node.owner)
    unit = changes.get("unit", node.unit)
    return attrs.evolve(node, owner=owner, unit=unit)


def _first_name(tree: KPITree) -> str:
    return tree.nodes[0].name


@attrs.frozen
class KPITree:
    """A tree (or DAG) of KPIs: products, ratios and sums of other KPIs, down to leaves.

    Parameters
    ----------
    nodes
        Every node, inner nodes and leaves. Names are unique; every input a node uses
        must be a node; no cycles; every node feeds the root.
    root
        The top KPI (default: the first node).

    Examples
    --------
    >>> tree = KPITree.from_formula('''
    ...     gmv = traffic * cvr * aov
    ...     traffic = organic + paid
    ... ''', owners={"cvr": "Product", "traffic": "Growth"}, units={"gmv": "GBP"})
    >>> tree.leaves
    ('organic', 'paid', 'cvr', 'aov')
    >>> print(tree.formula)
    gmv = traffic * cvr * aov
    traffic = organic + paid
    >>> tree.node("cvr").owner
    'Product'
    """

    nodes: tuple[Node, ...] = attrs.field(converter=_to_nodes)
    root: str = attrs.field(default=attrs.Factory(_first_name, takes_self=True), validator=NAME)

    _by_name: dict[str, Node] = attrs.field(init=False, repr=False, eq=False)
    _order: tuple[str, ...] = attrs.field(init=False, repr=False, eq=False)
    _edges: tuple[tuple[str, str, int], ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        check_graph(self.nodes, self.root)
        by_name = {n.name: n for n in self.nodes}
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_order", tuple(topological_order(by_name, self.root)))
        object.__setattr__(self, "_edges", tuple(edges_from(by_name, self.root)))

    # ----------------------------------------------------------------- construction

    @classmethod
    @validate_params(
        formula=FORMULA,
        owners=TEXT_MAP,
        units=TEXT_MAP,
        leaves=[
            None,
            Satisfies(
                lambda v: not isinstance(v, str | Mapping) and isinstance(v, Iterable),
                "a list of leaf names",
            ),
        ],
    )
    def from_formula(
        cls,
        formula: str | Iterable[str],
        *,
        owners: Mapping[str, str] | None = None,
        units: Mapping[str, str] | None = None,
        leaves: Iterable[str] | None = None,
    ) -> KPITree:
        """Build a tree from formula lines, the first line being the root.

        Parameters
        ----------
        formula
            ``"gmv = traffic * cvr * aov"``; more lines (or ``;``) define inner nodes:
            ``"traffic = organic + paid"``, ``"cvr = orders / traffic"``. Names never
            defined become leaves.
        owners, units
            Per node name, the responsible team and the unit.
        leaves
            If given, the only names allowed as leaves: any other undefined name is an
            error (catches typos such as ``"trafic"``).

        Raises
        ------
        ParameterError
            A line cannot be read, a name is unknown (with ``leaves``) or defined twice,
            the definitions form a cycle, or ``owners``/``units`` name unknown nodes.
        """
        defs = parse_formula(formula)
        defined = {d.name for d in defs}
        allowed = None if leaves is None else set(leaves)
        nodes: list[Node] = []
        leaf_names: list[str] = []
        for d in defs:
            if d.kind == "product":
                nodes.append(Product(d.name, d.operands))
            elif d.kind == "ratio":
                nodes.append(Ratio(d.name, d.operands[0], d.operands[1]))
            else:
                nodes.append(Sum(d.name, d.operands, signs=d.signs))
            for name in d.operands:
                if name in defined or name in leaf_names:
                    continue
                if allowed is not None and name not in allowed:
                    close = _close_names(name, sorted(allowed | defined))
                    msg = (
                        f"Unknown name {name!r} on line {d.line} of the KPI formula "
                        f"({d.text!r}): it is neither defined nor one of the leaves "
                        f"{sorted(allowed)}."
                    )
                    if close:
                        msg += "\nHint: did you mean " + " or ".join(map(repr, close)) + "?"
                    raise ParameterError(msg)
                leaf_names.append(name)
        nodes += [Leaf(name) for name in leaf_names]
        tree = cls(nodes)
        return tree.annotate(owners=owners, units=units)

    @validate_params(owners=TEXT_MAP, units=TEXT_MAP)
    def annotate(
        self,
        *,
        owners: Mapping[str, str] | None = None,
        units: Mapping[str, str] | None = None,
    ) -> KPITree:
        """A copy with owners and/or units set for the named nodes."""
        updates: dict[str, dict[str, str]] = {}
        for param, mapping in (("owners", owners), ("units", units)):
            for name, value in (mapping or {}).items():
                self._check_name(name, param=param, owner="KPITree.annotate")
                updates.setdefault(name, {})[param[:-1]] = value
        if not updates:
            return self
        nodes: list[Node] = [_evolve(n, updates.get(n.name, {})) for n in self.nodes]
        return attrs.evolve(self, nodes=nodes)

    # ----------------------------------------------------------------- structure

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        self._check_name(name)
        return self._by_name[name]

    def children(self, name: str) -> tuple[str, ...]:
        """Names of the inputs of ``name``."""
        return self.node(name).inputs

    def parents(self, name: str) -> tuple[str, ...]:
        """Names of the nodes that use ``name`` (two or more when the node is shared)."""
        self._check_name(name)
        return tuple(dict.fromkeys(p for p, c, _ in self._edges if c == name))

    @property
    def names(self) -> tuple[str, ...]:
        """Every node name, root first, in depth-first formula order."""
        return (self.root, *dict.fromkeys(c for _, c, _ in self._edges))

    @property
    def leaves(self) -> tuple[str, ...]:
        """Leaf names in depth-first formula order."""
        return tuple(n for n in self.names if self._by_name[n].kind == "leaf")

    @property
    def order(self) -> tuple[str, ...]:
        """Node names with every node after its inputs (the root last)."""
        return self._order

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        """Every ``(parent, child)`` pair, depth first from the root."""
        return tuple((p, c) for p, c, _ in self._edges)

    @property
    def edge_levels(self) -> tuple[tuple[str, str, int], ...]:
        """``(parent, child, level)``; the root's inputs are level 1."""
        return self._edges

    @property
    def formula(self) -> str:
        """The tree as formula lines (parseable by :meth:`from_formula`)."""
        inner = [n for n in self.names if self._by_name[n].kind != "leaf"]
        return "\n".join(f"{n} = {self._by_name[n].expression}" for n in inner)

    def _check_name(self, name: object, *, param: str = "node", owner: str = "KPITree") -> None:
        if not isinstance(name, str) or name not in self._by_name:
            msg = (
                f"The {param!r} parameter of {owner} must name a node of the tree "
                f"({', '.join(map(repr, self.names))}). Got {name!r} instead."
            )
            close = _close_names(str(name), list(self._by_name))
            if close:
                msg += "\nHint: did you mean " + " or ".join(map(repr, close)) + "?"
            raise ParameterError(msg)

    # ----------------------------------------------------------------- analyses

    @validate_params(
        period=[None, NAME],
        segments=SEGMENTS,
        columns=COLUMNS,
        zero_division=ZERO_DIVISION,
    )
    def evaluate(
        self,
        frame: object = None,
        *,
        period: str | None = None,
        segments: str | Sequence[str] | None = None,
        columns: Mapping[str, str] | None = None,
        values: ValueSource | None = None,
        zero_division: ZeroDivision = "raise",
    ) -> KPIValues:
        """Values of every node per period and segment; see :func:`evaluate`.

        ``frame`` may also be an Ibis table, a DuckDB relation or a
        :class:`linkstar_funnel.sql.SQLTable`: leaves are then column sums per period and
        segment, aggregated in that engine.
        """
        from ..sql import is_engine_table

        if is_engine_table(frame):
            from ..engines.sql._kpi import evaluate_kpi

            return evaluate_kpi(
                self,
                frame,
                period=period,
                segments=segments,
                columns=columns,
                values=values,
                zero_division=zero_division,
            )
        from ._evaluate import evaluate

        return evaluate(
            self,
            frame,
            period=period,
            segments=segments,
            columns=columns,
            values=values,
            zero_division=zero_division,
        )

    @validate_params(
        before=FRAME_OR_MAPPING,
        after=FRAME_OR_MAPPING,
        method=METHOD,
        segments=SEGMENTS,
        columns=COLUMNS,
    )
    def decompose(
        self,
        before: object,
        after: object,
        method: str | Decomposition = "lmdi",
        *,
        segments: str | Sequence[str] | None = None,
        columns: Mapping[str, str] | None = None,
        **options: Any,
    ) -> DecompositionResult:
        """Split the root's change from ``before`` to ``after`` among its drivers.

        Parameters
        ----------
        before, after
            Leaf values of the two periods: mappings (leaf → number, array or Series
            indexed by segment) or frames (one column per leaf, one row per segment).
        method
            ``"lmdi"`` (default; additive LMDI-I, multiplicative factors alongside),
            ``"shapley"``, ``"sequential"`` (needs ``order=[...]``), a registered name, or
            a :class:`Decomposition` object.
        segments
            Key columns matching the rows of two frames; the root is then the sum over
            segments and a segment present in one period only is 0 in the other.
        columns
            Leaf → column name, where they differ.
        **options
            Passed to the method's factory (``order=`` for ``"sequential"``).

        Returns
        -------
        DecompositionResult
            Contributions of every node at every level, in the root's units.

        Examples
        --------
        >>> tree = KPITree.from_formula("gmv = traffic * cvr * aov")
        >>> d = tree.decompose(
        ...     {"traffic": 100_000, "cvr": 0.020, "aov": 50.0},
        ...     {"traffic": 110_000, "cvr": 0.017, "aov": 53.0},
        ... )
        >>> d.to_frame()[["node", "before", "after", "contribution", "share"]].round(1)
              node    before     after  contribution  share
        0      gmv  100000.0   99110.0        -890.0    1.0
        1  traffic  100000.0  110000.0        9488.5  -10.7
        2      cvr       0.0       0.0      -16179.5   18.2
        3      aov      50.0      53.0        5800.9   -6.5
        """
        from ._decomposition import decompose

        return decompose(self, before, after, method, segments=segments, columns=columns, **options)

    @validate_params(
        before=FRAME_OR_MAPPING,
        after=FRAME_OR_MAPPING,
        segments=Columns(),
        activity=NAME,
        method=METHOD,
        columns=COLUMNS,
    )
    def decompose_structure(
        self,
        before: object,
        after: object,
        *,
        segments: str | Sequence[str],
        activity: str,
        method: str | Decomposition = "lmdi",
        columns: Mapping[str, str] | None = None,
        **options: Any,
    ) -> DecompositionResult:
        """Activity / structure / intensity decomposition across segments.

        The root, a product with ``activity`` among its factors, is written per segment
        as total activity * the segment's share of it * the other factors (intensities),
        e.g. total traffic * country share * CVR * AOV, and decomposed with ``method``.
        A segment present in one period only changes the structure effect only.
        """
        from ._structure import decompose_structure

        return decompose_structure(
            self,
            before,
            after,
            segments=segments,
            activity=activity,
            method=method,
            columns=columns,
            **options,
        )

    @validate_params(
        before=FRAME_OR_MAPPING,
        after=FRAME_OR_MAPPING,
        node=NAME,
        segments=Columns(),
        columns=COLUMNS,
    )
    def mix_rate(
        self,
        before: object,
        after: object,
        *,
        node: str,
        segments: str | Sequence[str],
        columns: Mapping[str, str] | None = None,
    ) -> MixRateResult:
        """Split a ratio node's change across segments into mix and rate effects.

        The ratio ``node = numerator / denominator`` is, overall, the
        denominator-weighted mean of the segments' ratios; see :func:`mix_rate`.
        """
        from ._mix import tree_mix_rate

        return tree_mix_rate(self, before, after, node=node, segments=segments, columns=columns)

    @validate_params(value=Real(), driver=NAME, at=AT)
    def target(self, value: float, *, driver: str, at: object) -> TargetResult:
        """The value ``driver`` must reach for the root to hit ``value``, others held.

        Parameters
        ----------
        value
            The root's target.
        driver
            The node to solve for (leaf or inner node).
        at
            Current leaf values: a mapping of numbers or a one-row frame.
        """
        from ._targets import target

        return target(self, value, driver=driver, at=at)

    @validate_params(at=AT)
    def sensitivity(self, at: object) -> SensitivityResult:
        """Derivative and elasticity of the root with respect to every node at ``at``."""
        from ._sensitivity import sensitivity

        return sensitivity(self, at)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw the tree: one box per node with its formula, owner and unit."""
        from ._plot import plot_tree

        return plot_tree(self, ax=ax, **kwargs)
