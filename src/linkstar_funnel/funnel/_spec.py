"""The :class:`Funnel` spec and :class:`Exclusion` steps: settings only, validated at construction.

Semantics (steps are numbered from 1, like ClickHouse ``windowFunnel`` levels; stage names
are accepted wherever a step is):

* A **chain** is a sequence of events e1, e2, ..., ek of one entity (user, or session) where
  ei matches stage i, times never decrease (strictly increase with
  ``ties="strict_increase"``), tk - t1 ≤ ``window``, and t(i+1) - ti ≤ the step's maximum gap
  when ``step_windows`` gives one. An entity's **level** is the longest chain's length;
  the entity is counted at steps 1..level. This is exactly ClickHouse's
  ``windowFunnel(window)`` in its default mode (events ordered by time, then stage), which
  keeps, per stage, the latest-starting chain.
* ``order="strict"`` also requires that no other event of the entity has a time strictly
  between two consecutive steps; "other" means events matching any stage
  (``strict_scope="funnel"``) or any event at all (``strict_scope="all"``).
* ``order="unordered"``: stages 1..k each matched by an event, all within one ``window``
  (latest minus earliest ≤ window), in any order.
* ``entry="first"``: the chain's step 1 must be the entity's first stage-1 event (Mixpanel
  uniques); ``"any"`` lets every stage-1 event start a chain.
* ``distinct_events=True``: every step of a chain must be a different event (row); by
  default one event matching several stages may serve each of them, as in ClickHouse.
* **Reach times.** ``R_k`` is the earliest time any chain reaches step k; the drill-down's
  step times are these, and time-to-convert to step k is ``R_k`` minus the latest start
  among chains reaching step k at ``R_k``.
* **Exclusions** ``Exclusion(stage, between=(i, j))``: an entity is dropped from every step
  when an excluded event's time x satisfies ``R_i < x < R_j`` (both reached).
* ``counting="totals"``: after an entity completes the funnel at time ``R_K`` it starts
  afresh with its events strictly after ``R_K``; each attempt is counted. (Unordered: the
  completion time is that of the latest event of the first window holding every stage,
  which may come after ``R_K``, the latest stage-K event up to then.)
  ``counting="sessions"``: the entity is (user, session).
* Breakdown ``attribution``: ``"first_touch"`` takes the segment from the entity's first
  stage-1 event, ``"last_touch"`` from the event of its last step reached, a step number
  (or stage name) from that step's event (entities not reaching it get a missing segment).
  Where several events at the serving time match, the first row in frame order is used.
* ``clickhouse_modes``: the level is ClickHouse 26's ``windowFunnel(window, modes...)``
  level (a greedy pass over the entity's events ordered by time, then stage; the funnel
  guide maps each mode to the options above). Under ``"strict_order"`` every
  event of the entity counts, also events matching no stage. ``R_k`` is the time at
  which the pass first reached level k, and the chain start is that of the chain it
  extended then.
* One stage: the level is 1 for an entity with a stage-1 event. ``window="0s"``: every
  later step must share step 1's time (equal times are taken in stage order).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import attrs
import numpy as np
import pandas as pd

from .._params import (
    Boolean,
    ColumnName,
    Columns,
    Duration,
    Integer,
    Options,
    Satisfies,
    check_param,
    validate_params,
)
from .._validators import bad_parameter
from ..stages import Stage, StageMatcher
from ._checks import check_segment_names
from ._modes import check_combination, to_clickhouse_modes

if TYPE_CHECKING:
    from ._result import FunnelResult

__all__ = ["Exclusion", "Funnel"]

Step = int | str
_FUNNEL, _EXCLUSION = "Funnel", "Exclusion"  # owners named in error messages


_STEP = Satisfies(
    lambda v: (isinstance(v, str) and bool(v)) or Integer(1).accepts(v),
    "a step number (from 1) or a stage name",
)
_MATCHER = Satisfies(
    lambda v: (
        (isinstance(v, str) and bool(v))
        or (isinstance(v, StageMatcher) and isinstance(v.name, str) and bool(v.name))
    ),
    "an event name or a StageMatcher with a name",
)
_PAIR = Satisfies(
    lambda v: isinstance(v, tuple | list) and len(v) == 2 and all(_STEP.accepts(x) for x in v),
    "a pair of step numbers or stage names",
)


def _to_matcher(value: object) -> StageMatcher:
    check_param(_EXCLUSION, "stage", value, _MATCHER)
    return Stage(value) if isinstance(value, str) else value  # type: ignore[return-value]


def _to_between(value: object) -> tuple[Step, Step]:
    check_param(_EXCLUSION, "between", value, _PAIR)
    pair = [v if isinstance(v, str) else int(v) for v in value]  # type: ignore[attr-defined]
    return (pair[0], pair[1])


@attrs.frozen
class Exclusion:
    """Drop entities that did ``stage`` between two steps of the funnel.

    Parameters
    ----------
    stage
        An event name or any :class:`~linkstar_funnel.stages.StageMatcher`.
    between
        ``(i, j)``: step numbers (from 1) or stage names, ``i < j``. An entity is dropped
        when an excluded event falls strictly between the times it first reached step ``i``
        and step ``j``.

    Examples
    --------
    >>> Exclusion("out_of_stock", between=("cart", "order")).stage.name
    'out_of_stock'
    """

    stage: StageMatcher = attrs.field(converter=_to_matcher)
    between: tuple[Step, Step] = attrs.field(converter=_to_between)


def _to_stages(value: object) -> tuple[StageMatcher, ...]:
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise bad_parameter(_FUNNEL, "stages", "a list of Stage objects or event names", value)
    bad = [s for s in value if not _MATCHER.accepts(s)]
    if bad:
        raise bad_parameter(
            _FUNNEL, "stages", "a list of event names or StageMatcher objects with names", bad[0]
        )
    out = tuple(Stage(v) if isinstance(v, str) else v for v in value)
    if not out:
        raise bad_parameter(_FUNNEL, "stages", "a list of at least 1 stage", list(value))
    names = [s.name for s in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise bad_parameter(_FUNNEL, "stages", "a list of stages with unique names", dupes)
    if len(out) > 62:
        raise bad_parameter(_FUNNEL, "stages", "at most 62 stages", len(out))
    return out


_WINDOW = Satisfies(
    lambda v: Duration(positive=False).accepts(v) and pd.Timedelta(v) >= pd.Timedelta(0),
    'a duration of 0 or more such as "7D", "36h", "0s" or a datetime.timedelta',
)


def _window(value: object) -> pd.Timedelta:
    check_param(_FUNNEL, "window", value, _WINDOW)
    return pd.Timedelta(value)  # type: ignore[arg-type]


_GAPS = Satisfies(
    lambda v: isinstance(v, list | tuple) and all(x is None or Duration().accepts(x) for x in v),
    "a list of positive durations (or None for no limit)",
)


def _step_windows(value: object) -> tuple[pd.Timedelta | None, ...] | None:
    if value is None:
        return None
    check_param(_FUNNEL, "step_windows", value, _GAPS)
    return tuple(None if v is None else pd.Timedelta(v) for v in value)  # type: ignore[attr-defined]


_EXCLUSIONS = Satisfies(
    lambda v: isinstance(v, list | tuple) and all(isinstance(x, Exclusion) for x in v),
    "an Exclusion or a list of Exclusion objects",
)


def _exclusions(value: object) -> tuple[Exclusion, ...]:
    if isinstance(value, Exclusion):
        return (value,)
    check_param(_FUNNEL, "exclusions", value, _EXCLUSIONS)
    return tuple(value)  # type: ignore[arg-type]


@attrs.frozen
class Funnel:
    """An event-log funnel: its stages and how chains of events are counted.

    Parameters
    ----------
    stages
        At least one stage (``Stage`` objects, other ``StageMatcher`` objects, or event
        names), with unique names, in funnel order.
    window
        Longest time from a chain's first step to its last ("7D", "36h", a timedelta);
        ``"0s"``: every step at the time of step 1.
    order
        ``"ordered"`` (ClickHouse ``windowFunnel`` default), ``"strict"`` or ``"unordered"``.
    strict_scope
        With ``order="strict"``: ``"funnel"`` (events matching any stage break a chain) or
        ``"all"`` (any event of the entity does).
    step_windows
        Optional maximum gap between consecutive steps: one duration (or ``None``) per step
        transition (``len(stages) - 1`` entries).
    entry
        ``"any"`` (every stage-1 event can start a chain) or ``"first"``.
    ties
        ``"stage_order"`` (equal times taken in stage order) or ``"strict_increase"``
        (each step strictly later than the previous one). The latter is exact: a step
        counts whenever such a chain exists. ClickHouse's ``'strict_increase'`` mode is
        greedy (it keeps only the latest event per step) and can miss chains, so its counts
        can be slightly lower (``clickhouse_modes=["strict_increase"]`` computes them).
    distinct_events
        Require every step to be served by a different event.
    exclusions
        :class:`Exclusion` steps.
    counting
        ``"users"``, ``"totals"`` (re-entry after conversion) or ``"sessions"``.
    attribution
        Where a breakdown takes an entity's segment: ``"first_touch"``, ``"last_touch"``,
        or a step number / stage name.
    top_n
        Keep the ``top_n`` largest segments (by step-1 count); the rest become "other".
    clickhouse_modes
        ClickHouse ``windowFunnel`` modes, any combination of ``"strict_deduplication"``,
        ``"strict_order"``, ``"strict_increase"`` and ``"allow_reentry"`` (with
        ``"strict_order"``): levels equal to ClickHouse 26's ``windowFunnel(window,
        'mode', ...)``. Incompatible with ``order``, ``ties``, ``step_windows``,
        ``entry``, ``distinct_events``, ``exclusions`` and ``counting="totals"`` other
        than their defaults. Step times are those at which the pass first reached each
        level.

    See the module documentation of ``linkstar_funnel.funnel._spec`` for exact semantics.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b"],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03",
    ...                                  "2026-01-01", "2026-01-20"]),
    ...     "event": ["visit", "cart", "order", "visit", "cart"],
    ... })
    >>> result = Funnel(["visit", "cart", "order"], window="7D").compute(events)
    >>> result.to_frame()[["stage", "users", "conversion_from_start"]]
       stage  users  conversion_from_start
    0  visit      2                    1.0
    1   cart      1                    0.5
    2  order      1                    0.5

    ClickHouse's ``strict_order`` mode is not ``order="strict"`` (ClickHouse's test 00632):

    >>> log = pd.DataFrame({
    ...     "user_id": 1,
    ...     "timestamp": pd.date_range("2026-01-01", periods=6, freq="min"),
    ...     "event": ["a", "a", "b", "b", "c", "c"],
    ... })
    >>> ch = Funnel(["a", "b", "c"], window="1D", clickhouse_modes=["strict_order"])
    >>> ch.compute(log).to_frame()["users"].tolist()
    [1, 1, 1]
    >>> Funnel(["a", "b", "c"], window="1D", order="strict").compute(log).to_frame()["users"].tolist()
    [1, 1, 0]
    >>> Funnel(["visit", "cart"], window="-1D")
    Traceback (most recent call last):
    ...
    linkstar_funnel.errors.ParameterError: The 'window' parameter of Funnel must be a duration of 0 or more such as "7D", "36h", "0s" or a datetime.timedelta. Got '-1D' instead.
    """

    stages: tuple[StageMatcher, ...] = attrs.field(converter=_to_stages)
    window: pd.Timedelta = attrs.field(default=pd.Timedelta(days=7), converter=_window)
    order: Literal["ordered", "strict", "unordered"] = attrs.field(
        default="ordered", validator=Options("ordered", "strict", "unordered")
    )
    strict_scope: Literal["funnel", "all"] = attrs.field(
        default="funnel", validator=Options("funnel", "all")
    )
    step_windows: tuple[pd.Timedelta | None, ...] | None = attrs.field(
        default=None, converter=_step_windows
    )
    entry: Literal["any", "first"] = attrs.field(default="any", validator=Options("any", "first"))
    ties: Literal["stage_order", "strict_increase"] = attrs.field(
        default="stage_order", validator=Options("stage_order", "strict_increase")
    )
    distinct_events: bool = attrs.field(default=False, validator=Boolean())
    exclusions: tuple[Exclusion, ...] = attrs.field(default=(), converter=_exclusions)
    counting: Literal["users", "totals", "sessions"] = attrs.field(
        default="users", validator=Options("users", "totals", "sessions")
    )
    attribution: Step = attrs.field(default="first_touch")
    top_n: int | None = attrs.field(default=None, validator=attrs.validators.optional(Integer(1)))
    clickhouse_modes: tuple[str, ...] = attrs.field(default=(), converter=to_clickhouse_modes)

    def __attrs_post_init__(self) -> None:
        check_combination(self)
        k = len(self.stages)
        if self.step_windows is not None and len(self.step_windows) != k - 1:
            raise bad_parameter(
                _FUNNEL,
                "step_windows",
                f"a list of {k - 1} durations (one per transition)",
                list(self.step_windows),
            )
        if self.order == "unordered" and self.step_windows is not None:
            raise bad_parameter(
                _FUNNEL, "step_windows", "None when order='unordered'", list(self.step_windows)
            )
        if self.order == "unordered" and self.ties != "stage_order":
            raise bad_parameter(_FUNNEL, "ties", "'stage_order' when order='unordered'", self.ties)
        for ex in self.exclusions:
            i, j = (self.step_number(b, param="exclusions") for b in ex.between)
            if not i < j:
                raise bad_parameter(_EXCLUSION, "between", "steps (i, j) with i < j", ex.between)
        if not isinstance(self.attribution, str | int | np.integer) or isinstance(
            self.attribution, bool
        ):
            raise bad_parameter(
                _FUNNEL,
                "attribution",
                "'first_touch', 'last_touch', a step number or a stage name",
                self.attribution,
            )
        if self.attribution not in ("first_touch", "last_touch"):
            self.step_number(self.attribution, param="attribution")

    @property
    def stage_names(self) -> list[str]:
        """The stage names, in funnel order."""
        return [s.name for s in self.stages]

    def step_number(self, step: object, *, param: str = "step") -> int:
        """A step given as a number (from 1) or a stage name, as a number from 1."""
        names = self.stage_names
        if isinstance(step, str):
            if step in names:
                return names.index(step) + 1
            raise bad_parameter(_FUNNEL, param, "a stage name in " + repr(names), step)
        if isinstance(step, numbers.Integral) and Integer(1, len(names)).accepts(step):
            return int(step)
        raise bad_parameter(_FUNNEL, param, f"a step number in 1..{len(names)}", step)

    @validate_params(
        user=ColumnName(),
        time=ColumnName(),
        event=ColumnName(),
        by=[None, Columns()],
        session=[None, ColumnName()],
    )
    def compute(
        self,
        events: object,
        *,
        user: str = "user_id",
        time: str = "timestamp",
        event: str = "event",
        by: str | Sequence[str] | None = None,
        session: str | None = None,
    ) -> FunnelResult:
        """Compute the funnel on an event log (one row per event; never modified).

        Parameters
        ----------
        events
            A pandas DataFrame (or an object with ``to_pandas()``), computed in memory; or
            an Ibis table, a DuckDB relation, a Parquet path, a Spark DataFrame or a
            :class:`linkstar_funnel.sql.SQLTable`, computed in that engine (counts and
            trends; no per-user drill-down). The backend is picked from the input by
            ``linkstar_funnel.engines`` (see :func:`linkstar_funnel.engines.backend_for`).
        user, time, event
            Column names of the entity id, the event time and the event name.
        by
            Segment column(s) for a breakdown.
        session
            Session-id column; required with ``counting="sessions"``.

        Raises
        ------
        ColumnNotFoundError, EmptyFrameError, ParameterError
            Missing columns, no usable rows or no event matching the first stage, bad
            options.
        """
        from ._compute import compute

        return compute(self, events, user=user, time=time, event=event, by=by, session=session)

    @classmethod
    @validate_params(stage=ColumnName(), count=ColumnName(), by=[None, Columns()])
    def from_counts(
        cls,
        counts: Mapping[str, int] | pd.DataFrame,
        *,
        stage: str = "stage",
        count: str = "count",
        by: str | Sequence[str] | None = None,
    ) -> FunnelResult:
        """A funnel result from already-aggregated stage counts.

        Parameters
        ----------
        counts
            ``{stage: count}`` in funnel order, or a frame with ``stage`` and ``count``
            columns (and segment columns named in ``by``), stages in funnel order. Counts
            are whole numbers in [0, 2**63 - 1] (integers, or floats such as ``300.0``);
            counts of one stage and segment given on several rows are summed. A row
            without a stage name is dropped and counted in the provenance; a missing
            segment value is a segment of its own (label ``None``).
        stage, count
            Column names of the stage and its count.
        by
            Segment column(s).

        Raises
        ------
        ParameterError
            A count that is missing, negative, fractional, infinite or beyond int64 (the
            message names the stage), fewer than two stages, or counts that increase
            down the funnel.
        SchemaError
            A missing column, an empty frame, a frame that is not one.

        Examples
        --------
        >>> r = Funnel.from_counts({"visit": 10_000, "cart": 800, "order": 300})
        >>> r.to_frame()["conversion_from_previous"].round(3).tolist()
        [1.0, 0.08, 0.375]
        """
        from ._counts import from_counts

        check_segment_names("Funnel.from_counts", by)
        return from_counts(counts, stage=stage, count=count, by=by)
