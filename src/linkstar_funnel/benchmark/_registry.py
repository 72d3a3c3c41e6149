"""Named benchmark sets on the library's one :class:`~linkstar_funnel._registry.Registry`.

The shipped defaults register through :func:`register_benchmark` too; the registry loads
them on its first lookup.
"""

from __future__ import annotations

from collections.abc import Callable

from .._params import Boolean, InstanceOf, Satisfies, validate_params
from .._registry import Registry
from .._validators import bad_parameter
from ..errors import RegistryError
from ._sets import Benchmark

__all__ = ["BENCHMARK_SETS", "available_benchmarks", "get_benchmark", "register_benchmark"]

BenchmarkFactory = Callable[[], Benchmark]


def _load_builtins() -> None:
    # Importing the module runs its @register_benchmark decorators, once.
    from . import _defaults  # noqa: F401


#: Every registered benchmark set: name -> the function building it.
BENCHMARK_SETS: Registry[BenchmarkFactory] = Registry("benchmark set", load=_load_builtins)

_NAME = Satisfies(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")


@validate_params(name=_NAME, replace=Boolean())
def register_benchmark(
    name: str, *, replace: bool = False
) -> Callable[[BenchmarkFactory], BenchmarkFactory]:
    """Decorator: register a function building a :class:`Benchmark` under ``name``.

    The function runs when the set is first asked for, not at registration. Check it with
    :func:`~linkstar_funnel.benchmark.check_benchmark_set` before sharing it.

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
        if not callable(factory):
            owner, expected = "register_benchmark", "a function building a Benchmark"
            raise bad_parameter(owner, "factory", expected, factory)
        return BENCHMARK_SETS.register(name, factory, replace=replace)

    return decorate


@validate_params(name=InstanceOf(str, description="a benchmark set's name (a string)"))
def get_benchmark(name: str) -> Benchmark:
    """The registered benchmark set called ``name`` (built fresh on each call).

    Raises
    ------
    RegistryError
        No set has that name (the message lists the registered ones), or its function
        returned something other than a :class:`Benchmark`.

    Examples
    --------
    >>> get_benchmark("littledata-2019-10").to_frame()[["stage", "base", "rate"]]
             stage      base   rate
    0  add_to_cart     visit  0.052
    1      payment  checkout  0.452
    """
    bench = BENCHMARK_SETS.get(name)()
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
    return BENCHMARK_SETS.names()
