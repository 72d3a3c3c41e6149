"""The four kinds of KPI tree node: leaf, product, ratio and sum.

A node holds its name, the names of its inputs and, optionally, the team that owns it and
its unit. Nodes are frozen value objects; change one with :func:`attrs.evolve`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from .._params import Satisfies
from .._validators import bad_parameter

__all__ = ["Leaf", "Node", "Product", "Ratio", "Sum"]

FloatArray = npt.NDArray[np.float64]
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


#: A node name: letters, digits and '_', not starting with a digit.
_IDENTIFIER = Satisfies(
    lambda v: isinstance(v, str) and bool(_IDENT.match(v)),
    "an identifier (letters, digits and '_', not starting with a digit)",
)
#: An optional owner or unit.
_OPTIONAL_TEXT = attrs.validators.optional(
    Satisfies(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string or None")
)


def _identifier(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _IDENTIFIER(instance, attribute, value)


def _names(minimum: int) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
        owner = type(instance).__name__
        if len(value) < minimum:
            raise bad_parameter(owner, attribute.name, f"at least {minimum} node names", value)
        for item in value:
            _identifier(instance, attribute, item)
        if len(set(value)) != len(value):
            raise bad_parameter(owner, attribute.name, "names without repeats", value)

    return check


def _as_names(value: object) -> tuple[object, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence):
        return tuple(value)
    return (value,)


@attrs.frozen
class Leaf:
    """An input read from data: a column of a frame, or a value a result supplies.

    Parameters
    ----------
    name
        The node's name (an identifier); also the default column name.
    owner
        The team or person responsible for this KPI.
    unit
        What the values measure (``"GBP"``, ``"sessions"``, ``"%"``...).

    Examples
    --------
    >>> Leaf("traffic", owner="Growth", unit="sessions")
    Leaf(name='traffic', owner='Growth', unit='sessions')
    """

    name: str = attrs.field(validator=_IDENTIFIER)
    owner: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    unit: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)

    kind: Literal["leaf"] = attrs.field(default="leaf", init=False, repr=False)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the nodes this node is computed from (none for a leaf)."""
        return ()

    @property
    def weights(self) -> tuple[int, ...]:
        """Exponents (products, ratios) or signs (sums) of the inputs."""
        return ()

    @property
    def expression(self) -> str:
        """The right-hand side as written in a formula (a leaf has none)."""
        return ""

    def compute(self, inputs: Sequence[FloatArray]) -> FloatArray:  # noqa: ARG002 - uniform API
        """A leaf is not computed; calling this is a programming error."""
        msg = f"Leaf {self.name!r} is read from data, not computed."
        raise TypeError(msg)


@attrs.frozen
class Product:
    """A node equal to the product of its inputs: ``gmv = traffic * cvr * aov``.

    Examples
    --------
    >>> Product("gmv", ("traffic", "cvr", "aov")).expression
    'traffic * cvr * aov'
    """

    name: str = attrs.field(validator=_IDENTIFIER)
    factors: tuple[str, ...] = attrs.field(converter=_as_names, validator=_names(2))
    owner: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    unit: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)

    kind: Literal["product"] = attrs.field(default="product", init=False, repr=False)

    @property
    def inputs(self) -> tuple[str, ...]:
        """The factors."""
        return self.factors

    @property
    def weights(self) -> tuple[int, ...]:
        """Every factor has exponent 1."""
        return (1,) * len(self.factors)

    @property
    def expression(self) -> str:
        """``"a * b * c"``."""
        return " * ".join(self.factors)

    def compute(self, inputs: Sequence[FloatArray]) -> FloatArray:
        """The product of the input arrays."""
        out = np.array(inputs[0], dtype=np.float64, copy=True)
        for x in inputs[1:]:
            out *= x
        return out


@attrs.frozen
class Ratio:
    """A node equal to one input divided by another: ``cvr = orders / sessions``.

    Examples
    --------
    >>> Ratio("cvr", "orders", "sessions").inputs
    ('orders', 'sessions')
    """

    name: str = attrs.field(validator=_IDENTIFIER)
    numerator: str = attrs.field(validator=_IDENTIFIER)
    denominator: str = attrs.field(validator=_IDENTIFIER)
    owner: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    unit: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)

    kind: Literal["ratio"] = attrs.field(default="ratio", init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.numerator == self.denominator:
            owner = type(self).__name__
            raise bad_parameter(
                owner, "denominator", "a node other than the numerator", self.denominator
            )

    @property
    def inputs(self) -> tuple[str, ...]:
        """``(numerator, denominator)``."""
        return (self.numerator, self.denominator)

    @property
    def weights(self) -> tuple[int, ...]:
        """Exponents 1 and -1."""
        return (1, -1)

    @property
    def expression(self) -> str:
        """``"a / b"``."""
        return f"{self.numerator} / {self.denominator}"

    def compute(self, inputs: Sequence[FloatArray]) -> FloatArray:
        """Numerator over denominator; a zero denominator gives 0 (callers check first)."""
        num, den = inputs
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.divide(num, den)
        return np.where(den == 0, 0.0, out).astype(np.float64)


def _to_signs(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


def _signs(instance: Sum, attribute: attrs.Attribute[Any], value: tuple[int, ...]) -> None:
    if len(value) != len(instance.terms) or any(s not in (1, -1) for s in value):
        expected = f"{len(instance.terms)} values, each 1 or -1"
        raise bad_parameter(type(instance).__name__, attribute.name, expected, value)


@attrs.frozen
class Sum:
    """A node equal to a signed sum of its inputs: ``traffic = organic + paid``.

    Parameters
    ----------
    signs
        ``1`` or ``-1`` per term (default all ``1``): ``net = gross - refunds``.

    Examples
    --------
    >>> Sum("net", ("gross", "refunds"), signs=(1, -1)).expression
    'gross - refunds'
    """

    name: str = attrs.field(validator=_IDENTIFIER)
    terms: tuple[str, ...] = attrs.field(converter=_as_names, validator=_names(2))
    signs: tuple[int, ...] = attrs.field(
        default=attrs.Factory(lambda self: (1,) * len(self.terms), takes_self=True),
        converter=_to_signs,
        validator=_signs,
    )
    owner: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    unit: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)

    kind: Literal["sum"] = attrs.field(default="sum", init=False, repr=False)

    @property
    def inputs(self) -> tuple[str, ...]:
        """The terms."""
        return self.terms

    @property
    def weights(self) -> tuple[int, ...]:
        """The signs."""
        return self.signs

    @property
    def expression(self) -> str:
        """``"a + b - c"``."""
        out = self.terms[0] if self.signs[0] == 1 else f"-{self.terms[0]}"
        for term, sign in zip(self.terms[1:], self.signs[1:], strict=True):
            out += f" {'+' if sign == 1 else '-'} {term}"
        return out

    def compute(self, inputs: Sequence[FloatArray]) -> FloatArray:
        """The signed sum of the input arrays."""
        out = np.zeros_like(np.asarray(inputs[0], dtype=np.float64))
        for x, s in zip(inputs, self.signs, strict=True):
            out = out + x if s == 1 else out - x
        return out


Node = Leaf | Product | Ratio | Sum
