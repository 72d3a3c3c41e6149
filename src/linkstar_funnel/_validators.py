"""Small composable attrs validators and converters for spec objects.

Messages follow one pattern (scikit-learn's ``_param_validation``): "The 'window' parameter
of Funnel must be a positive duration. Got -3 days instead."
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import Any

import attrs
import numpy as np
import pandas as pd

from ._params import Integer, Options, Real, Satisfies
from .errors import ParameterError

__all__ = [
    "bad_parameter",
    "format_duration",
    "in_choices",
    "in_unit_interval",
    "non_empty_str",
    "positive_duration",
    "positive_int",
    "to_timedelta",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def bad_parameter(owner: str, param: str, expected: str, got: object) -> ParameterError:
    """Build the library's standard message for a parameter outside its domain."""
    return ParameterError(
        f"The {param!r} parameter of {owner} must be {expected}. Got {got!r} instead."
    )


def _owner(instance: object) -> str:
    return type(instance).__name__


def to_timedelta(
    value: object, *, param: str = "duration", owner: str = "this call"
) -> pd.Timedelta:
    """Read a duration: ``"7D"``, ``"36h"``, a ``timedelta``, ``np.timedelta64`` or ``pd.Timedelta``.

    Examples
    --------
    >>> to_timedelta("7D")
    Timedelta('7 days 00:00:00')
    >>> to_timedelta(dt.timedelta(hours=36))
    Timedelta('1 days 12:00:00')
    """
    if isinstance(value, pd.Timedelta):
        out = value
    elif isinstance(value, dt.timedelta | np.timedelta64 | str):
        try:
            out = pd.Timedelta(value)
        except (ValueError, TypeError) as exc:
            raise bad_parameter(
                owner, param, 'a duration such as "7D", "36h" or a datetime.timedelta', value
            ) from exc
    else:
        raise bad_parameter(
            owner, param, 'a duration such as "7D", "36h" or a datetime.timedelta', value
        )
    if pd.isna(out):
        raise bad_parameter(owner, param, "a duration, not NaT", value)
    return out


def format_duration(value: pd.Timedelta) -> str:
    """A duration as people write it: ``"30 days"``, ``"36 hours"``, ``"1 day 6 hours"``.

    Examples
    --------
    >>> format_duration(pd.Timedelta("30D"))
    '30 days'
    >>> format_duration(pd.Timedelta("30h"))
    '1 day 6 hours'
    >>> format_duration(pd.Timedelta("90s"))
    '1 minute 30 seconds'
    """
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    parts = []
    for name, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        n, total = divmod(total, size)
        if n:
            parts.append(f"{n} {name}{'s' if n != 1 else ''}")
    return sign + (" ".join(parts) if parts else "0 seconds")


def positive_duration(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a ``pd.Timedelta`` strictly greater than zero."""
    if not isinstance(value, pd.Timedelta) or value <= pd.Timedelta(0):
        raise bad_parameter(_owner(instance), attribute.name, "a positive duration", value)


#: attrs validator: an int (not bool) ≥ 1.
positive_int = Integer(1)

#: attrs validator: a real number in [0, 1].
in_unit_interval = Real(0, 1)

#: attrs validator: a non-empty string.
non_empty_str = Satisfies(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")


def in_choices(choices: Collection[str]) -> Validator:
    """attrs validator factory: the value is one of ``choices`` (any value, even unhashable,
    gets the standard message)."""
    return Options(*sorted(choices))
