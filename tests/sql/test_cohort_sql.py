"""Parity: CohortLTV fitted on an engine table (series aggregated in the engine) equals the
fit on the pandas frame."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel.errors import ColumnNotFoundError, ParameterError, SchemaError

ibis = pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")

from linkstar_funnel.sql import sql_table

pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")


def _table(orders: pd.DataFrame) -> Any:
    return sql_table(ibis.memtable(orders.assign(row=np.arange(len(orders)))), row_order="row")


def assert_parity(orders: pd.DataFrame, spec: lf.ltv.CohortLTV, **kwargs: Any) -> Any:
    memory = spec.fit(orders, **kwargs)
    engine = spec.fit(_table(orders), **kwargs)
    at = spec.horizon
    pd.testing.assert_frame_equal(
        engine.predict(at=at).to_frame(), memory.predict(at=at).to_frame(), check_dtype=False
    )
    a, b = engine.provenance.inputs["orders"], memory.provenance.inputs["orders"]
    assert str(a) == str(b)
    return engine


def test_default_cut_on_whole_seconds_matches() -> None:
    orders = _store_orders()  # whole seconds: the default cuts agree
    spec = lf.ltv.CohortLTV(horizon="28D", use_prophet=False)
    assert_parity(orders, spec)


def _store_orders() -> pd.DataFrame:
    orders = lf.datasets.make_demo_store(n_users=20_000, seed=5).orders
    return orders.assign(timestamp=orders["timestamp"].dt.floor("s"))


@pytest.mark.parametrize("period", ["W", "M"])
@pytest.mark.parametrize("tz", [None, "Asia/Kolkata"])
def test_demo_store_by_channel_and_hierarchy(period: str, tz: str | None) -> None:
    orders = _store_orders()
    spec = lf.ltv.CohortLTV(
        horizon="56D", use_prophet=False, min_customers=50, period=period, tz=tz
    )
    assert_parity(orders, spec, by="channel")
    assert_parity(orders, spec, by=["country", "channel"], observation_end="2026-03-10")


@st.composite
def order_logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 60))
    customers = draw(
        st.lists(st.sampled_from(["a", "b", "c", "d", "e", None]), min_size=n, max_size=n)
    )
    # Milliseconds: orders a fraction of a second before a period boundary must fall in
    # the same period on both engines.
    millis = draw(st.lists(st.integers(0, 70 * 86_400_000), min_size=n, max_size=n))
    values = draw(
        st.lists(st.sampled_from([-5.0, 0.0, 3.0, 10.0, 99.5, np.nan]), min_size=n, max_size=n)
    )
    segments = draw(st.lists(st.sampled_from(["x", "y", None]), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": pd.Series(customers, dtype=object),
            "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(millis, unit="ms"),
            "revenue": values,
            "seg": pd.Series(segments, dtype=object),
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    orders=order_logs(),
    refunds=st.sampled_from(["net", "drop"]),
    by=st.sampled_from([None, "seg"]),
    cut=st.sampled_from(["2026-02-01", "2026-01-15 12:00:01", "2026-03-20"]),
)
def test_hypothesis_orders_match_in_memory(
    orders: pd.DataFrame, refunds: str, by: str | None, cut: str
) -> None:
    spec = lf.ltv.CohortLTV(horizon="28D", use_prophet=False, refunds=refunds)  # type: ignore[arg-type]
    try:
        memory = spec.fit(orders, by=by, observation_end=cut)
    except lf.LinkstarError as exc:
        with pytest.raises(type(exc)):
            spec.fit(_table(orders), by=by, observation_end=cut)
        return
    engine = spec.fit(_table(orders), by=by, observation_end=cut)
    pd.testing.assert_frame_equal(
        engine.predict(at="28D").to_frame(), memory.predict(at="28D").to_frame(), check_dtype=False
    )
    assert str(engine.provenance.inputs["orders"]) == str(memory.provenance.inputs["orders"])


def test_sub_second_cut_and_step_are_exact() -> None:
    # Microsecond orders around sub-second period boundaries; a nanosecond cut (between
    # two microseconds): both engines put every order in the same period.
    cut = pd.Timestamp("2026-03-01 00:00:00.250000300")
    step = pd.Timedelta("1500ms")
    offsets = ["1500ms", "1500.001ms", "1499.999ms", "3s", "3000.0003ms", "0.0003ms", "4.5s"]
    times = [cut - pd.Timedelta(o) for o in offsets] + [cut - pd.Timedelta("2D")]
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "a", "d", "b", "e", "f"],
            "timestamp": pd.DatetimeIndex(times).floor("us"),
            "revenue": [10.0, 20.0, 30.0, 5.0, 7.0, 3.0, 4.0, 8.0],
        }
    )
    spec = lf.ltv.CohortLTV(horizon="6s", step=step, use_prophet=False, period="D")
    engine = assert_parity(orders, spec, observation_end=cut)
    memory = spec.fit(orders, observation_end=cut)
    np.testing.assert_array_equal(engine.cells.acq, memory.cells.acq)
    np.testing.assert_array_equal(engine.cells.n, memory.cells.n)
    np.testing.assert_allclose(engine.cells.value, memory.cells.value)


def test_step_and_columns_are_checked() -> None:
    orders = _store_orders()
    table = _table(orders)
    with pytest.raises(ParameterError, match="'step'"):
        lf.ltv.CohortLTV(step="1500ns").fit(table)
    with pytest.raises(ColumnNotFoundError, match="'spend'"):
        lf.ltv.CohortLTV().fit(table, value="spend")


def test_engine_fit_has_no_per_customer_values() -> None:
    fit = lf.ltv.CohortLTV(horizon="28D", use_prophet=False).fit(_table(_store_orders()))
    assert fit.expected_revenue("2026-05-01")["expected"].sum() > 0
    with pytest.raises(SchemaError, match="per-customer"):
        fit.expected_customer_revenue("2026-05-01")


def test_orders_a_fraction_of_a_second_before_a_period_boundary() -> None:
    cut = pd.Timestamp("2026-03-01")
    week = pd.Timedelta("7D")
    times = [cut - 3 * week - pd.Timedelta(s) for s in ("0.5s", "0s", "1.5s")]
    times += [cut - week - pd.Timedelta("0.25s"), cut - pd.Timedelta("0.5s")]
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "a", "b"],
            "timestamp": times,
            "revenue": [10.0, 20.0, 30.0, 5.0, 7.0],
        }
    )
    spec = lf.ltv.CohortLTV(horizon="28D", use_prophet=False, period="D")
    engine = assert_parity(orders, spec, observation_end=cut)
    # a and c first ordered just before the boundary three weeks before the cut, b at it.
    cells = sorted(zip(engine.cells.acq.tolist(), engine.cells.n.tolist(), strict=True))
    assert cells == [(-4, 2), (-3, 1)]
