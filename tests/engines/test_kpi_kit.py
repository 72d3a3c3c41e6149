"""The ``kpi_leaf_sums`` conformance cases: built-in backends pass, a wrong one fails loudly."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.engines import Backend, check_backend
from linkstar_funnel.engines._kpi import KPILeafSums, KPILeafSumsQuery
from linkstar_funnel.engines.memory.kpi import kpi_leaf_sums
from linkstar_funnel.errors import ConformanceError, ParameterError

pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")


def test_the_in_memory_backend_passes() -> None:
    check_backend("pandas", capabilities=["kpi_leaf_sums"])


def test_the_ibis_backend_passes() -> None:
    pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
    pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")
    check_backend("ibis", capabilities=["kpi_leaf_sums"])


def _wrong(source: Any, query: KPILeafSumsQuery) -> KPILeafSums:
    """Sums 1% too large, no drops counted, and text leaves read as 0."""
    frame = source.copy()
    for _, col in query.leaves:
        if col in frame and not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").fillna(0.0)
    out = kpi_leaf_sums(frame, query)
    return attrs.evolve(
        out,
        sums={k: v * 1.01 for k, v in out.sums.items()},
        accounting=attrs.evolve(out.accounting, dropped=()),
    )


def test_a_wrong_backend_fails_with_every_failure_listed() -> None:
    wrong = Backend(
        name="wrong",
        accepts=lambda _: False,
        capabilities={"kpi_leaf_sums": _wrong},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError) as info:
        check_backend(wrong, capabilities=["kpi_leaf_sums"])
    text = str(info.value)
    assert "sums of 'sessions'" in text
    assert "row accounting" in text
    assert "a leaf column of text: raised nothing, not SchemaError" in text
    assert text.count("\n- ") >= 8


def test_a_backend_returning_something_else_is_reported() -> None:
    wrong = Backend(
        name="none",
        accepts=lambda _: False,
        capabilities={"kpi_leaf_sums": lambda *_: None},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError, match="returned NoneType, not KPILeafSums"):
        check_backend(wrong, capabilities=["kpi_leaf_sums"])


def test_the_memory_engine_sums_per_key_in_order_of_appearance() -> None:
    frame = pd.DataFrame(
        {
            "m": ["b", "a", "b", None, "a"],
            "x": [1.0, 2.0, 3.0, 4.0, np.nan],
        }
    )
    out = kpi_leaf_sums(frame, KPILeafSumsQuery(leaves=(("leaf", "x"),), period="m"))
    assert out.keys["m"].tolist() == ["b", "a"]
    assert out.sums["leaf"].tolist() == [4.0, 2.0]
    assert out.rows.tolist() == [2, 1]
    assert [(d.reason, d.count) for d in out.accounting.dropped] == [
        ("missing period", 1),
        ("missing leaf", 1),
    ]
    as_given = kpi_leaf_sums(
        frame, KPILeafSumsQuery(leaves=(("leaf", "x"),), period="m", aggregate=False)
    )
    assert as_given.keys["m"].tolist() == ["b", "a", "b"]
    assert as_given.rows.tolist() == [1, 1, 1]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("leaves", "x", "'leaves' parameter of KPILeafSumsQuery"),
        ("leaves", [("a", 1)], "'leaves' parameter of KPILeafSumsQuery"),
        ("by", [1], "'by' parameter of KPILeafSumsQuery"),
        ("period", 3, "'period' parameter of KPILeafSumsQuery"),
    ],
)
def test_the_query_checks_its_fields(field: str, value: object, message: str) -> None:
    kwargs: dict[str, Any] = {"leaves": (("a", "a"),), field: value}
    with pytest.raises(ParameterError, match=message):
        KPILeafSumsQuery(**kwargs)
