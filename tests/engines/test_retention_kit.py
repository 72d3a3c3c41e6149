"""The conformance kit of ``retention_cells``: the in-memory engine passes it, and it catches
a backend that miscounts. (The Ibis backend runs it in ``test_backends_conformance``.)"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.engines import Backend, RetentionCells, RetentionQuery
from linkstar_funnel.engines.memory.retention import retention_cells
from linkstar_funnel.errors import ConformanceError


def test_in_memory_engine_passes() -> None:
    lf.engines.check_backend("pandas", capabilities=["retention_cells"])
    assert "retention_cells" in lf.engines.CAPABILITIES
    assert "retention_cells" in lf.engines.BACKENDS.get("ibis").capabilities


def _off_by_one(source: object, query: RetentionQuery) -> RetentionCells:
    out = retention_cells(source, query)
    retained = out.retained.copy()
    retained[:, -1] += 1
    return attrs.evolve(out, retained=retained)


def _forgets_the_zone(source: object, query: RetentionQuery) -> RetentionCells:
    return retention_cells(source, attrs.evolve(query, tz="UTC"))


@pytest.mark.parametrize("impl", [_off_by_one, _forgets_the_zone])
def test_kit_catches_a_wrong_backend(impl) -> None:
    wrong = Backend(
        "wrong",
        accepts=lambda _: False,
        capabilities={"retention_cells": impl},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError, match="retention_cells"):
        lf.engines.check_backend(wrong, capabilities=["retention_cells"])


def test_records_are_the_protocol() -> None:
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "timestamp": pd.to_datetime(["2026-01-05", "2026-01-13", "2026-01-06"]),
            "event": "order",
        }
    )
    q = RetentionQuery(
        user="user_id",
        time="timestamp",
        event="event",
        start=lf.Stage("order"),
        returning=lf.Stage("order"),
        periods=2,
    )
    impl: lf.engines.RetentionCellsEngine = retention_cells
    out = impl(frame, q)
    assert out.retained.tolist() == [[2, 1, 0]]
    assert np.array_equal(out.users, [2])
    assert out.accounting.rows_used == 3
