"""The ``cohort_cells`` conformance cases: built-in backends pass, a wrong one fails loudly."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from linkstar_funnel.engines import Backend, check_backend
from linkstar_funnel.engines._cohort import CohortCells, CohortQuery
from linkstar_funnel.engines.memory.cohort import cohort_cells
from linkstar_funnel.errors import ConformanceError

pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")


def test_the_in_memory_backend_passes() -> None:
    check_backend("pandas", capabilities=["cohort_cells"])


def test_the_ibis_backend_passes() -> None:
    pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
    pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")
    check_backend("ibis", capabilities=["cohort_cells"])


def _wrong(source: Any, query: CohortQuery) -> CohortCells:
    """Whole-second periods (times floored to the second), value 1% too large, no drops
    counted, and a missing value column read as zeros."""
    frame = source.copy()
    if query.value not in frame:
        frame[query.value] = 0.0
    if query.time in frame:
        frame[query.time] = frame[query.time].dt.floor("s")
    out = cohort_cells(frame, query)
    cells = attrs.evolve(out.cells, value=out.cells.value * 1.01)
    return attrs.evolve(out, cells=cells, accounting=attrs.evolve(out.accounting, dropped=()))


def test_a_wrong_backend_fails_with_every_failure_listed() -> None:
    wrong = Backend(
        name="wrong",
        accepts=lambda _: False,
        capabilities={"cohort_cells": _wrong},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError) as info:
        check_backend(wrong, capabilities=["cohort_cells"])
    text = str(info.value)
    assert "cells' value differ" in text
    assert "row accounting" in text
    assert "sub-second step, a cut between two microseconds: 4 cells" in text
    assert "a missing column: raised" in text
    assert text.count("\n- ") >= 8


def test_a_backend_returning_something_else_is_reported() -> None:
    wrong = Backend(
        name="none",
        accepts=lambda _: False,
        capabilities={"cohort_cells": lambda *_: None},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError, match="returned NoneType, not CohortCells"):
        check_backend(wrong, capabilities=["cohort_cells"])
