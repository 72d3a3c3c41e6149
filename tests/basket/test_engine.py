"""The pair level on engines: basket_pairs in SQL equals the in-memory counts, and rules
computed on an engine table equal the in-memory rules."""

from __future__ import annotations

import warnings
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel import basket, engines
from linkstar_funnel._conformance import ConformanceKit
from linkstar_funnel.engines._basket import BasketPairs, BasketPairsQuery
from linkstar_funnel.engines._kit_basket import _lines, basket_cases
from linkstar_funnel.engines.memory.basket import basket_pairs as memory_pairs

ibis = pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
from linkstar_funnel.engines.sql._basket import basket_pairs as sql_pairs


def sql_run(frame: pd.DataFrame, query: BasketPairsQuery) -> BasketPairs:
    return sql_pairs(ibis.memtable(frame), query)


def test_sql_passes_the_conformance_cases() -> None:
    kit = ConformanceKit("ibis", "basket_pairs")
    basket_cases(kit, sql_run, memory_pairs)
    assert kit.failures == []


def test_the_cases_catch_a_backend_that_loses_a_pair() -> None:
    def lossy(frame: pd.DataFrame, query: BasketPairsQuery) -> BasketPairs:
        out = memory_pairs(frame, query)
        return attrs.evolve(out, pair_orders=np.maximum(out.pair_orders - 1, 0))

    kit = ConformanceKit("lossy", "basket_pairs")
    basket_cases(kit, lossy, memory_pairs)
    assert any("pair_orders" in f for f in kit.failures)


@pytest.fixture
def engine_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route basket_pairs on Ibis tables to the SQL implementation until the capability is
    registered on the built-in backends (then the real dispatch runs)."""
    if "basket_pairs" in engines.backend_for(ibis.memtable(pd.DataFrame({"a": [1]}))).capabilities:
        return
    real = engines.implementation

    def implementation(source: object, capability: str) -> tuple[Any, Any]:
        if capability == "basket_pairs":
            return engines.backend_for(source), sql_pairs
        return real(source, capability)

    monkeypatch.setattr(engines, "implementation", implementation)


@pytest.mark.usefixtures("engine_dispatch")
def test_rules_on_an_engine_table_equal_the_in_memory_rules() -> None:
    lines = _lines(7, 900)
    kw: dict[str, Any] = {
        "order": "invoice",
        "item": "sku",
        "quantity": "qty",
        "cancelled_prefix": "C",
        "min_support": 0.03,
        "min_confidence": 0.1,
        "max_len": 2,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        here = basket.rules(lines, **kw)
        there = basket.rules(ibis.memtable(lines), **kw)
    assert len(here.to_frame()) > 10
    pd.testing.assert_frame_equal(there.to_frame(), here.to_frame())
    pd.testing.assert_frame_equal(there.itemsets(), here.itemsets())
    assert there.provenance.inputs["lines"] == here.provenance.inputs["lines"]


def test_larger_sets_on_an_engine_table_are_refused_with_a_hint() -> None:
    with pytest.raises(lf.ParameterError, match="pair level only"):
        basket.rules(ibis.memtable(_lines(8, 40)), order="invoice", item="sku", max_len=3)
