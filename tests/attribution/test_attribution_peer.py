"""Against ChannelAttribution 2.2.5 outputs stored as fixtures (see data/make_peer_fixtures.py).

Heuristics must agree to rounding. Markov: ChannelAttribution simulates the same chain
(2e6 walks for the fixtures); the exact solution must lie within its simulation error.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

import linkstar_funnel.attribution as la

DATA = Path(__file__).parent / "data"
FIXTURES = json.loads((DATA / "channelattribution_fixtures.json").read_text(encoding="utf-8"))


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_peer_fixtures", DATA / "make_peer_fixtures.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def journeys(name: str) -> la.Journeys:
    inputs = FIXTURES[name]["inputs"]
    df = _generator().generated_paths(inputs["seed"], inputs["n"], inputs["n_channels"])
    return la.Journeys.from_paths(df, conversions="conv", value="value", null="null")


def test_fixtures_name_their_producer() -> None:
    assert FIXTURES["produced_by"].startswith("ChannelAttribution 2.2.5")


@pytest.mark.parametrize("name", ["small", "medium"])
def test_heuristics_equal_channelattribution(name: str) -> None:
    j = journeys(name)
    expected = FIXTURES[name]["heuristic"]
    assert set(expected) == set(j.channels)
    for k, model in enumerate([la.FirstTouch(), la.LastTouch(), la.Linear()]):
        res = model.attribute(j)
        conv, val = res.credit(), res.credit("value")
        for ch, row in expected.items():
            assert conv[ch] == pytest.approx(row[2 * k], rel=1e-12, abs=1e-9), (model, ch)
            assert val[ch] == pytest.approx(row[2 * k + 1], rel=1e-12, abs=1e-9), (model, ch)


@pytest.mark.parametrize("name", ["small", "medium"])
def test_exact_markov_within_simulation_error(name: str) -> None:
    j = journeys(name)
    res = la.Markov().attribute(j)
    simulated = FIXTURES[name]["markov_simulated"]
    conv, val = res.credit(), res.credit("value")
    for ch, (sim_conv, sim_val) in simulated.items():
        # 2e6 simulated walks: a few percent on these small samples' channels.
        assert conv[ch] == pytest.approx(sim_conv, rel=0.05), ch
        assert val[ch] == pytest.approx(sim_val, rel=0.08), ch
    total = sum(abs(conv[ch] - c) for ch, (c, _) in simulated.items())
    assert total / j.total_conversions < 0.03
