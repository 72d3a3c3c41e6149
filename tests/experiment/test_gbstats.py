"""Agreement with GrowthBook's gbstats (the version in the fixtures) to 1e-6.

The fixtures were made by ``make_fixtures.py`` in gbstats' own virtual environment; these
tests need neither gbstats nor its pandas. Rates go through the public ``compare_rates``
(the fixtures hold the counts); means, ratio metrics and CUPED through the same internal
path ``compare_means`` takes from its per-user sums (``test_compare.py`` checks that path
against per-user data).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.experiment import _inference as inf
from linkstar_funnel.experiment import _moments as mom
from linkstar_funnel.experiment import compare_rates, srm_p_value

FIXTURES = Path(__file__).parent / "fixtures"
RTOL, ATOL = 1e-6, 1e-9
KINDS = ("relative", "absolute")


def _load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return doc


def test_the_fixtures_say_which_gbstats_made_them() -> None:
    for name in ("gbstats_rates.json", "gbstats_means.json", "gbstats_cuped.json"):
        doc = _load(name)
        assert doc["peer"] == "gbstats"
        assert doc["version"] == "0.8.0"
        assert doc["script"] == "tests/experiment/make_fixtures.py"


def _close(mine: float, ref: float, what: str) -> None:
    assert np.isclose(mine, ref, rtol=RTOL, atol=ATOL), f"{what}: {mine!r} != gbstats {ref!r}"


def _check_frequentist(row: pd.Series, ref: dict[str, Any], tag: str) -> None:
    _close(row["lift"], ref["lift"], f"{tag} lift")
    _close(row["ci_low"], ref["ci"][0], f"{tag} ci_low")
    _close(row["ci_high"], ref["ci"][1], f"{tag} ci_high")
    _close(row["p_value"], ref["p_value"], f"{tag} p_value")


def _check_bayesian(row: pd.Series, ref: dict[str, Any], tag: str) -> None:
    _close(row["lift"], ref["lift"], f"{tag} lift")
    _close(row["ci_low"], ref["ci"][0], f"{tag} ci_low")
    _close(row["ci_high"], ref["ci"][1], f"{tag} ci_high")
    _close(row["chance_to_win"], ref["chance_to_win"], f"{tag} chance_to_win")
    # gbstats' risk is [risk of keeping the control, risk of shipping the variant].
    _close(row["risk_control"], ref["risk"][0], f"{tag} risk_control")
    _close(row["risk"], ref["risk"][1], f"{tag} risk")


@pytest.mark.parametrize("method", ["frequentist", "sequential", "bayesian"])
def test_compare_rates_equals_gbstats(method: str) -> None:
    """The public path on 12 cases (every case goes through the same kernels below)."""
    cases = _load("gbstats_rates.json")["cases"]
    assert len(cases) >= 50
    for i, case in enumerate(cases[:12]):
        inp = case["input"]
        counts = pd.DataFrame({"variant": ["A", "B"], "users": inp["n"], "conversions": inp["x"]})
        for kind in KINDS:
            ref = case["gbstats"][kind][method]
            assert ref["error"] is None
            res = compare_rates(
                counts,
                control="A",
                method=method,  # type: ignore[arg-type]
                alpha=inp["alpha"],
                absolute=kind == "absolute",
                correction=None,
                sequential_tuning=inp["tuning"],
                weights=dict(zip("AB", inp["n"], strict=True)),  # unequal arms on purpose
            )
            row = res.to_frame().iloc[1]
            tag = f"case {i} {kind} {method}"
            if method == "bayesian":
                _check_bayesian(row, ref, tag)
            else:
                _check_frequentist(row, ref, tag)
                assert row["p_value_adjusted"] == row["p_value"]


def _arms(kind: str, inp: dict[str, Any]) -> tuple[mom.Arm, mom.Arm]:
    if kind == "rates":
        return tuple(  # type: ignore[return-value]
            mom.proportion_arm(np.array([float(n)]), np.array([float(x)]))
            for n, x in zip(inp["n"], inp["x"], strict=True)
        )
    sides = [tuple(np.array([float(v)]) for v in arm) for arm in inp["arms"]]
    if kind == "cuped":
        a, b, _ = mom.cuped_pair(sides[0], sides[1])
        return a, b
    make = mom.ratio_arm if kind == "ratios" else mom.sample_mean_arm
    return make(*sides[0]), make(*sides[1])


@pytest.mark.parametrize("kind", ["rates", "means", "ratios", "cuped"])
def test_every_case_equals_gbstats(kind: str) -> None:
    cases = _load(f"gbstats_{kind}.json")["cases"]
    assert len(cases) >= 30
    for i, case in enumerate(cases):
        inp = case["input"]
        a, b = _arms(kind, inp)
        for diff in KINDS:
            e = mom.effect(a, b, relative=diff == "relative")
            ok, _ = inf.defined(e, relative=diff == "relative")
            assert ok.all()
            tag = f"{kind} case {i} {diff}"
            fr = {k: float(v[0]) for k, v in inf.frequentist(e, inp["alpha"]).items()}
            sq = {k: float(v[0]) for k, v in inf.sequential(e, inp["alpha"], inp["tuning"]).items()}
            by = {k: float(v[0]) for k, v in inf.bayesian(e, inp["alpha"]).items()}
            lift = float(e.estimate[0])
            ref = case["gbstats"][diff]
            _check_frequentist(pd.Series({**fr, "lift": lift}), ref["frequentist"], tag)
            _check_frequentist(pd.Series({**sq, "lift": lift}), ref["sequential"], tag)
            _check_bayesian(pd.Series({**by, "lift": lift}), ref["bayesian"], tag)


def test_srm_equals_gbstats() -> None:
    cases = _load("gbstats_srm.json")["cases"]
    for case in cases:
        _close(srm_p_value(case["users"], case["weights"]), case["p_value"], "srm")
