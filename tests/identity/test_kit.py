"""The ``identity_components`` conformance cases: the in-memory and the Ibis (DuckDB)
implementations agree; a wrong implementation fails loudly.

The backends register the capability in ``engines/_builtin.py``; until they do, the cases
run here on the two functions directly.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pytest

from linkstar_funnel._conformance import ConformanceKit
from linkstar_funnel.engines._identity import IdentityComponents, IdentityQuery
from linkstar_funnel.engines._kit_identity import identity_cases
from linkstar_funnel.engines.memory.identity import identity_components

pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")


def _check(run: Any) -> list[str]:
    kit = ConformanceKit("identity", "identity_components")
    identity_cases(kit, run, identity_components)
    return kit.failures


def test_the_in_memory_implementation_passes() -> None:
    assert _check(identity_components) == []


def test_the_ibis_implementation_passes_on_duckdb() -> None:
    ibis = pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
    pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")
    from linkstar_funnel.engines.sql._identity import identity_components as sql_components

    def run(frame: Any, query: IdentityQuery) -> IdentityComponents:
        return sql_components(ibis.memtable(frame), query)

    assert _check(run) == []


def _wrong(source: Any, query: IdentityQuery) -> IdentityComponents:
    """Merges every id into one person and forgets the guard and the accounting."""
    out = identity_components(source, attrs.evolve(query, max_partners=None))
    return attrs.evolve(
        out,
        component=np.zeros_like(out.component),
        accounting=tuple(attrs.evolve(a, dropped=()) for a in out.accounting),
    )


def test_a_wrong_implementation_fails_with_every_failure_listed() -> None:
    failures = _check(_wrong)
    text = "\n".join(failures)
    assert "persons differ" in text
    assert "over-connected ids" in text
    assert "row accounting" in text
    assert len(failures) >= 6
