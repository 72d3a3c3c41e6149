"""Conformance cases of ``funnel_levels``: a backend must give the in-memory levels.

Each case gives the backend under test and the in-memory reference the same pandas frame
and :class:`~linkstar_funnel.engines._funnel.FunnelQuery` and compares every field of the
outputs, in backend-independent form (a backend may return one record per entity or
weighted groups, and order its segments as it likes):

* records reaching each level (≥ 1) and excluded ones, per segment *label*, exactly;
* the row accounting (rows in, every drop reason with its column and count);
* the stages matching nothing, the time zone and the last time of the data;
* the entries behind trends, per (entry time, segment label, level), at the coarser of
  the two backends' time resolutions (a SQL backend floors them to quarter-hours);
* the drill-down (entity labels, levels, reach times and chain starts), when the backend
  returns one;
* in the cases named in ``_TIMED``, the durations behind ``time_to_convert()`` and
  ``time_between_steps()`` (per step, as sorted values), from the drill-down or the
  backend's ``durations``;
* for bad input, the error type;
* ClickHouse ``windowFunnel`` modes (``clickhouse_modes``): the in-memory levels, or a
  :class:`~linkstar_funnel.errors.ParameterError` naming the option (a backend that does
  not compute them).

The logs have one segment per user, so the attributed segment never depends on row order
(which a SQL table does not have). Every difference is recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._conformance import ConformanceKit
from ..errors import ColumnNotFoundError, EmptyFrameError, ParameterError
from ..stages import Stage
from ._funnel import FunnelLevels, FunnelQuery
from ._kit import CASES, Runner, accounting_key

__all__ = ["funnel_cases"]

_MIN = 60 * 10**9
_T0 = pd.Timestamp("2026-03-01")
_EVENTS = np.array(["a", "b", "c", "d", "x"], dtype=object)
_ABC = (Stage("A", event="a"), Stage("B", event="b"), Stage("C", event="c"))


def _log(seed: int, n: int = 400, users: int = 40, *, tz: str | None = None) -> pd.DataFrame:
    """Events a-d and noise x over two days at second resolution (many equal times per
    user: times are drawn from few values), one segment and device per user (some
    missing), two sessions."""
    rng = np.random.default_rng(seed)
    user = rng.integers(0, users, n)
    sec = rng.integers(0, 40, users)[user] * 3600 + rng.integers(0, 120, n) * 15
    times = pd.DatetimeIndex(_T0 + pd.to_timedelta(sec, unit="s"))
    if tz is not None:
        times = times.tz_localize(tz)
    seg = np.array(["s1", "s2", "s3", None], dtype=object)[rng.integers(0, 4, users)]
    device = np.array(["web", "app"], dtype=object)[rng.integers(0, 2, users)]
    return pd.DataFrame(
        {
            "user_id": np.array([f"u{u:03d}" for u in user], dtype=object),
            "timestamp": times,
            "event": _EVENTS[rng.integers(0, 5, n)],
            "seg": seg[user],
            "device": device[user],
            "session": rng.integers(1, 3, n),
            "country": np.array(["DE", "FR", None], dtype=object)[rng.integers(0, 3, n)],
        }
    )


def _with_holes(seed: int) -> pd.DataFrame:
    frame = _log(seed)
    frame.loc[frame.index[::17], "user_id"] = None
    frame.loc[frame.index[5::23], "timestamp"] = pd.NaT
    return frame


def _q(stages: tuple[Stage, ...] = _ABC, window: int = 30 * _MIN, **kwargs: Any) -> FunnelQuery:
    return FunnelQuery(stages=stages, window_ns=window, **kwargs)


_WHERE = (
    Stage("A", event=["a", "x"]),
    Stage("B", event="b", where={"country": "DE"}),
    Stage("C", event=["c", "b"], where={"country": ["DE", "FR"]}),
    Stage("D", event="d"),
)

#: (name, frame builder, query) of the cases whose outputs must match field by field.
_CASES: tuple[tuple[str, Callable[[], pd.DataFrame], FunnelQuery], ...] = (
    ("ordered", lambda: _log(1), _q()),
    ("ordered, four stages, short window", lambda: _log(2), _q(_WHERE[:1] + _ABC[1:], 5 * _MIN)),
    ("ordered, breakdown with missing segments", lambda: _log(3), _q(by=("seg",))),
    ("ordered, entry='first'", lambda: _log(4), _q(entry="first", by=("seg",))),
    ("ordered, ties='strict_increase'", lambda: _log(5), _q(ties="strict_increase")),
    ("strict", lambda: _log(6), _q(order="strict", window=120 * _MIN)),
    (
        "strict, strict_scope='all', strictly increasing",
        lambda: _log(7),
        _q(order="strict", strict_scope="all", ties="strict_increase", window=120 * _MIN),
    ),
    ("unordered", lambda: _log(8), _q(order="unordered")),
    (
        "unordered, entry='first', two breakdown columns",
        lambda: _log(9),
        _q(order="unordered", entry="first", by=("seg", "device")),
    ),
    ("sessions", lambda: _log(10), _q(counting="sessions", session="session", by=("seg",))),
    ("where filters", lambda: _log(11), _q(_WHERE, 60 * _MIN)),
    (
        "a stage matching nothing",
        lambda: _log(12),
        _q((*_ABC[:2], Stage("Z", event="z"), _ABC[2])),
    ),
    ("missing ids and times", lambda: _with_holes(13), _q(by=("device",))),
    ("zone-aware times", lambda: _log(14, tz="UTC"), _q(by=("seg",))),
    ("a single event", lambda: _log(15).iloc[:1].assign(event="a"), _q()),
    ("step windows", lambda: _log(16), _q(step_gaps_ns=(5 * _MIN, None), by=("seg",))),
    (
        "exclusions",
        lambda: _log(17),
        _q(exclusions=((Stage("X", event="x"), 1, 3),), by=("seg",)),
    ),
    ("totals", lambda: _log(18), _q(counting="totals", window=10 * _MIN)),
    ("last touch", lambda: _log(19), _q(attribution="last_touch", by=("seg",))),
    ("step attribution", lambda: _log(22), _q(attribution=2, by=("seg", "device"))),
    (
        "distinct events, ties='strict_increase'",
        lambda: _log(23),
        _q(
            (Stage("AB", event=["a", "b"]), *_ABC[1:]),
            distinct_events=True,
            ties="strict_increase",
        ),
    ),
    ("one stage", lambda: _log(24), _q(_ABC[:1], by=("seg",))),
    ("zero window: later steps at step 1's time", lambda: _log(25), _q(window=0)),
)
#: Cases whose durations (time_to_convert, time_between_steps) are compared too.
#: (Few: each is one more query, and the kit also runs on Spark.)
_TIMED = frozenset({"strict", "unordered", "exclusions", "totals"})


def _label(levels: FunnelLevels, code: int) -> tuple[str, ...]:
    if code < 0:
        return ("(none)",)
    row = levels.segment_labels.iloc[int(code)]
    return tuple("(missing)" if _missing(v) else str(v) for v in row)


def _missing(value: Any) -> bool:
    """None, NaN, NA or NaT (the in-memory engine says None; a SQL engine may say NaN)."""
    return value is None or (np.ndim(value) == 0 and bool(pd.isna(value)))


def _weights(levels: FunnelLevels) -> np.ndarray[Any, np.dtype[np.int64]]:
    if levels.weight is None:
        return np.ones(len(levels.level), dtype=np.int64)
    return np.asarray(levels.weight, dtype=np.int64)


def _reached(levels: FunnelLevels) -> dict[tuple[tuple[str, ...], int], int]:
    """Records per (segment label, level), levels ≥ 1 and exclusions (-1)."""
    out: Counter[tuple[tuple[str, ...], int]] = Counter()
    level = np.asarray(levels.level, dtype=np.int64)
    for lv, code, w in zip(level, levels.segment, _weights(levels), strict=True):
        if lv >= 1 or lv == -1:
            out[_label(levels, int(code)), int(lv)] += int(w)
    return {k: v for k, v in out.items() if v}


def _entries(levels: FunnelLevels, resolution: int) -> dict[tuple[int, tuple[str, ...], int], int]:
    e = levels.entry_counts()
    ns = np.asarray(e.entry_ns, dtype=np.int64)
    if resolution > 0:
        ns = ns // resolution * resolution
    out: Counter[tuple[int, tuple[str, ...], int]] = Counter()
    for t, code, lv, w in zip(ns, e.segment, e.level, e.weight, strict=True):
        out[int(t), _label(levels, int(code)), int(lv)] += int(w)
    return {k: v for k, v in out.items() if v}


def _accounting(levels: FunnelLevels) -> tuple[int, list[tuple[str, str | None, int]]]:
    return accounting_key(levels.accounting)


def _drill_down(levels: FunnelLevels) -> list[tuple[Any, ...]]:
    """Per record: entity labels, level, reach times and chain starts; sorted."""
    assert levels.offsets is not None
    assert levels.reach_ns is not None
    assert levels.start_ns is not None
    ents = list(zip(*(idx.astype(str) for idx in (levels.entities or {}).values()), strict=True))
    out = []
    for i, lv in enumerate(np.asarray(levels.level, dtype=np.int64)):
        a, b = int(levels.offsets[i]), int(levels.offsets[i + 1])
        key = ents[i] if ents else ()
        reach = tuple(int(v) for v in levels.reach_ns[a:b])
        out.append((key, int(lv), reach, tuple(int(v) for v in levels.start_ns[a:b])))
    return sorted(out)


def _durations(levels: FunnelLevels, n_stages: int) -> list[list[list[int]]] | None:
    """Per kind (to convert, between steps), per step 2..K: the sorted durations."""
    durations = levels.step_durations(n_stages)
    if durations is None:
        return None
    return [
        [sorted(np.asarray(a, dtype=np.int64).tolist()) for a in arrays]
        for arrays in (durations.to_convert, durations.between_steps)
    ]


def _compare_durations(
    kit: ConformanceKit, case: str, got: FunnelLevels, want: FunnelLevels, n_stages: int
) -> None:
    with kit.check(f"{case}: durations"):
        g, w = _durations(got, n_stages), _durations(want, n_stages) or [[], []]
        if g is None:
            kit.fail(f"{case}: no durations (neither a drill-down nor 'durations')")
        elif g != w:
            kinds = ("time to convert", "time between steps")
            bad = [
                f"{kind}, step {k}"
                for kind, gk, wk in zip(kinds, g, w, strict=True)
                for k, (a, b) in enumerate(zip(gk, wk, strict=False), start=2)
                if a != b
            ]
            kit.fail(f"{case}: durations differ ({', '.join(bad) or 'number of steps'})")


def _compare(kit: ConformanceKit, case: str, got: Any, want: FunnelLevels) -> None:
    """Every field of ``got`` against the reference ``want``; each difference recorded."""
    if not kit.require(
        isinstance(got, FunnelLevels), f"{case}: returned {type(got).__name__}, not FunnelLevels"
    ):
        return
    kit.require(
        _accounting(got) == _accounting(want),
        f"{case}: row accounting {got.accounting} != {want.accounting}",
    )
    g, w = _reached(got), _reached(want)
    if g != w:
        diff = sorted(set(g.items()) ^ set(w.items()))[:6]
        kit.fail(f"{case}: records per (segment, level) differ (got/expected, first: {diff})")
    kit.require(
        got.excluded == want.excluded, f"{case}: excluded {got.excluded} != {want.excluded}"
    )
    kit.require(
        set(got.never_matched) == set(want.never_matched),
        f"{case}: stages matching nothing {list(got.never_matched)} != {list(want.never_matched)}",
    )
    kit.require(str(got.tz) == str(want.tz), f"{case}: time zone {got.tz!r} != {want.tz!r}")
    kit.require(
        got.data_end_ns == want.data_end_ns,
        f"{case}: end of data {got.data_end_ns} != {want.data_end_ns}",
    )
    with kit.check(f"{case}: entries"):
        resolution = max(got.entry_counts().resolution_ns, want.entry_counts().resolution_ns)
        ge, we = _entries(got, resolution), _entries(want, resolution)
        if ge != we:
            entry_diff = sorted(set(ge.items()) ^ set(we.items()))[:4]
            kit.fail(f"{case}: entries per (time, segment, level) differ (first: {entry_diff})")
    if got.has_drill_down:
        with kit.check(f"{case}: drill-down"):
            kit.require(
                _drill_down(got) == _drill_down(want),
                f"{case}: per-entity levels, reach times or chain starts differ",
            )


def _bad_input(kit: ConformanceKit, run: Runner) -> None:
    frame = _log(20)
    kit.raises("a missing column", ColumnNotFoundError, run, frame, _q(user="customer"))
    kit.raises("a missing segment column", ColumnNotFoundError, run, frame, _q(by=("nope",)))
    kit.raises("an empty frame", EmptyFrameError, run, frame.iloc[:0], _q())
    no_times = frame.assign(timestamp=pd.Series(pd.NaT, index=frame.index, dtype="M8[ns]"))
    kit.raises("no usable row", EmptyFrameError, run, no_times, _q())


def _first_stage_matching_nothing(kit: ConformanceKit, run: Runner) -> None:
    case = "a first stage matching nothing"
    got = run(_log(21), _q((Stage("Z", event="z"), *_ABC)))
    if not kit.require(isinstance(got, FunnelLevels), f"{case}: returned {type(got).__name__}"):
        return
    kit.require("Z" in got.never_matched, f"{case}: 'Z' not among {list(got.never_matched)}")
    kit.require(not _reached(got), f"{case}: records reached a level: {_reached(got)}")


def _clickhouse_modes(kit: ConformanceKit, run: Runner, reference: Runner) -> None:
    case = "clickhouse_modes"
    frame = _log(26)
    query = _q(clickhouse_modes=("strict_deduplication", "strict_order"), by=("seg",))
    want = reference(frame, query)
    try:
        got = run(frame.copy(), query)
    except ParameterError as exc:  # a backend not computing the modes says so
        kit.require("clickhouse_modes" in str(exc), f"{case}: the error does not name it: {exc}")
        return
    _compare(kit, case, got, want)


def funnel_cases(kit: ConformanceKit, run: Runner, reference: Runner) -> None:
    """Every ``funnel_levels`` case; see the module docstring."""
    for name, build, query in _CASES:
        frame = build()
        with kit.check(name):
            want = reference(frame, query)
            got = run(frame.copy(), query)
            _compare(kit, name, got, want)
            if name in _TIMED and isinstance(got, FunnelLevels):
                _compare_durations(kit, name, got, want, query.n_stages)
    with kit.check("bad input"):
        _bad_input(kit, run)
    with kit.check("a first stage matching nothing"):
        _first_stage_matching_nothing(kit, run)
    with kit.check("clickhouse_modes"):
        _clickhouse_modes(kit, run, reference)


CASES.register("funnel_levels", funnel_cases)
