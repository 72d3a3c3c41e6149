"""Orchestration: validated arrays -> stage bits -> grouped, time-ordered rows -> kernel -> result."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import DataQualityWarning, EmptyFrameError, ParameterError
from ..schema import Column, Table, validate
from ..stages import Stage, StageMatcher
from . import _kernel
from ._result import Attempts, FunnelResult, Segments, counts_frame

if TYPE_CHECKING:
    from ._spec import Funnel

IntArray = npt.NDArray[np.int64]

_MODES = {"ordered": _kernel.ORDERED, "strict": _kernel.STRICT, "unordered": _kernel.UNORDERED}


def as_columns(by: str | Sequence[str] | None) -> tuple[str, ...]:
    """Normalise a ``by`` argument to a tuple of column names."""
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    out = tuple(by)
    if not all(isinstance(b, str) for b in out) or len(set(out)) != len(out):
        msg = f"The 'by' parameter must be a column name or a list of unique names. Got {by!r}."
        raise ParameterError(msg)
    return out


def stage_bits(
    matchers: Sequence[StageMatcher], table: Table, event: str
) -> tuple[IntArray, list[str]]:
    """One int64 per kept row: bit s set when the row matches ``matchers[s]``.

    Built-in :class:`Stage` objects without a callable filter are matched through the
    factorized event codes (one gather); other matchers through their ``mask``.
    Returns the bits and the names of stages that match no row.
    """
    codes = table.codes["event"]
    labels = table.labels["event"]
    bits = np.zeros(len(codes), dtype=np.int64)
    lut = np.zeros(len(labels), dtype=np.int64)
    never: list[str] = []
    for s, matcher in enumerate(matchers):
        bit = np.int64(1) << np.int64(s)
        if isinstance(matcher, Stage):
            found = labels.get_indexer(pd.Index(list(matcher.events), dtype=object))
            found = found[found >= 0]
            if matcher.where is None:
                lut[found] |= bit
                if len(found) == 0:
                    never.append(matcher.name)
                continue
            in_event = np.zeros(len(labels), dtype=bool)
            in_event[found] = True
            where = matcher.where_mask(table.frame)
            assert where is not None
            mask = in_event[codes] & table.take(where)
        else:
            mask = table.take(np.asarray(matcher.mask(table.frame, event=event), dtype=bool))
        bits |= mask.astype(np.int64) << np.int64(s)
        if not mask.any():
            never.append(matcher.name)
    if lut.any():
        bits |= lut[codes]
    return bits, never


def _entities(spec: Funnel, table: Table) -> tuple[IntArray, int]:
    users = table.codes["user"]
    n_users = len(table.labels["user"])
    if spec.counting != "sessions":
        return users, n_users
    pair = users * np.int64(len(table.labels["session"]) + 1) + table.codes["session"]
    ent, uniq = pd.factorize(pair, sort=False)
    return np.asarray(ent, dtype=np.int64), len(uniq)


def _segments(table: Table, by: tuple[str, ...]) -> tuple[IntArray, pd.DataFrame]:
    """Combined segment code per kept row (-1: some column missing) and the labels frame."""
    if not by:
        return np.zeros(table.n_rows, dtype=np.int64), pd.DataFrame(index=range(1))
    combined = np.zeros(table.n_rows, dtype=np.int64)
    for i in range(len(by)):
        c = table.codes[f"by{i}"]
        combined = combined * np.int64(len(table.labels[f"by{i}"]) + 1) + (c + 1)
    codes, uniq = pd.factorize(combined, sort=True)
    parts = {}
    rest = np.asarray(uniq, dtype=np.int64)
    for i in reversed(range(len(by))):
        radix = len(table.labels[f"by{i}"]) + 1
        c = rest % radix - 1
        rest = rest // radix
        lab = table.labels[f"by{i}"]
        parts[by[i]] = pd.Series(lab.take(np.maximum(c, 0)).to_numpy(dtype=object)).where(
            c >= 0, None
        )
    labels = pd.DataFrame({b: parts[b].to_numpy() for b in by})
    return np.asarray(codes, dtype=np.int64), labels


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
    """Run ``spec`` on ``events``; see :meth:`Funnel.compute`."""
    by_cols = as_columns(by)
    columns = [Column("user", user, "key"), Column("time", time, "time"),
               Column("event", event, "category")]
    if spec.counting == "sessions":
        if session is None:
            msg = ("The 'session' parameter of Funnel.compute must name the session column "
                   "when counting='sessions'. Got None instead.")
            raise ParameterError(msg)
        columns.append(Column("session", session, "key"))
    columns += [Column(f"by{i}", b, "category", required=False) for i, b in enumerate(by_cols)]
    table = validate(events, columns, frame_name="events")

    k_n = len(spec.stages)
    bits, never = stage_bits(spec.stages, table, event)
    if never:
        warnings.warn(
            f"Stage(s) {never} of the funnel match no event of the {table.n_rows:,} rows used; "
            "their counts are 0.\nHint: check the event names and 'where' filters.",
            DataQualityWarning,
            stacklevel=3,
        )
    if not (bits & 1).any():
        msg = (f"No event matches the first stage {spec.stage_names[0]!r}: the funnel is "
               "empty.\nHint: check the event names, 'where' filters and the event column.")
        raise EmptyFrameError(msg)
    xbits = np.zeros(table.n_rows, dtype=np.int64)
    if spec.exclusions:
        xbits, _ = stage_bits([ex.stage for ex in spec.exclusions], table, event)

    ent, n_ent = _entities(spec, table)
    ts = table.times["time"].ns
    noise_breaks = spec.order == "strict" and spec.strict_scope == "all"
    if noise_breaks:
        idx: IntArray = np.arange(table.n_rows, dtype=np.int64)
    else:
        idx = np.flatnonzero((bits | xbits) != 0).astype(np.int64)
    starts, perm = _kernel.group_sort(ent[idx], ts[idx], n_ent)
    rows = idx[perm]
    del perm
    ts_s, ms_s, xs_s = ts[rows], bits[rows], xbits[rows]

    gaps = np.full(max(k_n - 1, 1), np.iinfo(np.int64).max, dtype=np.int64)
    for i, g in enumerate(spec.step_windows or ()):
        if g is not None:
            gaps[i] = g.value
    ex_from = np.array([spec.step_number(e.between[0]) - 1 for e in spec.exclusions], np.int64)
    ex_to = np.array([spec.step_number(e.between[1]) - 1 for e in spec.exclusions], np.int64)
    args = (starts, ts_s, ms_s, xs_s, k_n, spec.window.value, gaps,
            spec.step_windows is not None, _MODES[spec.order], spec.entry == "first",
            spec.ties == "strict_increase", spec.distinct_events, noise_breaks,
            spec.counting == "totals", ex_from, ex_to)
    n_att = np.zeros(n_ent, dtype=np.int64)
    if spec.counting == "totals":
        dummy = np.empty((0, k_n), dtype=np.int64)
        _kernel.funnel_pass(*args, False, n_att, n_att, n_att, dummy, dummy, n_att)
    else:
        n_att = (np.diff(starts) > 0).astype(np.int64)
    offsets = np.zeros(n_ent, dtype=np.int64)
    np.cumsum(n_att[:-1], out=offsets[1:])
    total = int(n_att.sum())
    out_ent = np.empty(total, dtype=np.int64)
    out_level = np.empty(total, dtype=np.int64)
    out_pos = np.empty((total, k_n), dtype=np.int64)
    out_start = np.empty((total, k_n), dtype=np.int64)
    _kernel.funnel_pass(*args, True, offsets, out_ent, out_level, out_pos, out_start, n_att)
    del ms_s, xs_s

    # Entities whose rows are all exclusion (or, in strict "all" scope, other) events are
    # not in the funnel at all.
    has_stage = np.bincount(ent[bits != 0], minlength=n_ent) > 0
    keep = has_stage[out_ent]
    if not keep.all():
        out_ent, out_level = out_ent[keep], out_level[keep]
        out_pos, out_start = out_pos[keep], out_start[keep]
    reached = out_pos >= 0
    step_rows = np.where(reached, rows[np.maximum(out_pos, 0)], -1)
    step_ns = np.where(reached, ts_s[np.maximum(out_pos, 0)], _kernel.NEG)
    del ts_s, out_pos
    seg_row = _attribution_rows(spec, step_rows, out_level)
    seg_codes, seg_labels = _segments(table, by_cols)
    attempt_seg = np.where(seg_row >= 0, seg_codes[np.maximum(seg_row, 0)], -1)

    segments = Segments.build(by_cols, seg_labels, attempt_seg, out_level, spec.top_n)
    attempts = Attempts(
        entity=out_ent,
        level=out_level.astype(np.int8),
        step_ns=step_ns,
        start_ns=np.where(out_start == _kernel.NEG, _kernel.NEG, out_start),
        segment=segments.codes,
        segment_labels=segments.labels,
        tz=table.times["time"].tz,
        user_labels=_entity_labels(spec, table, rows[np.minimum(starts[:-1], len(rows) - 1)][out_ent]),
    )
    counts = counts_frame(spec.stage_names, segments.labels, segments.codes, out_level)
    return FunnelResult.build(
        spec=spec, counts=counts, by=by_cols, attempts=attempts, accounting=table.accounting,
        excluded=int((out_level < 0).sum()),
    )


def _attribution_rows(spec: Funnel, step_rows: IntArray, level: IntArray) -> IntArray:
    """The kept-row index whose segment each attempt takes (-1: none)."""
    if spec.attribution == "first_touch":
        return step_rows[:, 0]
    if spec.attribution == "last_touch":
        lv = np.maximum(level.astype(np.int64), 1) - 1
        last = step_rows[np.arange(len(lv)), lv]
        return np.where(level != 0, last, step_rows[:, 0])
    return step_rows[:, spec.step_number(spec.attribution) - 1]


def _entity_labels(spec: Funnel, table: Table, row: IntArray) -> dict[str, pd.Index]:
    """User (and session) label per attempt from one kept row of its entity."""
    out = {table.columns["user"]: table.labels["user"].take(table.codes["user"][row])}
    if spec.counting != "sessions":
        return out
    return {
        **out,
        table.columns["session"]: table.labels["session"].take(table.codes["session"][row]),
    }
