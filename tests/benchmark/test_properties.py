"""Property tests of comparisons (the statistics themselves: tests/test_stats.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from linkstar_funnel.benchmark import Benchmark

RATES = st.floats(0.001, 0.999, allow_nan=False)


@st.composite
def counts(draw: st.DrawFn, max_n: int = 5_000) -> tuple[int, int]:
    n = draw(st.integers(1, max_n))
    return draw(st.integers(0, n)), n


_MIRROR = {"below": "above", "above": "below", "in line": "in line"}


@given(
    st.lists(st.tuples(counts(max_n=3_000), RATES), min_size=1, max_size=6),
    st.sampled_from(["score", "exact"]),
)
def test_verdicts_flip_symmetrically(rows: list[tuple[tuple[int, int], float]], test: str) -> None:
    stages = [f"s{i}" for i in range(len(rows))]
    obs = pd.DataFrame(
        {"stage": stages, "successes": [c[0] for c, _ in rows], "trials": [c[1] for c, _ in rows]}
    )
    flipped = obs.assign(successes=obs["trials"] - obs["successes"])
    rates = {s: r for s, (_, r) in zip(stages, rows, strict=True)}
    bench = Benchmark.from_rates(rates, source="t", as_of="2026")
    mirror = Benchmark.from_rates({s: 1 - r for s, r in rates.items()}, source="t", as_of="2026")
    a = bench.compare(obs, test=test).to_frame()  # type: ignore[arg-type]
    b = mirror.compare(flipped, test=test).to_frame()  # type: ignore[arg-type]
    np.testing.assert_allclose(a["p_value"], b["p_value"], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(a["difference"], -b["difference"], atol=1e-12)
    np.testing.assert_allclose(a["ci_low"], 1 - b["ci_high"], atol=1e-9)
    near = np.isclose(a["q_value"], 0.05, rtol=1e-6)  # a knife-edge q can round either way
    assert [_MIRROR[v] for v in a["verdict"][~near]] == list(b["verdict"][~near])
