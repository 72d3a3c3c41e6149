"""Time units as types: a model fitted in weeks cannot silently be asked for days.

Every LTV model remembers the :class:`TimeUnit` its recency and age were measured in, and
every method that takes a length of time takes a :class:`Span` (or a string such as
``"39W"``, ``"365D"``, ``"12M"``, or a ``timedelta``) and converts it to the model's unit.
Bare numbers are refused: ``39`` could be days, weeks or months.

Examples
--------
>>> from linkstar_funnel.ltv import Span
>>> Span.parse("12M").to("W")
52.17857142857143
>>> Span.parse("39W")
Span(value=39.0, unit=TimeUnit(code='W'))
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal, cast

import attrs
import numpy as np
import pandas as pd

from .._validators import bad_parameter
from ..errors import ParameterError

__all__ = ["Span", "SpanLike", "TimeUnit", "UnitCode", "as_span", "as_unit"]

UnitCode = Literal["D", "W", "M", "Y"]
_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}
_NAMES: dict[str, str] = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}
_SPAN = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([DWMY])\s*$", re.IGNORECASE)


def _unit_code(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in _DAYS:
        raise bad_parameter(
            type(instance).__name__, attribute.name, "one of 'D', 'W', 'M', 'Y'", value
        )


@attrs.frozen
class TimeUnit:
    """A unit of time: day ``"D"``, week ``"W"`` (7 days), month ``"M"`` (365.25/12 days)
    or year ``"Y"`` (365.25 days).

    Examples
    --------
    >>> TimeUnit("W").days
    7.0
    >>> str(TimeUnit("M"))
    'months'
    """

    code: UnitCode = attrs.field(validator=_unit_code)

    @property
    def days(self) -> float:
        """Length of one unit in days."""
        return _DAYS[self.code]

    def __str__(self) -> str:
        return _NAMES[self.code]


def as_unit(value: object, *, owner: str = "this call", param: str = "unit") -> TimeUnit:
    """Read a :class:`TimeUnit` from itself or its code (``"D"``, ``"W"``, ``"M"``, ``"Y"``)."""
    if isinstance(value, TimeUnit):
        return value
    if isinstance(value, str) and value.upper() in _DAYS:
        return TimeUnit(cast(UnitCode, value.upper()))
    raise bad_parameter(owner, param, "a time unit: one of 'D', 'W', 'M', 'Y'", value)


def _to_unit(value: object) -> TimeUnit:
    return as_unit(value, owner="Span", param="unit")


def _to_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        err = bad_parameter("Span", "value", "a finite number ≥ 0", value)
        raise err
    return float(value)


@attrs.frozen
class Span:
    """A length of time with its unit, e.g. ``Span(39, "W")``.

    Parameters
    ----------
    value
        How many units (≥ 0).
    unit
        A :class:`TimeUnit` or its code.
    """

    value: float = attrs.field(converter=_to_float)
    unit: TimeUnit = attrs.field(converter=_to_unit)

    @value.validator
    def _check_value(self, attribute: attrs.Attribute[float], value: float) -> None:
        if not np.isfinite(value) or value < 0:
            err = bad_parameter("Span", attribute.name, "a finite number ≥ 0", value)
            raise err

    def to(self, unit: TimeUnit | str) -> float:
        """The length expressed in ``unit``."""
        target = as_unit(unit, owner="Span.to")
        return self.value * self.unit.days / target.days

    @property
    def days(self) -> float:
        """The length in days."""
        return self.value * self.unit.days

    def to_timedelta(self) -> pd.Timedelta:
        """The length as a ``pandas.Timedelta`` (months and years use their mean length)."""
        return pd.Timedelta(days=self.days)

    @classmethod
    def parse(cls, value: SpanLike, *, owner: str = "this call", param: str = "t") -> Span:
        """Read ``"39W"``, ``"365D"``, ``"12M"``, ``"1Y"``, a ``timedelta`` or a :class:`Span`."""
        return as_span(value, owner=owner, param=param)

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


SpanLike = Span | str | dt.timedelta | pd.Timedelta | np.timedelta64


def as_span(
    value: object,
    *,
    owner: str = "this call",
    param: str = "t",
    model_unit: TimeUnit | None = None,
) -> Span:
    """Read a length of time that carries its unit; refuse bare numbers.

    Parameters
    ----------
    value
        A :class:`Span`, a string ``"<number><D|W|M|Y>"``, or a ``timedelta``.
    owner, param
        Named in the error message.
    model_unit
        The unit of the model asking, suggested in the hint when a bare number is given.
    """
    if isinstance(value, Span):
        return value
    if isinstance(value, str):
        match = _SPAN.match(value)
        if match:
            return Span(float(match.group(1)), match.group(2).upper())
    elif isinstance(value, dt.timedelta | np.timedelta64 | pd.Timedelta):
        td = pd.Timedelta(value)
        if not pd.isna(td) and td >= pd.Timedelta(0):
            return Span(td / pd.Timedelta(days=1), "D")
    expected = "a length of time with its unit, such as '39W', '365D', '12M' or Span(12, 'M')"
    err = bad_parameter(owner, param, expected, value)
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        unit = model_unit.code if model_unit is not None else "W"
        hint = f" (this model was fitted in {model_unit})" if model_unit is not None else ""
        msg = (
            f"{err}\nHint: a bare number has no unit{hint}; "
            f"write {param}='{value:g}{unit}' if you mean {model_unit or 'weeks'}."
        )
        raise ParameterError(msg)
    raise err
