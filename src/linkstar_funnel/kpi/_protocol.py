"""The :class:`Decomposition` protocol, the method registry, and a conformance check.

A decomposition method splits the change of a tree's root between two periods into
contributions of every edge ``(parent, child)`` of the tree, per row (segment), in the
root's units. Two rules make it exact and multi-level consistent:

* per row, the contributions of the root's children sum to the root's change;
* per row, for every inner node, the contributions of its children sum to the node's own
  contribution (summed over all its parents when the tree shares the node).

Register a method with :func:`register_decomposition` (the :data:`DECOMPOSITIONS`
registry); built-ins use the same decorator. :func:`check_decomposition` is the
conformance kit: it runs every rule on a few trees and reports every failure at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

from .._conformance import ConformanceKit
from .._params import Boolean, Integer, Real, Satisfies, validate_params
from .._registry import Registry
from ..errors import ParameterError

if TYPE_CHECKING:
    from ._tree import KPITree

__all__ = [
    "DECOMPOSITIONS",
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


def _load_builtins() -> None:
    from . import _lmdi, _sequential, _shapley  # noqa: F401 - register the built-ins


#: Decomposition factories by name (``"lmdi"``, ``"shapley"``, ``"sequential"``...).
DECOMPOSITIONS: Registry[Callable[..., Decomposition]] = Registry(
    "decomposition method", load=_load_builtins
)


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
        DECOMPOSITIONS.register(name, factory, replace=replace)
        return factory

    return decorate


def decomposition_methods() -> tuple[str, ...]:
    """Names of the registered decomposition methods, sorted."""
    return tuple(DECOMPOSITIONS.names())


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
    if method not in DECOMPOSITIONS:
        msg = (
            f"The 'method' parameter of {owner} must be one of "
            + ", ".join(repr(n) for n in decomposition_methods())
            + f". Got {method!r} instead."
        )
        raise ParameterError(msg)
    try:
        return DECOMPOSITIONS.get(method)(**options)
    except TypeError as exc:
        msg = f"The {method!r} method does not take the options {sorted(options)}: {exc}"
        raise ParameterError(msg) from exc


#: The trees every method is checked on.
_TREES = (
    "gmv = traffic * cvr * aov",
    "gmv = traffic * cvr * aov; traffic = organic + paid",
    "rev = orders * aov; orders = sessions * cvr; aov = sales / orders_n",
)


def _check_attributes(kit: ConformanceKit, impl: object) -> None:
    with kit.check("name is a non-empty string"):
        name = getattr(impl, "name", None)
        assert isinstance(name, str), f"name is {name!r}"
        assert name.strip(), f"name is {name!r}"
    with kit.check("order_dependent is a bool"):
        flag = getattr(impl, "order_dependent", None)
        assert isinstance(flag, bool), f"order_dependent is {flag!r}"


def _check_tree(
    kit: ConformanceKit,
    tree: KPITree,
    impl: Decomposition,
    rng: np.random.Generator,
    rtol: float,
) -> None:
    """Every rule of the protocol on one tree (7 rows, one driver unchanged)."""
    from ._compute import compute_nodes

    n = 7
    leaves0 = {leaf: rng.uniform(0.5, 2.0, n) for leaf in tree.leaves}
    leaves1 = {leaf: v * rng.uniform(0.6, 1.6, n) for leaf, v in leaves0.items()}
    leaves1[tree.leaves[0]] = leaves0[tree.leaves[0]].copy()  # one unchanged driver
    v0, v1 = compute_nodes(tree, leaves0), compute_nodes(tree, leaves1)
    where = f"on {tree.formula!r}"
    got: dict[Edge, FloatArray] = {}
    with kit.check(f"contributions() {where}"):
        got = dict(impl.contributions(tree, v0, v1))
    missing = [e for e in tree.edges if e not in got]
    if not kit.require(not missing, f"no contribution for the edges {missing} {where}"):
        return
    with kit.check(f"contributions of the root's children sum to its change {where}"):
        change = v1[tree.root] - v0[tree.root]
        top = sum((got[(tree.root, c)] for c in tree.children(tree.root)), np.zeros(n))
        assert np.allclose(top, change, rtol=rtol, atol=1e-12), (
            f"they sum to {np.round(top, 6).tolist()}, the change is {np.round(change, 6).tolist()}"
        )
    for name in tree.order:
        if tree.node(name).kind == "leaf" or name == tree.root:
            continue
        with kit.check(f"the children of {name!r} sum to its contribution {where}"):
            into = sum((got[(p, name)] for p in tree.parents(name)), np.zeros(n))
            out = sum((got[(name, c)] for c in tree.children(name)), np.zeros(n))
            assert np.allclose(into, out, rtol=rtol, atol=1e-12), (
                f"{np.round(out, 6).tolist()} != {np.round(into, 6).tolist()}"
            )
    with kit.check(f"no change gives zero contributions {where}"):
        same = impl.contributions(tree, v0, v0)
        nonzero = [e for e, v in same.items() if not np.allclose(v, 0.0, atol=1e-12)]
        assert not nonzero, f"non-zero for the edges {nonzero}"


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

    Run it on your own :class:`Decomposition` to see it satisfies the protocol's rules:
    ``name`` and ``order_dependent`` are set, every edge gets a contribution, the root's
    children sum to its change, every inner node's children sum to its contribution, and
    no change gives zero contributions. Every rule is checked on every tree; all failures
    are reported together.

    Parameters
    ----------
    method
        The method, or a function building it for a given tree (for methods whose
        settings depend on the tree, such as a substitution order).
    seed
        Seed of the random leaf values.
    rtol
        Relative tolerance of the sums.

    Raises
    ------
    ConformanceError
        Listing every rule broken (it is also an ``AssertionError``).

    Examples
    --------
    >>> from linkstar_funnel.kpi import LMDI
    >>> check_decomposition(LMDI())
    >>> from linkstar_funnel.kpi import Sequential
    >>> check_decomposition(lambda tree: Sequential(tree.names[1:]))
    """
    from ._tree import KPITree

    rng = np.random.default_rng(seed)
    label = getattr(method, "name", None) or getattr(method, "__name__", type(method).__name__)
    kit = ConformanceKit(str(label), "Decomposition")
    for i, formula in enumerate(_TREES):
        tree = KPITree.from_formula(formula)
        impl: object = method
        if not isinstance(method, Decomposition):
            with kit.check(f"building the method for {formula!r}"):
                impl = method(tree)
        if not isinstance(impl, Decomposition):
            kit.fail(
                f"{type(impl).__name__} is no Decomposition (name, order_dependent and "
                "contributions())"
            )
            break
        if i == 0:
            _check_attributes(kit, impl)
        _check_tree(kit, tree, impl, rng, rtol)
    kit.finish()


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
