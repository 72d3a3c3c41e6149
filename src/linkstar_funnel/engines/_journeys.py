"""Capability ``journey_arrays``: touches and conversions to ragged journey arrays.

Every backend follows the same rules (the attribution package documents them for users):

* each conversion ends one journey made of its user's touches at or before its time, after
  the user's previous conversion, and no older than ``lookback``; a touch at the very
  instant of a conversion counts for it; a user's conversions are ranked by time (same
  instant: input order, or what the backend documents);
* touches after a user's last conversion form one non-converting journey, ending at the
  user's last touch and limited to the ``lookback`` before it;
* touches older than the lookback are dropped and counted in the touch accounting;
* within a journey, touches go by time, and touches at one time by channel name.

The domain (``Journeys.from_touchpoints``) checks the parameters and the returned channel
names and values once, credits conversions with no touch to ``"(direct/none)"`` and builds
its result from :class:`JourneyArrays`. Records hold plain values only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import TimeZoneError
from ..schema import RowAccounting

__all__ = [
    "JourneyArrays",
    "JourneyArraysEngine",
    "JourneyQuery",
    "check_time_zones",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _pairs(value: object) -> tuple[tuple[Any, str], ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        return tuple((k, str(v)) for k, v in value.items())
    return tuple((k, str(v)) for k, v in value)  # type: ignore[attr-defined]


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _int_array(value: object) -> IntArray:
    arr = np.asarray(value, dtype=np.int64)
    arr.flags.writeable = False
    return arr


def _float_array(value: object) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    arr.flags.writeable = False
    return arr


@attrs.frozen
class JourneyQuery:
    """What to compute: the conversions input, the column names and the lookback.

    Attributes
    ----------
    conversions
        The conversions input: a pandas frame, or an input of the same backend as the
        touchpoints (a pandas frame is accepted by every backend).
    user, time, channel
        Columns of the touchpoints.
    conversion_user, conversion_time
        Columns of the conversions.
    value
        Column of conversion value in the conversions, or ``None`` (value 0).
    lookback
        How far before a journey's end a touch counts (positive).
    channel_map
        ``(label, channel name)`` pairs: labels mapped to channel names; others keep their
        label (as ``str``).
    """

    conversions: Any = attrs.field(eq=False)
    user: str
    time: str
    channel: str
    conversion_user: str
    conversion_time: str
    value: str | None
    lookback: pd.Timedelta
    channel_map: tuple[tuple[Any, str], ...] = attrs.field(default=(), converter=_pairs)

    def channel_names(self, labels: Iterable[object]) -> list[str]:
        """The channel name of each label of the ``channel`` column."""
        mapping = dict(self.channel_map)
        return [str(mapping.get(lab, lab)) for lab in labels]


@attrs.frozen(eq=False)
class JourneyArrays:
    """The journeys as ragged arrays, and the row accounting of both inputs.

    Journey ``i`` is ``touches[offsets[i]:offsets[i + 1]]``: converting journeys first (one
    per conversion used, by user then time; a conversion with no touch in its lookback has
    an empty journey), then non-converting journeys (never empty). Within a journey touches
    go by time, ties by channel name.

    Attributes
    ----------
    channels
        Channel names (mapped by the query's ``channel_map``); ``touches`` codes into them.
        The order is the backend's (first appearance in memory, sorted by name in SQL).
    offsets
        int64, ``n_journeys + 1`` non-decreasing values from 0 to ``len(touches)``.
    touches
        int64 channel codes.
    ages
        float64 per touch: seconds from the touch to its journey's end (the conversion, or
        the last touch of a non-converting journey); ≥ 0 and ≤ the lookback.
    conversions, value, nulls
        float64 per journey: 1 for a converting journey (else 0), its conversion value
        (0 for non-converting ones), 1 for a non-converting journey (else 0).
    touch_accounting, conversion_accounting
        Rows read and dropped (missing fields; touches older than the lookback) per input.
    unseen_conversions
        Conversions by users that have no touchpoint row at all.
    notes
        How this backend computed them (empty for the in-memory engine).
    """

    channels: tuple[str, ...] = attrs.field(converter=_strings)
    offsets: IntArray = attrs.field(converter=_int_array)
    touches: IntArray = attrs.field(converter=_int_array)
    ages: FloatArray = attrs.field(converter=_float_array)
    conversions: FloatArray = attrs.field(converter=_float_array)
    value: FloatArray = attrs.field(converter=_float_array)
    nulls: FloatArray = attrs.field(converter=_float_array)
    touch_accounting: RowAccounting
    conversion_accounting: RowAccounting
    unseen_conversions: int
    notes: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    @property
    def n_journeys(self) -> int:
        """Number of journeys."""
        return len(self.offsets) - 1


class JourneyArraysEngine(Protocol):
    """A backend's ``journey_arrays``: touchpoints and a :class:`JourneyQuery` to arrays.

    ``source`` is the touchpoints input as the user gave it (a pandas frame for the
    in-memory engine). Implementations validate their inputs (columns, types, missing
    fields counted as dropped rows) and raise the library's typed errors.
    """

    def __call__(self, source: Any, query: JourneyQuery, /) -> JourneyArrays: ...


def check_time_zones(touches_aware: bool, conversions_aware: bool) -> None:
    """Refuse tz-aware times on one side and naive times on the other (no order between).

    Raises
    ------
    TimeZoneError
        Naming which side is which.
    """
    if touches_aware == conversions_aware:
        return
    msg = (
        "The touchpoints and conversions frames must both hold tz-aware times or both "
        f"naive times. Got touchpoints {'aware' if touches_aware else 'naive'} "
        f"and conversions {'aware' if conversions_aware else 'naive'} instead."
    )
    raise TimeZoneError(msg)
