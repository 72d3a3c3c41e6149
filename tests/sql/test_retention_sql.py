"""Retention and lifecycle on the SQL engine (DuckDB through Ibis) equal the in-memory
engine."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import (
    ColumnNotFoundError,
    DataQualityWarning,
    EmptyFrameError,
    LinkstarError,
    ParameterError,
    SchemaError,
    TimeColumnError,
)
from linkstar_funnel.retention import Lifecycle, Retention
from linkstar_funnel.sql import SQLTable
from linkstar_funnel.stages import Stage

from ..retention.test_retention import T0, logs

ibis = pytest.importorskip("ibis")
duckdb = pytest.importorskip("duckdb")

ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Asia/Kolkata", None]


def _both(spec: Retention | Lifecycle, log: pd.DataFrame, **kw: object) -> tuple[object, object]:
    """(in-memory, DuckDB) results, or the error type each raised. Ties between events at
    the same time are broken by the frame's row order on both engines (``row_order``)."""
    table = SQLTable(ibis.memtable(log.assign(row=np.arange(len(log)))), row_order="row")
    out = []
    for source in (log, table):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            try:
                out.append(spec.compute(source, **kw).to_frame())
            except LinkstarError as exc:
                out.append(type(exc))
    return out[0], out[1]


@settings(max_examples=10, deadline=None)
@given(
    log=logs(),
    period=st.sampled_from(["D", "W", "M"]),
    periods=st.integers(1, 5),
    cohort=st.sampled_from(["first", "recurring"]),
    returns=st.sampled_from(["classic", "unbounded"]),
    tz=st.sampled_from(ZONES),
    by=st.sampled_from([None, "channel"]),
    value=st.booleans(),
    start=st.sampled_from([("order",), ("signup",), ("signup", "visit")]),
    end=st.sampled_from([None, T0 + pd.Timedelta("17D 13h"), T0 + pd.Timedelta("60D")]),
)
def test_duckdb_equals_in_memory(log, period, periods, cohort, returns, tz, by, value, start, end):
    spec = Retention(
        Stage("s", event=list(start)),
        returning=Stage("order"),
        period=period,
        periods=periods,
        cohort=cohort,
        returns=returns,
        tz=tz,
    )
    kw = {"by": by, "value": "revenue" if value else None, "observation_end": end}
    mem, sql = _both(spec, log, **kw)
    if isinstance(mem, type):
        assert sql is mem
        return
    assert isinstance(sql, pd.DataFrame)
    pd.testing.assert_frame_equal(sql, mem)


@settings(max_examples=6, deadline=None)
@given(
    log=logs(),
    period=st.sampled_from(["D", "W", "M"]),
    tz=st.sampled_from(ZONES),
    by=st.sampled_from([None, "channel"]),
    event=st.sampled_from([("order",), ("signup", "visit")]),
    end=st.sampled_from([None, T0 + pd.Timedelta("17D 13h")]),
)
def test_lifecycle_on_duckdb_equals_in_memory(log, period, tz, by, event, end):
    spec = Lifecycle(Stage("active", event=list(event)), period=period, tz=tz)
    mem, sql = _both(spec, log, by=by, observation_end=end)
    if isinstance(mem, type):
        assert sql is mem
        return
    assert isinstance(sql, pd.DataFrame)
    pd.testing.assert_frame_equal(sql, mem)


def test_relations_and_parquet_paths(tmp_path) -> None:
    rng = np.random.default_rng(7)
    n = 400
    log = pd.DataFrame(
        {
            "user_id": rng.integers(0, 50, n),
            "timestamp": pd.Timestamp("2025-12-01")
            + pd.to_timedelta(rng.choice(100 * 86_400, n, replace=False), unit="s"),
            "event": rng.choice(["order", "visit"], n),
            "revenue": rng.choice([10.0, 25.0], n),
        }
    ).astype({"timestamp": "datetime64[us]"})
    spec = Retention("order", period="W", periods=6, returns="unbounded", tz="Europe/Berlin")
    want = spec.compute(log, value="revenue")
    path = tmp_path / "events.parquet"
    log.to_parquet(path)
    con = duckdb.connect()
    relation = con.from_df(log)
    from linkstar_funnel.sql import sql_table

    for source in (str(path), sql_table(relation, con=con)):
        got = spec.compute(source, value="revenue")
        pd.testing.assert_frame_equal(got.to_frame(), want.to_frame())
        assert got.provenance.lines() == want.provenance.lines()


def test_posthog_case_on_duckdb() -> None:
    # One weekly cohort of three users: a returns in week 1, b in week 2, c never
    # (classic: 1/3 and 1/3; unbounded: 2/3 and 1/3).
    log = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "a", "b"],
            "timestamp": pd.to_datetime(
                ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-12", "2026-01-21"]
            ),
            "event": "pageview",
        }
    )
    spec = Retention("pageview", period="W", periods=2)
    f = spec.compute(ibis.memtable(log)).to_frame()
    assert f["retained"].tolist() == [3, 1, 1]
    assert f["users"].tolist() == [3, 3, 3]
    unbounded = Retention("pageview", period="W", periods=2, returns="unbounded")
    assert unbounded.compute(ibis.memtable(log)).to_frame()["retained"].tolist() == [3, 2, 1]


def _log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", "a"],
            "timestamp": pd.to_datetime(["2026-01-05", "2026-01-13"]),
            "event": ["order", "order"],
            "label": ["x", "y"],
        }
    )


class _Custom:
    name = "custom"

    def mask(self, frame: pd.DataFrame, *, event: str) -> np.ndarray:
        return np.asarray(frame[event] == "order")


@pytest.mark.parametrize(
    ("spec", "kw", "log", "error"),
    [
        (Retention(_Custom()), {}, _log(), ParameterError),
        (
            Retention(Stage("o", event="order", where=lambda f: f["label"] == "x")),
            {},
            _log(),
            ParameterError,
        ),
        (Retention("order"), {"by": "campaign"}, _log(), ColumnNotFoundError),
        (Retention("order"), {"value": "label"}, _log(), SchemaError),
        (Retention("order"), {}, _log().assign(timestamp="2026-01-05"), TimeColumnError),
        (Retention("signup"), {}, _log(), EmptyFrameError),
        (Retention("order"), {"observation_end": "2020-01-01"}, _log(), EmptyFrameError),
        (Retention("order"), {}, _log().iloc[:0], EmptyFrameError),
        (
            Retention("order"),
            {"value": "revenue"},
            _log().assign(revenue=[1.0, np.inf]),
            SchemaError,
        ),
    ],
)
def test_bad_input_on_the_engine_path(spec, kw, log, error) -> None:
    with pytest.raises(error):
        spec.compute(ibis.memtable(log), **kw)


def test_ties_without_a_row_order_are_said() -> None:
    log = _log().assign(timestamp=pd.Timestamp("2026-01-05"))
    res = Retention("order", periods=1).compute(ibis.memtable(log), by="label")
    assert res.to_frame()["label"].tolist() == ["x", "x"]  # the smallest value
    assert any("row_order" in line for line in res.provenance.lines())
    life = Lifecycle("order").compute(ibis.memtable(log), by="label")
    assert any("row_order" in line for line in life.provenance.lines())
