"""Generated messy inputs for KPI trees: a typed error or a finite result.

Every column may hold missing values, come as a nullable or Arrow dtype; frames may be
empty or one row long. The contract: a ``LinkstarError``, or a result whose numbers are
finite (where no warning said otherwise), with the rows left out counted; the caller's
frames never change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar_funnel.kpi import KPITree

from ..strategies import finite_or_typed, messy_column

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every machine
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


TREE = KPITree.from_formula("gmv = sessions * cvr * aov\ncvr = orders / sessions")


@st.composite
def kpi_frames(draw: st.DrawFn, n: int | None = None) -> pd.DataFrame:
    n = draw(st.integers(0, 5)) if n is None else n
    counts = st.floats(0, 1e4)
    return pd.DataFrame(
        {
            "segment": messy_column(draw, n, "text", st.sampled_from(["x", "y", "z"])),
            "sessions": messy_column(draw, n, "number", counts),
            "orders": messy_column(draw, n, "number", counts),
            "aov": messy_column(draw, n, "number", st.floats(-10, 1e3)),
        }
    )


@SETTINGS
@given(data=st.data(), keyed=st.booleans(), method=st.sampled_from(["lmdi", "shapley"]))
def test_kpi_decompose_on_messy_frames(data, keyed: bool, method: str) -> None:
    before = data.draw(kpi_frames())
    after = data.draw(kpi_frames(None if keyed else len(before)))
    copies = before.copy(deep=True), after.copy(deep=True)
    seg = "segment" if keyed else None
    d, caught = finite_or_typed(lambda: TREE.decompose(before, after, method, by=seg))
    pd.testing.assert_frame_equal(before, copies[0])
    pd.testing.assert_frame_equal(after, copies[1])
    if d is None:
        return
    assert not caught, [str(w.message) for w in caught]
    assert np.isfinite(d.total)
    # Exact up to the rounding of the terms (Shapley's coalitions may dwarf the change).
    terms = max([abs(v) for v in d.contributions.values()] + [abs(d.root_before), 1.0])
    assert sum(d.contributions.values()) == pytest.approx(d.total, abs=1e-9 * terms)
    rows = {p: d.provenance.inputs[p] for p in ("before", "after")}
    assert rows["before"].rows_used + rows["after"].rows_used >= len(d.keys)


@SETTINGS
@given(frame=kpi_frames(), zero=st.sampled_from(["raise", "nan"]))
def test_kpi_evaluate_on_messy_frames(frame, zero) -> None:
    copy = frame.copy(deep=True)
    v, caught = finite_or_typed(lambda: TREE.evaluate(frame, by="segment", zero_division=zero))
    pd.testing.assert_frame_equal(frame, copy)
    if v is None:
        return
    wide = v.wide()
    assert len(wide) == v.provenance.inputs["frame"].rows_used
    nodes = wide[list(TREE.names)].to_numpy()
    if not caught:  # overflow (a subnormal denominator) warns; otherwise all is finite
        assert np.isfinite(nodes).all() or zero == "nan"
        assert not np.isinf(nodes).any()
    else:
        assert all("beyond the largest float64" in str(w.message) for w in caught)
