"""The :class:`Decomposition` protocol, the method registry, and a conformance check.

A decomposition method splits the change of a tree's root between two periods into
contributions of every edge ``(parent, child)`` of the tree, per row (segment), in the
root's units. Two rules make it exact and multi-level consistent:

* per row, the contributions of the root's children sum to the root's change;
* per row, for every inner node, the contributions of its children sum to the node's own
  contribution (summed over all its parents when the tree shares the node).

Register a method with :func:`register_decomposition`; built-ins use the same decorator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

from .._params import Boolean, Integer, Real, Satisfies, validate_params
from ..errors import ParameterError, RegistryError

if TYPE_CHECKING:
    from ._tree import KPITree

__all__ = [
    "Decomposition",
    "Edge",
    "check_decomposition",
    "decomposition_methods",
    "get_decomposition",
    "register_decomposition",
]

FloatArray = npt.NDArray[np.float64]
#: The root's value as a function of one node's value (others held), built down the tree.
Context = Callable[[FloatArray], FloatArray]
Edge = tuple[str, str]
F = TypeVar("F", bound=Callable[..., Any])

_REGISTRY: dict[str, Callable[..., Decomposition]] = {}


@runtime_checkable
class Decomposition(Protocol):
    """A way to split a KPI tree's change between two periods among its drivers."""

    @property
    def name(self) -> str:
        """Short name shown in results (``"lmdi"``)."""
        ...

    @property
    def order_dependent(self) -> bool:
        """Whether the answer depends on an order of the drivers."""
        ...

    def contributions(
        self,
        tree: KPITree,
        before: Mapping[str, FloatArray],
        after: Mapping[str, FloatArray],
    ) -> dict[Edge, FloatArray]:
        """Per edge of ``tree.edges``, per row, the contribution in the root's units.

        ``before`` and ``after`` hold the value of every node (leaves included), one
        float per row.
        """
        ...


@validate_params(
    name=Satisfies(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty name"),
    replace=Boolean(),
)
def register_decomposition(name: str, *, replace: bool = False) -> Callable[[F], F]:
    """Register a factory (usually a class) of a decomposition method under ``name``.

    The factory is called with the keyword options given to ``KPITree.decompose``.
    Registering a name twice raises :class:`RegistryError` unless ``replace=True``.

    Examples
    --------
    >>> "lmdi" in decomposition_methods()
    True
    """

    def decorate(factory: F) -> F:
        if name in _REGISTRY and not replace:
            msg = (
                f"A decomposition method named {name!r} is already registered.\nHint: pass "
                "replace=True to replace it on purpose."
            )
            raise RegistryError(msg)
        _REGISTRY[name] = factory
        return factory

    return decorate


def decomposition_methods() -> tuple[str, ...]:
    """Names of the registered decomposition methods, sorted."""
    return tuple(sorted(_REGISTRY))


def get_decomposition(
    method: str | Decomposition, *, owner: str = "KPITree.decompose", **options: Any
) -> Decomposition:
    """A method object from a registered name (with options) or the object itself.

    An unknown name is a :class:`ParameterError` (as every unknown ``method=``), listing
    the registered names.
    """
    if not isinstance(method, str):
        if not isinstance(method, Decomposition):
            msg = (
                f"The 'method' parameter of {owner} must be a method name or an "
                f"object with name, order_dependent and contributions(). Got {method!r} instead."
            )
            raise ParameterError(msg)
        if options:
            msg = f"Options {sorted(options)} only apply when 'method' is a name."
            raise ParameterError(msg)
        return method
    if method not in _REGISTRY:
        msg = (
            f"The 'method' parameter of {owner} must be one of "
            + ", ".join(repr(n) for n in decomposition_methods())
            + f". Got {method!r} instead."
        )
        raise ParameterError(msg)
    try:
        return _REGISTRY[method](**options)
    except TypeError as exc:
        msg = f"The {method!r} method does not take the options {sorted(options)}: {exc}"
        raise ParameterError(msg) from exc


@validate_params(
    method=Satisfies(
        lambda v: isinstance(v, Decomposition) or callable(v),
        "a Decomposition or a function building one for a tree",
    ),
    seed=Integer(0),
    rtol=Real(0, closed="neither"),
)
def check_decomposition(
    method: Decomposition | Callable[[KPITree], Decomposition],
    *,
    seed: int = 0,
    rtol: float = 1e-9,
) -> None:
    """Check that a method is exact and multi-level consistent on a few trees.

    Run it on your own :class:`Decomposition` to see it satisfies the protocol's rules.
    Raises ``AssertionError`` naming the first rule broken.

    Parameters
    ----------
    method
        The method, or a function building it for a given tree (for methods whose
        settings depend on the tree, such as a substitution order).

    Examples
    --------
    >>> from linkstar_funnel.kpi import LMDI
    >>> check_decomposition(LMDI())
    >>> from linkstar_funnel.kpi import Sequential
    >>> check_decomposition(lambda tree: Sequential(tree.names[1:]))
    """
    from ._compute import compute_nodes
    from ._tree import KPITree

    rng = np.random.default_rng(seed)
    trees = [
        KPITree.from_formula("gmv = traffic * cvr * aov"),
        KPITree.from_formula("gmv = traffic * cvr * aov; traffic = organic + paid"),
        KPITree.from_formula("rev = orders * aov; orders = sessions * cvr; aov = sales / orders_n"),
    ]
    for tree in trees:
        n = 7
        leaves0 = {leaf: rng.uniform(0.5, 2.0, n) for leaf in tree.leaves}
        leaves1 = {leaf: v * rng.uniform(0.6, 1.6, n) for leaf, v in leaves0.items()}
        leaves1[tree.leaves[0]] = leaves0[tree.leaves[0]].copy()  # one unchanged driver
        v0, v1 = compute_nodes(tree, leaves0), compute_nodes(tree, leaves1)
        impl = method if isinstance(method, Decomposition) else method(tree)
        got = impl.contributions(tree, v0, v1)
        missing = [e for e in tree.edges if e not in got]
        assert not missing, f"{impl.name}: no contribution for the edges {missing}"
        change = v1[tree.root] - v0[tree.root]
        top = sum((got[(tree.root, c)] for c in tree.children(tree.root)), np.zeros(n))
        assert np.allclose(top, change, rtol=rtol, atol=1e-12), (
            f"{impl.name}: root contributions do not sum to the change on {tree.formula!r}"
        )
        for name in tree.order:
            if tree.node(name).kind == "leaf" or name == tree.root:
                continue
            into = sum((got[(p, name)] for p in tree.parents(name)), np.zeros(n))
            out = sum((got[(name, c)] for c in tree.children(name)), np.zeros(n))
            assert np.allclose(into, out, rtol=rtol, atol=1e-12), (
                f"{impl.name}: the children of {name!r} do not sum to its contribution"
            )
        same = impl.contributions(tree, v0, v0)
        assert all(np.allclose(v, 0.0, atol=1e-12) for v in same.values()), (
            f"{impl.name}: no change must give zero contributions"
        )


def slot(
    compute: Callable[[list[FloatArray]], FloatArray],
    values: list[FloatArray],
    j: int,
    context: Context,
) -> Context:
    """The root's value as a function of input ``j`` with the other inputs fixed."""

    def inner(x: FloatArray) -> FloatArray:
        filled = list(values)
        filled[j] = x
        return context(compute(filled))

    return inner
