"""Parity: the SQL engine (Ibis on DuckDB) gives the in-memory engine's funnel counts."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import (
    ColumnNotFoundError,
    DataQualityWarning,
    EmptyFrameError,
    ParameterError,
    SchemaError,
)
from linkstar_funnel.funnel import Exclusion, Funnel
from linkstar_funnel.stages import Stage

from ..strategies import event_logs, funnels

ibis = pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
duckdb = pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")

from linkstar_funnel.sql import EngineError, sql_table

# ibis.memtable reads pandas' deprecated 'future.infer_string' option under pandas 3.
pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")


def _run(spec: Funnel, source: object, **kwargs: Any) -> pd.DataFrame | str:
    """Counts frame, sorted by segment and step; or the error class name."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            frame = spec.compute(source, **kwargs).to_frame()
        except EmptyFrameError:
            return "EmptyFrameError"
    by = [c for c in frame.columns if c not in _COUNT_COLS]
    frame[by] = frame[by].astype(str)
    return frame.sort_values([*by, "step"]).reset_index(drop=True)


_COUNT_COLS = (
    "stage",
    "step",
    "users",
    "conversion_from_previous",
    "conversion_from_start",
    "drop_off",
)


def assert_parity(events: pd.DataFrame, spec: Funnel, **kwargs: Any) -> None:
    memory = _run(spec, events, **kwargs)
    table = sql_table(ibis.memtable(events.assign(row=range(len(events)))), row_order="row")
    engine = _run(spec, table, **kwargs)
    if isinstance(memory, str) or isinstance(engine, str):
        assert memory == engine
        return
    pd.testing.assert_frame_equal(engine, memory, check_dtype=False)


@st.composite
def sql_funnels(draw: st.DrawFn) -> Funnel:
    """Funnels with every option (all compile, but distinct events with ties='stage_order':
    left out here, see test_funnel_sql_options), attribution and top_n."""
    spec = draw(funnels())
    steps: list[int | str] = ["first_touch", "last_touch", *range(1, len(spec.stages) + 1)]
    return attrs.evolve(
        spec,
        distinct_events=spec.distinct_events and spec.ties == "strict_increase",
        attribution=draw(st.sampled_from(steps)),
        top_n=draw(st.none() | st.integers(1, 3)),
    )


# 40 examples in the suite's budget (every option also has its own seeded test above);
# LF_SQL_EXAMPLES=400 for a deeper run.
@settings(
    max_examples=int(os.environ.get("LF_SQL_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    events=event_logs(max_rows=24, users=3, max_seconds=12),
    spec=sql_funnels(),
    by=st.sampled_from([None, "seg", ["seg", "session"]]),
)
def test_hypothesis_logs_match_in_memory(
    events: pd.DataFrame, spec: Funnel, by: str | list[str] | None
) -> None:
    session = "session" if spec.counting == "sessions" else None
    assert_parity(events, spec, by=by, session=session)


@pytest.mark.parametrize("order", ["ordered", "strict", "unordered"])
@pytest.mark.parametrize("entry", ["any", "first"])
def test_seeded_log_with_where_filters(order: str, entry: str) -> None:
    rng = pd.Series(range(3000))
    events = pd.DataFrame(
        {
            "user_id": (rng * 7919 % 211).astype(str),
            "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng * 4099 % 3600, "s"),
            "event": pd.Series(["a", "b", "c", "d", "x"]).take(rng * 31 % 5).to_numpy(),
            "seg": pd.Series(["s1", "s2", None]).take(rng * 13 % 3).to_numpy(),
        }
    )
    stages = [
        Stage("A", event=["a", "x"]),
        Stage("B", event="b", where={"seg": "s1"}),
        Stage("C", event=["c", "b"], where={"seg": ["s1", "s2"]}),
        Stage("D", event="d"),
    ]
    spec = Funnel(stages, window="10min", order=order, entry=entry)  # type: ignore[arg-type]
    assert_parity(events, spec)
    assert_parity(events, spec, by="seg")


def _small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b", None],
            "timestamp": pd.to_datetime(
                ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-01", "2026-01-20", None]
            ),
            "event": ["visit", "cart", "order", "visit", "cart", "visit"],
        }
    )


def test_result_and_provenance() -> None:
    spec = Funnel(["visit", "cart", "order"])
    result = spec.compute(ibis.memtable(_small()))
    assert result.to_frame()["users"].tolist() == [2, 1, 1]
    notes = result.provenance.notes
    assert any("SQL engine (duckdb" in n for n in notes)
    assert notes[-1].startswith("SQL: ")
    assert "OVER" in notes[-1]
    assert str(result.provenance.inputs["events"]).startswith("6 rows in, 5 used")
    with pytest.raises(SchemaError, match="needs the event log"):
        result.users()
    assert result.time_to_convert()["n"].tolist() == [1, 1]  # a, a (b never got to cart)


def test_parquet_path_and_duckdb_relation(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    _small().to_parquet(path)
    spec = Funnel(["visit", "cart", "order"])
    assert spec.compute(sql_table(path)).to_frame()["users"].tolist() == [2, 1, 1]
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{path}')")
    assert spec.compute(sql_table(rel, con=con)).to_frame()["users"].tolist() == [2, 1, 1]
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")  # the default connection
    assert spec.compute(rel).to_frame()["users"].tolist() == [2, 1, 1]


def test_uncompilable_stages_and_options_are_clear() -> None:
    table = ibis.memtable(_small())
    with pytest.raises(ParameterError, match="callable, which cannot be compiled to SQL"):
        Funnel([Stage("visit", where=lambda df: df["event"] == "visit"), "cart"]).compute(table)
    both = [Stage("V", event=["visit", "cart"]), Stage("C", event="cart")]
    with pytest.raises(ParameterError, match=r"'distinct_events' parameter .* SQL engine"):
        Funnel(both, distinct_events=True).compute(table)
    with pytest.raises(ParameterError, match=r"'window' parameter .* whole number of micro"):
        Funnel(["visit", "cart"], window=pd.Timedelta(1500, "ns")).compute(table)
    with pytest.raises(ColumnNotFoundError, match="user_idd"):
        Funnel(["visit", "cart"]).compute(table, user="user_idd")
    with (
        pytest.raises(EmptyFrameError, match="first stage 'nope'"),
        pytest.warns(DataQualityWarning),
    ):
        Funnel(["nope", "cart"]).compute(table)


def _options_log() -> pd.DataFrame:
    r = pd.Series(range(1500))
    return pd.DataFrame(
        {
            "user_id": (r * 7919 % 97).astype(str),
            "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(r * 4099 % 7200, "s"),
            "event": pd.Series(["a", "b", "c", "x"]).take(r * 31 % 4).to_numpy(),
            "seg": pd.Series(["s1", "s2", None]).take(r * 7919 % 97 % 3).to_numpy(),
        }
    )


_OPTION_SPECS = [
    Funnel(["a", "b", "c"], window="20min", step_windows=["5min", None]),
    Funnel(["a", "b", "c"], window="20min", exclusions=[Exclusion("x", between=(2, 3))]),
    Funnel(["a", "b", "c"], window="10min", counting="totals"),
    Funnel(["a", "b", "c"], window="20min", attribution="last_touch"),
    Funnel(["a", "b", "c"], window="20min", attribution="b", top_n=2),
    Funnel(
        [Stage("A", event=["a", "b"]), "b", "c"],
        window="20min",
        distinct_events=True,
        ties="strict_increase",
    ),
]


@pytest.mark.parametrize("spec", _OPTION_SPECS, ids=lambda f: repr(f)[:60])
def test_every_option_compiles_with_in_memory_results(spec: Funnel) -> None:
    events = _options_log()
    assert_parity(events, spec)
    assert_parity(events, spec, by="seg")
    table = sql_table(ibis.memtable(events))
    memory, engine = spec.compute(events), spec.compute(table)
    assert engine.excluded == memory.excluded
    for method in ("time_to_convert", "time_between_steps"):
        want = getattr(memory, method)(quantiles=[0.1, 0.5, 0.9])
        pd.testing.assert_frame_equal(getattr(engine, method)(quantiles=[0.1, 0.5, 0.9]), want)
    want_hist = memory.time_to_convert_histogram(bins=["0s", "1min", "5min", "1h"])
    got_hist = engine.time_to_convert_histogram(bins=["0s", "1min", "5min", "1h"])
    pd.testing.assert_frame_equal(got_hist, want_hist)


def test_engine_failures_carry_the_sql() -> None:
    raw = duckdb.connect()
    raw.execute(
        "CREATE TABLE ev AS SELECT * FROM (VALUES ('a', TIMESTAMP '2026-01-01', 'visit')) "
        "AS t(user_id, timestamp, event)"
    )
    table = ibis.duckdb.from_connection(raw).table("ev")
    raw.execute("DROP TABLE ev")
    with pytest.raises(EngineError) as info:
        Funnel(["visit", "cart"]).compute(table)
    assert "SELECT" in info.value.sql


def test_core_import_does_not_load_ibis() -> None:
    code = (
        "import sys, linkstar_funnel, linkstar_funnel.sql, linkstar_funnel.ltv; "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('ibis', 'duckdb', 'pyspark')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _trends(result: Any, period: str, tz: str | None) -> pd.DataFrame:
    frame = result.trends(period, tz)
    by = [c for c in frame.columns if c not in (*_COUNT_COLS, "period", "complete")]
    frame[by] = frame[by].astype(str)
    return frame.sort_values(["period", *by, "step"]).reset_index(drop=True)


@pytest.mark.parametrize("aware", [False, True])
@pytest.mark.parametrize("period", ["D", "W", "M"])
def test_trends_match_in_memory(aware: bool, period: str) -> None:
    r = pd.Series(range(4000))
    start = pd.Timestamp("2026-01-01", tz="UTC" if aware else None)
    events = pd.DataFrame(
        {
            "user_id": (r * 7919 % 701).astype(str),
            "timestamp": start + pd.to_timedelta(r * 40_009 % (80 * 86_400), "s"),
            "event": pd.Series(["a", "b", "c", "x"]).take(r * 31 % 4).to_numpy(),
            "seg": pd.Series(["s1", "s2", "s3", None]).take(r * 13 % 4).to_numpy(),
        }
    )
    table = sql_table(ibis.memtable(events.assign(row=range(len(events)))), row_order="row")
    for spec, by in [
        (Funnel(["a", "b", "c"], window="2D"), None),
        (Funnel(["a", "b", "c"], window="3h", order="unordered", top_n=2), "seg"),
    ]:
        memory, engine = spec.compute(events, by=by), spec.compute(table, by=by)
        for tz in (None, "Asia/Kolkata", "America/New_York"):
            want, got = _trends(memory, period, tz), _trends(engine, period, tz)
            assert len(want) >= 3 * len(spec.stages)  # several periods
            pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_the_entries_query_runs_only_when_trends_are_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from linkstar_funnel.engines.sql import _funnel

    ran: list[str] = []
    execute = _funnel.execute

    def counting(expr: Any, what: str) -> pd.DataFrame:
        ran.append(what)
        return execute(expr, what)

    monkeypatch.setattr(_funnel, "execute", counting)
    result = Funnel(["visit", "cart", "order"]).compute(ibis.memtable(_small()))
    assert result.to_frame()["users"].tolist() == [2, 1, 1]
    assert "funnel entries" not in ran
    weekly = result.trends("W")
    assert ran.count("funnel entries") == 1
    pd.testing.assert_frame_equal(result.trends("W"), weekly)  # kept, not run again
    assert ran.count("funnel entries") == 1
    assert weekly.groupby("step")["users"].sum().tolist() == [2, 1, 1]
