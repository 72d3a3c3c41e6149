"""The :class:`KPITree`: nodes, construction from formulas, and structure.

The analyses (evaluate, decompose...) are in :mod:`._analyses`, which the tree inherits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from .._params import ColumnName, Columns, Integer, Options, Real, Satisfies, validate_params
from .._validators import bad_parameter
from ..errors import ParameterError, _close_names
from ._analyses import TreeAnalyses
from ._formula import parse_formula
from ._graph import check_graph, edges_from, topological_order
from ._nodes import Leaf, Node, Product, Ratio, Sum
from ._specs import FORMULA, METHOD, NAME, TEXT_MAP

if TYPE_CHECKING:
    from ._baseline import BaselineResult
    from ._protocol import Decomposition
    from ._scorecard import ScorecardResult

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
class KPITree(TreeAnalyses):
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

    @classmethod
    @validate_params(name=NAME)
    def template(cls, name: str) -> KPITree:
        """A platform's KPI tree, with units and default owners.

        Built-ins: ``"amazon"``, ``"shopify"``, ``"tiktok_shop"``, ``"own_site"``
        (:func:`linkstar_funnel.kpi.templates` lists every registered one; register your
        own with :func:`linkstar_funnel.kpi.register_template`).
        :func:`linkstar_funnel.kpi.get_template` gives the template itself, whose
        ``evaluate`` reads the platform export's own column names.

        Examples
        --------
        >>> tree = KPITree.template("amazon")
        >>> print(tree.formula)
        sales = sessions * unit_session_percentage * average_selling_price
        unit_session_percentage = units_ordered / sessions
        average_selling_price = ordered_product_sales / units_ordered
        >>> tree.node("unit_session_percentage").owner
        'Listing / catalog'
        """
        from ._templates import template_tree

        return template_tree(name)

    @validate_params(
        period=Options("D", "W", "M"),
        by=[None, Columns()],
        date=ColumnName(),
        columns=[None, Satisfies(lambda v: isinstance(v, Mapping), "a mapping")],
        method=METHOD,
        on_track=Real(0, None, closed="neither"),
        off_track=Real(0, None, closed="neither"),
        lower_is_better=Satisfies(
            lambda v: not isinstance(v, str) and isinstance(v, Iterable), "a list of node names"
        ),
    )
    def scorecard(
        self,
        actual: object,
        targets: object,
        *,
        period: str = "M",
        as_of: object = None,
        by: str | Sequence[str] | None = None,
        date: str = "date",
        columns: Mapping[str, str] | None = None,
        history: object = None,
        method: str | Decomposition = "lmdi",
        on_track: float = 0.97,
        off_track: float = 0.90,
        lower_is_better: Sequence[str] = (),
    ) -> ScorecardResult:
        """Actual against target for the period holding ``as_of``, paced, with owners.

        Parameters
        ----------
        actual
            One row per day (and segment): the ``date`` column, the ``by`` columns and
            one column per leaf. Leaves are summed over the days, so they are amounts
            and counts (rates are ratio nodes). Rows with a missing value, before the
            period or after ``as_of`` are left out and counted.
        targets
            A frame with ``node``, ``target``, the ``by`` columns and optionally
            ``owner`` (overriding the tree's), or a mapping ``{node: target}`` without
            ``by``. Targets are for the whole period and must be > 0.
        period
            ``"D"``, ``"W"`` (from Monday) or ``"M"``.
        as_of
            The last day counted (default: the last day in ``actual``).
        by, date, columns
            Segment columns, the date column, and leaf → column where they differ.
        history
            Past daily rows (same columns, at least 14 days): pace by weekday weights
            learnt from the root's mean per weekday instead of elapsed days.
        method
            The decomposition naming ``driver_of_gap`` (default LMDI).
        on_track, off_track
            Status thresholds on pace = actual / expected_by_now: on track at or above
            ``on_track``, off track below ``off_track``, at risk between.
        lower_is_better
            Nodes where less is better (costs): their pace is expected / actual.

        Returns
        -------
        ScorecardResult

        Examples
        --------
        >>> import pandas as pd
        >>> tree = KPITree.from_formula("gmv = sessions * cvr * aov; cvr = orders / sessions;"
        ...                             "aov = revenue / orders", owners={"cvr": "Product"})
        >>> days = pd.date_range("2026-03-01", "2026-03-15", freq="D")
        >>> actual = pd.DataFrame({"date": days, "sessions": 1_000, "orders": 18,
        ...                        "revenue": 900.0})
        >>> card = tree.scorecard(actual, {"gmv": 31_000, "cvr": 0.02, "sessions": 31_000},
        ...                       as_of="2026-03-15")
        >>> card.to_frame()[["node", "actual", "expected_by_now", "status", "driver_of_gap"]]
               node     actual  expected_by_now     status driver_of_gap
        0       cvr      0.018             0.02  off track        orders
        1       gmv  13500.000         15000.00    at risk           cvr
        2  sessions  15000.000         15000.00   on track      sessions
        """
        from ._scorecard import scorecard

        return scorecard(
            self, actual, targets, period=period, as_of=as_of, by=by, date=date,
            columns=columns, history=history, method=method, on_track=on_track,
            off_track=off_track, lower_is_better=lower_is_better,
        )  # fmt: skip

    @validate_params(
        periods=Integer(1),
        period=Options("D", "W", "M"),
        by=[None, Columns()],
        date=ColumnName(),
        columns=[None, Satisfies(lambda v: isinstance(v, Mapping), "a mapping")],
    )
    def baseline(
        self,
        history: object,
        *,
        periods: int = 8,
        period: str = "W",
        by: str | Sequence[str] | None = None,
        date: str = "date",
        columns: Mapping[str, str] | None = None,
    ) -> BaselineResult:
        """Median and spread of every node over the last ``periods`` complete periods.

        Parameters
        ----------
        history
            One row per day (and segment): ``date``, the ``by`` columns and the leaves
            (amounts and counts, summed per period).
        periods
            How many of the most recent complete periods to use (an incomplete last
            period is left out and counted).
        period, by, date, columns
            As in :meth:`scorecard`.

        Returns
        -------
        BaselineResult
        """
        from ._baseline import baseline

        return baseline(
            self, history, periods=periods, period=period, by=by, date=date, columns=columns
        )

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
