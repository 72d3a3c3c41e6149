"""Formula parsing, tree structure and the typed errors for bad specs."""

from __future__ import annotations

import attrs
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.kpi import KPITree, Leaf, Product, Ratio, Sum


def test_formula_lines_build_levels_and_round_trip() -> None:
    text = "gmv = traffic * cvr * aov\ntraffic = organic + paid\ncvr = orders / traffic"
    tree = KPITree.from_formula(text)
    assert tree.root == "gmv"
    assert tree.formula == text
    assert KPITree.from_formula(tree.formula) == tree
    assert tree.leaves == ("organic", "paid", "orders", "aov")
    assert tree.parents("traffic") == ("gmv", "cvr")  # a shared node
    assert tree.order[-1] == "gmv"
    assert {n.kind for n in tree.nodes} == {"product", "sum", "ratio", "leaf"}


def test_semicolons_comments_and_signed_sums() -> None:
    tree = KPITree.from_formula(["net = gross - refunds  # after returns", "; "])
    node = tree.node("net")
    assert isinstance(node, Sum)
    assert node.signs == (1, -1)
    assert node.expression == "gross - refunds"


def test_owners_and_units_per_node() -> None:
    tree = KPITree.from_formula(
        "gmv = traffic * cvr * aov", owners={"cvr": "Product"}, units={"aov": "GBP"}
    )
    assert tree.node("cvr").owner == "Product"
    assert tree.node("aov").unit == "GBP"
    assert tree.node("gmv").owner is None
    with pytest.raises(lf.ParameterError, match=r"(?s)'owners' parameter .* Got 'cvrr'.*'cvr'"):
        tree.annotate(owners={"cvrr": "x"})


def test_nodes_are_frozen_and_validated() -> None:
    leaf = Leaf("traffic")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        leaf.name = "x"  # type: ignore[misc]
    with pytest.raises(
        lf.ParameterError,
        match=r"The 'name' parameter of Leaf must be an identifier.* Got '1x' instead",
    ):
        Leaf("1x")
    with pytest.raises(
        lf.ParameterError, match=r"'factors' parameter of Product must be at least 2"
    ):
        Product("gmv", ("traffic",))
    with pytest.raises(lf.ParameterError, match="other than the numerator"):
        Ratio("r", "a", "a")
    with pytest.raises(lf.ParameterError, match=r"'signs' parameter of Sum"):
        Sum("s", ("a", "b"), signs=(1, 2))
    with pytest.raises(lf.ParameterError, match="'owner' parameter of Leaf"):
        Leaf("a", owner="  ")


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("gmv = traffic * cvr + aov", "mixes '\\*' and '\\+'"),
        ("gmv = traffic * 0.3", "Constants such as 0.3"),
        ("gmv = (a + b) * c", "Parentheses are not supported"),
        ("gmv = a / b / c", "A ratio has one '/'"),
        ("gmv = traffic *", "ends with an operator"),
        ("gmv traffic * cvr", "Expected 'name = expression'"),
        ("gmv = traffic", "needs an operator"),
        ("gmv = a * a", "appears twice"),
        ("gmv = a * b\ngmv = c + d", "defined twice"),
        ("gmv = a $ b", "Unexpected character"),
        ("", "at least one node"),
    ],
)
def test_formula_errors_say_where(formula: str, message: str) -> None:
    with pytest.raises(lf.ParameterError, match=message):
        KPITree.from_formula(formula)


def test_formula_error_shows_the_line_and_a_caret() -> None:
    with pytest.raises(lf.ParameterError) as info:
        KPITree.from_formula("gmv = traffic * cvr\ncvr = orders // sessions")
    text = str(info.value)
    assert "line 2" in text
    assert "cvr = orders // sessions\n" in text
    assert "^" in text


def test_cycles_are_refused_with_the_path() -> None:
    with pytest.raises(lf.ParameterError, match=r"cycle: .*cvr -> rate -> cvr"):
        KPITree.from_formula("gmv = traffic * cvr\ncvr = orders * rate\nrate = cvr / x")


def test_unknown_names_with_declared_leaves() -> None:
    with pytest.raises(
        lf.ParameterError, match=r"(?s)Unknown name 'trafic'.*did you mean 'traffic'"
    ):
        KPITree.from_formula("gmv = trafic * cvr * aov", leaves=["traffic", "cvr", "aov"])


def test_nodes_must_resolve_and_feed_the_root() -> None:
    with pytest.raises(lf.ParameterError, match="uses 'traffic', which is not a node"):
        KPITree([Product("gmv", ("traffic", "cvr")), Leaf("cvr")])
    with pytest.raises(lf.ParameterError, match=r"\['orphan'\] are defined but the root"):
        KPITree([Product("gmv", ("a", "b")), Leaf("a"), Leaf("b"), Leaf("orphan")])
    with pytest.raises(lf.ParameterError, match="names 'a' twice"):
        KPITree([Product("gmv", ("a", "b")), Leaf("a"), Leaf("b"), Leaf("a")])
    with pytest.raises(lf.ParameterError, match="'root' parameter of KPITree"):
        KPITree([Product("gmv", ("a", "b")), Leaf("a"), Leaf("b")], root="gvm")
    with pytest.raises(lf.ParameterError, match="'nodes' parameter of KPITree"):
        KPITree(["gmv = a * b"])  # type: ignore[list-item]


def test_unknown_node_names_suggest_close_ones() -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    with pytest.raises(lf.ParameterError, match="did you mean 'traffic'"):
        tree.node("trafic")


def test_unknown_method_lists_the_registered_ones() -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr")
    with pytest.raises(lf.ParameterError, match="'lmdi', 'sequential', 'shapley'"):
        tree.decompose({"traffic": 1, "cvr": 1}, {"traffic": 2, "cvr": 1}, method="lmdii")


def test_sequential_needs_a_full_explicit_order() -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr\ncvr = orders / traffic")
    b = {"traffic": 100, "orders": 2}
    with pytest.raises(lf.ParameterError, match=r"Missing \['orders'\]"):
        tree.decompose(b, b, method="sequential", order=["traffic", "cvr"])
    with pytest.raises(lf.ParameterError, match="'order' parameter of Sequential"):
        tree.decompose(b, b, method="sequential", order="traffic")


def test_registering_a_name_twice_is_refused() -> None:
    from linkstar_funnel.kpi import LMDI, register_decomposition

    class OtherLMDI(LMDI):
        pass

    with pytest.raises(lf.RegistryError, match="already registered"):
        register_decomposition("lmdi")(OtherLMDI)
    assert register_decomposition("lmdi")(LMDI) is LMDI  # the same factory again: no change


def test_custom_methods_follow_the_protocol() -> None:
    from linkstar_funnel.kpi import Decomposition, Shapley, check_decomposition

    class HalfShapley:
        name = "half"
        order_dependent = False

        def contributions(self, tree, before, after):  # type: ignore[no-untyped-def]
            return {k: v / 2 for k, v in Shapley().contributions(tree, before, after).items()}

    assert isinstance(HalfShapley(), Decomposition)
    with pytest.raises(AssertionError, match="children sum to its change"):
        check_decomposition(HalfShapley())
    tree = KPITree.from_formula("gmv = traffic * cvr")
    d = tree.decompose({"traffic": 1, "cvr": 1}, {"traffic": 2, "cvr": 2}, method=HalfShapley())
    assert d.method == "half"


def test_targets_cascade_down_the_path() -> None:
    tree = KPITree.from_formula(
        "gmv = traffic * cvr * aov\ncvr = orders / sessions\ntraffic = organic + paid"
    )
    at = {"organic": 60_000, "paid": 40_000, "orders": 2_000, "sessions": 100_000, "aov": 50}
    t = tree.target(120_000, driver="orders", at=at)
    frame = t.to_frame().set_index("node")
    assert frame.loc["cvr", "required"] == pytest.approx(0.024)
    assert frame.loc["orders", "required"] == pytest.approx(2_400)
    assert t.lift == pytest.approx(0.2)
    paid = tree.target(120_000, driver="paid", at=at)
    assert paid.required_value == pytest.approx(60_000)
    assert "lift needed" in str(t.summary())
    with pytest.raises(lf.ParameterError, match="below the root"):
        tree.target(1, driver="gmv", at=at)


def test_a_driver_on_two_paths_is_ambiguous() -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr * aov\ncvr = orders / traffic")
    at = {"traffic": 100, "orders": 2, "aov": 50}
    with pytest.raises(lf.ParameterError, match=r"2 paths .*gmv → traffic; gmv → cvr → traffic"):
        tree.target(200, driver="traffic", at=at)


def test_sensitivity_and_elasticity() -> None:
    tree = KPITree.from_formula(
        "gmv = traffic * cvr * aov\ncvr = orders / traffic\ntraffic = organic + paid"
    )
    at = {"organic": 60.0, "paid": 40.0, "orders": 2.0, "aov": 50.0}
    s = tree.sensitivity(at)
    # gmv = orders * aov whatever the traffic: traffic has no net effect
    assert s.derivatives["traffic"] == pytest.approx(0.0)
    assert s.elasticities["orders"] == pytest.approx(1.0)
    assert s.elasticities["paid"] == pytest.approx(0.0)
    # holding traffic, cvr has elasticity 1 and derivative traffic * aov
    assert s.derivatives["cvr"] == pytest.approx(100 * 50)
    frame = s.to_frame()
    assert set(frame.columns) >= {"node", "derivative", "elasticity", "impact_1pct"}


def test_the_decomposition_kit_reports_every_broken_rule() -> None:
    from linkstar_funnel.kpi import Shapley, check_decomposition

    class Broken:
        name = ""  # rule: a non-empty name
        order_dependent = False

        def contributions(self, tree, before, after):  # type: ignore[no-untyped-def]
            # rule: every edge gets a contribution (the last one is left out)
            got = Shapley().contributions(tree, before, after)
            return {k: v for k, v in got.items() if k != tree.edges[-1]}

    with pytest.raises(lf.ConformanceError) as info:
        check_decomposition(Broken())
    text = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert "name is a non-empty string: name is ''" in text
    assert text.count("no contribution for the edges") == 3  # one per tree checked


# --------------------------------------------------------------------------- old spellings


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    before = pd.DataFrame(
        {"c": ["UK", "DE"], "traffic": [100.0, 50.0], "orders": [2.0, 1.0], "aov": [50.0, 60.0]}
    )
    return before, before.assign(traffic=[120.0, 40.0])


def test_segments_is_the_deprecated_name_of_by() -> None:
    from linkstar_funnel.kpi import mix_rate

    tree = KPITree.from_formula("gmv = traffic * cvr * aov; cvr = orders / traffic")
    b, a = _frames()
    calls = [
        (lambda **kw: tree.evaluate(b, **kw), "KPITree.evaluate"),
        (lambda **kw: tree.decompose(b, a, **kw), "KPITree.decompose"),
        (
            lambda **kw: tree.decompose_structure(b, a, activity="traffic", **kw),
            "KPITree.decompose_structure",
        ),
        (lambda **kw: tree.mix_rate(b, a, node="cvr", **kw), "KPITree.mix_rate"),
    ]
    for call, owner in calls:
        with pytest.warns(DeprecationWarning, match=rf"'segments' parameter of {owner}.*'by'"):
            old = call(segments="c")
        new = call(by="c")
        if hasattr(new, "total"):
            assert old.total == new.total
        else:
            assert old.wide().equals(new.wide())
        with pytest.raises(lf.ParameterError, match="pass only 'by'"):
            call(segments="c", by="c")
    w = pd.DataFrame({"c": ["UK", "DE"], "weight": [1.0, 2.0], "rate": [0.1, 0.2]})
    with pytest.warns(DeprecationWarning, match="'by'"):
        old_mix = mix_rate(w, w.assign(rate=[0.2, 0.2]), segments="c")
    assert old_mix.total == mix_rate(w, w.assign(rate=[0.2, 0.2]), by="c").total


def test_kpi_values_is_the_deprecated_name_of_kpi_values_result() -> None:
    from linkstar_funnel import kpi

    with pytest.warns(DeprecationWarning, match="'?KPIValuesResult"):
        assert kpi.__getattr__("KPIValues") is kpi.KPIValuesResult
    b, _ = _frames()
    values = KPITree.from_formula("gmv = traffic * aov").evaluate(b, by="c")
    assert values.by == ("c",)
    with pytest.warns(DeprecationWarning, match="KPIValuesResult.by"):
        assert values.segments == ("c",)
