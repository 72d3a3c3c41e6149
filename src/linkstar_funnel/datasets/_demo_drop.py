"""A known drop injected into the demo store's funnel, for testing alerts and monitors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import InstanceOf, Options, Real
from .._validators import bad_parameter
from ._demo_params import CHANNELS, COUNTRIES, DEVICES, MARKETS, PLATFORMS, STAGES

__all__ = ["InjectedDrop"]

_OWNER = "make_demo_store"
_FILTERS: dict[str, tuple[str, ...]] = {
    "country": COUNTRIES,
    "platform": PLATFORMS,
    "device": DEVICES,
    "channel": CHANNELS,
}
_KEYS = ("stage", "start", "factor", "end", *_FILTERS)


_STAMP = InstanceOf(pd.Timestamp, description="a pandas Timestamp (UTC when naive)")


def _as_utc(value: object) -> object:
    """A Timestamp in UTC (naive ones are UTC); anything else unchanged, for the validator."""
    if isinstance(value, pd.Timestamp):
        stamp = value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")
        return stamp.as_unit("ns")
    return value


def _choice(key: str) -> Any:
    return attrs.validators.optional(Options(*_FILTERS[key]))


@attrs.frozen
class InjectedDrop:
    """A multiplicative drop of one stage's true conversion rate from a point in time.

    Users who reach the stage before ``stage`` at or after ``start`` (and before ``end``,
    if given), and who match every given segment filter, reach ``stage`` with probability
    ``factor`` times their true rate (``DemoTruth.step_rates`` holds rates without it).

    Attributes
    ----------
    stage
        The stage whose conditional rate drops (any stage after ``impression``).
    start, end
        UTC timestamps; ``end`` is ``None`` for a drop lasting to the end of the data.
    factor
        Multiplier in [0, 1] applied to the rate (0.6 means a 40% drop).
    country, platform, device, channel
        Segment filters (acquisition attributes of the user); ``None`` matches all.
    """

    stage: str = attrs.field(validator=Options(*STAGES[1:]))
    start: pd.Timestamp = attrs.field(converter=_as_utc, validator=_STAMP)
    factor: float = attrs.field(validator=Real(0, 1))
    end: pd.Timestamp | None = attrs.field(
        default=None, converter=_as_utc, validator=attrs.validators.optional(_STAMP)
    )
    country: str | None = attrs.field(default=None, validator=_choice("country"))
    platform: str | None = attrs.field(default=None, validator=_choice("platform"))
    device: str | None = attrs.field(default=None, validator=_choice("device"))
    channel: str | None = attrs.field(default=None, validator=_choice("channel"))

    def __attrs_post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise bad_parameter(
                type(self).__name__, "end", f"later than start ({self.start})", self.end
            )

    @property
    def stage_index(self) -> int:
        """Position of ``stage`` in the funnel (``impression`` is 0)."""
        return STAGES.index(self.stage)

    @classmethod
    def from_mapping(cls, drop: Mapping[str, object]) -> InjectedDrop:
        """Validate the ``drop`` parameter of ``make_demo_store``.

        Naive ``start``/``end`` values are read in the market's zone when ``country`` is
        given (the operator's view of that market), in UTC otherwise.
        """
        if not isinstance(drop, Mapping):
            raise bad_parameter(_OWNER, "drop", "None or a mapping such as {'stage': ...}", drop)
        unknown = sorted(set(map(str, drop)) - set(_KEYS))
        if unknown:
            raise bad_parameter(
                _OWNER, "drop", "a mapping with keys among " + ", ".join(map(repr, _KEYS)), unknown
            )
        for key in ("stage", "start", "factor"):
            if key not in drop:
                raise bad_parameter(_OWNER, f"drop[{key!r}]", "given (it is required)", None)
        stage = drop["stage"]
        if stage not in STAGES[1:]:
            choices = ", ".join(map(repr, STAGES[1:]))
            raise bad_parameter(_OWNER, "drop['stage']", f"one of {choices}", stage)
        factor = drop["factor"]
        if (
            isinstance(factor, bool)
            or not isinstance(factor, int | float | np.integer | np.floating)
            or not 0.0 <= float(factor) <= 1.0
        ):
            raise bad_parameter(_OWNER, "drop['factor']", "a number in [0, 1]", factor)
        filters: dict[str, str | None] = {}
        for key, values in _FILTERS.items():
            value = drop.get(key)
            if value is not None and value not in values:
                choices = ", ".join(map(repr, values))
                raise bad_parameter(_OWNER, f"drop[{key!r}]", f"None or one of {choices}", value)
            filters[key] = None if value is None else str(value)
        country = filters["country"]
        tz = "UTC" if country is None else MARKETS[COUNTRIES.index(country)][1]
        start = _read_time(drop["start"], "drop['start']", tz)
        end_value = drop.get("end")
        end = None if end_value is None else _read_time(end_value, "drop['end']", tz)
        if end is not None and end <= start:
            raise bad_parameter(_OWNER, "drop['end']", f"later than start ({start})", end_value)
        return cls(
            stage=str(stage),
            start=start,
            factor=float(factor),
            end=end,
            country=country,
            platform=filters["platform"],
            device=filters["device"],
            channel=filters["channel"],
        )

    def applies(
        self,
        codes: Mapping[str, npt.NDArray[np.int64]],
        utc_ns: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.bool_]:
        """Which rows the drop hits: segment codes by filter name, and UTC ns times."""
        hit = utc_ns >= self.start.value
        if self.end is not None:
            hit &= utc_ns < self.end.value
        for key, values in _FILTERS.items():
            value = getattr(self, key)
            if value is not None:
                hit &= codes[key] == values.index(value)
        return hit


def _read_time(value: object, param: str, tz: str) -> pd.Timestamp:
    expected = "a date or time such as '2026-03-02'"
    if not isinstance(value, str | dt.date | pd.Timestamp | np.datetime64):
        raise bad_parameter(_OWNER, param, expected, value)
    try:
        parsed: object = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise bad_parameter(_OWNER, param, expected, value) from exc
    if not isinstance(parsed, pd.Timestamp):  # NaT
        raise bad_parameter(_OWNER, param, expected, value)
    stamp = parsed
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
    return stamp.tz_convert("UTC").as_unit("ns")
