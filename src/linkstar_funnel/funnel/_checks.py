"""Parameter constraints shared by the :class:`FunnelResult` methods."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from .._params import InstanceOf, Integer, Options, Real, Satisfies
from ..errors import ParameterError

__all__ = [
    "FREQ",
    "OUTPUT_COLUMNS",
    "REFERENCE",
    "STEP",
    "TZ",
    "VALUE_PER_ORDER",
    "check_segment_names",
    "result_method",
]

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


#: Columns the funnel's tables write: a segment column must not be named like one of them.
OUTPUT_COLUMNS = (
    "stage",
    "step",
    "users",
    "conversion_from_previous",
    "conversion_from_start",
    "drop_off",
    "period",
    "complete",
    "level",
    "excluded",
)


def check_segment_names(owner: str, by: object) -> None:
    """Refuse ``by`` columns named like a column of the result's tables."""
    names = [by] if isinstance(by, str) else list(by or ())  # type: ignore[call-overload]
    taken = [b for b in names if b in OUTPUT_COLUMNS]
    if taken:
        msg = (
            f"The 'by' parameter of {owner} names column {taken[0]!r}, a column of the "
            f"result's tables ({', '.join(OUTPUT_COLUMNS)}).\nHint: rename it first, e.g. "
            f"frame.rename(columns={{{taken[0]!r}: 'segment'}})."
        )
        raise ParameterError(msg)
