"""Parameter constraints shared by the :class:`FunnelResult` methods."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from .._params import InstanceOf, Integer, Options, Real, Satisfies
from ..errors import ParameterError

__all__ = [
    "OUTPUT_COLUMNS",
    "PERIOD",
    "REFERENCE",
    "STEP",
    "TZ",
    "VALUE_PER_ORDER",
    "as_columns",
    "check_segment_names",
    "result_method",
]

F = TypeVar("F", bound=Callable[..., object])

#: ``period`` (calendar bucket) of entry periods and ``tz`` to read them in.
PERIOD = Options("D", "W", "M")
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


def as_columns(by: str | Sequence[str] | None) -> tuple[str, ...]:
    """Normalise a ``by`` argument to a tuple of column names."""
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    out = tuple(by)
    if not all(isinstance(b, str) for b in out) or len(set(out)) != len(out):
        msg = f"The 'by' parameter must be a column name or a list of unique names. Got {by!r}."
        raise ParameterError(msg)
    return out
