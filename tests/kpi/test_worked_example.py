"""The worked example of issue 5, reproduced to the published figures (the external reference).

traffic 100,000 → 110,000, CVR 2.0% → 1.7%, AOV 50 → 53: GMV 100,000 → 99,110.
LMDI: traffic +9,488.5, CVR -16,179.5, AOV +5,800.9; Shapley: +9,520, -16,230, +5,820.
Sequential substitution: the CVR effect ranges from -15,000 to -17,490 over the six orders.
Mix/rate: mobile share 60% → 70%, mobile CVR 1.2% → 1.1%, desktop CVR 3.0% → 3.1%:
ΔCVR -0.22 pp = mix -0.19 pp + rate -0.03 pp.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest

from linkstar_funnel.kpi import KPITree, mix_rate

BEFORE = {"traffic": 100_000, "cvr": 0.020, "aov": 50.0}
AFTER = {"traffic": 110_000, "cvr": 0.017, "aov": 53.0}


@pytest.fixture
def tree() -> KPITree:
    return KPITree.from_formula("gmv = traffic * cvr * aov")


def test_gmv_before_and_after(tree: KPITree) -> None:
    d = tree.decompose(BEFORE, AFTER)
    assert d.root_before == pytest.approx(100_000)
    assert d.root_after == pytest.approx(99_110)
    assert d.total == pytest.approx(-890)


def test_lmdi_figures(tree: KPITree) -> None:
    c = tree.decompose(BEFORE, AFTER, method="lmdi").contributions
    assert round(c["traffic"], 1) == 9_488.5
    assert round(c["cvr"], 1) == -16_179.5
    assert round(c["aov"], 1) == 5_800.9
    assert math.fsum(c.values()) == pytest.approx(-890, abs=1e-9)


def test_lmdi_multiplicative_factors_are_the_ratios_for_one_segment(tree: KPITree) -> None:
    d = tree.decompose(BEFORE, AFTER)
    f = d.factors
    assert f == pytest.approx({"traffic": 1.1, "cvr": 0.85, "aov": 1.06})
    assert math.prod(f.values()) == pytest.approx(99_110 / 100_000)
    assert d.to_frame()["factor"].iloc[0] == pytest.approx(0.9911)


def test_shapley_figures(tree: KPITree) -> None:
    c = tree.decompose(BEFORE, AFTER, method="shapley").contributions
    assert c == pytest.approx({"traffic": 9_520, "cvr": -16_230, "aov": 5_820}, abs=1e-6)


def test_sequential_cvr_effect_spans_the_published_range(tree: KPITree) -> None:
    effects = []
    for order in itertools.permutations(["traffic", "cvr", "aov"]):
        d = tree.decompose(BEFORE, AFTER, method="sequential", order=order)
        assert d.order_dependent
        assert math.fsum(d.contributions.values()) == pytest.approx(-890)
        effects.append(d.contributions["cvr"])
    assert min(effects) == pytest.approx(-17_490)
    assert max(effects) == pytest.approx(-15_000)
    assert len({round(e, 6) for e in effects}) == 4  # the answer depends on the order


def test_sequential_is_labelled_order_dependent(tree: KPITree) -> None:
    d = tree.decompose(BEFORE, AFTER, method="sequential", order=["cvr", "aov", "traffic"])
    text = str(d.summary())
    assert "order dependent" in text
    assert "['cvr', 'aov', 'traffic']" in text


def test_mix_rate_figures() -> None:
    before = pd.DataFrame(
        {"device": ["mobile", "desktop"], "weight": [0.6, 0.4], "rate": [0.012, 0.030]}
    )
    after = pd.DataFrame(
        {"device": ["mobile", "desktop"], "weight": [0.7, 0.3], "rate": [0.011, 0.031]}
    )
    r = mix_rate(before, after, by="device", name="cvr")
    assert r.before == pytest.approx(0.0192)
    assert r.after == pytest.approx(0.0170)
    assert round(r.total * 100, 2) == -0.22
    assert round(r.mix * 100, 2) == -0.19
    assert round(r.rate * 100, 2) == -0.03
    assert r.mix + r.rate == pytest.approx(r.total, abs=1e-15)
    assert not r.one_period.any()


def test_mix_rate_from_a_ratio_node_with_counts() -> None:
    tree = KPITree.from_formula("cvr = orders / sessions")
    before = pd.DataFrame(
        {"device": ["mobile", "desktop"], "sessions": [6_000, 4_000], "orders": [72, 120]}
    )
    after = pd.DataFrame(
        {"device": ["mobile", "desktop"], "sessions": [7_000, 3_000], "orders": [77, 93]}
    )
    r = tree.mix_rate(before, after, node="cvr", by="device")
    assert r.mix == pytest.approx(-0.0019)
    assert r.rate == pytest.approx(-0.0003)


def test_target_for_the_example(tree: KPITree) -> None:
    # GMV back to 100,000 at the new traffic and AOV: CVR must be 100,000 / (110,000 * 53).
    t = tree.target(100_000, driver="cvr", at=AFTER)
    assert t.required_value == pytest.approx(100_000 / (110_000 * 53))
    assert t.lift == pytest.approx(100_000 / 99_110 - 1)
