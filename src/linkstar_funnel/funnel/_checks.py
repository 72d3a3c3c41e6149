"""Parameter constraints shared by the :class:`FunnelResult` methods."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from .._params import InstanceOf, Integer, Options, Real, Satisfies

__all__ = ["FREQ", "REFERENCE", "STEP", "TZ", "VALUE_PER_ORDER", "result_method"]

F = TypeVar("F", bound=Callable[..., object])

#: ``freq`` of entry periods and ``tz`` to read them in.
FREQ = Options("D", "W", "M")
TZ = [None, InstanceOf(str, description="a time zone name such as 'Europe/Berlin'")]
#: A step: a number from 1 or a stage name (checked against the stages by the method).
STEP = [Integer(1), InstanceOf(str, description="a stage name")]
VALUE_PER_ORDER = [None, Real(0)]
REFERENCE = [
    None,
    Satisfies(
        lambda v: isinstance(v, Mapping) and all(Real(0, 1).accepts(x) for x in v.values()),
        "a mapping of stage name -> rate in [0, 1]",
    ),
]


def result_method(func: F) -> F:
    """Name a mixin method ``FunnelResult.<name>`` in error messages, as users call it.

    Apply below ``@validate_params`` (which names the owner by ``__qualname__``).
    """
    func.__qualname__ = f"FunnelResult.{func.__name__}"
    return func
