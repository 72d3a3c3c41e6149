"""``Funnel.compute``: the spec lowered to a :class:`FunnelQuery`, the engine that takes the
input, and the :class:`FunnelResult` built once from the levels it returns.

Checks that do not depend on the backend live here, above the dispatch: the session
column with ``counting="sessions"``, segment column names, stages matching nothing.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..engines import FunnelLevels, FunnelQuery, implementation
from ..errors import DataQualityWarning, EmptyFrameError, ParameterError
from ._checks import as_columns, check_segment_names
from ._entries import EntryCounts, LazyEntries
from ._result import Attempts, FunnelResult, Segments, counts_frame

if TYPE_CHECKING:
    from ._spec import Funnel

__all__ = ["compute", "lower"]

_OWNER = "Funnel.compute"


def compute(
    spec: Funnel,
    events: object,
    *,
    user: str,
    time: str,
    event: str,
    by: str | Sequence[str] | None,
    session: str | None,
) -> FunnelResult:
    """See :meth:`Funnel.compute`."""
    query = lower(spec, user=user, time=time, event=event, by=by, session=session)
    _, funnel_levels = implementation(events, "funnel_levels")
    levels: FunnelLevels = funnel_levels(events, query)
    _check_stages(query, levels)
    return from_levels(spec, query, levels)


def lower(
    spec: Funnel,
    *,
    user: str,
    time: str,
    event: str,
    by: str | Sequence[str] | None,
    session: str | None,
) -> FunnelQuery:
    """The funnel as an engine query: options as plain values, steps as numbers from 1."""
    check_segment_names(_OWNER, by)
    if spec.counting == "sessions" and session is None:
        msg = (
            f"The 'session' parameter of {_OWNER} must name the session column when "
            "counting='sessions'. Got None instead."
        )
        raise ParameterError(msg)
    gaps = None
    if spec.step_windows is not None:
        gaps = tuple(None if g is None else int(g.value) for g in spec.step_windows)
    attribution = spec.attribution
    if attribution not in ("first_touch", "last_touch"):
        attribution = spec.step_number(attribution, param="attribution")
    return FunnelQuery(
        stages=spec.stages,
        window_ns=int(spec.window.value),
        user=user,
        time=time,
        event=event,
        by=as_columns(by),
        session=session if spec.counting == "sessions" else None,
        step_gaps_ns=gaps,
        order=spec.order,
        strict_scope=spec.strict_scope,
        entry=spec.entry,
        ties=spec.ties,
        distinct_events=spec.distinct_events,
        exclusions=tuple(
            (ex.stage, spec.step_number(ex.between[0]), spec.step_number(ex.between[1]))
            for ex in spec.exclusions
        ),
        counting=spec.counting,
        attribution=attribution,  # type: ignore[arg-type]
        clickhouse_modes=spec.clickhouse_modes,
    )


def _check_stages(query: FunnelQuery, levels: FunnelLevels) -> None:
    """Warn about stages matching nothing; refuse a funnel whose first stage matches nothing."""
    never = list(levels.never_matched)
    if not never:
        return
    rows = levels.accounting.rows_used
    advice = levels.hint or "check the event names and 'where' filters."
    warnings.warn(
        f"Stage(s) {never} of the funnel match no event of the {rows:,} rows used; "
        f"their counts are 0.\nHint: {advice}",
        DataQualityWarning,
        stacklevel=4,
    )
    first = query.stages[0].name
    if first in never:
        msg = f"No event matches the first stage {first!r}: the funnel is empty.\nHint: " + (
            levels.hint or "check the event names, 'where' filters and the event column."
        )
        raise EmptyFrameError(msg)


def from_levels(spec: Funnel, query: FunnelQuery, levels: FunnelLevels) -> FunnelResult:
    """The result, built once: segments (top-N folded), counts, drill-down, entries."""
    segments = Segments.build(
        query.by,
        levels.segment_labels,
        levels.segment,
        levels.level,
        spec.top_n,
        weights=levels.weight,
    )
    counts = counts_frame(
        query.stage_names, segments.labels, segments.codes, levels.level, weights=levels.weight
    )
    return FunnelResult.build(
        spec=spec,
        counts=counts,
        by=query.by,
        attempts=_attempts(query, levels, segments),
        accounting=levels.accounting,
        excluded=levels.excluded,
        entries=LazyEntries(lambda: _entries(query, levels, segments)),
        durations=functools.cache(lambda: levels.step_durations(query.n_stages)),
        notes=levels.notes,
    )


def _attempts(query: FunnelQuery, levels: FunnelLevels, segments: Segments) -> Attempts | None:
    """The drill-down, where the engine kept per-entity detail."""
    if levels.offsets is None or levels.reach_ns is None or levels.start_ns is None:
        return None
    dense = query.counting != "totals"
    return Attempts(
        level=levels.level,
        segment=segments.codes,
        segment_labels=segments.labels,
        offsets=levels.offsets,
        reach_ns=levels.reach_ns,
        start_ns=levels.start_ns,
        tz=levels.tz,
        user_labels=dict(levels.entities or {}),
        in_funnel=levels.level != -2 if dense else None,
        data_end_ns=levels.data_end_ns,
        window_ns=query.window_ns,
    )


def _entries(query: FunnelQuery, levels: FunnelLevels, segments: Segments) -> EntryCounts:
    entries = levels.entry_counts()
    return EntryCounts(
        entry_ns=entries.entry_ns,
        segment=segments.of(entries.segment),
        level=np.asarray(entries.level, dtype=np.int64),
        n=entries.weight,
        segment_labels=segments.labels,
        tz=levels.tz,
        data_end_ns=levels.data_end_ns,
        window_ns=query.window_ns,
    )
