"""Property tests against slow, obviously correct references written in plain Python.

* LMDI-I: the textbook formula, segment by segment, with ``math.log``.
* Shapley: the average marginal contribution over every ordering of the players.
* Nested Shapley (Owen/Winter): the same average over the orderings that keep each inner
  node's leaves together.
"""

from __future__ import annotations

import decimal
import itertools
import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import DataQualityWarning
from linkstar_funnel.kpi import KPITree, log_mean, mix_rate

SETTINGS = settings(max_examples=60, deadline=None)
NAMES = ("a", "b", "c", "d")


def ref_log_mean(x: float, y: float) -> float:
    """The textbook formula in 60-digit decimals (no cancellation when x is close to y)."""
    if x == y:
        return x
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        dx, dy = decimal.Decimal(x), decimal.Decimal(y)
        return float((dx - dy) / (dx.ln() - dy.ln()))


def ref_lmdi(x0: list[list[float]], x1: list[list[float]]) -> list[float]:
    """x[i][k]: factor k of segment i. Additive LMDI-I, all values > 0."""
    out = [0.0] * len(x0[0])
    for s0, s1 in zip(x0, x1, strict=True):
        w = ref_log_mean(math.prod(s1), math.prod(s0))
        for k, (u, v) in enumerate(zip(s0, s1, strict=True)):
            out[k] += w * math.log(v / u)
    return out


def ref_shapley(f: Callable[[set[int]], float], n: int) -> list[float]:
    """Average marginal contribution of each player over all n! orderings."""
    out = [0.0] * n
    perms = list(itertools.permutations(range(n)))
    for perm in perms:
        done: set[int] = set()
        for p in perm:
            out[p] += f(done | {p}) - f(done)
            done.add(p)
    return [v / len(perms) for v in out]


def product_tree(n: int) -> KPITree:
    return KPITree.from_formula("v = " + " * ".join(NAMES[:n]))


def as_mapping(x: list[list[float]], n: int) -> dict[str, np.ndarray]:
    return {NAMES[k]: np.array([row[k] for row in x]) for k in range(n)}


@st.composite
def periods(draw: st.DrawFn, lo: float = 0.1, hi: float = 1_000.0) -> tuple[int, list, list]:
    n = draw(st.integers(2, 4))
    m = draw(st.integers(1, 5))
    value = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    x0 = [[draw(value) for _ in range(n)] for _ in range(m)]
    x1 = [[draw(value) for _ in range(n)] for _ in range(m)]
    return n, x0, x1


@SETTINGS
@given(periods())
def test_lmdi_matches_the_reference_and_is_exact(case: tuple[int, list, list]) -> None:
    n, x0, x1 = case
    d = product_tree(n).decompose(as_mapping(x0, n), as_mapping(x1, n), method="lmdi")
    got = [d.contributions[NAMES[k]] for k in range(n)]
    np.testing.assert_allclose(got, ref_lmdi(x0, x1), rtol=1e-9, atol=1e-9)
    total = sum(math.prod(r) for r in x1) - sum(math.prod(r) for r in x0)
    assert math.isclose(math.fsum(got), total, rel_tol=1e-9, abs_tol=1e-7)


@SETTINGS
@given(periods(lo=-50.0, hi=50.0))
def test_shapley_matches_the_permutation_reference(case: tuple[int, list, list]) -> None:
    n, x0, x1 = case

    def game(s: set[int]) -> float:
        return sum(
            math.prod(r1[k] if k in s else r0[k] for k in range(n))
            for r0, r1 in zip(x0, x1, strict=True)
        )

    d = product_tree(n).decompose(as_mapping(x0, n), as_mapping(x1, n), method="shapley")
    got = [d.contributions[NAMES[k]] for k in range(n)]
    np.testing.assert_allclose(got, ref_shapley(game, n), rtol=1e-9, atol=1e-6)
    assert math.isclose(math.fsum(got), game(set(range(n))) - game(set()), abs_tol=1e-6)


@SETTINGS
@given(periods(), st.sampled_from(["lmdi", "shapley"]))
def test_swapping_periods_negates_contributions(case: tuple[int, list, list], method: str) -> None:
    n, x0, x1 = case
    tree = product_tree(n)
    fwd = tree.decompose(as_mapping(x0, n), as_mapping(x1, n), method=method).contributions
    back = tree.decompose(as_mapping(x1, n), as_mapping(x0, n), method=method).contributions
    for k in fwd:
        assert math.isclose(fwd[k], -back[k], rel_tol=1e-9, abs_tol=1e-7)


@SETTINGS
@given(periods(), st.sampled_from(["lmdi", "shapley"]), st.randoms(use_true_random=False))
def test_contributions_do_not_depend_on_the_order_of_factors(
    case: tuple[int, list, list], method: str, rnd: object
) -> None:
    n, x0, x1 = case
    order = list(NAMES[:n])
    rnd.shuffle(order)  # type: ignore[attr-defined]
    base = product_tree(n).decompose(as_mapping(x0, n), as_mapping(x1, n), method=method)
    shuffled = KPITree.from_formula("v = " + " * ".join(order)).decompose(
        as_mapping(x0, n), as_mapping(x1, n), method=method
    )
    for k in NAMES[:n]:
        assert math.isclose(
            base.contributions[k], shuffled.contributions[k], rel_tol=1e-9, abs_tol=1e-7
        )


@SETTINGS
@given(periods(), st.integers(0, 3))
def test_lmdi_equals_shapley_when_one_factor_changes(
    case: tuple[int, list, list], which: int
) -> None:
    n, x0, _ = case
    k = which % n
    x1 = [[v * (1.37 if j == k else 1.0) for j, v in enumerate(row)] for row in x0]
    tree = product_tree(n)
    lmdi = tree.decompose(as_mapping(x0, n), as_mapping(x1, n), method="lmdi").contributions
    shap = tree.decompose(as_mapping(x0, n), as_mapping(x1, n), method="shapley").contributions
    for name in NAMES[:n]:
        assert math.isclose(lmdi[name], shap[name], rel_tol=1e-9, abs_tol=1e-7)
    assert all(abs(lmdi[name]) < 1e-9 for name in NAMES[:n] if name != NAMES[k])


LEVELED = KPITree.from_formula(
    """
    gmv = traffic * cvr * aov
    traffic = organic + paid
    cvr = orders / sessions
    """
)


def leveled_values(draw: st.DrawFn) -> dict[str, float]:
    value = st.floats(1.0, 1_000.0, allow_nan=False)
    return {leaf: draw(value) for leaf in LEVELED.leaves}


@st.composite
def leveled_pair(draw: st.DrawFn) -> tuple[dict[str, float], dict[str, float]]:
    return leveled_values(draw), leveled_values(draw)


def owen_reference(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Average over leaf orderings where each inner node's leaves stay contiguous."""
    leaves = list(LEVELED.leaves)
    groups = [
        set(g) for g in (("organic", "paid"), ("orders", "sessions"))
    ]  # the leaves under traffic and under cvr

    def value(s: set[str]) -> float:
        x = {k: (after[k] if k in s else before[k]) for k in leaves}
        return (x["organic"] + x["paid"]) * x["orders"] / x["sessions"] * x["aov"]

    totals = dict.fromkeys(leaves, 0.0)
    count = 0
    for perm in itertools.permutations(leaves):
        pos = {p: i for i, p in enumerate(perm)}
        if any(
            max(pos[g] for g in grp) - min(pos[g] for g in grp) != len(grp) - 1 for grp in groups
        ):
            continue
        count += 1
        done: set[str] = set()
        for p in perm:
            totals[p] += value(done | {p}) - value(done)
            done.add(p)
    return {k: v / count for k, v in totals.items()}


@SETTINGS
@given(leveled_pair())
def test_nested_shapley_matches_the_owen_reference(
    pair: tuple[dict[str, float], dict[str, float]],
) -> None:
    before, after = pair
    d = LEVELED.decompose(before, after, method="shapley")
    ref = owen_reference(before, after)
    for leaf in LEVELED.leaves:
        assert math.isclose(d.contribution(leaf), ref[leaf], rel_tol=1e-9, abs_tol=1e-6)


@SETTINGS
@given(leveled_pair(), st.sampled_from(["lmdi", "shapley", "sequential"]))
def test_children_sum_to_their_parent_at_every_level(
    pair: tuple[dict[str, float], dict[str, float]], method: str
) -> None:
    before, after = pair
    options = {"order": LEVELED.names[1:]} if method == "sequential" else {}
    d = LEVELED.decompose(before, after, method=method, **options)
    with warnings.catch_warnings():  # shares of a zero change are NaN, and say so
        warnings.simplefilter("ignore", DataQualityWarning)
        frame = d.to_frame()
    for parent in ("gmv", "traffic", "cvr"):
        kids = frame.loc[frame["parent"] == parent, "contribution"].sum()
        own = d.total if parent == "gmv" else d.contribution(parent)
        assert math.isclose(kids, own, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(math.fsum(d.leaf_contributions.values()), d.total, abs_tol=1e-6)


@SETTINGS
@given(leveled_pair())
def test_multilevel_lmdi_of_a_ratio_is_flat_lmdi_with_exponents(
    pair: tuple[dict[str, float], dict[str, float]],
) -> None:
    before, after = pair
    d = LEVELED.decompose(before, after, method="lmdi")
    v0 = (
        (before["organic"] + before["paid"]) * before["orders"] / before["sessions"] * before["aov"]
    )
    v1 = (after["organic"] + after["paid"]) * after["orders"] / after["sessions"] * after["aov"]
    w = ref_log_mean(v1, v0)
    for leaf, exponent in (("orders", 1), ("sessions", -1), ("aov", 1)):
        expect = w * exponent * math.log(after[leaf] / before[leaf])
        assert math.isclose(d.contribution(leaf), expect, rel_tol=1e-9, abs_tol=1e-7)
    # a sum's terms share the sum's log-weight in proportion to their own change
    t0, t1 = before["organic"] + before["paid"], after["organic"] + after["paid"]
    expect = w / ref_log_mean(t1, t0) * (after["paid"] - before["paid"])
    assert math.isclose(d.contribution("paid"), expect, rel_tol=1e-9, abs_tol=1e-7)


WEIGHT = st.one_of(st.just(0.0), st.floats(1e-3, 100.0))  # no subnormal weights


@SETTINGS
@given(
    st.lists(
        st.tuples(WEIGHT, st.floats(0.0, 1.0), WEIGHT, st.floats(0.0, 1.0)),
        min_size=1,
        max_size=6,
    )
)
def test_mix_plus_rate_is_the_change_and_matches_the_formula(
    rows: Sequence[tuple[float, float, float, float]],
) -> None:
    w0 = [r[0] for r in rows]
    w1 = [r[2] for r in rows]
    if sum(w0) == 0 or sum(w1) == 0:
        return
    seg = [f"s{i}" for i in range(len(rows))]
    before = pd.DataFrame({"seg": seg, "weight": w0, "rate": [r[1] for r in rows]})
    after = pd.DataFrame({"seg": seg, "weight": w1, "rate": [r[3] for r in rows]})
    with warnings.catch_warnings():  # a weight 0 in one period: NaN rate there, and said
        warnings.simplefilter("ignore", DataQualityWarning)
        r = mix_rate(before, after, by="seg")
    s0 = [w / sum(w0) for w in w0]
    s1 = [w / sum(w1) for w in w1]
    mix = rate = 0.0
    for a0, a1, (_, q0, _, q1) in zip(s0, s1, rows, strict=True):
        if a0 > 0 and a1 > 0:
            mix += (a1 - a0) * (q0 + q1) / 2
            rate += (q1 - q0) * (a0 + a1) / 2
        else:
            mix += a1 * q1 - a0 * q0
    assert math.isclose(r.mix, mix, abs_tol=1e-12)
    assert math.isclose(r.rate, rate, abs_tol=1e-12)
    assert math.isclose(r.mix + r.rate, r.total, abs_tol=1e-12)


@SETTINGS
@given(st.floats(0.0, 1e6), st.floats(0.0, 1e6))
@example(1e6, 999999.9999999999)  # ln a == ln b in float64: was inf (cancellation)
@example(1e6, 999999.96875)  # was 1000000.0025, outside [b, a]
@example(1e300, 1e-300)
def test_log_mean_matches_the_reference(a: float, b: float) -> None:
    got = float(log_mean(a, b))
    expect = 0.0 if a == 0 or b == 0 else ref_log_mean(a, b)
    assert math.isclose(got, expect, rel_tol=1e-9, abs_tol=1e-12)
    assert min(a, b) - 1e-9 <= got <= max(a, b) + 1e-9
