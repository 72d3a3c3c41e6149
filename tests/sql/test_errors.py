"""What goes wrong on the SQL engine is a typed error in the user's words, never a raw
duckdb/Ibis exception."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.errors import (
    DataQualityWarning,
    EngineError,
    ParameterError,
    SchemaError,
)

ibis = pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
duckdb = pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")

from linkstar_funnel.sql import progress, sql_table

pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")

EVENTS = pd.DataFrame(
    {
        "user_id": ["a", "a", "b"],
        "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-01"]),
        "event": ["visit", "cart", "visit"],
    }
)
FUNNEL = lf.Funnel(["visit", "cart"])


def test_parquet_paths_matching_nothing_are_parameter_errors(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"no file matches the pattern .*nothing_\*"):
        sql_table(str(tmp_path / "nothing_*.parquet"))
    with pytest.raises(ParameterError, match=r"no file at .*missing\.parquet"):
        sql_table(tmp_path / "missing.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(EngineError, match="could not read the Parquet source") as info:
        sql_table(bad)
    assert "read_parquet" in info.value.sql
    with pytest.raises(ParameterError, match="'con' parameter of sql_table"):
        sql_table(bad, con=object())


def test_relation_on_the_callers_connection() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE ev AS SELECT * FROM EVENTS")
    rel = con.sql("SELECT * FROM ev")
    with pytest.raises(ParameterError, match=r"(?s)another connection .* con=con"):
        FUNNEL.compute(rel)  # was a duckdb CatalogException
    users = FUNNEL.compute(sql_table(rel, con=con)).to_frame()["users"].tolist()
    assert users == [2, 1]
    with pytest.raises(ParameterError, match="'con' parameter of sql_table"):
        sql_table(rel, con="memory")
    con.close()
    with pytest.raises(EngineError, match="could not use the relation"):
        FUNNEL.compute(rel)


def test_relation_over_a_pandas_frame_on_the_default_connection() -> None:
    frame = EVENTS  # noqa: F841 - scanned by name: the view is made where the relation was
    rel = duckdb.sql("SELECT * FROM frame")
    assert FUNNEL.compute(rel).to_frame()["users"].tolist() == [2, 1]


def test_the_default_connection_keeps_finding_python_frames() -> None:
    # Ibis turns DuckDB's replacement scans off on a connection it wraps: a funnel on a
    # relation of the default connection made the test above fail when it ran after.
    frame = EVENTS
    assert FUNNEL.compute(duckdb.sql("SELECT * FROM frame")).to_frame()["users"].sum() == 3
    setting = "SELECT current_setting('python_enable_replacements')"
    assert duckdb.default_connection().execute(setting).fetchall()[0][0] is True
    assert len(duckdb.sql("SELECT * FROM frame").df()) == len(frame)


def _memory_and_engine(events: pd.DataFrame, funnel: lf.Funnel) -> tuple[str, str]:
    out = []
    for source in (events, ibis.memtable(events)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            try:
                funnel.compute(source)
                out.append("ok")
            except lf.LinkstarError as exc:
                out.append(type(exc).__name__)
    return out[0], out[1]


@pytest.mark.parametrize(
    ("events", "funnel"),
    [
        (EVENTS.assign(event=[1, 2, 1]), FUNNEL),  # was an EngineError (ConversionException)
        (EVENTS.assign(n=1), lf.Funnel([lf.Stage("visit", where={"n": "x"}), "cart"])),
        (
            EVENTS.assign(country="DE"),
            lf.Funnel([lf.Stage("visit", where={"country": 5}), "cart"]),
        ),  # these two were IbisTypeError
    ],
)
def test_values_of_another_type_match_nothing_as_in_memory(
    events: pd.DataFrame, funnel: lf.Funnel
) -> None:
    memory, engine = _memory_and_engine(events, funnel)
    assert memory == engine == "EmptyFrameError"


def test_cohort_value_column_is_checked_on_the_engine() -> None:
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "timestamp": pd.to_datetime(["2026-01-01", "2026-01-08"]),
            "revenue": [10.0, 20.0],
        }
    )
    spec = lf.ltv.CohortLTV(horizon="28D", use_prophet=False)
    with pytest.raises(SchemaError, match="'revenue' of the orders table must hold numbers"):
        spec.fit(ibis.memtable(orders.assign(revenue=["10", "20"])))  # was accepted
    with pytest.raises(SchemaError, match="'revenue' of the orders table holds infinite"):
        spec.fit(ibis.memtable(orders.assign(revenue=[np.inf, 1.0])))  # was accepted


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [({"every": "1"}, "'every'"), ({"every": 0}, "'every'"), ({"callback": 5}, "'callback'")],
)
def test_progress_parameters(kwargs: dict[str, object], param: str) -> None:
    with pytest.raises(ParameterError, match=f"{param} parameter of progress"):
        progress(**kwargs)  # type: ignore[arg-type]


def test_sql_table_row_order_must_be_a_column_name() -> None:
    with pytest.raises(ParameterError, match="'row_order' parameter of sql_table"):
        sql_table(ibis.memtable(EVENTS), row_order=5)  # type: ignore[arg-type]


def test_kpi_leaf_sums_overflowing_say_so() -> None:
    from linkstar_funnel.kpi import KPITree

    tree = KPITree.from_formula("aov = revenue / orders")
    df = pd.DataFrame({"month": ["2026-01"] * 2, "orders": [1.0, 2.0], "revenue": [1e308, 1e308]})
    with pytest.raises(SchemaError, match=r"'revenue' of the KPI table sums to an infinite"):
        tree.evaluate(ibis.memtable(df), period="month")  # was "holds infinite values"


def test_sql_table_record_checks_its_fields() -> None:
    from linkstar_funnel.sql import SQLTable

    with pytest.raises(ParameterError, match="'table' parameter of SQLTable"):
        SQLTable(5)  # was an AttributeError deep in the engine
    with pytest.raises(ParameterError, match="'row_order' parameter of SQLTable"):
        SQLTable(ibis.memtable(EVENTS), row_order=5)  # type: ignore[arg-type]


def test_cohort_of_refunds_only_is_empty_on_the_engine_too() -> None:
    orders = pd.DataFrame(
        {"customer_id": ["a"], "timestamp": pd.to_datetime(["2026-01-01"]), "revenue": [-5.0]}
    )
    spec = lf.ltv.CohortLTV(horizon="28D", use_prophet=False, refunds="net")
    for source in (orders, ibis.memtable(orders)):
        with pytest.raises(lf.EmptyFrameError, match="No purchases"):
            spec.fit(source, observation_end="2026-02-01")
