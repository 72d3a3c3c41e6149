"""Issue 12 for KPI trees: no silently wrong number, one typed error for every bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel.kpi import KPITree, mix_rate

TREE = KPITree.from_formula("gmv = traffic * cvr")
EMPTY = pd.DataFrame()


def reference_pairs(before: list[tuple[float, float]], after: list[tuple[float, float]]):
    """Row i of one period against row i of the other; a pair with a hole is left out."""
    return [
        (b, a) for b, a in zip(before, after, strict=True) if not any(np.isnan(x) for x in (*b, *a))
    ]


maybe = st.one_of(st.floats(0.5, 100, allow_nan=False), st.just(float("nan")))


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.tuples(maybe, maybe), st.tuples(maybe, maybe)), min_size=1, max_size=6
    )
)
def test_rows_without_keys_stay_paired_after_dropping_holes(rows) -> None:
    before = [b for b, _ in rows]
    after = [a for _, a in rows]
    pairs = reference_pairs(before, after)
    frames = [
        pd.DataFrame({"traffic": [r[0] for r in p], "cvr": [r[1] for r in p]})
        for p in (before, after)
    ]
    if not pairs:
        with pytest.raises(lf.EmptyFrameError):
            TREE.decompose(*frames)
        return
    d = TREE.decompose(*frames)
    want = sum(a[0] * a[1] - b[0] * b[1] for b, a in pairs)
    assert d.total == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert d.root_before == pytest.approx(sum(b[0] * b[1] for b, _ in pairs), rel=1e-9)
    dropped = len(rows) - len(pairs)
    for period in ("before", "after"):
        assert d.provenance.inputs[period].rows_dropped == dropped


def test_keyed_segment_with_a_hole_is_left_out_of_both_periods() -> None:
    b = pd.DataFrame({"s": ["x", "y", "z"], "traffic": [1.0, np.nan, 3.0], "cvr": [1.0] * 3})
    a = pd.DataFrame({"s": ["x", "y", "z"], "traffic": [1.0, 2.0, np.nan], "cvr": [1.0] * 3})
    d = TREE.decompose(b, a, by="s")
    assert d.keys["s"].tolist() == ["x"]
    assert d.total == 0.0
    assert not d.notes  # no segment is "only in one period": they were dropped and counted
    lines = " ".join(d.provenance.lines())
    assert "missing traffic" in lines
    assert "dropped in the other period" in lines


def test_mix_rate_keeps_zero_weight_segments_but_drops_holes() -> None:
    before = pd.DataFrame(
        {"d": ["m", "w", "t"], "weight": [0.0, 40, 10], "rate": [np.nan, 0.03, 0.2]}
    )
    after = pd.DataFrame(
        {"d": ["m", "w", "t"], "weight": [10, 30, 10], "rate": [0.01, 0.03, np.nan]}
    )
    with pytest.warns(lf.DataQualityWarning, match="one period only"):
        r = mix_rate(before, after, by="d")
    assert r.keys["d"].tolist() == ["m", "w"]  # t has no rate after: dropped, counted
    assert r.one_period.tolist() == [True, False]
    assert r.provenance.inputs["after"].rows_dropped == 1


# --------------------------------------------------------------------------- overflow


def test_evaluate_warns_when_a_node_overflows() -> None:
    with pytest.warns(lf.DataQualityWarning, match=r"'gmv'.*beyond the largest float64"):
        v = TREE.evaluate(pd.DataFrame({"traffic": [1e200, 2.0], "cvr": [1e200, 3.0]}))
    assert np.isinf(v.arrays["gmv"][0])
    assert v.arrays["gmv"][1] == 6.0


@pytest.mark.parametrize("method", ["lmdi", "shapley"])
def test_decompose_refuses_overflowing_nodes(method: str) -> None:
    with pytest.raises(lf.ParameterError, match=r"'gmv'.*beyond the largest float64"):
        TREE.decompose({"traffic": 1e200, "cvr": 1e200}, {"traffic": 2.0, "cvr": 1.0}, method)


def test_a_change_beyond_float_range_is_refused() -> None:
    tree = KPITree.from_formula("net = gross - refunds")
    with pytest.raises(lf.ParameterError, match="beyond the largest float64"):
        tree.decompose(
            {"gross": 1.5e308, "refunds": 0.0}, {"gross": 0.0, "refunds": 1.5e308}, "shapley"
        )


def test_targets_and_sensitivity_refuse_overflow() -> None:
    at = {"traffic": 1e200, "cvr": 1e200}
    with pytest.raises(lf.ParameterError, match="beyond the largest float64"):
        TREE.sensitivity(at)
    with pytest.raises(lf.ParameterError, match="beyond the largest float64"):
        TREE.target(1.0, driver="cvr", at=at)


# --------------------------------------------------------------------------- deep formulas


def test_a_deeply_nested_formula_is_refused_by_name() -> None:
    lines = ["r = x0 + y0"] + [f"x{i} = x{i + 1} + y{i + 1}" for i in range(1100)]
    with pytest.raises(lf.ParameterError, match=r"levels deep.*at most 100"):
        KPITree.from_formula("\n".join(lines))


def test_a_tree_at_the_depth_limit_works() -> None:
    lines = ["r = x0 + y0"] + [f"x{i} = x{i + 1} + y{i + 1}" for i in range(98)]
    tree = KPITree.from_formula("\n".join(lines))
    ones = dict.fromkeys(tree.leaves, 1.0)
    twos = dict.fromkeys(tree.leaves, 2.0)
    for method in ("lmdi", "sequential"):
        opts = {"order": list(tree.names[1:])} if method == "sequential" else {}
        d = tree.decompose(ones, twos, method, **opts)
        assert d.total == pytest.approx(len(tree.leaves))


def test_nested_shapley_that_would_not_finish_is_refused() -> None:
    lines = ["r = x0 * y0"] + [f"x{i} = x{i + 1} * y{i + 1}" for i in range(40)]
    tree = KPITree.from_formula("\n".join(lines))
    ones = dict.fromkeys(tree.leaves, 1.0)
    with pytest.raises(lf.ParameterError, match=r"(?s)evaluations.*method='lmdi'"):
        tree.decompose(ones, ones, "shapley")


# --------------------------------------------------------------------------- parameters


def test_unknown_method_is_a_parameter_error() -> None:
    with pytest.raises(lf.ParameterError, match=r"'method' parameter of KPITree\.decompose"):
        TREE.decompose({"traffic": 1, "cvr": 1}, {"traffic": 2, "cvr": 1}, method="lmdii")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: KPITree.from_formula(5), "'formula' parameter of KPITree.from_formula"),
        (lambda: KPITree.from_formula("a = b * c", owners=["x"]), "'owners' parameter"),
        (lambda: TREE.evaluate(pd.DataFrame({"traffic": [1.0], "cvr": [1.0]}), period=5),
         "'period' parameter of KPITree.evaluate"),
        (lambda: TREE.evaluate(pd.DataFrame({"traffic": [1.0], "cvr": [1.0]}),
                               zero_division="zero"), "'zero_division' parameter"),
        (lambda: TREE.evaluate(values={"traffic": "x", "cvr": 1.0}),
         "value supplied for 'traffic'"),
        (lambda: TREE.evaluate(values={"traffic": np.nan, "cvr": 1.0}),
         "value supplied for 'traffic'"),
        (lambda: TREE.decompose({"traffic": 1, "cvr": 1}, {"traffic": 1, "cvr": 1},
                                by=5), "'by' parameter of KPITree.decompose"),
        (lambda: TREE.target("10", driver="cvr", at={"traffic": 1, "cvr": 1}),
         "'value' parameter of KPITree.target"),
        (lambda: TREE.target(np.inf, driver="cvr", at={"traffic": 1, "cvr": 1}),
         "'value' parameter of KPITree.target"),
        (lambda: TREE.target(1.0, driver=3, at={"traffic": 1, "cvr": 1}), "'driver' parameter"),
        (lambda: TREE.sensitivity({"traffic": np.nan, "cvr": 1}), "'at' value of 'traffic'"),
        (lambda: TREE.mix_rate(EMPTY, EMPTY, node=1, by="s"), "'node' parameter"),
        (lambda: mix_rate(EMPTY, EMPTY, by=[]), "'by' parameter of mix_rate"),
        (lambda: mix_rate(EMPTY, EMPTY, by="s", weight=1), "'weight' parameter of mix_rate"),
        (lambda: lf.kpi.Sequential(order="ab"), "'order' parameter of Sequential"),
    ],
)  # fmt: skip
def test_bad_parameters_are_parameter_errors(call, match: str) -> None:
    with pytest.raises(lf.ParameterError, match=match):
        call()


def test_evaluate_has_no_numpy_warning_on_huge_sums() -> None:
    tree = KPITree.from_formula("t = a + b")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(lf.DataQualityWarning):
            tree.evaluate(pd.DataFrame({"a": [1.5e308], "b": [1.5e308]}))


# --------------------------------------------------------------------------- found beyond the list


def test_segment_keys_of_different_kinds_are_refused() -> None:
    # Before: every segment read as gone in one period and new in the other.
    b = pd.DataFrame({"s": [1, 2], "traffic": [1.0, 2.0], "cvr": [1.0, 1.0]})
    a = b.assign(s=["1", "2"])
    with pytest.raises(lf.SchemaError, match=r"(?s)'s' holds numbers.*text.*Hint: cast"):
        TREE.decompose(b, a, by="s")
    assert TREE.decompose(b, b.assign(s=[1.0, 2.0]), by="s").total == 0.0


def test_period_labels_must_be_single_labels() -> None:
    v = TREE.evaluate(
        pd.DataFrame({"m": ["a", "b"], "traffic": [1.0, 2.0], "cvr": [1.0, 1.0]}), period="m"
    )
    with pytest.raises(lf.ParameterError, match="one period label"):
        v.decompose(["a"], "b")
    with pytest.raises(lf.ParameterError, match="one period label"):
        v.period_frame(["a"])


def test_mix_rate_huge_weights_and_ragged_mappings() -> None:
    huge = pd.DataFrame({"d": ["m", "w"], "weight": [1e308, 1e308], "rate": [0.1, 0.2]})
    small = huge.assign(weight=[1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = mix_rate(huge, small, by="d")
    assert r.before == pytest.approx(0.15)
    assert r.mix + r.rate == pytest.approx(r.total)
    ragged = {"d": ["m", "w"], "weight": [1.0], "rate": [0.1, 0.2]}
    with pytest.raises(lf.ParameterError, match="'before' parameter of mix_rate"):
        mix_rate(ragged, small, by="d")


def test_target_beyond_float_range_is_refused() -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    with pytest.raises(lf.ParameterError, match="cannot be reached through 'aov'"):
        tree.target(1e308, driver="aov", at={"traffic": 1.0, "cvr": 1e-300, "aov": 1.0})


def test_sensitivity_with_a_tiny_denominator_has_no_raw_error() -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr\ncvr = orders / traffic")
    s = tree.sensitivity({"traffic": 1e-200, "orders": 1e-200})  # was ZeroDivisionError
    assert np.isfinite(s.to_frame()["derivative"]).all()
    with pytest.raises(lf.ParameterError, match="derivative of 'r' with respect to 'b'"):
        KPITree.from_formula("r = a / b").sensitivity({"a": 1e200, "b": 1e-100})


@pytest.mark.parametrize("bad", [-1.0, "a", np.nan])
def test_log_mean_refuses_what_has_no_logarithm(bad) -> None:
    with pytest.raises(lf.ParameterError, match="'a' parameter of log_mean"):
        lf.kpi.log_mean(bad, 2.0)


def test_nan_shares_of_a_zero_change_warn() -> None:
    d = TREE.decompose({"traffic": 1.0, "cvr": 1.0}, {"traffic": 1.0, "cvr": 1.0})
    with pytest.warns(lf.DataQualityWarning, match="share is NaN in 3 rows"):
        frame = d.to_frame()
    assert frame["share"].isna().all()
    assert "gmv" in str(d.summary())  # the summary shows no NaN, and does not warn


def diamonds(depth: int) -> KPITree:
    """r -> (a0, b0) -> x0 -> (a1, b1) -> x1 ...: 2^depth paths from the root to the end."""
    lines = ["r = a0 * b0"]
    for i in range(depth):
        lines += [f"a{i} = x{i} + p{i}", f"b{i} = x{i} + q{i}", f"x{i} = a{i + 1} * b{i + 1}"]
    lines[-1] = f"x{depth - 1} = end * other"
    return KPITree.from_formula("\n".join(lines))


def test_targets_and_structure_on_many_shared_paths_finish() -> None:
    tree = diamonds(40)  # 2^40 paths from the root to 'end': listing them never finished
    at = {leaf: 0.0 if leaf[0] in "pq" else 1.0 for leaf in tree.leaves}  # every node 1
    with pytest.raises(lf.ParameterError, match=r"along 1,099,511,627,776 paths"):
        tree.target(2.0, driver="end", at=at)
    assert tree.target(2.0, driver="a0", at=at).required_value > 0
    flat = pd.DataFrame({"s": ["x", "y"], **{leaf: [v, v] for leaf, v in at.items()}})
    d = tree.decompose_structure(flat, flat, by="s", activity="a0")
    assert d.total == 0.0


def test_a_node_source_returning_no_mapping_is_a_parameter_error() -> None:
    class Broken:
        def kpi_values(self) -> list[float]:
            return [0.1]

    with pytest.raises(lf.ParameterError, match="kpi_values\\(\\) must return a mapping"):
        TREE.evaluate(pd.DataFrame({"traffic": [1.0]}), values=Broken())


def test_nan_lifts_and_elasticities_say_why() -> None:
    at = {"traffic": 0.0, "cvr": 0.5}
    with pytest.warns(lf.DataQualityWarning, match=r"lift is NaN for 'gmv', 'traffic'"):
        TREE.target(10.0, driver="traffic", at={"traffic": 0.0, "cvr": 0.5}).to_frame()
    with pytest.warns(lf.DataQualityWarning, match="elasticity is NaN.*root 'gmv' is 0"):
        TREE.sensitivity(at).to_frame()
    assert "Sensitivity" in str(TREE.sensitivity(at).summary())  # no warning there
