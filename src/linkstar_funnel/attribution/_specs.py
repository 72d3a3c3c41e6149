"""What the public parameters of the attribution package accept (for ``validate_params``).

One statement per entry point, shared where a method and a function take the same
parameters (``Journeys.from_touchpoints`` and ``journeys_from_touchpoints``).
"""

from __future__ import annotations

from collections.abc import Mapping

from .._params import ColumnName, Duration, Options, Satisfies, Spec

__all__ = ["CHANNEL_MAP", "ECONOMICS_PARAMS", "PATH_PARAMS", "SEP", "TOUCHPOINT_PARAMS"]

#: A path separator: one or more characters, not only blanks.
SEP = Satisfies(lambda s: isinstance(s, str) and bool(s.strip()), "a non-blank string such as '>'")

#: An optional mapping from labels (campaigns, raw sources) to channel names.
CHANNEL_MAP: Spec = [
    None,
    Satisfies(
        lambda m: (
            isinstance(m, Mapping)
            and all(isinstance(v, str) and bool(v.strip()) for v in m.values())
        ),
        "a mapping from labels to channel names (non-empty strings)",
    ),
]

#: What each parameter of ``Journeys.from_touchpoints`` accepts (shared with that method).
TOUCHPOINT_PARAMS: dict[str, Spec] = {
    "user": ColumnName(),
    "time": ColumnName(),
    "channel": ColumnName(),
    "lookback": Duration(),
    "conversion_user": [None, ColumnName()],
    "conversion_time": [None, ColumnName()],
    "value": [None, ColumnName()],
    "channel_map": CHANNEL_MAP,
    "sep": SEP,
}


#: What each parameter of ``Journeys.from_paths`` accepts.
PATH_PARAMS: dict[str, Spec] = {
    "path": ColumnName(),
    "conversions": ColumnName(),
    "value": [None, ColumnName()],
    "null": [None, ColumnName()],
    "sep": SEP,
    "empty": Options("raise", "direct", "drop"),
}

#: What ``channel_economics`` and the ``economics`` methods accept besides the results.
ECONOMICS_PARAMS: dict[str, Spec] = {
    "channel": ColumnName(),
    "cost": ColumnName(),
    "channel_map": CHANNEL_MAP,
}
