"""``Funnel(clickhouse_modes=...)``: ClickHouse ``windowFunnel`` levels, every mode set.

Three references: the cases ported from ClickHouse's tests and issues with the levels
chdb 4.4.0 (ClickHouse 26.9) gave (:mod:`.clickhouse_cases`, run without chdb), the
plain-Python port of ClickHouse's loop (:mod:`.clickhouse_reference`, hypothesis), and
chdb itself on random logs (skipped without chdb). Rows are built from step masks: a row
with mask ``m`` has event ``"m<m>"``, and stage ``k`` matches every event whose mask has
bit ``k - 1``, so one row may match several steps, or none.
"""

from __future__ import annotations

import importlib.util
import itertools
import random
import warnings
from collections.abc import Sequence

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar_funnel.engines.memory.funnel import funnel_levels
from linkstar_funnel.errors import DataQualityWarning, EmptyFrameError, ParameterError
from linkstar_funnel.funnel import Exclusion, Funnel
from linkstar_funnel.funnel._compute import lower
from linkstar_funnel.stages import Stage

from ..strategies import event_logs, funnels
from .clickhouse_cases import CASES, Case
from .clickhouse_reference import window_funnel
from .reference import reference_counts, reference_outcomes
from .test_reference import engine_outcomes, ref_as_tuples, run

T0 = pd.Timestamp("2026-03-01")
_BASE = ("strict_deduplication", "strict_order", "strict_increase")
#: The 12 valid mode sets: the subsets of the first three, and allow_reentry added to each
#: subset holding strict_order.
MODE_SETS = [c for r in range(4) for c in itertools.combinations(_BASE, r)]
MODE_SETS += [(*c, "allow_reentry") for c in MODE_SETS if "strict_order" in c]
WINDOWS = (0, 1, 2, 3, 5, 1000)

Rows = Sequence[tuple[int, int, int]]  # (entity, time in seconds, step mask)


def funnel_of(
    rows: Rows, n: int, window_s: int, modes: Sequence[str]
) -> tuple[Funnel, pd.DataFrame]:
    """The funnel and event log standing for ``rows`` (times shifted to start at T0)."""
    t_min = min((t for _, t, _ in rows), default=0)
    frame = pd.DataFrame(
        {
            "user_id": [u for u, _, _ in rows],
            "timestamp": [T0 + pd.Timedelta(seconds=t - t_min) for _, t, _ in rows],
            "event": [f"m{m}" for _, _, m in rows],
        }
    )
    masks = sorted({m for _, _, m in rows})
    stages = [
        Stage(f"s{k + 1}", event=[f"m{m}" for m in masks if m >> k & 1] or ["none"])
        for k in range(n)
    ]
    window = pd.Timedelta(seconds=min(window_s, 10**9))  # spans here are far shorter
    return Funnel(stages, window=window, clickhouse_modes=modes), frame


def our_levels(rows: Rows, n: int, window_s: int, modes: Sequence[str]) -> dict[int, int]:
    """Level per entity from ``Funnel.compute`` (its drill-down)."""
    spec, frame = funnel_of(rows, n, window_s, modes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # a stage matching nothing
        try:
            users = spec.compute(frame).users()
        except EmptyFrameError:  # nothing matches step 1
            return dict.fromkeys((u for u, _, _ in rows), 0)
    got = dict(zip(users["user_id"].tolist(), users["level"].tolist(), strict=True))
    return {u: got.get(u, 0) for u, _, _ in rows}


def engine_levels(rows: Rows, n: int, window_s: int, modes: Sequence[str]) -> dict[int, int]:
    """Level per entity from the in-memory engine (no result building: many calls)."""
    spec, frame = funnel_of(rows, n, window_s, modes)
    query = lower(spec, user="user_id", time="timestamp", event="event", by=None, session=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        out = funnel_levels(frame, query)
    assert out.entities is not None
    got = dict(zip(out.entities["user_id"].tolist(), out.level.tolist(), strict=True))
    return {u: max(got.get(u, 0), 0) for u, _, _ in rows}


def reference_levels(rows: Rows, n: int, window_s: int, modes: Sequence[str]) -> dict[int, int]:
    per: dict[int, list[tuple[int, list[bool]]]] = {}
    for u, t, m in rows:
        per.setdefault(u, []).append((t, [bool(m >> k & 1) for k in range(n)]))
    return {u: window_funnel(evs, window_s, n, modes) for u, evs in per.items()}


# -- the ported cases ------------------------------------------------------------------


def _rows(case: Case) -> list[tuple[int, int, int]]:
    return [(0 if u is None else u, t, m) for u, t, m in case.rows]


def _key(levels: dict[int | None, int]) -> dict[int, int]:
    return {0 if u is None else u: lv for u, lv in levels.items()}


#: ClickHouse adds the window to the first time in UInt64, wrapping past 2**64; the
#: library's windows are at most ~292 years of nanoseconds and never wrap.
_WRAPS = "extra_huge_window_wraps"
_PORTED = [c for c in CASES if "strict_once" not in c.modes and c.name != _WRAPS]


@pytest.mark.parametrize("case", _PORTED, ids=lambda c: c.name)
def test_ported_cases_give_chdb_26_9_levels(case: Case) -> None:
    rows = _rows(case)
    assert our_levels(rows, len(case.steps), case.window, case.modes) == _key(case.chdb)


def test_the_reference_gives_chdb_26_9_levels_on_every_case() -> None:
    for case in _PORTED:
        got = reference_levels(_rows(case), len(case.steps), case.window, case.modes)
        assert got == _key(case.chdb), case.name


def test_where_the_stored_clickhouse_reference_is_stale() -> None:
    """The ported results that differ from their source are the 7 documented ones (the
    00632 reference predates ClickHouse PR #99003; see each case's note)."""
    stale = {c.name for c in CASES if c.expected is not None and c.expected != c.chdb}
    assert stale == {
        "ar_strict_order_3",
        "ar_strict_order_4",
        "ec_strict_order_3",
        "ar_reentry_3",
        "ar_reentry_4",
        "ec_reentry_4",
        "ar_reentry_dedup_3",
    }
    assert all(c.note for c in CASES if c.name in stale)
    assert len(CASES) == 109
    assert sum(c.expected is not None for c in CASES) == 59


def test_strict_once_is_refused_with_the_alternative() -> None:
    for case in (c for c in CASES if "strict_once" in c.modes):
        with pytest.raises(ParameterError, match=r"(?s)strict_once.*distinct_events"):
            Funnel(["a"], clickhouse_modes=case.modes)


def test_the_clickhouse_test_00632_strict_order_example() -> None:
    """Events a a b b c c: strict_order gives 3 (the library's order='strict' gives 2)."""
    frame = pd.DataFrame(
        {
            "user_id": 1,
            "timestamp": T0 + pd.to_timedelta(range(6), unit="s"),
            "event": list("aabbcc"),
        }
    )
    ch = Funnel(list("abc"), window="1D", clickhouse_modes=["strict_order"])
    assert ch.compute(frame).to_frame()["users"].tolist() == [1, 1, 1]
    strict = Funnel(list("abc"), window="1D", order="strict")
    assert strict.compute(frame).to_frame()["users"].tolist() == [1, 1, 0]


def test_exact_strict_increase_differs_from_clickhouse_greedy_one() -> None:
    """a@1, a@2, b@2: ClickHouse's strict_increase restarts step 1 at a@2 before reading
    b@2 (level 1); ties='strict_increase' finds the chain a@1 -> b@2 (level 2)."""
    frame = pd.DataFrame(
        {
            "user_id": 1,
            "timestamp": T0 + pd.to_timedelta([1, 2, 2], unit="s"),
            "event": ["a", "a", "b"],
        }
    )
    ch = Funnel(["a", "b"], window="1h", clickhouse_modes="strict_increase").compute(frame)
    ours = Funnel(["a", "b"], window="1h", ties="strict_increase").compute(frame)
    assert ch.to_frame()["users"].tolist() == [1, 0]
    assert ours.to_frame()["users"].tolist() == [1, 1]


def test_step_times_are_when_the_pass_first_reached_each_level() -> None:
    frame = pd.DataFrame(
        {
            "user_id": 1,
            "timestamp": T0 + pd.to_timedelta([0, 5, 7, 9, 20], unit="s"),
            "event": ["a", "b", "a", "b", "c"],
        }
    )
    result = Funnel(list("abc"), window="15s", clickhouse_modes=["strict_order"]).compute(frame)
    users = result.users()
    assert users["level"].tolist() == [3]
    assert users[["a_time", "b_time", "c_time"]].iloc[0].tolist() == [
        T0,
        T0 + pd.Timedelta(seconds=5),
        T0 + pd.Timedelta(seconds=20),
    ]
    # c@20 extends the chain started by a@7 (a@0 is 20 s away): 13 s to convert.
    ttc = result.time_to_convert()
    assert ttc.loc[ttc["to_stage"] == "c", "q50"].iloc[0] == pd.Timedelta(seconds=13)


# -- property tests --------------------------------------------------------------------


@st.composite
def entity_rows(draw: st.DrawFn, n: int, entities: int = 8) -> list[tuple[int, int, int]]:
    """Entities of 1-9 rows at few distinct times: one-hot rows, rows matching several
    steps, rows matching none."""
    rows = []
    for u in range(draw(st.integers(1, entities))):
        t_max = draw(st.sampled_from([0, 2, 4, 8, 15]))
        for _ in range(draw(st.integers(1, 9))):
            t = draw(st.integers(0, t_max))
            if draw(st.booleans()):
                k = draw(st.integers(0, n))  # 0: no step
                mask = 0 if k == 0 else 1 << (k - 1)
            else:
                mask = draw(st.integers(0, (1 << n) - 1))
            rows.append((u, t, mask))
    return rows


@settings(max_examples=50, deadline=None)
@given(data=st.data(), n=st.integers(1, 4), window=st.sampled_from(WINDOWS),
       modes=st.sampled_from(MODE_SETS))  # fmt: skip
def test_levels_equal_the_reference(
    data: st.DataObject, n: int, window: int, modes: tuple[str, ...]
) -> None:
    rows = data.draw(entity_rows(n))
    want = reference_levels(rows, n, window, modes)
    assert engine_levels(rows, n, window, modes) == want
    assert engine_levels(rows[::-1], n, window, modes) == want  # row order does not matter


# -- chdb ------------------------------------------------------------------------------

needs_chdb = pytest.mark.skipif(
    importlib.util.find_spec("chdb") is None, reason="chdb (ClickHouse in process) not installed"
)


def chdb_levels(
    rows: Rows, queries: Sequence[tuple[int, int, tuple[str, ...]]]
) -> list[dict[int, int]]:
    """ClickHouse's level per entity for each (n, window, modes), in one chdb query."""
    import chdb

    values = ",".join(
        f"({u},{t},{','.join(str(m >> k & 1) for k in range(4))})" for u, t, m in rows
    )
    aggs = []
    for n, window, modes in queries:
        params = ", ".join([str(window), *(f"'{m}'" for m in modes)])
        conds = ", ".join(f"c{k} = 1" for k in range(n))
        aggs.append(f"windowFunnel({params})(t, {conds})")
    sql = (
        f"SELECT u, {', '.join(aggs)} FROM values('u UInt32, t UInt32, c0 UInt8, c1 UInt8, "
        f"c2 UInt8, c3 UInt8', {values}) GROUP BY u ORDER BY u FORMAT TSV"
    )
    out: list[dict[int, int]] = [{} for _ in queries]
    for line in chdb.query(sql).bytes().decode().strip().splitlines():
        u, *levels = (int(x) for x in line.split("\t"))
        for q, level in enumerate(levels):
            out[q][u] = level
    return out


@needs_chdb
def test_every_mode_set_step_count_and_zero_window_match_chdb() -> None:
    """All 12 mode sets x 1-4 steps x windows 0 and 3 s on 50 random entities: one chdb
    query, 96 engine passes."""
    rng = random.Random(11)
    rows = []
    for u in range(50):
        t_max = rng.choice([0, 3, 8])
        for _ in range(rng.randint(1, 9)):
            one_hot = rng.random() < 0.6
            k = rng.randint(0, 4)
            mask = (0 if k == 0 else 1 << (k - 1)) if one_hot else rng.randint(0, 15)
            rows.append((u, rng.randint(0, t_max), mask))
    queries = [(n, w, m) for m in MODE_SETS for n in range(1, 5) for w in (0, 3)]
    for (n, w, modes), want in zip(queries, chdb_levels(rows, queries), strict=True):
        masked = [(u, t, m & ((1 << n) - 1)) for u, t, m in rows]
        assert engine_levels(masked, n, w, modes) == want, (n, w, modes)


@needs_chdb
@settings(max_examples=4, deadline=None)
@given(data=st.data(), n=st.integers(1, 4), window=st.sampled_from(WINDOWS))
def test_random_logs_match_chdb_in_every_mode_set(data: st.DataObject, n: int, window: int) -> None:
    rows = data.draw(entity_rows(n, entities=30))
    queries = [(n, window, modes) for modes in MODE_SETS]
    for (_, _, modes), want in zip(queries, chdb_levels(rows, queries), strict=True):
        assert engine_levels(rows, n, window, modes) == want, modes


# -- options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("modes", "match"),
    [
        (["strict"], "renamed that mode 'strict_deduplication'"),
        (["strict_ordr"], "did you mean 'strict_order'"),
        (["allow_reentry"], "'allow_reentry' without 'strict_order'"),
        ([1], "must hold ClickHouse windowFunnel modes"),
        (7, "must be a list of ClickHouse windowFunnel mode names"),
    ],
)
def test_bad_modes_are_refused(modes: object, match: str) -> None:
    with pytest.raises(ParameterError, match=match) as info:
        Funnel(["a", "b"], clickhouse_modes=modes)  # type: ignore[arg-type]
    assert "clickhouse_modes" in str(info.value)


def test_modes_are_normalised() -> None:
    spec = Funnel(["a", "b"], clickhouse_modes=["allow_reentry", "strict_order", "strict_order"])
    assert spec.clickhouse_modes == ("strict_order", "allow_reentry")
    assert Funnel(["a"], clickhouse_modes="strict_increase").clickhouse_modes == (
        "strict_increase",
    )


@pytest.mark.parametrize(
    "option",
    [
        {"order": "strict"},
        {"order": "unordered"},
        {"ties": "strict_increase"},
        {"step_windows": ["1h"]},
        {"entry": "first"},
        {"distinct_events": True},
        {"exclusions": [Exclusion("x", between=(1, 2))]},
        {"counting": "totals"},
    ],
)
def test_options_without_a_clickhouse_meaning_are_refused(option: dict[str, object]) -> None:
    name = next(iter(option))
    with pytest.raises(ParameterError, match=f"'{name}' parameter of Funnel .*clickhouse_modes"):
        Funnel(["a", "b"], clickhouse_modes=["strict_order"], **option)  # type: ignore[arg-type]


def test_sessions_and_breakdowns_combine_with_modes() -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1],
            "session": [1, 1, 2, 2],
            "timestamp": T0 + pd.to_timedelta([0, 1, 2, 3], unit="s"),
            "event": ["a", "x", "a", "b"],
            "seg": ["p", "p", "q", "q"],
        }
    )
    spec = Funnel(["a", "b"], window="1h", clickhouse_modes=["strict_order"], counting="sessions")
    result = spec.compute(frame, session="session", by="seg")
    assert result.to_frame().set_index(["seg", "stage"])["users"].to_dict() == {
        ("p", "a"): 1,
        ("p", "b"): 0,
        ("q", "a"): 1,
        ("q", "b"): 1,
    }


# -- one step, zero window (every funnel) ----------------------------------------------


def test_one_step_funnels_count_entities_with_a_step_1_event() -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 3],
            "timestamp": T0 + pd.to_timedelta([0, 1, 2, 3], unit="s"),
            "event": ["a", "b", "b", "a"],
        }
    )
    for modes in ((), ("strict_order",), ("strict_deduplication", "strict_increase")):
        result = Funnel(["a"], window="1h", clickhouse_modes=modes).compute(frame)
        table = result.to_frame()
        assert table["users"].tolist() == [2]
        assert table["conversion_from_start"].tolist() == [1.0]
        assert result.time_to_convert().empty
        assert list(result.time_between_steps().columns[:3]) == ["from_stage", "to_stage", "n"]
    with pytest.raises(ParameterError, match="at least 2 stages"):
        result.rate_observations()


def test_a_zero_window_keeps_steps_at_step_1_time() -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 2, 2],
            "timestamp": T0 + pd.to_timedelta([5, 5, 5, 5, 6, 6], unit="s"),
            "event": ["c", "b", "a", "a", "b", "c"],
        }
    )
    for window in ("0s", pd.Timedelta(0), np.timedelta64(0, "s")):
        for modes in ((), ("strict_order",)):
            result = Funnel(list("abc"), window=window, clickhouse_modes=modes).compute(frame)
            assert result.to_frame()["users"].tolist() == [2, 1, 1]
    with pytest.raises(ParameterError, match="a duration of 0 or more"):
        Funnel(["a"], window="-1s")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=event_logs(), spec=funnels(), zero=st.booleans(), one_step=st.booleans())
def test_zero_windows_and_one_step_funnels_match_the_library_reference(
    events: pd.DataFrame, spec: Funnel, zero: bool, one_step: bool
) -> None:
    """Every option of the library's own semantics, with a zero window or one stage."""
    changes: dict[str, object] = {"window": pd.Timedelta(0)} if zero else {}
    if one_step or not zero:
        changes |= {"stages": spec.stages[:1], "step_windows": None, "exclusions": ()}
    spec = attrs.evolve(spec, **changes)
    session = spec.counting == "sessions"
    result = run(spec, events, **({"session": "session"} if session else {}))
    ref = reference_outcomes(events, spec, session="session" if session else None)
    if result is None:  # nothing matches stage 1
        assert reference_counts(ref, len(spec.stages))[0] == 0
        return
    got, want = engine_outcomes(result, spec, session), ref_as_tuples(ref)
    if spec.order == "unordered":  # starts: compare levels and stage times
        got = {k: [g[:2] for g in v] for k, v in got.items()}
        want = {k: [w[:2] for w in v] for k, v in want.items()}
    assert got == want


def test_the_engine_refuses_unknown_modes_in_a_query() -> None:
    spec, frame = funnel_of([(1, 0, 1)], 1, 5, ())
    query = lower(spec, user="user_id", time="timestamp", event="event", by=None, session=None)
    with pytest.raises(ParameterError, match="'clickhouse_modes' field of FunnelQuery"):
        funnel_levels(frame, attrs.evolve(query, clickhouse_modes=("strict_once",)))
