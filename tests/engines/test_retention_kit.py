"""The conformance kits of ``retention_cells`` and ``lifecycle_cells``: the in-memory engine
passes them, and they catch a backend that miscounts. (The Ibis backend runs them in
``test_backends_conformance``.)"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.engines import (
    Backend,
    LifecycleCells,
    LifecycleQuery,
    RetentionCells,
    RetentionQuery,
)
from linkstar_funnel.engines.memory.retention import lifecycle_cells, retention_cells
from linkstar_funnel.errors import ConformanceError


def test_in_memory_engine_passes() -> None:
    lf.engines.check_backend("pandas", capabilities=["retention_cells", "lifecycle_cells"])
    for capability in ("retention_cells", "lifecycle_cells"):
        assert capability in lf.engines.CAPABILITIES
        assert capability in lf.engines.BACKENDS.get("ibis").capabilities


def _off_by_one(source: object, query: RetentionQuery) -> RetentionCells:
    out = retention_cells(source, query)
    retained = out.retained.copy()
    retained[:, -1] += 1
    return attrs.evolve(out, retained=retained)


def _forgets_the_zone(source: object, query: RetentionQuery) -> RetentionCells:
    return retention_cells(source, attrs.evolve(query, tz="UTC"))


def _no_dormant(source: object, query: LifecycleQuery) -> LifecycleCells:
    out = lifecycle_cells(source, query)
    counts = out.counts.copy()
    counts[:, :, 3] = 0
    return attrs.evolve(out, counts=counts)


def _lifecycle_forgets_the_zone(source: object, query: LifecycleQuery) -> LifecycleCells:
    return lifecycle_cells(source, attrs.evolve(query, tz="UTC"))


@pytest.mark.parametrize(
    ("capability", "impl"),
    [
        ("retention_cells", _off_by_one),
        ("retention_cells", _forgets_the_zone),
        ("lifecycle_cells", _no_dormant),
        ("lifecycle_cells", _lifecycle_forgets_the_zone),
    ],
)
def test_kit_catches_a_wrong_backend(capability, impl) -> None:
    wrong = Backend(
        "wrong",
        accepts=lambda _: False,
        capabilities={capability: impl},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError, match=capability):
        lf.engines.check_backend(wrong, capabilities=[capability])


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
