"""Progress reports of engine queries (linkstar_funnel.sql.progress)."""

from __future__ import annotations

import logging
import time

import pytest

from linkstar_funnel.engines.sql._progress import QueryProgress, progress, reporting
from linkstar_funnel.errors import ParameterError
from linkstar_funnel.funnel import Funnel

duckdb = pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")
pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")

pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")

EVENTS_SQL = (
    "SELECT 'u' || (i % 7) AS user_id, TIMESTAMP '2026-01-01' + i * INTERVAL 1 MINUTE AS "
    "timestamp, CASE WHEN i % 3 = 0 THEN 'visit' ELSE 'order' END AS event "
    "FROM range(200) t(i)"
)


def test_each_query_reports_its_start_and_end() -> None:
    seen: list[QueryProgress] = []
    with progress(seen.append):
        Funnel(["visit", "order"]).compute(duckdb.sql(EVENTS_SQL))
    starts = [r.what for r in seen if not r.done]
    ends = [r.what for r in seen if r.done]
    assert starts == ends == ["row accounting", "funnel levels"]
    assert {r.backend for r in seen} == {"duckdb"}
    assert all(r.seconds >= 0 for r in seen)
    seen.clear()
    Funnel(["visit", "order"]).compute(duckdb.sql(EVENTS_SQL))  # outside the block: quiet
    assert seen == []


def test_long_queries_report_while_running() -> None:
    seen: list[QueryProgress] = []
    with progress(seen.append, every=0.01), reporting("slow query", "duckdb"):
        time.sleep(0.1)
    running = [r for r in seen if not r.done and r.seconds > 0]
    assert len(running) >= 3
    assert seen[0] == QueryProgress("slow query", "duckdb", 0.0, done=False)
    assert seen[-1].done
    assert seen[-1].seconds >= 0.1


def test_default_callback_writes_to_stderr_and_queries_are_logged(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="linkstar_funnel.sql"), progress():
        Funnel(["visit", "order"]).compute(duckdb.sql(EVENTS_SQL))
    err = capsys.readouterr().err
    assert "linkstar_funnel: funnel levels on duckdb: running..." in err
    assert "linkstar_funnel: funnel levels on duckdb: done in" in err
    assert any("funnel levels on duckdb: done in" in r.getMessage() for r in caplog.records)


def test_every_must_be_positive() -> None:
    with pytest.raises(ParameterError, match="'every'"), progress(every=0):
        pass


def test_a_failed_query_is_reported_as_failed_and_its_error_kept() -> None:
    seen: list[QueryProgress] = []

    def picky(report: QueryProgress) -> None:
        seen.append(report)
        if report.done:
            msg = "the callback fails too"
            raise RuntimeError(msg)

    error = "engine"
    with pytest.raises(KeyError, match=error), progress(picky), reporting("doomed", "duckdb"):
        raise KeyError(error)
    assert seen[-1].done
    assert seen[-1].failed


def test_funnel_option_rounds_report_each_query() -> None:
    from linkstar_funnel.engines.sql._funnel_levels import ChainOptions
    from linkstar_funnel.engines.sql._funnel_options import FunnelOptions, funnel_outcome
    from linkstar_funnel.engines.sql._stages import stage_predicate
    from linkstar_funnel.engines.sql._tables import sql_table
    from linkstar_funnel.stages import Stage

    table = sql_table(duckdb.sql(EVENTS_SQL)).table
    preds = [stage_predicate(Stage(name), table, "event") for name in ("visit", "order")]
    opts = FunnelOptions(ChainOptions(2, 3600 * 10**9), totals=True, durations=True)
    seen: list[QueryProgress] = []
    with progress(seen.append):
        out = funnel_outcome(
            table,
            ent_cols=["user_id"],
            time="timestamp",
            by_cols=[],
            row_order=None,
            preds=preds,
            xpreds=[],
            valid=table["user_id"].notnull(),
            opts=opts,
        )
    done = [r.what for r in seen if r.done]
    assert done[:3] == ["funnel levels", "funnel durations", "funnel completions"]
    assert "funnel levels (attempts 2)" in done
    assert done[-1].startswith("funnel completions (attempts")  # the last round: nobody
    assert "funnel entries" not in done  # trends() runs that one
    assert int(out.counts["__lf_n"].sum()) >= 7
