"""Backends and the dispatch that picks one from the input.

A :class:`Backend` says which inputs it takes (``accepts``) and, per capability, the
function computing it. Capabilities (``"funnel_levels"``, ``"kpi_leaf_sums"``,
``"cohort_cells"``, ``"journey_arrays"``) each have a Protocol and typed records in
``linkstar_funnel.engines``; every implementation returns the same backend-independent
arrays and row accounting, so domain packages build each result once, whatever computed it.

Functions may be given as ``"module:function"`` strings, imported on first use: importing
the library never imports Ibis, DuckDB or PySpark.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .._registry import Registry
from ..errors import ParameterError

__all__ = [
    "BACKENDS",
    "CAPABILITIES",
    "Backend",
    "backend_for",
    "register_backend",
]

#: The capabilities a backend may implement (see the Protocols of the same names).
CAPABILITIES = (
    "funnel_levels",
    "kpi_leaf_sums",
    "cohort_cells",
    "journey_arrays",
    "identity_components",
    "basket_pairs",
    "retention_cells",
    "lifecycle_cells",
)


def _check_capabilities(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        msg = f"The {attribute.name!r} parameter of Backend must be a mapping. Got {value!r}."
        raise ParameterError(msg)
    unknown = sorted(set(value) - set(CAPABILITIES))
    if unknown:
        msg = (
            f"The {attribute.name!r} parameter of Backend must map capabilities among "
            f"{list(CAPABILITIES)} to functions. Got unknown capabilities {unknown} instead."
        )
        raise ParameterError(msg)
    bad = [k for k, f in value.items() if not (callable(f) or (isinstance(f, str) and ":" in f))]
    if bad:
        msg = (
            f"The {attribute.name!r} parameter of Backend must map each capability to a "
            f"function or a 'module:function' string. Got {value[bad[0]]!r} for {bad[0]!r}."
        )
        raise ParameterError(msg)


def _to_accepts(value: object) -> Callable[[object], bool]:
    if not callable(value):
        msg = f"The 'accepts' parameter of Backend must be callable. Got {value!r} instead."
        raise ParameterError(msg)
    return value


def _to_capabilities(value: object) -> dict[str, Callable[..., Any] | str]:
    return dict(value) if isinstance(value, Mapping) else value  # type: ignore[return-value]


@attrs.frozen(eq=False)
class Backend:
    """One way of computing the engine capabilities, and the inputs it takes.

    Parameters
    ----------
    name
        Registry key (``"pandas"``, ``"ibis"``, ``"pyspark"``...).
    accepts
        ``accepts(source) -> bool``: whether this backend computes on ``source``. It must
        not import heavy modules to answer (check the type's module name instead).
    capabilities
        Capability name -> implementation (a callable or a ``"module:function"`` string).
        Each implementation takes ``(source, query)`` and returns the capability's output
        record; see the capability Protocols.
    from_pandas
        Optional ``from_pandas(frame) -> source``: the same data as an input of this
        backend. The conformance kit (:func:`check_backend`) uses it to run this backend
        and the in-memory one on the same frames.
    description
        One line for messages and provenance.
    time_zones
        Whether this backend's inputs keep a time zone per column. Spark's do not (a
        timestamp is an instant read in the session's zone): the conformance kit then gives
        both engines the times as UTC wall clock, the data such a backend actually holds.
    """

    name: str
    accepts: Callable[[object], bool] = attrs.field(converter=_to_accepts)
    capabilities: Mapping[str, Callable[..., Any] | str] = attrs.field(
        converter=_to_capabilities, validator=_check_capabilities
    )
    from_pandas: Callable[[Any], object] | None = None
    description: str = ""
    time_zones: bool = True

    def implementation(self, capability: str) -> Callable[..., Any]:
        """The function computing ``capability`` on this backend.

        Raises
        ------
        ParameterError
            The backend does not implement ``capability``.
        """
        try:
            impl = self.capabilities[capability]
        except KeyError:
            have = sorted(self.capabilities)
            msg = (
                f"The {self.name!r} backend does not compute {capability!r}; it computes "
                f"{have}.\nHint: compute on a pandas DataFrame (.to_pandas()) instead."
            )
            raise ParameterError(msg) from None
        if isinstance(impl, str):
            module, _, func = impl.partition(":")
            impl = getattr(importlib.import_module(module), func)
        return impl


def _load_builtins() -> None:
    from . import _builtin  # noqa: F401 - registers the built-in backends


#: Every registered backend; the in-memory ``"pandas"`` one is the fallback.
BACKENDS: Registry[Backend] = Registry("backend", load=_load_builtins)

#: The backend used when no other accepts the input.
DEFAULT_BACKEND = "pandas"


def register_backend(backend: Backend, *, replace: bool = False) -> Backend:
    """Register ``backend``; inputs it accepts are computed by it from then on.

    Backends registered later are asked first, so a third-party backend can take inputs a
    built-in one would also accept.

    Raises
    ------
    ParameterError
        ``backend`` is not a :class:`Backend`.
    RegistryError
        A backend of that name is registered and ``replace`` is false.
    """
    if not isinstance(backend, Backend):
        msg = f"register_backend takes a Backend. Got {type(backend).__name__} instead."
        raise ParameterError(msg)
    return BACKENDS.register(backend.name, backend, replace=replace)


def backend_for(source: object) -> Backend:
    """The backend that computes on ``source``: the latest registered one accepting it,
    else the in-memory ``"pandas"`` backend (which validates the input itself)."""
    for _, backend in reversed(BACKENDS.items()):
        if backend.name != DEFAULT_BACKEND and backend.accepts(source):
            return backend
    return BACKENDS.get(DEFAULT_BACKEND)


def implementation(source: object, capability: str) -> tuple[Backend, Callable[..., Any]]:
    """The backend for ``source`` and its function for ``capability``."""
    backend = backend_for(source)
    return backend, backend.implementation(capability)
