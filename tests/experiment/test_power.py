"""sample_size and minimum_detectable_effect against statsmodels.stats.power (fixtures)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from linkstar_funnel.errors import ParameterError
from linkstar_funnel.experiment import _power, minimum_detectable_effect, sample_size

DOC = json.loads((Path(__file__).parent / "fixtures" / "statsmodels_power.json").read_text())


def test_fixtures_name_their_peer() -> None:
    assert DOC["peer"] == "statsmodels"
    assert DOC["script"] == "tests/experiment/make_fixtures.py"


@pytest.mark.parametrize("case", DOC["cases"]["power"][:40])
def test_sample_size_equals_statsmodels(case: dict[str, float]) -> None:
    """NormalIndPower().solve_power(proportion_effectsize(p1, p0), alpha / (k - 1), power)."""
    a = case["alpha"] / (case["variants"] - 1)
    exact = _power.users_needed(case["baseline"], case["mde"], a, case["power"])
    assert exact == pytest.approx(case["users_per_variant"], rel=1e-6)
    n = sample_size(
        baseline=case["baseline"],
        mde=case["mde"],
        alpha=case["alpha"],
        power=case["power"],
        variants=int(case["variants"]),
    )
    assert n == math.ceil(case["users_per_variant"])


@pytest.mark.parametrize("case", DOC["cases"]["power"][:40])
def test_mde_equals_statsmodels(case: dict[str, float]) -> None:
    """The MDE's effect size is statsmodels' (to its root finder's tolerance, which is
    loose: its power misses the target by up to 3e-4), and ours meets the power exactly."""
    a = case["alpha"] / (case["variants"] - 1)
    mde = minimum_detectable_effect(
        users=int(case["users"]),
        baseline=case["baseline"],
        alpha=case["alpha"],
        power=case["power"],
        variants=int(case["variants"]),
    )
    h = _power._h(case["baseline"] * (1 + mde), case["baseline"])
    assert h == pytest.approx(case["effect_size_for_users"], abs=1e-5)
    assert _power._power(h, case["users"], a) == pytest.approx(case["power"], abs=1e-9)


def test_round_trip_and_refusals() -> None:
    n = sample_size(baseline=0.03, mde=0.10, alpha=0.05, power=0.8, variants=2)
    mde = minimum_detectable_effect(users=n, baseline=0.03, alpha=0.05, power=0.8)
    assert 0.0999 < mde <= 0.1
    assert sample_size(baseline=0.03, mde=-0.10) > 0
    with pytest.raises(ParameterError, match="'mde'"):
        sample_size(baseline=0.6, mde=1.0)
    with pytest.raises(ParameterError, match="'users'"):
        minimum_detectable_effect(users=3, baseline=0.5, power=0.99)
    with pytest.raises(ParameterError, match="'variants'"):
        sample_size(baseline=0.03, mde=0.1, variants=1)
