"""Parity: journeys from touchpoints computed by Ibis on DuckDB equal the in-memory ones."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

import linkstar_funnel.attribution as la
from linkstar_funnel.errors import (
    ColumnNotFoundError,
    EmptyFrameError,
    ParameterError,
    SchemaError,
    TimeZoneError,
)

ibis = pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
duckdb = pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")

from linkstar_funnel.sql import EngineError, sql_table

# ibis.memtable reads pandas' deprecated 'future.infer_string' option under pandas 3.
pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")

T0 = pd.Timestamp("2026-03-01")


def _memtable(frame: pd.DataFrame) -> Any:
    return ibis.memtable(frame)


def canonical(j: la.Journeys) -> list[tuple[Any, ...]]:
    """Per journey: (path, ages, conversions, value, nulls), sorted."""
    assert j.ages is not None
    out = []
    for i in range(j.n_journeys):
        lo, hi = int(j.offsets[i]), int(j.offsets[i + 1])
        path = tuple(j.channels[c] for c in j.touches[lo:hi])
        ages = tuple(float(a) for a in j.ages[lo:hi])
        out.append((path, ages, float(j.conversions[i]), float(j.value[i]), float(j.nulls[i])))
    return sorted(out)


def _build(touches: object, conversions: object, **kwargs: Any) -> la.Journeys | str:
    try:
        return la.Journeys.from_touchpoints(touches, conversions, **kwargs)
    except (EmptyFrameError, SchemaError) as exc:
        return type(exc).__name__


def assert_parity(
    touches: pd.DataFrame, conversions: pd.DataFrame, *, row_order: bool, **kwargs: Any
) -> la.Journeys | None:
    if not row_order:  # the engine ranks same-instant conversions by value: match it
        conversions = conversions.sort_values(
            ["user_id", "timestamp", *([kwargs["value"]] if kwargs.get("value") else [])],
            kind="stable",
        )
    memory = _build(touches, conversions, **kwargs)
    c_table = _memtable(conversions.assign(row=range(len(conversions))))
    engine = _build(
        _memtable(touches),
        sql_table(c_table, row_order="row" if row_order else None),
        **kwargs,
    )
    if isinstance(memory, str) or isinstance(engine, str):
        assert memory == engine
        return None
    assert canonical(engine) == canonical(memory)
    assert set(engine.channels) == set(memory.channels)
    assert dict(engine.inputs) == dict(memory.inputs)  # incl. touches dropped by lookback
    assert engine.notes[: len(memory.notes)] == memory.notes
    return engine


@st.composite
def touch_logs(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Touches and conversions of few users on few integer seconds (many ties)."""
    touches = draw(
        data_frames(
            [
                column("user_id", elements=st.sampled_from(["u0", "u1", "u2"])),
                column("sec", elements=st.integers(0, 12)),
                column("channel", elements=st.sampled_from(["a", "b", "c", "d", None])),
            ],
            index=range_indexes(min_size=1, max_size=16),
        )
    )
    conversions = draw(
        data_frames(
            [
                column("user_id", elements=st.sampled_from(["u0", "u1", "u3"])),
                column("sec", elements=st.integers(0, 12)),
                column("revenue", elements=st.sampled_from([0.0, 1.0, 2.5, 10.0])),
            ],
            index=range_indexes(min_size=1, max_size=6),
        )
    )

    def timed(frame: pd.DataFrame) -> pd.DataFrame:
        sec = frame.pop("sec").to_numpy()
        return frame.assign(timestamp=T0 + pd.to_timedelta(sec, unit="s"))

    return timed(touches), timed(conversions)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    logs=touch_logs(),
    lookback=st.integers(1, 10),
    value=st.sampled_from([None, "revenue"]),
    channel_map=st.sampled_from([None, {"a": "x", "b": "x"}, {"c": "(direct/none)"}]),
    row_order=st.booleans(),
)
def test_hypothesis_logs_match_in_memory(
    logs: tuple[pd.DataFrame, pd.DataFrame],
    lookback: int,
    value: str | None,
    channel_map: dict[str, str] | None,
    row_order: bool,
) -> None:
    touches, conversions = logs
    assert_parity(
        touches,
        conversions,
        row_order=row_order,
        lookback=pd.Timedelta(seconds=lookback),
        value=value,
        channel_map=channel_map,
    )


@pytest.mark.parametrize("row_order", [True, False])
def test_same_instant_conversions_rank_by_row_order_else_value(row_order: bool) -> None:
    touches = pd.DataFrame(
        {"user_id": ["u0", "u0"], "timestamp": [T0, T0 + pd.Timedelta(5, "s")], "channel": "a"}
    )
    at = T0 + pd.Timedelta(5, "s")
    conversions = pd.DataFrame({"user_id": "u0", "timestamp": [at, at], "revenue": [3.0, 1.0]})
    engine = assert_parity(touches, conversions, row_order=row_order, value="revenue")
    assert engine is not None
    first = 3.0 if row_order else 1.0  # the first conversion takes the touches
    assert canonical(engine) == [
        (("(direct/none)",), (0.0,), 1.0, 4.0 - first, 0.0),
        (("a", "a"), (5.0, 0.0), 1.0, first, 0.0),
    ]


def _seeded(n: int = 2000, tz: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = np.arange(n)
    touches = pd.DataFrame(
        {
            "uid": r * 7919 % 97,
            "ts": pd.Timestamp("2026-01-01", tz=tz) + pd.to_timedelta(r * 4099 % 86400, "min"),
            "src": np.array(["seo", "email", "ads", "social", "direct"])[r * 31 % 5],
        }
    )
    m = np.arange(n // 10)
    conversions = pd.DataFrame(
        {
            "customer": m * 613 % 120,
            "ordered_at": pd.Timestamp("2026-01-01", tz=tz)
            + pd.to_timedelta(m * 7907 % 86400, "min"),
            "revenue": (m * 37 % 50).astype(float),
        }
    )
    return touches, conversions


_SEEDED_KW: dict[str, Any] = {
    "user": "uid",
    "time": "ts",
    "channel": "src",
    "conversion_user": "customer",
    "conversion_time": "ordered_at",
    "value": "revenue",
    "lookback": "7D",
}


@pytest.mark.parametrize("tz", [None, "UTC"])
def test_seeded_log_with_integer_users_and_column_names(tz: str | None) -> None:
    touches, conversions = _seeded(tz=tz)
    engine = assert_parity(touches, conversions, row_order=True, **_SEEDED_KW)
    assert engine is not None
    assert engine.inputs["touchpoints"].rows_used < len(touches)  # lookback drops
    assert any(n.startswith("SQL: ") for n in engine.notes)


@pytest.mark.parametrize(
    "model", [la.LastTouch(), la.FirstTouch(), la.Linear(), la.TimeDecay(), la.Markov()]
)
def test_attribution_models_give_the_same_credit(model: Any) -> None:
    touches, conversions = _seeded()
    memory = la.Journeys.from_touchpoints(touches, conversions, **_SEEDED_KW)
    c_table = sql_table(_memtable(conversions.assign(row=range(len(conversions)))), row_order="row")
    engine = la.Journeys.from_touchpoints(_memtable(touches), c_table, **_SEEDED_KW)
    for metric in ("conversions", "value"):
        got = model.attribute(engine).credit(metric).sort_index()
        want = model.attribute(memory).credit(metric).sort_index()
        pd.testing.assert_series_equal(got, want, rtol=1e-9)


def test_duckdb_relation_and_pandas_frame_mix() -> None:
    touches, conversions = _seeded(300)
    con = duckdb.connect()
    rel = con.from_df(touches)
    engine = la.Journeys.from_touchpoints(sql_table(rel, con=con), conversions, **_SEEDED_KW)
    memory = la.Journeys.from_touchpoints(touches, conversions, **_SEEDED_KW)
    assert canonical(engine) == canonical(memory)


def _tables() -> tuple[Any, Any]:
    touches, conversions = _seeded(100)
    return _memtable(touches), _memtable(conversions)


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [
        ({"channel": "nope"}, "nope"),
        ({"conversion_time": "when"}, "when"),
        ({"value": "amount"}, "amount"),
    ],
)
def test_missing_column_names_it(kwargs: dict[str, Any], missing: str) -> None:
    t, c = _tables()
    with pytest.raises(ColumnNotFoundError, match=missing):
        la.Journeys.from_touchpoints(t, c, **{**_SEEDED_KW, **kwargs})


def test_negative_value_and_bad_channel_names_raise_schema_error() -> None:
    touches, conversions = _seeded(100)
    conversions.loc[3, "revenue"] = -5.0
    with pytest.raises(SchemaError, match="≥ 0"):
        la.Journeys.from_touchpoints(_memtable(touches), _memtable(conversions), **_SEEDED_KW)
    touches["src"] = touches["src"].replace("ads", "a > b")
    conversions["revenue"] = 1.0
    with pytest.raises(SchemaError, match="separator"):
        la.Journeys.from_touchpoints(_memtable(touches), _memtable(conversions), **_SEEDED_KW)


def test_mixed_time_zones_and_fractional_lookback_raise() -> None:
    touches, _ = _seeded(100, tz="UTC")
    _, conversions = _seeded(100)
    with pytest.raises(TimeZoneError):
        la.Journeys.from_touchpoints(_memtable(touches), _memtable(conversions), **_SEEDED_KW)
    t, c = _tables()
    with pytest.raises(ParameterError, match="microseconds"):
        la.Journeys.from_touchpoints(t, c, **{**_SEEDED_KW, "lookback": pd.Timedelta(1500)})


def test_engine_failure_is_an_engine_error_with_sql() -> None:
    raw = duckdb.connect()
    raw.execute(
        "CREATE TABLE tp AS SELECT * FROM (VALUES ('a', TIMESTAMP '2026-01-01', 'seo')) "
        "AS t(user_id, timestamp, channel)"
    )
    backend = ibis.duckdb.from_connection(raw)
    touches, conversions = backend.table("tp"), backend.table("tp")
    raw.execute("DROP TABLE tp")
    with pytest.raises(EngineError) as info:
        la.Journeys.from_touchpoints(touches, conversions)
    assert "SELECT" in info.value.sql


def test_core_import_does_not_load_ibis() -> None:
    code = (
        "import sys, linkstar_funnel.attribution as la, pandas as pd; "
        "t = pd.DataFrame({'user_id': ['a'], 'timestamp': pd.to_datetime(['2026-01-01']), "
        "'channel': ['seo']}); la.Journeys.from_touchpoints(t, t); "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('ibis', 'duckdb')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
