"""The backend conformance kit: a backend must give the in-memory engine's outputs.

Each capability contributes its cases (``engines/_kit_<capability>.py``, registered in
:data:`CASES`): functions that run a backend and the in-memory reference on the same
frames and record every difference in a :class:`~linkstar_funnel._conformance.ConformanceKit`.
:func:`check_backend` runs every case of every capability the backend implements and
raises one :class:`~linkstar_funnel.errors.ConformanceError` listing all failures.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import attrs
import pandas as pd

from .._conformance import ConformanceKit
from .._registry import Registry
from ..errors import ParameterError
from ..schema import RowAccounting
from ._backends import BACKENDS, CAPABILITIES, DEFAULT_BACKEND, Backend

__all__ = ["CASES", "CapabilityCases", "Runner", "accounting_key", "check_backend", "same_record"]


class Runner(Protocol):
    """Runs one capability on a pandas frame: ``run(frame, query) -> output record``."""

    def __call__(self, frame: Any, query: Any, /) -> Any: ...


class CapabilityCases(Protocol):
    """Cases of one capability: compare ``run`` with ``reference`` and record failures."""

    def __call__(self, kit: ConformanceKit, run: Runner, reference: Runner, /) -> None: ...


def accounting_key(acc: RowAccounting) -> tuple[int, list[tuple[str, str | None, int]]]:
    """Row accounting as comparable values: rows in, and the drops sorted by reason."""
    return acc.rows_in, sorted((d.reason, d.column, d.count) for d in acc.dropped)


def same_record(
    kit: ConformanceKit, case: str, got: Any, want: Any, fields: tuple[str, ...] = ()
) -> bool:
    """The start every kit's comparison shares: ``got`` has ``want``'s record type (else
    ``False``: nothing more to compare), the same row accounting, and equal ``fields``
    (scalars); each difference is recorded in ``kit``."""
    cls = type(want)
    if not kit.require(
        isinstance(got, cls), f"{case}: returned {type(got).__name__}, not {cls.__name__}"
    ):
        return False
    kit.require(
        accounting_key(got.accounting) == accounting_key(want.accounting),
        f"{case}: row accounting {got.accounting} != {want.accounting}",
    )
    for field in fields:
        a, b = getattr(got, field), getattr(want, field)
        kit.require(a == b, f"{case}: {field} {a!r} != {b!r}")
    return True


def _load_cases() -> None:
    for capability in CAPABILITIES:
        module = f"{__package__}._kit_{capability.split('_')[0]}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            # No shipped cases: check_backend reports the capability as unchecked.


#: Conformance cases per capability.
CASES: Registry[CapabilityCases] = Registry("conformance case set", load=_load_cases)


def _runner(backend: Backend, capability: str, *, as_held_by: Backend | None = None) -> Runner:
    """Run ``capability`` on ``backend``, frames converted by its ``from_pandas``.

    ``as_held_by``: the backend under test, when ``backend`` is the reference: frames are
    first given the form that backend can hold (UTC wall clock where it keeps no zones).
    """
    impl = backend.implementation(capability)
    given: Callable[[Any], object] = backend.from_pandas or (lambda f: f)
    convert = given
    if as_held_by is not None and not as_held_by.time_zones:
        from ._builtin import utc_wall_clock

        def convert(frame: Any) -> object:
            return given(utc_wall_clock(frame))

    def run(frame: Any, query: Any) -> Any:
        # Frames inside the query (a second input, such as the conversions of journeys)
        # are given to the backend in its own form too.
        if attrs.has(type(query)):
            inner = {
                f.name: convert(getattr(query, f.name))
                for f in attrs.fields(type(query))
                if isinstance(getattr(query, f.name), pd.DataFrame)
            }
            query = attrs.evolve(query, **inner) if inner else query
        return impl(convert(frame), query)

    return run


def check_backend(backend: Backend | str, *, capabilities: Sequence[str] | None = None) -> None:
    """Check that ``backend`` computes what the in-memory engine computes.

    Runs, for every capability the backend implements (or those named), the shipped
    cases: the same frames given to the backend (through its ``from_pandas``) and to the
    in-memory engine, every output field compared (counts exactly, times and sums to
    float tolerance), row accounting included. Every failure is collected.

    Parameters
    ----------
    backend
        A :class:`Backend`, or the name of a registered one.
    capabilities
        Restrict the check to these capabilities.

    Raises
    ------
    ConformanceError
        Listing every failed case of every capability.
    ParameterError
        ``backend`` has no ``from_pandas``, or an unknown capability is named.
    RegistryError
        No backend is registered under that name.

    Examples
    --------
    >>> import linkstar_funnel as lf
    >>> lf.engines.check_backend("pandas", capabilities=["kpi_leaf_sums"])
    """
    if isinstance(backend, str):
        backend = BACKENDS.get(backend)
    if not isinstance(backend, Backend):
        msg = f"check_backend takes a Backend or a backend name. Got {backend!r} instead."
        raise ParameterError(msg)
    if backend.from_pandas is None:
        msg = (
            f"The 'from_pandas' attribute of backend {backend.name!r} must be set for "
            "check_backend to give it the same frames as the in-memory engine. Got None."
        )
        raise ParameterError(msg)
    wanted = list(backend.capabilities) if capabilities is None else list(capabilities)
    unknown = [c for c in wanted if c not in CAPABILITIES]
    if unknown:
        msg = (
            f"The 'capabilities' parameter of check_backend must name capabilities among "
            f"{list(CAPABILITIES)}. Got {unknown} instead."
        )
        raise ParameterError(msg)
    reference = BACKENDS.get(DEFAULT_BACKEND)
    kit = ConformanceKit(f"backend {backend.name!r}", "engine backend")
    for capability in wanted:
        if capability not in backend.capabilities:
            kit.fail(f"{capability}: not implemented")
            continue
        sub = ConformanceKit(kit.subject, capability)
        with sub.check(f"{capability} cases"):
            cases = CASES.get(capability)
            run = _runner(backend, capability)
            cases(sub, run, _runner(reference, capability, as_held_by=backend))
        kit.failures += [f"{capability}: {f}" for f in sub.failures]
    kit.finish()
