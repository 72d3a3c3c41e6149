"""Parity of the compiled funnel options (engines/sql/_funnel_options.py) with the in-memory
engine: counts per segment and step, exclusions, totals, attribution, durations."""

from __future__ import annotations

import gc
import warnings
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import DataQualityWarning, EmptyFrameError, ParameterError
from linkstar_funnel.funnel import Exclusion, Funnel
from linkstar_funnel.stages import Stage

from ..strategies import T0, event_logs, funnels

ibis = pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")

from linkstar_funnel.engines._funnel import FunnelQuery
from linkstar_funnel.engines.sql._errors import execute
from linkstar_funnel.engines.sql._funnel_options import (
    FunnelOptions,
    OptionOutcome,
    funnel_outcome,
    options_from_query,
)
from linkstar_funnel.engines.sql._progress import progress
from linkstar_funnel.engines.sql._stages import stage_predicate
from linkstar_funnel.engines.sql._tables import drop_pending
from linkstar_funnel.sql import sql_table

# ibis.memtable reads pandas' deprecated 'future.infer_string' option under pandas 3.
pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")


def options(spec: Funnel, *, durations: bool = False) -> FunnelOptions:
    """The compiler's options for ``spec``, through the ``funnel_levels`` query record."""
    attribution: Any = spec.attribution
    if attribution not in ("first_touch", "last_touch"):
        attribution = spec.step_number(attribution)
    query = FunnelQuery(
        stages=spec.stages,
        window_ns=int(spec.window.value),
        step_gaps_ns=None
        if spec.step_windows is None
        else tuple(None if g is None else int(g.value) for g in spec.step_windows),
        order=spec.order,
        strict_scope=spec.strict_scope,
        entry=spec.entry,
        ties=spec.ties,
        distinct_events=spec.distinct_events,
        exclusions=tuple(
            (x.stage, spec.step_number(x.between[0]), spec.step_number(x.between[1]))
            for x in spec.exclusions
        ),
        counting=spec.counting,
        attribution=attribution,
    )
    return options_from_query(query, durations=durations)


def compiled(
    spec: Funnel, events: pd.DataFrame, by: tuple[str, ...] = (), *, durations: bool = False
) -> OptionOutcome:
    table = ibis.memtable(events.assign(row=range(len(events))))
    ent = ["user_id", "session"] if spec.counting == "sessions" else ["user_id"]
    valid = table["user_id"].notnull() & table["timestamp"].notnull() & table["event"].notnull()  # noqa: PD004
    return funnel_outcome(
        table,
        ent_cols=ent,
        time="timestamp",
        by_cols=by,
        row_order="row",
        preds=[stage_predicate(s, table, "event") for s in spec.stages],
        xpreds=[stage_predicate(x.stage, table, "event") for x in spec.exclusions],
        valid=valid,
        opts=options(spec, durations=durations),
    )


def _key(values: Any) -> tuple[str, ...]:
    return tuple("<missing>" if pd.isna(v) else str(v) for v in values)


def compiled_counts(out: OptionOutcome, by: tuple[str, ...], k_n: int) -> dict[Any, int]:
    """{(segment..., step): entities reaching it}, nonzero only."""
    frame = out.counts
    segs = [f"__lf_b{i}" for i in range(len(by))]
    got: dict[Any, int] = {}
    for rec in frame.to_dict("records"):
        seg = _key(rec[s] for s in segs)
        if rec.get("__lf_not_reached") == 1:
            seg = tuple("(not reached)" for _ in segs)
        for k in range(1, int(rec["__lf_level"]) + 1):
            got[(*seg, k)] = got.get((*seg, k), 0) + int(rec["__lf_n"])
    assert all(1 <= k[-1] <= k_n for k in got)
    return got


def memory_counts(frame: pd.DataFrame, by: tuple[str, ...]) -> dict[Any, int]:
    out = {}
    for rec in frame.to_dict("records"):
        if rec["users"]:
            out[(*_key(rec[b] for b in by), int(rec["step"]))] = int(rec["users"])
    return out


def memory_durations(result: Any, k_n: int) -> tuple[list[list[int]], list[list[int]]]:
    att = result.attempts
    ttc, tbs = [], []
    for s in range(1, k_n):
        _, reach = att.step(att.reach_ns, s)
        _, start = att.step(att.start_ns, s)
        _, prev = att.step(att.reach_ns, s - 1)
        ok, _ = att.step(att.reach_ns, s)
        prev = att.reach_ns[att.offsets[:-1][ok] + s - 1]
        ttc.append(sorted((reach - start).tolist()))
        tbs.append(sorted((reach - prev).tolist()))
    return ttc, tbs


def _multi_stage_events(spec: Funnel, events: pd.DataFrame) -> bool:
    masks = np.array([np.asarray(s.mask(events, event="event")) for s in spec.stages])
    return bool((masks.sum(axis=0) >= 2).any())


def assert_parity(spec: Funnel, events: pd.DataFrame, by: tuple[str, ...] = ()) -> None:
    k_n = len(spec.stages)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            result = spec.compute(events, by=list(by) or None, session="session")
        except EmptyFrameError:
            return  # the caller checks rows before compiling
    refused = (
        spec.distinct_events and spec.ties == "stage_order" and _multi_stage_events(spec, events)
    )
    if refused:  # the one option combination that does not compile
        with pytest.raises(ParameterError, match="'distinct_events'"):
            compiled(spec, events, by)
        return
    out = compiled(spec, events, by, durations=True)
    assert compiled_counts(out, by, k_n) == memory_counts(result.to_frame(), by)
    assert out.excluded == result.excluded
    ttc, tbs = memory_durations(result, k_n)
    to_convert, between_steps = out.durations()
    assert [a.tolist() for a in between_steps] == tbs
    assert [a.tolist() for a in to_convert] == ttc


@st.composite
def attributed(draw: st.DrawFn) -> Funnel:
    spec = draw(funnels())
    steps: list[int | str] = ["first_touch", "last_touch", *range(1, len(spec.stages) + 1)]
    return attrs.evolve(spec, attribution=draw(st.sampled_from(steps)))


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    events=event_logs(max_rows=16, users=3, max_seconds=10),
    spec=attributed(),
    by=st.sampled_from([(), ("seg",)]),
)
def test_every_option_matches_in_memory(
    events: pd.DataFrame, spec: Funnel, by: tuple[str, ...]
) -> None:
    assert_parity(spec, events, by)


def _log(rows: list[tuple[str, int, str]], **extra: list[Any]) -> pd.DataFrame:
    users, secs, names = zip(*rows, strict=True)
    frame = pd.DataFrame(
        {
            "user_id": list(users),
            "timestamp": T0 + pd.to_timedelta(list(secs), unit="s"),
            "event": list(names),
            "session": 1,
            "seg": "s",
        }
    )
    return frame.assign(**extra)


# ClickHouse tests/queries/0_stateless/00632_aggregate_function_window_funnel.sql: one
# user, events 1000..1008 at times 0..8 (checked against chdb's windowFunnel).
_CH_EVENTS = _log([("u", t, f"e{1000 + t}") for t in range(9)])
_CH_CASES = [
    (10_000, ["e1000", "e1001"], 2),
    (10_000, ["e1000", "e1001", "e1002"], 3),
    (10_000, ["e1000", "e1001", "e1002", "e1008"], 4),
    (10_000, ["e1001", "e1000"], 1),
    (4, ["e1003", "e1004", "e1005", "e1006", "e1007"], 5),
    (4, ["e1003", "e1004", "e1005", "e1006", "e1008"], 4),
    (1, ["e1000", "e1001", "e1002"], 2),
]


@pytest.mark.parametrize(("window", "stages", "level"), _CH_CASES)
def test_clickhouse_window_funnel_cases(window: int, stages: list[str], level: int) -> None:
    spec = Funnel(stages, window=f"{window}s")
    out = compiled(spec, _CH_EVENTS)
    assert out.counts["__lf_level"].tolist() == [level]
    assert_parity(spec, _CH_EVENTS)


def test_step_windows_exclusions_and_last_touch_by_hand() -> None:
    events = _log(
        [
            ("a", 0, "v"),
            ("a", 5, "c"),
            ("a", 6, "o"),  # a: c 5 s after v
            ("b", 0, "v"),
            ("b", 1, "c"),
            ("b", 2, "x"),
            ("b", 3, "o"),  # b: x between c and o
            ("c", 0, "v"),
            ("c", 2, "c"),
        ],
        seg=["s1", "s1", "s2", "s1", "s1", "s1", "s3", "s2", "s2"],
    )
    gaps = Funnel(["v", "c", "o"], window="1min", step_windows=["3s", None])
    assert compiled(gaps, events).counts.groupby("__lf_level")["__lf_n"].sum().to_dict() == {
        1: 1,
        3: 1,
        2: 1,
    }
    excl = Funnel(["v", "c", "o"], window="1min", exclusions=[Exclusion("x", between=(2, 3))])
    out = compiled(excl, events)
    assert out.excluded == 1
    assert sorted(out.counts["__lf_level"].tolist()) == [-1, 2, 3]  # b excluded
    last = Funnel(["v", "c", "o"], window="1min", attribution="last_touch")
    seg_of = compiled(last, events, ("seg",)).counts.set_index("__lf_b0")["__lf_level"]
    assert seg_of.to_dict() == {"s2": 3, "s3": 3} or sorted(seg_of.index) == ["s2", "s2", "s3"]
    for spec in (gaps, excl, last):
        assert_parity(spec, events, ("seg",))


def test_totals_count_every_attempt() -> None:
    rows = [("a", t, n) for t, n in [(0, "v"), (1, "o"), (2, "v"), (3, "o"), (4, "v"), (9, "o")]]
    events = _log(rows)
    spec = Funnel(["v", "o"], window="2s", counting="totals")
    out = compiled(spec, events)
    assert out.counts.groupby("__lf_level")["__lf_n"].sum().to_dict() == {1: 1, 2: 2}
    for entry in ("any", "first"):
        assert_parity(attrs.evolve(spec, entry=entry), events)


def test_distinct_events_compiles_where_it_can() -> None:
    events = _log([("a", 0, "v"), ("a", 1, "c")])
    both = [Stage("V", event=["v", "c"]), Stage("C", event="c")]
    assert_parity(Funnel(["v", "c"], distinct_events=True), events)  # no shared event
    assert_parity(Funnel(both, distinct_events=True, ties="strict_increase"), events)
    with pytest.raises(ParameterError, match=r"'distinct_events'.*\(1 events do\)"):
        compiled(Funnel(both, distinct_events=True), events)


def test_durations_are_the_in_memory_ones() -> None:
    rng = np.random.default_rng(5)
    events = pd.DataFrame(
        {
            "user_id": rng.integers(0, 37, 400).astype(str),
            "timestamp": T0 + pd.to_timedelta(rng.integers(0, 600, 400), unit="s"),
            "event": rng.choice(["a", "b", "c", "d"], 400),
            "session": 1,
            "seg": rng.choice(["s1", "s2", "s3"], 400),
        }
    )
    spec = Funnel(["a", "b", "c", "d"], window="5min", step_windows=["2min", None, "1min"])
    seen: list[Any] = []
    with progress(seen.append):
        out = compiled(spec, events)  # durations not asked for: their query is not run
        assert "funnel durations" not in {r.what for r in seen}
        out.durations()
        assert "funnel durations" in {r.what for r in seen}
    result = spec.compute(events)
    ttc = result.time_to_convert(quantiles=[0.1, 0.5, 0.9])
    for k, values in enumerate(out.durations()[0], start=2):
        row = ttc.iloc[k - 2]
        assert row["n"] == len(values) > 0
        q = np.quantile(values, [0.1, 0.5, 0.9])
        got = [pd.Timedelta(int(v), unit="ns") for v in q]
        assert got == [row["q10"], row["q50"], row["q90"]]
    assert_parity(spec, events, ("seg",))


def test_entry_quarter_hours_are_a_lazy_second_query() -> None:
    rng = np.random.default_rng(11)
    events = pd.DataFrame(
        {
            "user_id": rng.integers(0, 50, 300).astype(str),
            "timestamp": T0 + pd.to_timedelta(rng.integers(0, 5 * 86_400, 300), unit="s"),
            "event": rng.choice(["a", "b", "c"], 300),
            "session": 1,
            "seg": rng.choice(["s1", "s2"], 300),
        }
    )
    for spec, by in [
        (Funnel(["a", "b", "c"], window="1D"), ()),
        (Funnel(["a", "b", "c"], window="1D", counting="totals", order="strict"), ("seg",)),
    ]:
        seen: list[Any] = []
        with progress(seen.append):
            out = compiled(spec, events, by)
        assert "funnel entries" not in {r.what for r in seen}
        entries = execute(out.entries, "funnel entries")
        att = spec.compute(events).attempts
        assert att is not None
        first = att.reach_ns[att.offsets[:-1][np.diff(att.offsets) > 0]] // (900 * 10**9)
        level = att.level[np.diff(att.offsets) > 0]
        want = sorted(zip(level[level >= 1].tolist(), first[level >= 1].tolist(), strict=True))
        got = sorted(
            (int(lv), int(q))
            for lv, q, n in zip(
                entries["__lf_level"], entries["__lf_q"], entries["__lf_n"], strict=True
            )
            for _ in range(int(n))
        )
        assert got == want


def _views(con: Any, prefix: str) -> int:
    query = f"SELECT count(*) FROM duckdb_views() WHERE view_name LIKE '{prefix}%'"
    return int(con.execute(query).fetchall()[0][0])


def test_views_are_dropped_when_nothing_uses_them(tmp_path: Any) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    rel = con.sql(
        "SELECT 'a' AS user_id, TIMESTAMP '2026-01-01' AS timestamp, 'v' AS event "
        "UNION ALL SELECT 'a', TIMESTAMP '2026-01-02', 'c'"
    )
    spec = Funnel(["v", "c"])
    table = sql_table(rel, con=con)
    derived = table.table.mutate(extra=1)  # an expression built on the view keeps it
    assert spec.compute(table).to_frame()["users"].tolist() == [1, 1]
    del table
    gc.collect()
    drop_pending()
    assert _views(con, "lf_relation_") == 1
    del derived
    gc.collect()
    assert _views(con, "lf_relation_") == 1  # queued, not dropped inside the collector
    assert drop_pending() >= 1
    assert _views(con, "lf_relation_") == 0

    path = tmp_path / "events.parquet"
    rel.write_parquet(str(path))
    backend = ibis.duckdb.connect()
    table = sql_table(path, con=backend)
    assert spec.compute(table).to_frame()["users"].tolist() == [1, 1]
    assert _views(backend.con, "ibis_read_parquet") == 1
    del table
    gc.collect()
    sql_table(ibis.memtable(pd.DataFrame({"a": [1]})))  # sql_table drops queued views
    assert _views(backend.con, "ibis_read_parquet") == 0
