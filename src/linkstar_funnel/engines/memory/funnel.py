"""The in-memory ``funnel_levels``: validated arrays -> stage bits -> grouped, time-ordered
rows -> the compiled pass -> :class:`~linkstar_funnel.engines._funnel.FunnelLevels`.

One record per entity (per attempt with ``counting="totals"``), with the drill-down
(entity labels, reach times, chain starts) and exact entry times.
"""

from __future__ import annotations

import difflib
import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ...errors import ParameterError, SchemaError
from ...schema import Column, Table, validate
from ...stages import Stage, StageMatcher
from .._funnel import FunnelEntries, FunnelLevels, FunnelQuery
from ._funnel_kernel import (
    CH_DEDUPLICATION,
    CH_INCREASE,
    CH_ORDER,
    CH_REENTRY,
    ORDERED,
    STRICT,
    UNORDERED,
    PassOptions,
    funnel_pass,
)
from ._funnel_sort import prepare

__all__ = ["funnel_levels", "segment_codes", "stage_luts"]

IntArray = npt.NDArray[np.int64]
BitsArray = npt.NDArray[np.signedinteger[Any]]

#: Threads for the kernel pass, and the row count from which it is worth splitting.
_MAX_THREADS = 4
_PARALLEL_ROWS = 1_000_000

_MODES = {"ordered": ORDERED, "strict": STRICT, "unordered": UNORDERED}
_NO_GAP = np.iinfo(np.int64).max
_CLICKHOUSE = {
    "strict_deduplication": CH_DEDUPLICATION,
    "strict_order": CH_ORDER,
    "strict_increase": CH_INCREASE,
    "allow_reentry": CH_REENTRY,
}


def funnel_levels(source: object, query: FunnelQuery) -> FunnelLevels:
    """Levels of every entity (attempt) of ``source``, a pandas frame (or an object with
    ``to_pandas()``); see :class:`~linkstar_funnel.engines._funnel.FunnelLevelsEngine`.

    Raises
    ------
    ColumnNotFoundError, TimeColumnError, EmptyFrameError, SchemaError
        Missing columns, unusable times, no usable rows.
    ParameterError
        A custom matcher's mask is not a boolean array with one value per row.
    """
    table = _validate(source, query)
    lut, extra, never = stage_luts(query.stages, table, query.event)
    xlut: BitsArray = np.zeros(0, dtype=np.int32)
    xextra: BitsArray = xlut
    if query.exclusions:
        xlut, xextra, _ = stage_luts([m for m, _, _ in query.exclusions], table, query.event)
    times = table.times["time"]
    t0 = first_time(times.ns, table.columns["time"])
    ent, n_ent = _entities(query, table)
    seg_codes, seg_labels = segment_codes(table, query.by)
    # Rows matching no stage break chains in strict mode with strict_scope="all" and under
    # ClickHouse's strict_order; only then are they kept (memory and time elsewhere).
    keep_all = (query.order == "strict" and query.strict_scope == "all") or (
        "strict_order" in query.clickhouse_modes
    )
    starts, ts_s, ms_s, xs_s, seg_s = prepare(
        ent,
        n_ent,
        times.ns,
        table.codes["event"],
        lut,
        extra,
        xlut,
        xextra,
        seg_codes if query.by else np.zeros(0, dtype=np.int64),
        keep_all,
        threads=_threads(table.n_rows),
        t0=int(t0),  # the kernels run on times relative to the first event
    )
    dense = query.counting != "totals"
    out = _run_pass(starts, dense, bool(query.by), (ts_s, ms_s, xs_s, seg_s), pass_options(query))
    del ts_s, ms_s, xs_s, seg_s
    out_ent, level, seg, offsets, reach_t, reach_s = out
    reach_ns, start_ns = reach_t + t0, reach_s + t0  # back from times relative to t0
    return FunnelLevels(
        accounting=table.accounting,
        level=level,
        segment=seg,
        segment_labels=seg_labels,
        entries=_Entries(level, seg, offsets, reach_ns),
        never_matched=tuple(never),
        hint=_close_event_hint(query.stages, never, table.labels["event"]),
        tz=times.tz,
        data_end_ns=int(times.ns.max()),
        entities=_entity_labels(query, table, out_ent, n_ent),
        offsets=offsets,
        reach_ns=reach_ns,
        start_ns=start_ns,
        notes=_mode_notes(query),
    )


def _mode_notes(query: FunnelQuery) -> tuple[str, ...]:
    """What the levels and step times mean under ClickHouse modes (none otherwise)."""
    if not query.clickhouse_modes:
        return ()
    modes = ", ".join(repr(m) for m in query.clickhouse_modes)
    note = (
        f"levels as ClickHouse windowFunnel with modes {modes}; step times are when the "
        "pass first reached each level"
    )
    return (note,)


def _validate(source: object, query: FunnelQuery) -> Table:
    """The events as validated arrays: user, time, event (session) and segment columns."""
    columns = [
        Column("user", query.user, "key"),
        Column("time", query.time, "time"),
        Column("event", query.event, "category"),
    ]
    if query.counting == "sessions":
        if query.session is None:
            msg = (
                "The 'session' field of FunnelQuery must name the session column when "
                "counting='sessions'. Got None instead."
            )
            raise ParameterError(msg)
        columns.append(Column("session", query.session, "key"))
    columns += [Column(f"by{i}", b, "category", required=False) for i, b in enumerate(query.by)]
    return validate(source, columns, frame_name="events")


def pass_options(query: FunnelQuery) -> PassOptions:
    """The kernel's options record, from the query (steps 0-based, absent gaps as int64 max)."""
    k_n = query.n_stages
    gaps = np.full(max(k_n - 1, 1), _NO_GAP, dtype=np.int64)
    for i, g in enumerate(query.step_gaps_ns or ()):
        if g is not None:
            gaps[i] = g
    attribution = {"first_touch": -1, "last_touch": -2}.get(str(query.attribution))
    unknown = sorted(set(query.clickhouse_modes) - set(_CLICKHOUSE))
    if unknown:
        msg = (
            "The 'clickhouse_modes' field of FunnelQuery must hold ClickHouse windowFunnel "
            f"modes ({', '.join(map(repr, _CLICKHOUSE))}). Got {unknown!r} instead."
        )
        raise ParameterError(msg)
    return PassOptions(
        k_n=k_n,
        window=int(query.window_ns),
        gaps=gaps,
        has_gaps=query.step_gaps_ns is not None,
        mode=_MODES[query.order],
        entry_first=query.entry == "first",
        strict_inc=query.ties == "strict_increase",
        distinct=query.distinct_events,
        noise_breaks=query.order == "strict" and query.strict_scope == "all",
        totals=query.counting == "totals",
        ex_from=np.array([i - 1 for _, i, _ in query.exclusions], dtype=np.int64),
        ex_to=np.array([j - 1 for _, _, j in query.exclusions], dtype=np.int64),
        attribution=int(query.attribution) - 1 if attribution is None else attribution,
        clickhouse=sum(_CLICKHOUSE[m] for m in set(query.clickhouse_modes)),
    )


@attrs.frozen(eq=False)
class _Entries:
    """Exact entry times of the records that entered (computed when trends ask)."""

    level: npt.NDArray[np.int8]
    segment: IntArray
    offsets: IntArray
    reach_ns: IntArray

    def __call__(self) -> FunnelEntries:
        entered = (np.diff(self.offsets) > 0) & (self.level >= 0)
        return FunnelEntries(
            entry_ns=self.reach_ns[self.offsets[:-1][entered]],
            level=self.level[entered].astype(np.int64),
            segment=self.segment[entered],
            weight=np.ones(int(entered.sum()), dtype=np.int64),
        )


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


def _entities(query: FunnelQuery, table: Table) -> tuple[IntArray, int]:
    """Entity code per row: the user, or the (user, session) pair."""
    users = table.codes["user"]
    n_users = len(table.labels["user"])
    if query.counting != "sessions":
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


def _close_event_hint(
    stages: Sequence[StageMatcher], never: Sequence[str], labels: pd.Index
) -> str:
    """'did you mean' for stages whose event names are not in the log (typos, casing)."""
    names = [str(x) for x in labels]
    lowered = {n.lower(): n for n in names}
    parts = []
    for stage in stages:
        if stage.name not in never or not isinstance(stage, Stage):
            continue
        for wanted in stage.events:
            close = difflib.get_close_matches(wanted.lower(), list(lowered), n=2, cutoff=0.6)
            if close and wanted not in names:
                options = " or ".join(repr(lowered[c]) for c in close)
                parts.append(f"stage {stage.name!r} looks for {wanted!r}: did you mean {options}?")
    return " ".join(parts)


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
    starts: IntArray,
    dense: bool,
    with_seg: bool,
    rows: tuple[IntArray, BitsArray, BitsArray, IntArray],
    opts: PassOptions,
) -> tuple[IntArray | None, npt.NDArray[np.int8], IntArray, IntArray, IntArray, IntArray]:
    """The kernel pass, on entity ranges in parallel threads (the kernel releases the GIL).

    ``rows``: sorted times, stage bits, exclusion bits and segment codes. Returns entity
    per record (``None`` when ``dense``: record i is entity i), level, segment code,
    ragged offsets, reach times and chain starts.
    """
    n_ent = len(starts) - 1
    d_level = np.empty(n_ent if dense else 0, dtype=np.int8)
    d_seg = np.empty(n_ent if dense and with_seg else 0, dtype=np.int64)
    n_threads = _threads(int(starts[-1]))
    chunks = _chunks(starts, n_threads) if n_threads > 1 else [(0, n_ent)]
    ts, ms, xs, seg = rows
    kernel: Any = funnel_pass  # typed, the stub makes mypy reject run()'s tuple return

    def run(ab: tuple[int, int]) -> tuple[IntArray, ...]:
        a, b = ab
        seg_part = d_seg[a:b] if len(d_seg) else d_seg
        return tuple(
            kernel(starts[a : b + 1], ts, ms, xs, seg, opts, dense, d_level[a:b], seg_part)
        )

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
    query: FunnelQuery, table: Table, ent: IntArray | None, n_ent: int
) -> dict[str, pd.Index]:
    """User (and session) label per record (``ent`` None: record i is entity i)."""
    users = table.labels["user"]
    if query.counting != "sessions":
        return {table.columns["user"]: users if ent is None else users.take(ent)}
    if ent is None:
        ent = np.arange(n_ent, dtype=np.int64)
    pair_user = np.empty(n_ent, dtype=np.int64)
    pair_session = np.empty(n_ent, dtype=np.int64)
    sessions_ent, _ = _entities(query, table)
    pair_user[sessions_ent] = table.codes["user"]
    pair_session[sessions_ent] = table.codes["session"]
    return {
        table.columns["user"]: users.take(pair_user[ent]),
        table.columns["session"]: table.labels["session"].take(pair_session[ent]),
    }
