"""Rule-based (heuristic) attribution models.

Each model gives every touch of a journey a weight, the weights of a journey summing to 1;
a channel's credit is the sum over touches of weight x the journey's conversions (and
value). Everything is vectorised over the flat touch array: no Python loop over journeys.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import Duration, InstanceOf, Options, Real, validate_params
from .._validators import bad_parameter, to_timedelta
from ._journeys import DIRECT_NONE, Journeys, weighted_bincount
from ._result import AttributionResult, make_result

__all__ = [
    "ATTRIBUTE",
    "FirstTouch",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "PositionBased",
    "Repeats",
    "TimeDecay",
    "apply_repeats",
    "credit_touches",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Repeats = Literal["keep", "collapse", "unique"]
_REPEATS = Options("keep", "collapse", "unique")
#: What ``attribute`` accepts, for every model.
ATTRIBUTE = validate_params(journeys=InstanceOf(Journeys, description="a Journeys object"))
_LND, _PB = "LastNonDirect", "PositionBased"

#: Channel names :class:`LastNonDirect` treats as direct by default (compared case-insensitively).
DEFAULT_DIRECT = frozenset({"direct", "(direct)", DIRECT_NONE, "direct/none", "(none)"})


def apply_repeats(journeys: Journeys, repeats: str) -> Journeys:
    """Keep every touch, merge consecutive repeats, or keep each channel once per journey."""
    if repeats == "collapse":
        return journeys.collapse_repeats()
    if repeats == "unique":
        return journeys.unique_channels()
    return journeys


def credit_touches(journeys: Journeys, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Credit per channel from per-touch weights (each journey's weights summing to 1)."""
    n, c = journeys.lengths, journeys.n_channels
    conv = weighted_bincount(journeys.touches, weights * np.repeat(journeys.conversions, n), c)
    val = weighted_bincount(journeys.touches, weights * np.repeat(journeys.value, n), c)
    return conv, val


def _credit_one_touch(journeys: Journeys, chosen: IntArray) -> tuple[FloatArray, FloatArray]:
    """Credit per channel when touch ``chosen[i]`` of journey ``i`` takes it all."""
    ch = journeys.touches[chosen]
    c = journeys.n_channels
    conv = weighted_bincount(ch, journeys.conversions, c)
    val = weighted_bincount(ch, journeys.value, c)
    return conv, val


@attrs.frozen
class FirstTouch:
    """All credit to the journey's first touch.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> j = la.Journeys.from_paths(pd.DataFrame({"path": ["a > b", "b > c"], "conv": [1, 3]}),
    ...                            conversions="conv")
    >>> la.FirstTouch().attribute(j).credit().to_dict()
    {'a': 1.0, 'b': 3.0, 'c': 0.0}
    """

    @property
    def name(self) -> str:
        """Display name."""
        return "First touch"

    @ATTRIBUTE
    def attribute(self, journeys: Journeys) -> AttributionResult:
        """Credit each journey's conversions and value to its first touch."""
        conv, val = _credit_one_touch(journeys, journeys.offsets[:-1])
        return make_result(self, journeys, conv, val)


@attrs.frozen
class LastTouch:
    """All credit to the journey's last touch.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> j = la.Journeys.from_paths(pd.DataFrame({"path": ["a > b", "b > c"], "conv": [1, 3]}),
    ...                            conversions="conv")
    >>> la.LastTouch().attribute(j).credit().to_dict()
    {'a': 0.0, 'b': 1.0, 'c': 3.0}
    """

    @property
    def name(self) -> str:
        """Display name."""
        return "Last touch"

    @ATTRIBUTE
    def attribute(self, journeys: Journeys) -> AttributionResult:
        """Credit each journey's conversions and value to its last touch."""
        conv, val = _credit_one_touch(journeys, journeys.offsets[1:] - 1)
        return make_result(self, journeys, conv, val)


def _to_direct(value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    if not isinstance(value, frozenset | set | tuple | list):
        raise bad_parameter(_LND, "direct", "a string or a collection of strings", value)
    return frozenset(str(v) for v in value)


def _sorted_repr(values: frozenset[str]) -> str:
    """A set's repr in sorted order: the same in every process (hash seeds differ)."""
    return "frozenset({" + ", ".join(map(repr, sorted(values))) + "})"


@attrs.frozen
class LastNonDirect:
    """All credit to the last touch that is not direct; all-direct journeys stay direct.

    Parameters
    ----------
    direct
        Channel names that count as direct, compared case-insensitively. Default:
        ``direct``, ``(direct)``, ``(direct/none)``, ``direct/none``, ``(none)``.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> df = pd.DataFrame({"path": ["email > direct", "direct"], "conv": [2, 1]})
    >>> j = la.Journeys.from_paths(df, conversions="conv")
    >>> la.LastNonDirect().attribute(j).credit().to_dict()
    {'email': 2.0, 'direct': 1.0}
    """

    direct: frozenset[str] = attrs.field(
        default=DEFAULT_DIRECT, converter=_to_direct, repr=_sorted_repr
    )

    @property
    def name(self) -> str:
        """Display name."""
        return "Last non-direct"

    @ATTRIBUTE
    def attribute(self, journeys: Journeys) -> AttributionResult:
        """Credit each journey to its last non-direct touch (its last touch if none)."""
        lowered = {d.lower() for d in self.direct}
        is_direct = np.array([c.lower() in lowered for c in journeys.channels], dtype=bool)
        t = journeys.touches
        idx = np.where(is_direct[t], -1, np.arange(len(t), dtype=np.int64)) if len(t) else t
        last_nd = np.maximum.reduceat(idx, journeys.offsets[:-1]) if len(t) else idx
        chosen = np.where(last_nd >= 0, last_nd, journeys.offsets[1:] - 1)
        conv, val = _credit_one_touch(journeys, chosen)
        return make_result(self, journeys, conv, val)


@attrs.frozen
class Linear:
    """Equal credit to every touch.

    Parameters
    ----------
    repeats
        ``"keep"`` (default, as ChannelAttribution: a channel touched twice gets two
        shares), ``"collapse"`` (consecutive repeats count once) or ``"unique"`` (each
        channel once per journey).

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> j = la.Journeys.from_paths(pd.DataFrame({"path": ["a > a > b"], "conv": [3]}),
    ...                            conversions="conv")
    >>> la.Linear().attribute(j).credit().to_dict()
    {'a': 2.0, 'b': 1.0}
    >>> la.Linear(repeats="collapse").attribute(j).credit().to_dict()
    {'a': 1.5, 'b': 1.5}
    """

    repeats: Repeats = attrs.field(default="keep", validator=_REPEATS)

    @property
    def name(self) -> str:
        """Display name."""
        return "Linear" if self.repeats == "keep" else f"Linear ({self.repeats} repeats)"

    @ATTRIBUTE
    def attribute(self, journeys: Journeys) -> AttributionResult:
        """Split each journey's conversions and value equally over its touches."""
        j = apply_repeats(journeys, self.repeats)
        conv, val = credit_touches(j, np.repeat(1.0 / j.lengths, j.lengths))
        return make_result(self, journeys, conv, val, notes=_repeat_note(self.repeats))


def _check_ends(instance: PositionBased, _field: attrs.Attribute[Any], value: float) -> None:
    if instance.first + value > 1.0 + 1e-12:
        raise bad_parameter(_PB, "last", f"at most 1 - first = {1 - instance.first:g}", value)


@attrs.frozen
class PositionBased:
    """U-shaped credit: ``first`` to the first touch, ``last`` to the last, the rest shared.

    One touch gets everything. With three or more, the middle touches share
    ``1 - first - last`` equally. Two touches have no middle: they split in proportion to
    the ends' weights, ``first / (first + last)`` and ``last / (first + last)`` (evenly
    when both are 0). For the default 40/20/40 that is the even split Google Analytics'
    position-based model gives two touches; ``PositionBased(first=0.3, last=0.7)`` gives
    30/70. (ChannelAttribution has no position-based model.)

    Parameters
    ----------
    first, last
        Shares of the first and last touch, each in [0, 1], ``first + last ≤ 1``.
    repeats
        As in :class:`Linear`.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> j = la.Journeys.from_paths(pd.DataFrame({"path": ["a > b > c > d"], "conv": [10]}),
    ...                            conversions="conv")
    >>> la.PositionBased().attribute(j).credit().round(6).to_dict()
    {'a': 4.0, 'b': 1.0, 'c': 1.0, 'd': 4.0}
    """

    first: float = attrs.field(default=0.4, validator=Real(0, 1))
    last: float = attrs.field(default=0.4, validator=[Real(0, 1), _check_ends])
    repeats: Repeats = attrs.field(default="keep", validator=_REPEATS)

    @property
    def name(self) -> str:
        """Display name."""
        return f"Position-based {round(100 * self.first)}/{round(100 * self.last)}"

    @ATTRIBUTE
    def attribute(self, journeys: Journeys) -> AttributionResult:
        """Split each journey's conversions and value by position."""
        j = apply_repeats(journeys, self.repeats)
        n = j.lengths
        length = n.astype(np.float64)
        middle = (1.0 - self.first - self.last) / np.maximum(length - 2.0, 1.0)
        weights = np.repeat(middle, n)
        ends = self.first + self.last
        two_first = self.first / ends if ends > 0 else 0.5
        # Ends overwrite the middle share; for one-touch journeys first and last coincide.
        weights[j.offsets[:-1]] = np.where(n == 2, two_first, self.first)
        weights[j.offsets[1:] - 1] = np.where(
            n == 1, 1.0, np.where(n == 2, 1.0 - two_first, self.last)
        )
        conv, val = credit_touches(j, weights)
        return make_result(self, journeys, conv, val, notes=_repeat_note(self.repeats))


def _to_half_life(value: object) -> pd.Timedelta:
    return to_timedelta(value, param="half_life", owner="TimeDecay")


@attrs.frozen
class TimeDecay:
    """Credit decaying with time before the conversion: weight ``2 ** (-age / half_life)``.

    Weights are normalised per journey. Journeys built from path strings carry no times;
    for them the age of a touch is its number of steps before the last touch, and the
    half-life is ``position_half_life`` steps (say so when reporting such results: the
    result's provenance notes it).

    Parameters
    ----------
    half_life
        Duration (``"7D"``, ``"36h"``, a timedelta) for timestamped journeys.
    position_half_life
        Half-life in touches for journeys without times.
    repeats
        As in :class:`Linear`.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> j = la.Journeys.from_paths(pd.DataFrame({"path": ["a > b > c"], "conv": [7]}),
    ...                            conversions="conv")
    >>> la.TimeDecay().attribute(j).credit().round(6).to_dict()
    {'a': 1.0, 'b': 2.0, 'c': 4.0}
    """

    half_life: pd.Timedelta = attrs.field(
        default=pd.Timedelta(days=7), converter=_to_half_life, validator=Duration()
    )
    position_half_life: float = attrs.field(default=1.0, validator=Real(0, closed="neither"))
    repeats: Repeats = attrs.field(default="keep", validator=_REPEATS)

    @property
    def name(self) -> str:
        """Display name."""
        return "Time decay"

    @ATTRIBUTE
    def attribute(self, journeys: Journeys) -> AttributionResult:
        """Split each journey's conversions and value by recency."""
        j = apply_repeats(journeys, self.repeats)
        notes = list(_repeat_note(self.repeats))
        starts = j.offsets[:-1]
        if j.ages is not None:
            # Relative to each journey's most recent touch, so old journeys cannot underflow.
            youngest = np.minimum.reduceat(j.ages, starts) if len(j.ages) else j.ages
            ages = j.ages - np.repeat(youngest, j.lengths)
            half = self.half_life.total_seconds()
            notes.append(f"time decay half-life {self.half_life}")
        else:
            last = np.repeat(j.offsets[1:] - 1, j.lengths)
            ages = (last - np.arange(len(j.touches))).astype(np.float64)
            half = float(self.position_half_life)
            notes.append(
                f"journeys carry no times: ages are steps before the last touch, "
                f"half-life {self.position_half_life:g} steps"
            )
        with np.errstate(over="ignore"):  # a tiny half-life: -inf, whose weight 0 is right
            raw = np.exp2(-ages / half)
        norm = np.add.reduceat(raw, starts) if len(raw) else raw
        conv, val = credit_touches(j, raw / np.repeat(norm, j.lengths))
        return make_result(self, journeys, conv, val, notes=notes)


def _repeat_note(repeats: str) -> tuple[str, ...]:
    if repeats == "collapse":
        return ("consecutive repeated touches of a channel counted once",)
    if repeats == "unique":
        return ("each channel counted once per journey",)
    return ()
