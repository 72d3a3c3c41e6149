"""Journeys: converting and non-converting channel paths with counts, value and times.

A :class:`Journeys` object is the one input every attribution model reads. It stores the
paths in compressed form (CSR): a flat array of channel codes per touch, and ``offsets``
where each journey starts, plus per-journey conversions, value and non-converting
("null") counts. Touch ages (seconds from the touch to the journey's end) are kept when
the journeys were built from timestamped touchpoints.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import InstanceOf, validate_params
from ..schema import RowAccounting
from ._arrays import (
    ages,
    channels,
    check_arrays,
    check_total,
    conversions,
    inputs,
    notes,
    nulls,
    offsets,
    touches,
    value,
    weighted_bincount,
)
from ._specs import PATH_PARAMS, SEP, TOUCHPOINT_PARAMS

if TYPE_CHECKING:
    from ._paths import EmptyPolicy

__all__ = ["DIRECT_NONE", "Journeys", "check_total", "weighted_bincount"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Channel given to conversions that have no touch in their lookback window.
DIRECT_NONE = "(direct/none)"


@attrs.frozen(eq=False)
class Journeys:
    """Channel paths with conversions, value and non-converting counts.

    Build them with :meth:`from_paths` (path strings such as ``"A > B > C"``) or
    :meth:`from_touchpoints` (timestamped touches plus conversions); the constructor is
    the low-level form and checks that its arrays agree.

    Parameters
    ----------
    channels
        Channel labels; ``touches`` holds codes into them.
    offsets
        int64, length ``n_journeys + 1``: journey ``i`` is ``touches[offsets[i]:offsets[i+1]]``.
        Every journey has at least one touch.
    touches
        int64 channel codes, in path order (first touch first).
    conversions, value, nulls
        float64 per journey: conversions (may be fractional weights), conversion value,
        and how many times the path occurred without converting. All finite and ≥ 0.
    ages
        Optional float64 per touch: seconds from the touch to the journey's end (the
        conversion, or the last touch of a non-converting journey). ``None`` when the
        journeys carry no times (path strings).
    sep
        Separator used to show paths as strings.
    inputs
        Row accounting of the frames the journeys were built from (provenance).
    notes
        How the journeys were built (window, tie order, merges...).

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> df = pd.DataFrame({"path": ["a > b", "b", "a > b"], "conv": [1, 2, 1],
    ...                    "value": [10.0, 5.0, 20.0], "null": [3, 0, 1]})
    >>> j = la.Journeys.from_paths(df, conversions="conv", value="value", null="null")
    >>> j
    Journeys(2 paths, 2 channels, 4 conversions, value 35, 4 non-converting)
    >>> j.to_frame()
        path  conversions  value  nulls
    0  a > b          2.0   30.0    4.0
    1      b          2.0    5.0    0.0
    """

    channels: tuple[str, ...] = attrs.field(converter=channels)
    offsets: IntArray = attrs.field(converter=offsets)
    touches: IntArray = attrs.field(converter=touches)
    conversions: FloatArray = attrs.field(converter=conversions)
    value: FloatArray = attrs.field(converter=value)
    nulls: FloatArray = attrs.field(converter=nulls)
    ages: FloatArray | None = attrs.field(default=None, converter=ages)
    sep: str = attrs.field(default=">", validator=SEP)
    inputs: Mapping[str, RowAccounting] = attrs.field(factory=dict, converter=inputs)
    notes: tuple[str, ...] = attrs.field(default=(), converter=notes)

    def __attrs_post_init__(self) -> None:
        check_arrays(self)

    # ------------------------------------------------------------------ constructors

    @classmethod
    @validate_params(**PATH_PARAMS)
    def from_paths(
        cls,
        data: object,
        *,
        path: str = "path",
        conversions: str = "total_conversions",
        value: str | None = None,
        null: str | None = None,
        sep: str = ">",
        empty: EmptyPolicy = "raise",
    ) -> Journeys:
        """Journeys from path strings, one row per path (ChannelAttribution's input).

        Parameters
        ----------
        data
            A DataFrame (never modified).
        path
            Column of paths: channel names joined by ``sep``; spaces around names are
            ignored (``"a > b"`` equals ``"a>b"``).
        conversions
            Column of conversions per path (≥ 0; fractional weights allowed).
        value
            Optional column of conversion value per path (≥ 0). Without it value is 0.
        null
            Optional column of non-converting occurrences per path (≥ 0), used by
            :class:`Markov`. Without it every path is taken as converting only.
        sep
            The separator, one or more characters.
        empty
            What to do with a missing or empty path: ``"raise"`` (default: a
            :class:`~linkstar_funnel.SchemaError`), ``"direct"`` (credit it to the
            ``"(direct/none)"`` channel) or ``"drop"`` (leave it out, counted in the
            provenance).

        Notes
        -----
        Rows with identical path strings are merged (their conversions, value and null
        counts summed). Every model is linear in these, so no result changes.

        Raises
        ------
        SchemaError
            Empty paths (with ``empty="raise"``), empty channel names (``"a > > b"``),
            missing, negative or non-finite counts or values, or a path column that does
            not hold strings. The message names the column and the first bad row.
        """
        from ._paths import parse_paths

        return parse_paths(
            data,
            path=path,
            conversions=conversions,
            value=value,
            null=null,
            sep=sep,
            empty=empty,
        )

    @classmethod
    @validate_params(**TOUCHPOINT_PARAMS)
    def from_touchpoints(
        cls,
        touches: object,
        conversions: object,
        *,
        user: str = "user_id",
        time: str = "timestamp",
        channel: str = "channel",
        lookback: object = "30D",
        conversion_user: str | None = None,
        conversion_time: str | None = None,
        value: str | None = None,
        channel_map: Mapping[Any, str] | None = None,
        sep: str = ">",
    ) -> Journeys:
        """Journeys from timestamped touches and conversions, with a lookback window.

        See :func:`linkstar_funnel.attribution.journeys_from_touchpoints` for the rules
        (one journey per conversion, non-converting journeys kept, ties, direct/none).
        """
        from ._touchpoints import journeys_from_touchpoints

        return journeys_from_touchpoints(
            touches,
            conversions,
            user=user,
            time=time,
            channel=channel,
            lookback=lookback,
            conversion_user=conversion_user,
            conversion_time=conversion_time,
            value=value,
            channel_map=channel_map,
            sep=sep,
        )

    # ------------------------------------------------------------------ facts

    @property
    def n_journeys(self) -> int:
        """Number of journeys (distinct paths for :meth:`from_paths`)."""
        return len(self.offsets) - 1

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return len(self.channels)

    @property
    def lengths(self) -> IntArray:
        """Touches per journey."""
        return np.diff(self.offsets)

    @property
    def journey_of_touch(self) -> IntArray:
        """For each touch, the index of its journey."""
        return np.repeat(np.arange(self.n_journeys, dtype=np.int64), self.lengths)

    @property
    def position(self) -> IntArray:
        """For each touch, its 0-based position in its journey."""
        return np.arange(len(self.touches), dtype=np.int64) - self.offsets[self.journey_of_touch]

    @property
    def total_conversions(self) -> float:
        """Sum of conversions over journeys."""
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        """Sum of conversion value over journeys."""
        return float(self.value.sum())

    @property
    def total_nulls(self) -> float:
        """Sum of non-converting occurrences over journeys."""
        return float(self.nulls.sum())

    @property
    def has_times(self) -> bool:
        """Whether touches carry ages (journeys built from timestamped touchpoints)."""
        return self.ages is not None

    # ------------------------------------------------------------------ transforms

    def collapse_repeats(self) -> Journeys:
        """Merge consecutive touches of the same channel (``a > a > b > a`` → ``a > b > a``).

        The kept touch of a run is its last one (the closest to the conversion), so
        time decay reads the most recent age.
        """
        t = self.touches
        if len(t) == 0:
            return self
        last_of_journey = np.zeros(len(t), dtype=bool)
        last_of_journey[self.offsets[1:] - 1] = True
        keep = np.ones(len(t), dtype=bool)
        keep[:-1] = (t[:-1] != t[1:]) | last_of_journey[:-1]
        return self._keep_touches(keep)

    def unique_channels(self) -> Journeys:
        """Keep one touch per channel per journey (its first occurrence), in path order."""
        key = self.journey_of_touch * max(self.n_channels, 1) + self.touches
        _, first = np.unique(key, return_index=True)
        keep = np.zeros(len(key), dtype=bool)
        keep[first] = True
        return self._keep_touches(keep)

    def _keep_touches(self, keep: npt.NDArray[np.bool_]) -> Journeys:
        if len(keep) == 0:
            return self
        counts = np.add.reduceat(keep.astype(np.int64), self.offsets[:-1])
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        ages = None if self.ages is None else self.ages[keep]
        return attrs.evolve(self, offsets=offsets, touches=self.touches[keep], ages=ages)

    def path_strings(self) -> list[str]:
        """The paths as strings joined by ``" sep "``."""
        names = np.asarray(self.channels, dtype=object)
        joiner = f" {self.sep} "
        tokens = names[self.touches].tolist() if len(self.touches) else []
        off = self.offsets.tolist()
        return [joiner.join(tokens[a:b]) for a, b in itertools.pairwise(off)]

    def to_frame(self) -> pd.DataFrame:
        """One row per journey: ``path``, ``conversions``, ``value``, ``nulls``."""
        return pd.DataFrame(
            {
                "path": self.path_strings(),
                "conversions": self.conversions.copy(),
                "value": self.value.copy(),
                "nulls": self.nulls.copy(),
            }
        )

    @validate_params(mapping=InstanceOf(Mapping, description="a mapping {old: new}"))
    def relabel(self, mapping: Mapping[str, str]) -> Journeys:
        """Rename channels (``{"old": "new"}``); names mapped together are merged."""
        new_names = [mapping.get(c, c) for c in self.channels]
        codes, uniques = pd.factorize(pd.Index(new_names, dtype=object))
        return attrs.evolve(
            self,
            channels=tuple(str(u) for u in uniques),
            touches=np.asarray(codes, dtype=np.int64)[self.touches],
        )

    def __repr__(self) -> str:
        return (
            f"Journeys({self.n_journeys:,} paths, {self.n_channels:,} channels, "
            f"{self.total_conversions:,.6g} conversions, value {self.total_value:,.6g}, "
            f"{self.total_nulls:,.6g} non-converting)"
        )
