"""Activity / structure / intensity decomposition across segments (Ang & Zhang 2000).

With segments ``i`` and a root that is a product with an activity factor ``A`` (traffic,
customers), ``V = Σ_i A_i · I_i = Σ_i Q · s_i · I_i`` where ``Q = Σ_i A_i`` is total
activity, ``s_i = A_i / Q`` the segment's share and ``I_i`` the product of the other
factors (intensities: CVR * AOV). Decomposing this extended tree gives an activity effect
(``Q``), a structure effect (the shares ``s_i``: mix across segments) and one effect per
intensity factor.

A segment present in one period only has no intensity in the other; its intensities are
held at the period where it exists, so its whole change is a structure effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError
from ..results import Provenance
from ._compute import compute_nodes
from ._decomposition import DecompositionResult, absent_notes, checked_contributions
from ._inputs import by_tuple, read_pair
from ._nodes import Leaf, Node, Product
from ._protocol import Decomposition, get_decomposition

if TYPE_CHECKING:
    from ._tree import KPITree

__all__ = ["decompose_structure"]

FloatArray = npt.NDArray[np.float64]


def _fresh(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _extended_tree(tree: KPITree, activity: str) -> tuple[KPITree, str, str]:
    from ._tree import KPITree

    root = tree.node(tree.root)
    if root.kind != "product" or activity not in root.inputs:
        msg = (
            "The 'activity' parameter of KPITree.decompose_structure must be a factor of "
            f"the root product ({tree.root} = {root.expression or tree.root}). Got "
            f"{activity!r} instead."
        )
        raise ParameterError(msg)
    taken = set(tree.names)
    total = _fresh(f"{activity}_total", taken)
    share = _fresh(f"{activity}_share", taken)
    act = tree.node(activity)
    factors = []
    for f in root.inputs:
        factors += [total, share] if f == activity else [f]
    new_root = Product(tree.root, tuple(factors), owner=root.owner, unit=root.unit)
    nodes: list[Node] = [
        new_root,
        Leaf(total, owner=act.owner, unit=act.unit),
        Leaf(share, owner=act.owner, unit="share"),
    ]
    used = {c for f in factors if f not in (total, share) for c in _below(tree, f)}
    nodes += [n for n in tree.nodes if n.name in used]
    return KPITree(nodes, root=tree.root), total, share


def _below(tree: KPITree, name: str) -> set[str]:
    """``name`` and every node under it (each visited once, shared nodes too)."""
    out: set[str] = set()
    todo = [name]
    while todo:
        node = todo.pop()
        if node not in out:
            out.add(node)
            todo.extend(tree.children(node))
    return out


def decompose_structure(
    tree: KPITree,
    before: object,
    after: object,
    *,
    by: str | Sequence[str],
    activity: str,
    method: str | Decomposition = "lmdi",
    columns: Mapping[str, str] | None = None,
    **options: Any,
) -> DecompositionResult:
    """See :meth:`KPITree.decompose_structure`.

    Examples
    --------
    >>> import pandas as pd
    >>> from linkstar_funnel.kpi import KPITree
    >>> tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    >>> b = pd.DataFrame({"country": ["UK", "DE"], "traffic": [800.0, 200.0],
    ...                   "cvr": [0.02, 0.03], "aov": [50.0, 60.0]})
    >>> a = b.assign(traffic=[700.0, 400.0])
    >>> d = tree.decompose_structure(b, a, by="country", activity="traffic")
    >>> {k: round(v, 2) for k, v in d.contributions.items()}
    {'traffic_total': 120.88, 'traffic_share': 139.12, 'cvr': 0.0, 'aov': 0.0}
    >>> round(d.total, 2)
    260.0
    """
    seg = by_tuple(by, "KPITree.decompose_structure")
    if not seg:
        msg = "The 'by' parameter of KPITree.decompose_structure must name a column."
        raise ParameterError(msg)
    tree._check_name(activity, param="activity", owner="KPITree.decompose_structure")
    ext, total, share = _extended_tree(tree, activity)
    impl = get_decomposition(method, owner="KPITree.decompose_structure", **options)
    pair = read_pair(tree.leaves, before, after, by=seg, columns=columns)
    # Intensities of a segment missing from a period: held at the other period's values.
    l0 = {k: np.where(pair.absent_before, pair.after[k], v) for k, v in pair.before.items()}
    l1 = {k: np.where(pair.absent_after, pair.before[k], v) for k, v in pair.after.items()}
    v0 = compute_nodes(tree, l0, where=" in the 'before' data")
    v1 = compute_nodes(tree, l1, where=" in the 'after' data")
    a0 = np.where(pair.absent_before, 0.0, v0[activity])
    a1 = np.where(pair.absent_after, 0.0, v1[activity])
    values = []
    for v, a in ((v0, a0), (v1, a1)):
        if (a < 0).any():
            msg = f"The activity {activity!r} has negative values; shares need values ≥ 0."
            raise ParameterError(msg)
        with np.errstate(over="ignore"):
            q = float(a.sum())
        if not 0 < q < np.inf:
            msg = (
                f"The activity {activity!r} sums to {q:g}; shares need a positive total "
                "within float64 (at most about 1.8e308)."
            )
            raise ParameterError(msg)
        ext_leaves = {k: v[k] for k in ext.leaves if k not in (total, share)}
        ext_leaves[total] = np.full(a.shape, q)
        ext_leaves[share] = a / q
        values.append(compute_nodes(ext, ext_leaves))
    effects = {total: "activity", share: "structure"}
    effects |= {f: "intensity" for f in ext.children(ext.root) if f not in effects}
    notes = absent_notes(pair)
    if notes:
        notes += ("a segment present in one period only counts as a structure effect",)
    return DecompositionResult(
        tree=ext,
        method=impl.name,
        order_dependent=impl.order_dependent,
        keys=pair.keys,
        before=values[0],
        after=values[1],
        edge_contributions=checked_contributions(impl, ext, values[0], values[1]),
        provenance=Provenance(spec=impl, inputs=pair.accounting),
        order=getattr(impl, "order", None),
        effects=effects,
        notes=notes,
    )
