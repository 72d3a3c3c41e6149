"""Zero values in LMDI: the analytical limits of Ang & Liu (2007), not a small epsilon."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.kpi import KPITree

TREE = KPITree.from_formula("gmv = traffic * cvr * aov")


def contributions(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return TREE.decompose(before, after, method="lmdi").contributions


def test_a_factor_from_zero_takes_the_whole_new_value() -> None:
    # Ang & Liu case 1: V^0 = 0 because x^0 = 0 -> that factor's effect is V^T.
    c = contributions(
        {"traffic": 0, "cvr": 0.02, "aov": 50}, {"traffic": 1000, "cvr": 0.03, "aov": 40}
    )
    assert c == pytest.approx({"traffic": 1200.0, "cvr": 0.0, "aov": 0.0})


def test_a_factor_to_zero_takes_minus_the_old_value() -> None:
    # Case 2: V^T = 0 because x^T = 0 -> that factor's effect is -V^0.
    c = contributions(
        {"traffic": 1000, "cvr": 0.02, "aov": 50}, {"traffic": 800, "cvr": 0.0, "aov": 60}
    )
    assert c == pytest.approx({"traffic": 0.0, "cvr": -1000.0, "aov": 0.0})


def test_two_factors_from_zero_share_the_change_equally() -> None:
    c = contributions(
        {"traffic": 0, "cvr": 0.0, "aov": 50}, {"traffic": 1000, "cvr": 0.02, "aov": 50}
    )
    assert c == pytest.approx({"traffic": 500.0, "cvr": 500.0, "aov": 0.0})


def test_zero_in_both_periods_contributes_nothing() -> None:
    c = contributions(
        {"traffic": 0, "cvr": 0.02, "aov": 50}, {"traffic": 0, "cvr": 0.03, "aov": 70}
    )
    assert c == pytest.approx({"traffic": 0.0, "cvr": 0.0, "aov": 0.0})
    c = contributions(
        {"traffic": 0, "cvr": 0.02, "aov": 50}, {"traffic": 10, "cvr": 0.0, "aov": 70}
    )
    assert c == pytest.approx({"traffic": 0.0, "cvr": 0.0, "aov": 0.0})


def test_the_limit_is_what_a_vanishing_epsilon_tends_to() -> None:
    before = {"traffic": 1000.0, "cvr": 0.02, "aov": 50.0}
    after = {"traffic": 1200.0, "cvr": 0.0, "aov": 55.0}
    exact = contributions(before, after)["cvr"]
    errors = []
    for eps in (1e-10, 1e-50, 1e-200):
        approx = contributions(before, {**after, "cvr": eps})["cvr"]
        errors.append(abs(approx - exact))
    assert errors[0] > errors[1] > errors[2]  # slowly (like 1/ln(1/eps)), towards the limit
    assert errors[2] < 0.01 * abs(exact)


def test_a_new_segment_and_a_lost_segment() -> None:
    before = pd.DataFrame(
        {
            "country": ["UK", "FR"],
            "traffic": [1000.0, 500.0],
            "cvr": [0.02, 0.01],
            "aov": [50.0, 40.0],
        }
    )
    after = pd.DataFrame(
        {
            "country": ["UK", "DE"],
            "traffic": [1100.0, 300.0],
            "cvr": [0.02, 0.02],
            "aov": [50.0, 45.0],
        }
    )
    d = TREE.decompose(before, after, by="country")
    assert math.isclose(math.fsum(d.contributions.values()), d.total)
    assert d.total == pytest.approx(1100 + 270 - 1000 - 200)
    seg = d.to_frame(by_segment=True)
    fr = seg[(seg["country"] == "FR") & (seg["level"] == 1)]
    # absent: every factor is 0 in the period the segment is missing; they share its value
    assert fr["contribution"].to_numpy() == pytest.approx([-200 / 3] * 3)
    assert any("only in the 'before' period: FR" in n for n in d.notes)
    assert any("only in the 'after' period: DE" in n for n in d.notes)


def test_structure_puts_new_segments_in_the_structure_effect() -> None:
    before = pd.DataFrame(
        {
            "country": ["UK", "FR"],
            "traffic": [1000.0, 500.0],
            "cvr": [0.02, 0.01],
            "aov": [50.0, 40.0],
        }
    )
    after = pd.DataFrame(
        {
            "country": ["UK", "DE"],
            "traffic": [1000.0, 300.0],
            "cvr": [0.02, 0.02],
            "aov": [50.0, 45.0],
        }
    )
    d = TREE.decompose_structure(before, after, by="country", activity="traffic")
    with pytest.warns(lf.DataQualityWarning, match="share is NaN"):  # UK unchanged
        seg = d.to_frame(by_segment=True)
    de = seg[(seg["country"] == "DE") & (seg["level"] == 1)].set_index("node")["contribution"]
    assert de["traffic_share"] == pytest.approx(270.0)
    assert de[["traffic_total", "cvr", "aov"]].abs().max() < 1e-9
    assert math.isclose(math.fsum(d.contributions.values()), d.total)
    assert d.to_frame().set_index("node")["effect"].to_dict()["traffic_share"] == "structure"


def test_negative_values_point_to_shapley() -> None:
    tree = KPITree.from_formula("profit = revenue - cost")
    with pytest.raises(lf.ParameterError, match="method='shapley'") as info:
        tree.decompose({"revenue": 10, "cost": 12}, {"revenue": 15, "cost": 11}, method="lmdi")
    assert "'profit'" in str(info.value)
    d = tree.decompose({"revenue": 10, "cost": 12}, {"revenue": 15, "cost": 11}, method="shapley")
    assert d.contributions == pytest.approx({"revenue": 5.0, "cost": 1.0})


def test_shapley_handles_zeros_without_special_cases() -> None:
    before = {"traffic": 0.0, "cvr": 0.0, "aov": 50.0}
    after = {"traffic": 1000.0, "cvr": 0.02, "aov": 50.0}
    c = TREE.decompose(before, after, method="shapley").contributions
    assert c == pytest.approx({"traffic": 500.0, "cvr": 500.0, "aov": 0.0})
    assert np.isclose(sum(c.values()), 1000.0)
