"""A registry of named benchmark sets; the shipped defaults register through it too."""

from __future__ import annotations

from collections.abc import Callable

from .._params import Boolean, InstanceOf, Satisfies, validate_params
from ..errors import RegistryError
from ._sets import Benchmark

__all__ = ["available_benchmarks", "get_benchmark", "register_benchmark"]

BenchmarkFactory = Callable[[], Benchmark]
_REGISTRY: dict[str, BenchmarkFactory] = {}


_NAME = Satisfies(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")


@validate_params(name=_NAME, replace=Boolean())
def register_benchmark(
    name: str, *, replace: bool = False
) -> Callable[[BenchmarkFactory], BenchmarkFactory]:
    """Decorator: register a function building a :class:`Benchmark` under ``name``.

    The function runs when the set is first asked for, not at registration.

    Parameters
    ----------
    name
        The set's name, as given to :func:`get_benchmark`.
    replace
        Allow replacing an existing set of that name. Without it, a second registration
        raises :class:`~linkstar_funnel.errors.RegistryError` instead of silently
        shadowing the first.

    Examples
    --------
    >>> from linkstar_funnel.benchmark import Benchmark, get_benchmark, register_benchmark
    >>> @register_benchmark("q3-targets-doctest")
    ... def _targets() -> Benchmark:
    ...     return Benchmark.from_rates({"payment": 0.5}, source="Q3 plan", as_of="2026-07")
    >>> get_benchmark("q3-targets-doctest").references[0].rate
    0.5
    """

    def decorate(factory: BenchmarkFactory) -> BenchmarkFactory:
        _load_builtins()
        if name in _REGISTRY and not replace and _REGISTRY[name] is not factory:
            msg = (
                f"A benchmark set named {name!r} is already registered.\n"
                "Hint: pick another name, or pass replace=True to replace it on purpose."
            )
            raise RegistryError(msg)
        _REGISTRY[name] = factory
        return factory

    return decorate


@validate_params(name=InstanceOf(str, description="a benchmark set's name (a string)"))
def get_benchmark(name: str) -> Benchmark:
    """The registered benchmark set called ``name`` (built fresh on each call).

    Raises
    ------
    RegistryError
        No set has that name; the message lists the registered ones.
    """
    _load_builtins()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        known = ", ".join(map(repr, sorted(_REGISTRY)))
        msg = f"No benchmark set is registered as {name!r}. Registered sets: {known}."
        raise RegistryError(msg) from None
    bench = factory()
    if not isinstance(bench, Benchmark):
        msg = (
            f"The function registered as benchmark set {name!r} returned a "
            f"{type(bench).__name__}, not a Benchmark."
        )
        raise RegistryError(msg)
    return bench


def available_benchmarks() -> list[str]:
    """Names of the registered benchmark sets, sorted.

    Examples
    --------
    >>> "industry" in available_benchmarks()
    True
    """
    _load_builtins()
    return sorted(_REGISTRY)


def _load_builtins() -> None:
    # Importing the module runs its @register_benchmark decorators, once.
    from . import _defaults  # noqa: F401
