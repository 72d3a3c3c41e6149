"""The ``funnel_levels`` capability: a funnel lowered to one record, and what a backend returns.

A domain package lowers its funnel spec to a :class:`FunnelQuery` (column names, stage
matchers, durations in nanoseconds, options as plain values) and asks the dispatch for the
backend that takes the input. Every backend implements :class:`FunnelLevelsEngine` and
returns a :class:`FunnelLevels`: per record (an entity, an attempt, or an aggregated group
of them with a weight), the level reached and the segment code, with the row accounting
and what trends and the drill-down need. The funnel package builds its result once from it.

Conventions shared by every backend:

* Steps are numbered from 1, as in ``Funnel`` (exclusions, attribution).
* ``level``: the number of steps reached (0 .. K); ``-1``: dropped by an exclusion;
  ``-2``: the entity has no event matching any stage (backends may leave such entities
  out, or aggregate them away).
* ``segment``: a row of ``segment_labels`` (one column per ``by`` column; a missing value
  is a segment of its own, label ``None``); ``-1``: no segment (the attribution step was
  not reached). Segment order is the backend's; compare labels, not codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Literal, Protocol

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..schema import RowAccounting
from ..stages import StageMatcher

__all__ = [
    "FunnelDurations",
    "FunnelEntries",
    "FunnelLevels",
    "FunnelLevelsEngine",
    "FunnelQuery",
]

IntArray = npt.NDArray[np.int64]
#: Where a breakdown takes an entity's segment: a touch, or a step number (from 1).
Attribution = Literal["first_touch", "last_touch"] | int


def _as_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


@attrs.frozen
class FunnelQuery:
    """A funnel lowered for an engine: plain values only, validated by the domain.

    Parameters
    ----------
    stages
        The stage matchers, in funnel order (core :class:`~linkstar_funnel.stages.StageMatcher`).
    user, time, event
        Column names of the entity id, the event time and the event name.
    by
        Segment columns (a breakdown); empty for none.
    session
        Session-id column: with ``counting="sessions"`` the entity is (user, session).
    window_ns
        Longest time from a chain's first step to its last, in nanoseconds.
    step_gaps_ns
        Longest gap per step transition (``len(stages) - 1`` entries, ``None``: no limit),
        or ``None`` for no step windows at all.
    order, strict_scope, entry, ties, distinct_events, counting
        As the ``Funnel`` parameters of the same names.
    exclusions
        ``(matcher, from_step, to_step)``: entities with a matching event strictly between
        first reaching ``from_step`` and ``to_step`` (steps from 1) are dropped.
    attribution
        ``"first_touch"``, ``"last_touch"`` or a step number (from 1).
    clickhouse_modes
        ClickHouse ``windowFunnel`` modes (``"strict_deduplication"``,
        ``"strict_order"``, ``"strict_increase"``, ``"allow_reentry"``), validated by the
        domain; empty: the library's own semantics. A backend that cannot compute them
        raises :class:`~linkstar_funnel.errors.ParameterError` naming the option.

    Examples
    --------
    >>> from linkstar_funnel.stages import Stage
    >>> q = FunnelQuery(stages=(Stage("visit"), Stage("order")), window_ns=86_400 * 10**9)
    >>> q.order, q.by, q.n_stages
    ('ordered', (), 2)
    """

    stages: tuple[StageMatcher, ...] = attrs.field(converter=_as_tuple)
    window_ns: int
    user: str = "user_id"
    time: str = "timestamp"
    event: str = "event"
    by: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)
    session: str | None = None
    step_gaps_ns: tuple[int | None, ...] | None = None
    order: Literal["ordered", "strict", "unordered"] = "ordered"
    strict_scope: Literal["funnel", "all"] = "funnel"
    entry: Literal["any", "first"] = "any"
    ties: Literal["stage_order", "strict_increase"] = "stage_order"
    distinct_events: bool = False
    exclusions: tuple[tuple[StageMatcher, int, int], ...] = attrs.field(
        default=(), converter=_as_tuple
    )
    counting: Literal["users", "totals", "sessions"] = "users"
    attribution: Attribution = "first_touch"
    clickhouse_modes: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)

    @property
    def n_stages(self) -> int:
        """The number of stages (K)."""
        return len(self.stages)

    @property
    def stage_names(self) -> list[str]:
        """The stage names, in funnel order."""
        return [s.name for s in self.stages]


@attrs.frozen(eq=False)
class FunnelEntries:
    """Entries for trends: ``weight[i]`` records of segment ``segment[i]`` entered (first
    reached step 1) at ``entry_ns[i]`` and reached level ``level[i]`` (≥ 0; exclusions
    left out). Segment codes are those of :attr:`FunnelLevels.segment_labels`.

    ``resolution_ns``: entry times are floored to multiples of it (0: exact).
    """

    entry_ns: IntArray
    level: IntArray
    segment: IntArray
    weight: IntArray
    resolution_ns: int = 0


@attrs.frozen(eq=False)
class FunnelDurations:
    """Durations behind ``time_to_convert()`` and ``time_between_steps()``: element
    ``k - 2`` is for step k = 2..K, in nanoseconds, one value per record reaching k
    (exclusions left out), in any order.

    ``to_convert``: first reach of k minus the start of the latest chain reaching k then;
    ``between_steps``: first reach of k minus first reach of k - 1.
    """

    to_convert: tuple[IntArray, ...]
    between_steps: tuple[IntArray, ...]


@attrs.frozen(eq=False)
class FunnelLevels:
    """What a backend computes for a funnel: levels and segments per record, and accounting.

    Attributes
    ----------
    accounting
        Rows in, used and dropped (with reasons) of the events input.
    level
        Per record: steps reached (0..K), ``-1`` excluded, ``-2`` in no stage.
    segment
        Per record: a row of ``segment_labels``, ``-1`` for none.
    segment_labels
        One row per segment, one column per ``by`` column (one row, no columns, without
        a breakdown).
    weight
        Records each row stands for (an aggregating backend), or ``None``: one each.
    never_matched
        Names of stages matching no used row.
    hint
        A backend's "did you mean" for stages matching nothing (typos in event names), or "".
    tz
        Time zone of the time column (``None``: naive wall-clock times).
    data_end_ns
        The last used time (UTC for zone-aware times, wall clock for naive ones).
    entries
        :class:`FunnelEntries`, or a function computing them (run only when trends are
        asked for: a backend may need another query).
    entities
        Drill-down: the entity labels per record (``{user column: labels}``, plus the
        session column with ``counting="sessions"``), or ``None``.
    offsets, reach_ns, start_ns
        Drill-down: record ``i`` reached steps ``0 .. n_i - 1`` (``n_i = offsets[i+1] -
        offsets[i]``) first at ``reach_ns[offsets[i]:offsets[i+1]]``; ``start_ns`` the start
        of the latest chain reaching the step then. ``None`` when the backend does not keep
        per-entity detail.
    durations
        Without a drill-down: :class:`FunnelDurations`, or a function computing them (run
        only when durations are asked for); ``None`` otherwise (a drill-down has them).
    notes
        Lines for the result's provenance (what computed it, what is approximate).
    """

    accounting: RowAccounting
    level: npt.NDArray[np.int8]
    segment: IntArray
    segment_labels: pd.DataFrame
    entries: FunnelEntries | Callable[[], FunnelEntries]
    weight: IntArray | None = None
    never_matched: tuple[str, ...] = ()
    hint: str = ""
    tz: str | dt.tzinfo | None = None
    data_end_ns: int = 0
    entities: dict[str, pd.Index] | None = None
    offsets: IntArray | None = None
    reach_ns: IntArray | None = None
    start_ns: IntArray | None = None
    durations: FunnelDurations | Callable[[], FunnelDurations] | None = None
    notes: tuple[str, ...] = ()

    @property
    def excluded(self) -> int:
        """Records dropped by exclusion steps (weighted)."""
        dropped = self.level == -1
        if self.weight is None:
            return int(dropped.sum())
        return int(self.weight[dropped].sum())

    @property
    def has_drill_down(self) -> bool:
        """Whether per-entity detail (entities, reach times) came back."""
        return self.offsets is not None

    def entry_counts(self) -> FunnelEntries:
        """The entries, computed now if the backend deferred them."""
        return self.entries if isinstance(self.entries, FunnelEntries) else self.entries()

    def step_durations(self, n_stages: int) -> FunnelDurations | None:
        """The durations of steps 2..``n_stages``, from the drill-down or the backend
        (computed now if it deferred them); ``None`` when the backend returned neither."""
        if self.durations is not None:
            d = self.durations
            return d if isinstance(d, FunnelDurations) else d()
        if self.offsets is None or self.reach_ns is None or self.start_ns is None:
            return None
        sizes = np.diff(self.offsets)
        firsts = self.offsets[:-1]
        to_convert, between = [], []
        for s in range(1, n_stages):
            at = firsts[(sizes > s) & (self.level >= 0)] + s
            to_convert.append(self.reach_ns[at] - self.start_ns[at])
            between.append(self.reach_ns[at] - self.reach_ns[at - 1])
        return FunnelDurations(tuple(to_convert), tuple(between))


class FunnelLevelsEngine(Protocol):
    """A backend's ``funnel_levels``: ``(source, query) -> FunnelLevels``.

    ``source`` is what the user passed (a pandas frame, an Ibis table...). Raise the
    library's typed errors for bad input (missing columns, unusable times, an option the
    backend cannot compute: :class:`~linkstar_funnel.errors.ParameterError` naming it).
    """

    def __call__(self, source: object, query: FunnelQuery, /) -> FunnelLevels: ...
