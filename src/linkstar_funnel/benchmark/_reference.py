"""One reference value: a rate with its source, date, definition and segment."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

import attrs
import numpy as np

from .._counts import MAX_COUNT
from .._params import InstanceOf, Integer, Real, Satisfies
from .._validators import bad_parameter, in_choices, non_empty_str

__all__ = ["KINDS", "RATE", "Reference", "check_as_of"]

_REF = "Reference"

Kind = Literal["industry", "history", "target", "peer"]
#: What a reference value is: a published industry figure, the user's own history, a
#: target someone set, or a peer's figure.
KINDS: tuple[str, ...] = ("industry", "history", "target", "peer")
_AS_OF = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def check_as_of(value: object, *, owner: str = _REF, param: str = "as_of") -> str:
    """Read a date of a value: ``"2019"``, ``"2019-10"``, ``"2019-10-31"`` or a date.

    The precision says what the source says: a survey of October 2019 is ``"2019-10"``.

    Examples
    --------
    >>> check_as_of("2019-10")
    '2019-10'
    >>> check_as_of(dt.date(2022, 8, 31))
    '2022-08-31'
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _AS_OF.match(value.strip()):
        return value.strip()
    raise bad_parameter(
        owner, param, "a date such as '2019', '2019-10', '2019-10-31' or a datetime.date", value
    )


#: A rate: a real number in [0, 1] (not a bool, not NaN).
RATE = Satisfies(Real(0, 1).accepts, "a rate in [0, 1] (0.052 for 5.2%)")
_COUNT = attrs.validators.optional(
    Satisfies(Integer(0, MAX_COUNT).accepts, "a count (a whole number from 0 to 2**53)")
)
_TEXT = InstanceOf(str, description="a string")


def _float_if_real(value: object) -> object:
    """Real numbers as float; anything else unchanged, for the validator to refuse."""
    return float(value) if RATE.accepts(value) else value  # type: ignore[arg-type]


def _freeze_segment(value: object) -> Mapping[str, str]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise bad_parameter(
            _REF, "segment", "a mapping of column names to labels, e.g. {'device': 'mobile'}", value
        )
    return MappingProxyType(dict(sorted(value.items())))


def _opt_str(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise bad_parameter(type(instance).__name__, attribute.name, "None or a name", value)


@attrs.frozen
class Reference:
    """A reference rate for one stage (and optionally one segment), with where it came from.

    Parameters
    ----------
    stage
        The stage (or metric) the rate is about, as named in the observations compared
        with it, e.g. ``"add_to_cart"``.
    rate
        The reference rate, in [0, 1].
    source
        Who published or set it ("Littledata", "own history", "Q3 target").
    as_of
        When the value was measured, as precisely as the source says (``"2019-10"``).
        Published rates drift month to month: compare like with like.
    definition
        What exactly was measured: numerator, denominator and population.
    base
        The stage the rate is measured from (its denominator), e.g. ``"visit"`` for an
        add-to-cart rate per visit. ``None`` means the stage's own step rate: from the
        previous stage of whatever funnel it is compared with.
    segment
        Segment labels the value applies to, e.g. ``{"device": "mobile"}``; empty for all.
        Observations must carry these columns to match it.
    kind
        ``"industry"``, ``"history"``, ``"target"`` or ``"peer"``.
    successes, trials
        The counts behind the rate, when known (own history): comparisons then use
        two-sample tests, which account for the reference's own noise.
    url
        Where to read the source.
    population
        Who the figure describes ("564 Shopify stores surveyed by Littledata").
    """

    stage: str = attrs.field(validator=non_empty_str)
    rate: float = attrs.field(converter=_float_if_real, validator=RATE)
    source: str = attrs.field(validator=non_empty_str)
    as_of: str = attrs.field(converter=check_as_of)
    definition: str = attrs.field(default="", validator=_TEXT)
    base: str | None = attrs.field(default=None, validator=_opt_str)
    segment: Mapping[str, str] = attrs.field(factory=dict, converter=_freeze_segment)
    kind: Kind = attrs.field(default="industry", validator=in_choices(KINDS))
    successes: int | None = attrs.field(default=None, validator=_COUNT)
    trials: int | None = attrs.field(default=None, validator=_COUNT)
    url: str | None = attrs.field(default=None, validator=attrs.validators.optional(_TEXT))
    population: str = attrs.field(default="", validator=_TEXT)

    def __attrs_post_init__(self) -> None:
        if (self.successes is None) != (self.trials is None):
            raise bad_parameter(
                _REF,
                "successes",
                "given together with 'trials' (or neither)",
                self.successes,
            )
        if self.trials is not None and self.successes is not None:
            if self.trials == 0 or self.successes > self.trials:
                raise bad_parameter(
                    _REF,
                    "trials",
                    f"positive and at least successes={self.successes}",
                    self.trials,
                )
            if not np.isclose(self.successes / self.trials, self.rate):
                raise bad_parameter(
                    _REF,
                    "rate",
                    f"successes / trials = {self.successes / self.trials}",
                    self.rate,
                )

    @property
    def key(self) -> tuple[str, str | None, tuple[tuple[str, str], ...]]:
        """``(stage, base, segment items)``: unique within a :class:`Benchmark`."""
        return (self.stage, self.base, tuple(self.segment.items()))

    @property
    def has_counts(self) -> bool:
        """Whether the counts behind the rate are known (two-sample comparison)."""
        return self.trials is not None

    def label(self) -> str:
        """A short citation: ``"Littledata, 2019-10"``."""
        return f"{self.source}, {self.as_of}"
