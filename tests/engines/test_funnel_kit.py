"""The ``funnel_levels`` conformance cases: built-in backends pass, a wrong one fails loudly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.engines import Backend, backend_for, check_backend
from linkstar_funnel.engines._funnel import FunnelDurations, FunnelLevels, FunnelQuery
from linkstar_funnel.engines.memory.funnel import funnel_levels
from linkstar_funnel.errors import ConformanceError
from linkstar_funnel.funnel import Funnel

pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")


def _needs_sql() -> None:
    pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
    pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")


def test_the_in_memory_backend_passes() -> None:
    check_backend("pandas", capabilities=["funnel_levels"])


def test_the_ibis_backend_passes() -> None:
    _needs_sql()
    check_backend("ibis", capabilities=["funnel_levels"])


def _shifted(source: Any, query: FunnelQuery) -> FunnelLevels:
    """Levels one step too far, no drops counted, and bad input accepted as empty."""
    if len(source) == 0 or query.user not in source or source[query.time].isna().all():
        source = pd.DataFrame(
            {query.user: ["u"], query.time: [pd.Timestamp("2026-01-01")], query.event: ["a"]}
        )
    out = funnel_levels(source, attrs.evolve(query, by=()))
    level = np.where(out.level >= 1, np.minimum(out.level + 1, query.n_stages), out.level)
    return attrs.evolve(
        out,
        level=level.astype(np.int8),
        accounting=attrs.evolve(out.accounting, dropped=()),
    )


def test_a_wrong_backend_fails_with_every_failure_listed() -> None:
    wrong = Backend(
        name="shifted",
        accepts=lambda _: False,
        capabilities={"funnel_levels": _shifted},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError) as info:
        check_backend(wrong, capabilities=["funnel_levels"])
    text = str(info.value)
    assert "ordered: records per (segment, level) differ" in text
    assert "missing ids and times: row accounting" in text
    assert "a missing column: raised nothing, not ColumnNotFoundError" in text
    assert "an empty frame: raised nothing, not EmptyFrameError" in text
    assert "per-entity levels, reach times or chain starts differ" in text
    assert text.count("\n- ") >= 15


def test_a_backend_returning_something_else_is_reported() -> None:
    other = Backend(
        name="other",
        accepts=lambda _: False,
        capabilities={"funnel_levels": lambda _source, _query: {"levels": []}},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError, match="returned dict, not FunnelLevels"):
        check_backend(other, capabilities=["funnel_levels"])


def _small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b", None],
            "timestamp": pd.to_datetime(
                ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-01", "2026-01-20", None]
            ),
            "event": ["visit", "cart", "order", "visit", "cart", "visit"],
        }
    )


def test_parquet_paths_go_to_the_ibis_backend(tmp_path: Path) -> None:
    _needs_sql()
    path = tmp_path / "events.parquet"
    _small().to_parquet(path)
    assert backend_for(path).name == backend_for(str(path)).name == "ibis"
    spec = Funnel(["visit", "cart", "order"])
    for source in (path, str(path)):
        result = spec.compute(source)
        assert result.to_frame()["users"].tolist() == [2, 1, 1]
        assert any("SQL engine (duckdb" in n for n in result.provenance.notes)
        assert str(result.provenance.inputs["events"]).startswith("6 rows in, 5 used")
    memory = spec.compute(_small())
    pd.testing.assert_frame_equal(spec.compute(path).to_frame(), memory.to_frame())


def _late(source: Any, query: FunnelQuery) -> FunnelLevels:
    """The in-memory levels without a drill-down, every duration 1 ns too long."""
    out = funnel_levels(source, query)
    durations = out.step_durations(query.n_stages)
    assert durations is not None
    late = FunnelDurations(
        tuple(d + 1 for d in durations.to_convert), tuple(d + 1 for d in durations.between_steps)
    )
    return attrs.evolve(
        out, entities=None, offsets=None, reach_ns=None, start_ns=None, durations=lambda: late
    )


def test_wrong_durations_are_reported() -> None:
    late = Backend(
        name="late",
        accepts=lambda _: False,
        capabilities={"funnel_levels": _late},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError) as info:
        check_backend(late, capabilities=["funnel_levels"])
    text = str(info.value)
    assert "exclusions: durations differ (time to convert, step 2" in text
    assert "records per (segment, level) differ" not in text
