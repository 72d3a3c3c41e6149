"""The demo experiment recovers its known lift through FunnelResult.experiment."""

from __future__ import annotations

import functools

import matplotlib as mpl
import pytest

import linkstar_funnel as lf
from linkstar_funnel.datasets import DemoExperiment, make_demo_experiment
from linkstar_funnel.errors import SchemaError
from linkstar_funnel.experiment import ExperimentResult
from linkstar_funnel.results import check_result

STAGES = ["impression", "product_view", "add_to_cart", "checkout"]


@functools.cache
def demo() -> DemoExperiment:
    return make_demo_experiment(n_users=10_000, seed=3, lift=0.3)


def test_the_known_lift_is_found_and_only_there() -> None:
    d = demo()
    funnel = lf.Funnel(STAGES).compute(d.events, by="variant")
    res = funnel.experiment(control="control", rate="conversion_from_previous")
    assert isinstance(res, ExperimentResult)
    t = res.to_frame().set_index(["stage", "variant"])
    cart = t.loc[("add_to_cart", "B")]
    assert cart["significant"]
    assert cart["ci_low"] < d.lift < cart["ci_high"]
    for stage in ("product_view", "checkout"):
        row = t.loc[(stage, "B")]
        assert row["ci_low"] < 0 < row["ci_high"]
    assert res.lines()[0].startswith("B raises add_to_cart by ")
    assert res.srm_p_value > 0.001
    mpl.use("Agg")
    check_result(res)


def test_demo_frames() -> None:
    d = demo()
    assert set(d.events["variant"].unique()) == {"control", "B"}
    assert d.per_user["user_id"].is_unique
    assert d.per_user.columns.tolist() == ["user_id", "variant", "orders", "revenue"]
    assert (d.per_user["orders"] >= 0).all()
    assert "add_to_cart" in repr(d)


def test_experiment_needs_the_variant_column_alone() -> None:
    funnel = lf.Funnel(STAGES[:2]).compute(demo().events, by=["variant", "device"])
    with pytest.raises(SchemaError, match="by= the variant"):
        funnel.experiment(control="control")
