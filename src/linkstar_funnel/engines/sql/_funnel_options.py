"""Every funnel option, compiled: exclusions, step windows, distinct events, totals,
breakdown attribution and duration quantiles, over the stage-match union.

:func:`funnel_outcome` runs the queries and returns an :class:`OptionOutcome`: counts of
entities (attempts) per level and segment (the frame the SQL funnel assembles its result
from), the number dropped by exclusions, the entries by quarter-hour as an expression run
only for ``trends()``, and on request the per-entity durations behind
``time_to_convert()`` / ``time_between_steps()``.

* Chains (ordered, strict) come from :mod:`._funnel_levels`, per-entity levels and reach
  times from :mod:`._funnel_reach`, counts and the rest from :mod:`._funnel_tables`.
  Without segments or exclusions the counts are the distinct entities among each
  stage's chain ends: no per-entity table at all.
* ``exclusions``: the excluded events are joined to the entities' reach times and an
  entity is dropped when one lies strictly between ``R_i`` and ``R_j`` (a join and a
  group aggregate).
* ``counting="totals"``: attempt a is the funnel on the entity's events strictly after
  the completion time of attempt a - 1. Each completion depends on the previous one (a
  recurrence over the last stage's chain ends, and with ``entry="first"`` the allowed
  starts depend on the completions too), which no window function expresses, so
  attempts are computed in rounds: one query per round on the entities that completed the
  previous one (their completion times come back to the client and go in again as a
  memtable: only entities that completed the whole funnel). The number of rounds is the
  largest number of attempts of one entity, plus one.
* ``distinct_events``: with ``ties="strict_increase"`` every step is a later event
  anyway; otherwise the option changes nothing unless one event matches two stages
  (checked by a query). Chains that reuse such an event need a bipartite matching of
  stages to the events at one time, which the portable subset cannot express: that case
  raises :class:`~linkstar_funnel.errors.ParameterError`.
* Attribution: the segment comes from the event serving the attributed step at its reach
  time (``"first_touch"``: step 1; ``"last_touch"``: the entity's level), the first by
  row order (or the smallest segment value without one).
* Durations: per entity, ``R_k - start_k`` and ``R_k - R_{k-1}``, counted per distinct
  value in the engine; the quantiles are then numpy's on the repeated values, exactly the
  in-memory engine's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ...errors import ParameterError
from .._funnel import FunnelQuery
from ._errors import execute
from ._funnel_levels import ChainOptions, R, T, int_time, stage_chains, stage_parts, union_all
from ._funnel_reach import LV, C, ordered_entities, unordered_entities
from ._funnel_tables import (
    duration_arrays,
    duration_counts,
    entry_counts,
    excluded,
    level_counts,
    levels_from_reach,
    reach_counts,
    split_excluded,
    with_segments,
)

__all__ = ["FunnelOptions", "OptionOutcome", "funnel_outcome", "options_from_query"]

IntArray = npt.NDArray[np.int64]

_FLOOR = "__lf_floor"


@attrs.frozen
class FunnelOptions:
    """The options the compiler needs, as plain values.

    Parameters
    ----------
    chains
        What makes a chain (order, window, gaps, ties, entry).
    strict_all
        ``strict_scope="all"``: every event breaks a strict chain.
    distinct_events, totals
        ``distinct_events=True``; ``counting="totals"``.
    exclusions
        Per exclusion, its steps ``(i, j)`` (from 1).
    attribution
        The step whose event gives the segment (1: first touch), or 0 for last touch.
    durations
        Also run the duration queries with the levels (else
        :meth:`OptionOutcome.durations` runs them when first called).
    """

    chains: ChainOptions
    strict_all: bool = False
    distinct_events: bool = False
    totals: bool = False
    exclusions: tuple[tuple[int, int], ...] = ()
    attribution: int = 1
    durations: bool = False

    @property
    def needs_reach(self) -> bool:
        """Whether reach times beyond ``R_1`` are needed."""
        return bool(self.exclusions) or self.attribution != 1 or self.durations


def options_from_query(query: FunnelQuery, *, durations: bool = False) -> FunnelOptions:
    """The compiler's options for a ``funnel_levels`` query.

    Examples
    --------
    >>> from linkstar_funnel.stages import Stage
    >>> q = FunnelQuery(stages=(Stage("v"), Stage("o")), window_ns=10**9, attribution=2)
    >>> opts = options_from_query(q)
    >>> opts.attribution, opts.chains.n_stages, opts.chains.window_us
    (2, 2, 1000000)
    """
    chains = ChainOptions(
        n_stages=query.n_stages,
        window_ns=int(query.window_ns),
        gaps_ns=tuple(query.step_gaps_ns or ()),
        order=query.order,
        strict_increase=query.ties == "strict_increase",
        entry_first=query.entry == "first",
    )
    touch = {"first_touch": 1, "last_touch": 0}
    attribution = (
        touch[query.attribution] if isinstance(query.attribution, str) else int(query.attribution)
    )
    return FunnelOptions(
        chains=chains,
        strict_all=query.strict_scope == "all",
        distinct_events=query.distinct_events,
        totals=query.counting == "totals",
        exclusions=tuple((int(i), int(j)) for _, i, j in query.exclusions),
        attribution=attribution,
        durations=durations,
    )


@attrs.frozen(eq=False)
class OptionOutcome:
    """What the queries return.

    Attributes
    ----------
    counts
        Columns ``__lf_level`` (≥ 1; -1 for entities dropped by an exclusion),
        ``__lf_b<i>`` (segments) and ``__lf_n`` (entities or attempts); with segments attributed to a step after the first,
        ``__lf_not_reached`` (1: the entity did not reach that step; its segment is
        "(not reached)", not a value).
    entries
        An Ibis table expression, not run: the counts also by entry quarter-hour
        (``__lf_q``: seconds since the epoch // 900), for ``trends()``. Run it with
        ``execute(entries, "funnel entries")`` only when trends are asked for.
    excluded
        Entities (attempts) dropped by exclusions.
    levels_query
        The first round's counts query (an Ibis expression, already run): for messages.
    n_stages
        K.
    duration_queries
        Per round, ``(what, Ibis expression)`` of the duration counts: run by
        :meth:`durations` (already run with the levels with ``durations=True``).
    """

    counts: pd.DataFrame
    excluded: int
    entries: Any
    levels_query: Any
    n_stages: int
    duration_queries: tuple[tuple[str, Any], ...] = ()
    _duration_frames: list[pd.DataFrame] = attrs.field(factory=list, alias="duration_frames")

    def durations(self) -> tuple[tuple[IntArray, ...], tuple[IntArray, ...]]:
        """Per step k = 2..K, the durations in nanoseconds (sorted) of the entities
        reaching k: ``R_k - start_k`` (time to convert) and ``R_k - R_{k-1}`` (between
        steps). Runs the duration queries on first use."""
        if not self._duration_frames:
            frames = [execute(expr, what) for what, expr in self.duration_queries]
            self._duration_frames.extend(frames)
        return duration_arrays(self._duration_frames, self.n_stages)


def _check_distinct(base: Any, preds: Sequence[Any], opts: FunnelOptions) -> None:
    """Refuse ``distinct_events`` where it needs a matching (see the module docs)."""
    import ibis

    if not opts.distinct_events or opts.chains.strict_increase:
        return
    matched = sum((ibis.ifelse(p, 1, 0) for p in preds), ibis.literal(0))
    multi = base.aggregate(__lf_m=ibis.ifelse(matched >= 2, 1, 0).sum())
    found = execute(multi, "events matching several stages")["__lf_m"].iloc[0]
    if pd.notna(found) and int(found) > 0:
        msg = (
            "The 'distinct_events' parameter of Funnel must be False on the SQL engine when "
            f"an event matches several stages ({int(found):,} events do) and ties="
            "'stage_order'. Got True instead.\nHint: ties='strict_increase' makes every "
            "step a different event and compiles; or compute on a pandas frame."
        )
        raise ParameterError(msg)


def _entities(
    parts: list[Any], chains: list[Any] | None, ent: list[str], opts: FunnelOptions
) -> Any:
    """Per entity with a chain: level, completion, reach times (as needed)."""
    if chains is None:
        rows = union_all(parts[: opts.chains.n_stages])
        return unordered_entities(rows, ent, opts.chains, reach=opts.needs_reach)
    return ordered_entities(chains, ent, opts.chains.n_stages, reach=opts.needs_reach)


@attrs.frozen
class _Round:
    """One attempt of every entity: what to count, and who completed."""

    counts: Any  # an Ibis table: (level, segments, n), or per-stage reach counts
    fast: bool  # counts are per-stage reach counts (_reach_counts)
    entries: Any  # an Ibis table: (level, segments, quarter-hour, n), run lazily
    durations: Any  # an Ibis table: duration counts (duration_counts), run lazily
    completed: Any  # (entity, completion time) of entities reaching the last stage


def _round(
    parts: list[Any],
    xrows: Any,
    ent: list[str],
    segs: list[str],
    opts: FunnelOptions,
    ordered: bool,
) -> _Round:
    """One attempt of every entity in ``parts``."""
    chains = None
    if opts.chains.order != "unordered":
        chains = stage_chains(parts, ent, opts.chains)
    per = _entities(parts, chains, ent, opts)
    timed = per  # reach times and starts of every step, for the durations
    if not opts.needs_reach:
        timed = _entities(parts, chains, ent, attrs.evolve(opts, durations=True))
    timed = excluded(timed, xrows, ent, opts.exclusions)
    if chains is not None:
        last = chains[-1]
        completed = last.group_by(ent).aggregate(**{_FLOOR: last[T].min()})
    else:
        completed = per.filter(per[LV] == opts.chains.n_stages).select(*ent, **{_FLOOR: per[C]})
    k_n = opts.chains.n_stages  # segments before levels become -1:
    per = with_segments(
        per, parts, ent, segs, attribution=opts.attribution, k_n=k_n, ordered=ordered
    )
    per = excluded(per, xrows, ent, opts.exclusions)
    fast = chains is not None and not segs and not opts.exclusions
    counts = reach_counts(chains, ent) if fast and chains is not None else level_counts(per, segs)
    durations = duration_counts(timed, k_n)
    return _Round(counts, fast, entry_counts(per, segs), durations, completed)


def funnel_outcome(
    table: Any,
    *,
    ent_cols: Sequence[str],
    time: str,
    by_cols: Sequence[str],
    row_order: str | None,
    preds: Sequence[Any],
    xpreds: Sequence[Any],
    valid: Any,
    opts: FunnelOptions,
) -> OptionOutcome:
    """Run the funnel's queries on ``table`` (usable rows: ``valid``).

    Parameters
    ----------
    table
        The Ibis table.
    ent_cols
        The entity columns (user; user and session).
    time
        The time column (timestamps).
    by_cols
        Segment columns.
    row_order
        Column ordering rows (ties of attribution), or None.
    preds
        Per stage, the Ibis predicate matching its events.
    xpreds
        Per exclusion, the predicate matching its events.
    valid
        Predicate of usable rows.
    opts
        The options.

    Returns
    -------
    OptionOutcome
    """
    import ibis

    base = table.filter(valid)
    _check_distinct(base, preds, opts)
    ent = [f"__lf_e{i}" for i in range(len(ent_cols))]
    segs = [f"__lf_b{i}" for i in range(len(by_cols))]
    carry: dict[str, Any] = {s: base[b] for s, b in zip(segs, by_cols, strict=True)}
    if row_order is not None and segs:
        carry[R] = base[row_order]
    strict_all = opts.chains.order == "strict" and opts.strict_all
    parts = stage_parts(
        base, ent_cols=ent_cols, time=time, preds=preds, carry=carry, all_events=strict_all
    )
    xrows = None
    if opts.exclusions:
        keep = {e: base[c] for e, c in zip(ent, ent_cols, strict=True)}
        xparts = [
            base.filter(p).select(**keep, **{T: int_time(base[time])}, __lf_x=x)
            for x, p in enumerate(xpreds)
        ]
        xrows = union_all(xparts)
    k_n = opts.chains.n_stages
    durations: list[pd.DataFrame] = []
    duration_queries: list[tuple[str, Any]] = []
    floors = None
    frames: list[pd.DataFrame] = []
    entries: list[Any] = []
    queries: list[Any] = []
    while True:
        these = parts
        if floors is not None:
            these = []
            for p in parts:
                joined = p.join(floors, ent)
                these.append(joined.filter(joined[T] > joined[_FLOOR]).drop(_FLOOR))
        got = _round(these, xrows, ent, segs, opts, row_order is not None)
        attempt = "" if floors is None else f" (attempts {len(frames) + 1})"
        queries.append(got.counts)
        frame = execute(got.counts, "funnel levels" + attempt)
        frames.append(levels_from_reach(frame, k_n) if got.fast else frame)
        entries.append(got.entries)
        duration_queries.append(("funnel durations" + attempt, got.durations))
        if opts.durations:
            durations.append(execute(got.durations, "funnel durations" + attempt))
        if not opts.totals:
            break
        # Completions go through the client: materializing them in the engine (Ibis'
        # cache()) is not portable enough (and fails on some Ibis / DuckDB pairs).
        done = execute(got.completed, "funnel completions" + attempt)
        if done.empty:
            break
        floors = ibis.memtable(done)
    counts, n_excluded = split_excluded(frames)
    return OptionOutcome(
        counts,
        n_excluded,
        union_all(entries),
        queries[0],
        k_n,
        tuple(duration_queries),
        duration_frames=durations,
    )
