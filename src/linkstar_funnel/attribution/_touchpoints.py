"""Journeys from timestamped touchpoints and conversions, with a lookback window.

Rules (each one visible in the resulting journeys' provenance):

* every conversion opens one journey made of the user's touches at or before its time,
  after the user's previous conversion, and no older than ``lookback`` (a new journey
  starts after each conversion);
* a conversion without any such touch gets the single touch ``"(direct/none)"`` instead
  of being dropped;
* touches after a user's last conversion form one non-converting journey, kept for
  Markov, limited to the ``lookback`` before that user's last touch;
* touches older than the lookback are dropped and counted;
* touches at the same time are ordered by channel name, so the result does not depend on
  the input's row order; a touch at the very instant of a conversion counts for it;
* ``channel_map`` groups labels (e.g. campaign → channel); unmapped labels keep their name.

The arrays come from the engine that fits the input (``journey_arrays`` of
:mod:`linkstar_funnel.engines`): pandas frames in memory; Ibis tables, DuckDB relations,
Spark DataFrames and :class:`~linkstar_funnel.sql.SQLTable` inputs in their engine (same
rules; Ibis is imported only then). SQL tables have no row order, so that result is
canonical: channels sorted by name, journeys by user then time. The checks of channel
names and values, and the ``"(direct/none)"`` rule, are applied here once, whatever
computed the arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from .._params import validate_params
from .._validators import format_duration, to_timedelta
from ..engines import Backend, JourneyArrays, JourneyQuery, backend_for
from ..errors import SchemaError
from ._journeys import DIRECT_NONE, Journeys, check_total
from ._specs import TOUCHPOINT_PARAMS

__all__ = ["journeys_from_arrays", "journeys_from_touchpoints"]


@validate_params(**TOUCHPOINT_PARAMS)
def journeys_from_touchpoints(
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
    """Build :class:`Journeys` from touches and conversions (rules in the module notes).

    Parameters
    ----------
    touches
        One row per touch: user, time, channel (never modified). A pandas frame, or an
        Ibis table, DuckDB relation, Spark DataFrame or
        :class:`~linkstar_funnel.sql.SQLTable` to compute in that engine (either input
        being one sends both there).
    conversions
        One row per conversion (an order): user, time and optionally its value. On the
        SQL engine a user's conversions at the same instant are ranked by the
        ``SQLTable``'s ``row_order`` column if given, else by value.
    user, time, channel
        Column names in ``touches``.
    lookback
        How far before a conversion touches count (``"30D"``, a timedelta).
    conversion_user, conversion_time
        Column names in ``conversions`` (default: ``user`` and ``time``).
    value
        Optional column of conversion value (e.g. ``"revenue"``); ≥ 0.
    channel_map
        Optional mapping from labels in ``channel`` to channel names.
    sep
        Separator used to show paths; channel names may not contain it.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> touches = pd.DataFrame({
    ...     "user_id": ["u1", "u1", "u1", "u2"],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-03", "2026-01-10",
    ...                                  "2026-01-02"], utc=True),
    ...     "channel": ["seo", "email", "ads", "ads"]})
    >>> orders = pd.DataFrame({
    ...     "user_id": ["u1", "u3"],
    ...     "timestamp": pd.to_datetime(["2026-01-05", "2026-01-06"], utc=True),
    ...     "revenue": [50.0, 20.0]})
    >>> j = la.Journeys.from_touchpoints(touches, orders, value="revenue")
    >>> j.to_frame()
                path  conversions  value  nulls
    0    seo > email          1.0   50.0    0.0
    1  (direct/none)          1.0   20.0    0.0
    2            ads          0.0    0.0    1.0
    3            ads          0.0    0.0    1.0
    """
    window = to_timedelta(lookback, param="lookback", owner="Journeys.from_touchpoints")
    query = JourneyQuery(
        conversions=conversions,
        user=user,
        time=time,
        channel=channel,
        conversion_user=conversion_user or user,
        conversion_time=conversion_time or time,
        value=value,
        lookback=window,
        channel_map=channel_map,
    )
    compute = _backend(touches, conversions).implementation("journey_arrays")
    arrays: JourneyArrays = compute(touches, query)
    return journeys_from_arrays(arrays, query, sep=sep)


def _backend(touches: object, conversions: object) -> Backend:
    """The backend of the touchpoints, or of the conversions when only they are an engine
    table (either input being one sends both there)."""
    backend = backend_for(touches)
    return backend_for(conversions) if backend.name == "pandas" else backend


def journeys_from_arrays(arrays: JourneyArrays, query: JourneyQuery, *, sep: str) -> Journeys:
    """:class:`Journeys` from what a backend computed, checked once for every backend:
    channel names and conversion values; conversions with no touch credited to
    ``"(direct/none)"``."""
    converting = arrays.conversions > 0
    _check_values(arrays.value[converting], query.value)
    _check_channel_names(arrays.channels, sep=sep, column=query.channel)
    channels = list(arrays.channels)
    offsets, touches, ages = arrays.offsets, arrays.touches, arrays.ages
    lengths = np.diff(offsets)
    no_touch = np.flatnonzero((lengths == 0) & converting)
    if len(no_touch):
        if DIRECT_NONE not in channels:
            channels.append(DIRECT_NONE)
        at = offsets[no_touch]
        touches = np.insert(touches, at, channels.index(DIRECT_NONE))
        ages = np.insert(ages, at, 0.0)
        lengths = lengths.copy()
        lengths[no_touch] = 1
        offsets = np.concatenate([[0], np.cumsum(lengths)])
    window = format_duration(query.lookback)
    notes = (
        f"journeys: lookback {window}, a new journey after each conversion",
        "touches at the same time ordered by channel name",
        f"{len(no_touch):,} conversions without a touch credited to {DIRECT_NONE!r}",
        f"{arrays.unseen_conversions:,} conversions by users with no touchpoint at all",
        f"{int((arrays.nulls > 0).sum()):,} non-converting journeys",
        *arrays.notes,
    )
    return Journeys(
        channels=tuple(channels),
        offsets=offsets,
        touches=touches,
        conversions=arrays.conversions,
        value=arrays.value,
        nulls=arrays.nulls,
        ages=ages,
        sep=sep,
        inputs={
            "touchpoints": arrays.touch_accounting,
            "conversions": arrays.conversion_accounting,
        },
        notes=notes,
    )


def _check_values(values: npt.NDArray[np.float64], column: str | None) -> None:
    """Conversion values: finite, ≥ 0, with a representable total."""
    where = f"Column {column!r} of the conversions frame"
    if np.isinf(values).any():
        msg = f"{where} holds infinite values."
        raise SchemaError(msg)
    negative = values < 0
    if negative.any():
        msg = (
            f"{where} must hold values ≥ 0. Got {float(values.min())!r} "
            f"({int(negative.sum()):,} negative rows) instead."
            "\nHint: leave refunds out of the conversions, or net them per order first."
        )
        raise SchemaError(msg)
    check_total(values, where)


def _check_channel_names(channels: tuple[str, ...], *, sep: str, column: str) -> None:
    """Channel names (after ``channel_map``): non-empty, without the path separator."""
    bad = [m for m in channels if sep in m or not m.strip()]
    if bad:
        msg = (
            f"Column {column!r} of the touchpoints frame must hold non-empty channel names "
            f"without the separator {sep!r}. Got {bad[0]!r} instead."
            "\nHint: pass another sep=, or rename the channel with channel_map=."
        )
        raise SchemaError(msg)
