"""Parity: KPITree.evaluate on an engine table == on the pandas frame of leaf sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import EmptyFrameError, SchemaError
from linkstar_funnel.kpi import KPITree

ibis = pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")

pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")

TREE = KPITree.from_formula(
    "gmv = sessions * cvr * aov; cvr = orders / sessions; aov = revenue / orders"
)


def _frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "month": rng.choice(["2026-01", "2026-02", "2026-03"], n),
            "country": rng.choice(["DE", "FR", None], n),
            "sessions": rng.integers(50, 500, n).astype(float),
            "orders": rng.integers(1, 40, n).astype(float),
            "revenue": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 1000).round(2),
        }
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), by_country=st.booleans())
def test_rows_summed_per_key_match_pandas(seed: int, n: int, by_country: bool) -> None:
    df = _frame(seed, n)
    keys = ["month", "country"] if by_country else ["month"]
    seg = ["country"] if by_country else None
    clean = df.dropna(subset=[*keys, "sessions", "orders", "revenue"])
    if clean.empty:
        for source in (clean, ibis.memtable(df)):
            with pytest.raises(EmptyFrameError):
                TREE.evaluate(source, period="month", by=seg)
        return
    summed = clean.groupby(keys, as_index=False)[["sessions", "orders", "revenue"]].sum()
    memory = TREE.evaluate(summed, period="month", by=seg)
    engine = TREE.evaluate(ibis.memtable(df), period="month", by=seg)
    pd.testing.assert_frame_equal(engine.wide(), memory.wide(), check_dtype=False)
    acc = engine.provenance.inputs["frame"]
    assert (acc.rows_in, acc.rows_used) == (len(df), len(clean))


def test_one_row_per_key_is_the_pandas_result() -> None:
    df = _frame(3, 200).dropna().drop_duplicates(["month", "country"])
    memory = TREE.evaluate(df, period="month", by="country")
    engine = TREE.evaluate(ibis.memtable(df), period="month", by="country")
    pd.testing.assert_frame_equal(engine.wide(), memory.wide(), check_dtype=False)
    assert engine.provenance.notes[-1].startswith("SQL: ")


def test_non_numeric_leaf_is_a_schema_error() -> None:
    df = _frame(1, 10).assign(orders="x")
    with pytest.raises(SchemaError, match="must hold numbers"):
        TREE.evaluate(ibis.memtable(df), period="month")
