"""Orchestration: validated arrays -> stage bits -> grouped, time-ordered rows -> kernel -> result."""

from __future__ import annotations

import difflib
import itertools
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import DataQualityWarning, EmptyFrameError, ParameterError, SchemaError
from ..schema import Column, Table, validate
from ..stages import Stage, StageMatcher
from . import _kernel, _sort
from ._result import Attempts, FunnelResult, Segments, counts_frame

if TYPE_CHECKING:
    from ._spec import Funnel

IntArray = npt.NDArray[np.int64]
BitsArray = npt.NDArray[np.signedinteger[Any]]

#: Threads for the kernel pass, and the row count from which it is worth splitting.
_MAX_THREADS = 4
_PARALLEL_ROWS = 1_000_000

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


def stage_luts(
    matchers: Sequence[StageMatcher], table: Table, event: str
) -> tuple[BitsArray, BitsArray, list[str]]:
    """Stage bits as a lookup table per event code, plus per-row bits where needed.

    Built-in :class:`Stage` objects without a property filter are matched through the
    factorized event codes alone; other stages and matchers contribute per-row bits (an
    empty array when there are none). Also returns the names of stages matching no row.
    """
    codes = table.codes["event"]
    labels = table.labels["event"]
    seen = np.bincount(codes, minlength=len(labels)) > 0
    # int32 bits keep the sorted copy small; up to 62 stages need int64.
    dtype: type[np.signedinteger[Any]] = np.int32 if len(matchers) <= 31 else np.int64
    lut = np.zeros(len(labels), dtype=dtype)
    extra = np.zeros(0, dtype=dtype)
    never: list[str] = []
    for s, matcher in enumerate(matchers):
        bit = dtype(1) << dtype(s)
        if isinstance(matcher, Stage):
            found = labels.get_indexer(pd.Index(list(matcher.events), dtype=object))
            found = found[found >= 0]
            if matcher.where is None:
                lut[found] |= bit
                if not seen[found].any():
                    never.append(matcher.name)
                continue
            in_event = np.zeros(len(labels), dtype=bool)
            in_event[found] = True
            where = matcher.where_mask(table.frame)
            assert where is not None
            mask = in_event[codes] & table.take(where)
        else:
            # A shallow copy: a matcher adding columns does not add them to the caller's frame.
            matched = matcher.mask(table.frame.copy(deep=False), event=event)
            mask = table.take(_matcher_mask(matched, matcher.name, len(table.frame)))
        if len(extra) == 0:
            extra = np.zeros(len(codes), dtype=dtype)
        extra |= mask.astype(dtype) << dtype(s)
        if not mask.any():
            never.append(matcher.name)
    return lut, extra, never


def _matcher_mask(values: object, name: str, n: int) -> npt.NDArray[np.bool_]:
    """A custom matcher's mask, checked: a boolean array with one value per row."""
    out = np.asarray(values)
    if out.dtype != np.bool_ or out.shape != (n,):
        msg = (
            f"The mask() of stage {name!r} must return a boolean numpy array of length {n}. "
            f"Got dtype {out.dtype}, shape {out.shape} instead."
            "\nHint: linkstar_funnel.stages.check_stage_matcher checks a custom matcher."
        )
        raise ParameterError(msg)
    return out


def _entities(spec: Funnel, table: Table) -> tuple[IntArray, int]:
    users = table.codes["user"]
    n_users = len(table.labels["user"])
    if spec.counting != "sessions":
        return users, n_users
    pair = users * np.int64(len(table.labels["session"]) + 1) + table.codes["session"]
    ent, uniq = pd.factorize(pair, sort=False)
    return np.asarray(ent, dtype=np.int64), len(uniq)


#: Largest combined code before the next column's radix is folded in without re-factorizing.
_CODE_LIMIT = np.iinfo(np.int64).max


def segment_codes(table: Table, by: tuple[str, ...]) -> tuple[IntArray, pd.DataFrame]:
    """Combined segment code per kept row and the labels frame (one row per segment).

    A missing value is a segment value of its own (label ``None``), sorted first; segments
    are ordered by their columns' codes, left to right. Columns are folded in one at a
    time, re-factorizing the running code whenever the next product could overflow int64
    (ten columns of a hundred values have 101**10 > 2**63 combinations).
    """
    if not by:
        return np.zeros(table.n_rows, dtype=np.int64), pd.DataFrame(index=range(1))
    combined = np.zeros(table.n_rows, dtype=np.int64)
    n_codes = 1  # combined < n_codes
    for i in range(len(by)):
        radix = len(table.labels[f"by{i}"]) + 1  # code + 1: 0 is a missing value
        if n_codes > _CODE_LIMIT // radix:
            dense, uniq = pd.factorize(combined, sort=True)
            combined, n_codes = np.asarray(dense, dtype=np.int64), len(uniq)
        combined = combined * np.int64(radix) + (table.codes[f"by{i}"] + 1)
        n_codes *= radix
    codes, uniq = pd.factorize(combined, sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    row = np.empty(len(uniq), dtype=np.intp)
    row[codes] = np.arange(len(codes))  # any row of a segment carries its column codes
    parts = {}
    for i, b in enumerate(by):
        c = table.codes[f"by{i}"][row]
        lab = table.labels[f"by{i}"].to_numpy(dtype=object)
        values = np.full(len(c), None, dtype=object)
        values[c >= 0] = lab[c[c >= 0]]
        parts[b] = values
    return codes, pd.DataFrame(parts)


def _close_event_hint(spec: Funnel, never: Sequence[str], labels: pd.Index) -> str:
    """'did you mean' for stages whose event names are not in the log (typos, casing)."""
    names = [str(x) for x in labels]
    lowered = {n.lower(): n for n in names}
    parts = []
    for stage in spec.stages:
        if stage.name not in never or not isinstance(stage, Stage):
            continue
        for wanted in stage.events:
            close = difflib.get_close_matches(wanted.lower(), list(lowered), n=2, cutoff=0.6)
            if close and wanted not in names:
                options = " or ".join(repr(lowered[c]) for c in close)
                parts.append(f"stage {stage.name!r} looks for {wanted!r}: did you mean {options}?")
    return " ".join(parts)


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
    columns = [
        Column("user", user, "key"),
        Column("time", time, "time"),
        Column("event", event, "category"),
    ]
    if spec.counting == "sessions":
        assert session is not None  # Funnel.compute checks it for both engines
        columns.append(Column("session", session, "key"))
    columns += [Column(f"by{i}", b, "category", required=False) for i, b in enumerate(by_cols)]
    table = validate(events, columns, frame_name="events")

    k_n = len(spec.stages)
    lut, extra, never = stage_luts(spec.stages, table, event)
    hint = _close_event_hint(spec, never, table.labels["event"])
    if never:
        advice = hint or "check the event names and 'where' filters."
        warnings.warn(
            f"Stage(s) {never} of the funnel match no event of the {table.n_rows:,} rows used; "
            f"their counts are 0.\nHint: {advice}",
            DataQualityWarning,
            stacklevel=4,
        )
    if spec.stage_names[0] in never:
        msg = (
            f"No event matches the first stage {spec.stage_names[0]!r}: the funnel is "
            "empty.\nHint: "
            + (hint or "check the event names, 'where' filters and the event column.")
        )
        raise EmptyFrameError(msg)
    empty = np.zeros(0, dtype=np.int64)
    xlut: BitsArray = np.zeros(0, dtype=np.int32)
    xextra: BitsArray = xlut
    if spec.exclusions:
        xlut, xextra, _ = stage_luts([ex.stage for ex in spec.exclusions], table, event)

    t0 = first_time(table.times["time"].ns, table.columns["time"])
    ent, n_ent = _entities(spec, table)
    seg_codes, seg_labels = segment_codes(table, by_cols)
    noise_breaks = spec.order == "strict" and spec.strict_scope == "all"
    starts, ts_s, ms_s, xs_s, seg_s = _sort.prepare(
        ent,
        n_ent,
        table.times["time"].ns,
        table.codes["event"],
        lut,
        extra,
        xlut,
        xextra,
        seg_codes if by_cols else empty,
        noise_breaks,
        threads=_threads(table.n_rows),
        t0=int(t0),  # the kernels run on times relative to the first event
    )
    gaps = np.full(max(k_n - 1, 1), np.iinfo(np.int64).max, dtype=np.int64)
    for i, g in enumerate(spec.step_windows or ()):
        if g is not None:
            gaps[i] = g.value
    ex_from = np.array([spec.step_number(e.between[0]) - 1 for e in spec.exclusions], np.int64)
    ex_to = np.array([spec.step_number(e.between[1]) - 1 for e in spec.exclusions], np.int64)
    attribution = {"first_touch": -1, "last_touch": -2}.get(str(spec.attribution))
    if attribution is None:
        attribution = spec.step_number(spec.attribution) - 1
    dense = spec.counting != "totals"
    out_ent, level, seg, offsets, reach_t, reach_s = _run_pass(
        starts,
        dense,
        bool(by_cols),
        ts_s,
        ms_s,
        xs_s,
        seg_s,
        k_n,
        spec.window.value,
        gaps,
        spec.step_windows is not None,
        _MODES[spec.order],
        spec.entry == "first",
        spec.ties == "strict_increase",
        spec.distinct_events,
        noise_breaks,
        spec.counting == "totals",
        ex_from,
        ex_to,
        attribution,
    )
    del ts_s, ms_s, xs_s, seg_s
    segments = Segments.build(by_cols, seg_labels, seg, level, spec.top_n)
    attempts = Attempts(
        level=level,
        segment=segments.codes,
        segment_labels=segments.labels,
        offsets=offsets,
        reach_ns=reach_t + t0,  # back from times relative to the first event
        start_ns=reach_s + t0,
        tz=table.times["time"].tz,
        user_labels=_entity_labels(spec, table, out_ent, n_ent),
        in_funnel=None if out_ent is not None else level != -2,
        data_end_ns=int(table.times["time"].ns.max()),
        window_ns=int(spec.window.value),
    )
    counts = counts_frame(spec.stage_names, segments.labels, segments.codes, level)
    return FunnelResult.build(
        spec=spec,
        counts=counts,
        by=by_cols,
        attempts=attempts,
        accounting=table.accounting,
        excluded=int((level == -1).sum()),  # -2: no stage event at all, not excluded
    )


def first_time(ns: IntArray, column: str) -> np.int64:
    """The earliest time: the kernels run on nanoseconds since it.

    The kernels subtract times, windows and step gaps in int64; from 0 none of those
    differences can wrap around (from the raw epoch values, an event before 1970 minus an
    unlimited step gap did, and silently lost chains). The shift is applied while rows are
    scattered into entity order, so the column is not copied.

    Raises
    ------
    SchemaError
        The times span more than int64 nanoseconds (~292 years): a sentinel date?
    """
    t0, t1 = int(ns.min()), int(ns.max())
    if t1 - t0 > np.iinfo(np.int64).max:
        first, last = (pd.Timestamp(v) for v in (t0, t1))
        msg = (
            f"Column {column!r} of the events frame spans more than 292 years ({first} to "
            f"{last}): differences of its times cannot be computed exactly.\nHint: look for "
            "sentinel dates such as 1677-09-22 or 2262-04-11 standing for missing times."
        )
        raise SchemaError(msg)
    return np.int64(t0)


def _threads(n_rows: int) -> int:
    """Threads worth using for ``n_rows`` rows."""
    return min(_MAX_THREADS, os.cpu_count() or 1) if n_rows >= _PARALLEL_ROWS else 1


def _chunks(starts: IntArray, n_chunks: int) -> list[tuple[int, int]]:
    """Split entities into ``n_chunks`` contiguous ranges holding about as many rows each."""
    n_ent = len(starts) - 1
    cuts = np.searchsorted(starts, np.linspace(0, starts[-1], n_chunks + 1)[1:-1])
    bounds = [0, *sorted({int(min(c, n_ent)) for c in cuts}), n_ent]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _run_pass(
    starts: IntArray, dense: bool, with_seg: bool, *args: Any
) -> tuple[IntArray | None, npt.NDArray[np.int8], IntArray, IntArray, IntArray, IntArray]:
    """The kernel pass, on entity ranges in parallel threads (the kernel releases the GIL).

    Returns entity per record (``None`` when ``dense``: record i is entity i), level,
    segment code, ragged offsets, reach times and chain starts.
    """
    n_ent = len(starts) - 1
    d_level = np.empty(n_ent if dense else 0, dtype=np.int8)
    d_seg = np.empty(n_ent if dense and with_seg else 0, dtype=np.int64)
    n_threads = _threads(int(starts[-1]))
    chunks = _chunks(starts, n_threads) if n_threads > 1 else [(0, n_ent)]

    kernel: Any = _kernel.funnel_pass  # numba's Dispatcher stub does not see the signature

    def run(ab: tuple[int, int]) -> tuple[IntArray, ...]:
        a, b = ab
        seg_part = d_seg[a:b] if len(d_seg) else d_seg
        return tuple(kernel(starts[a : b + 1], *args, dense, d_level[a:b], seg_part))

    if len(chunks) == 1:
        parts = [run(chunks[0])]
    else:
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            parts = list(pool.map(run, chunks))
    offsets = [parts[0][3]]
    for p in parts[1:]:
        offsets.append(p[3][1:] + offsets[-1][-1])
    off = np.concatenate(offsets) if len(parts) > 1 else offsets[0]
    reach_t = np.concatenate([p[4] for p in parts]) if len(parts) > 1 else parts[0][4]
    reach_s = np.concatenate([p[5] for p in parts]) if len(parts) > 1 else parts[0][5]
    if dense:
        seg = d_seg if with_seg else np.zeros(n_ent, dtype=np.int64)
        return None, d_level, seg, off, reach_t, reach_s
    ent = np.concatenate([p[0] + a for p, (a, _) in zip(parts, chunks, strict=True)])
    level = np.concatenate([p[1] for p in parts]).astype(np.int8)
    seg = np.concatenate([p[2] for p in parts])
    return ent, level, seg, off, reach_t, reach_s


def _entity_labels(
    spec: Funnel, table: Table, ent: IntArray | None, n_ent: int
) -> dict[str, pd.Index]:
    """User (and session) label per record (``ent`` None: record i is entity i)."""
    users = table.labels["user"]
    if spec.counting != "sessions":
        return {table.columns["user"]: users if ent is None else users.take(ent)}
    if ent is None:
        ent = np.arange(n_ent, dtype=np.int64)
    pair_user = np.empty(n_ent, dtype=np.int64)
    pair_session = np.empty(n_ent, dtype=np.int64)
    sessions_ent, _ = _entities(spec, table)
    pair_user[sessions_ent] = table.codes["user"]
    pair_session[sessions_ent] = table.codes["session"]
    return {
        table.columns["user"]: users.take(pair_user[ent]),
        table.columns["session"]: table.labels["session"].take(pair_session[ent]),
    }
