"""Every model against a slow, obviously-correct plain-Python reference, plus invariants."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel.attribution as la

CHANNELS = ("search", "social", "email", "direct", "tv")
Row = tuple[list[str], float, float, float]  # path, conversions, value, nulls


# --------------------------------------------------------------------------- strategies


@st.composite
def path_rows(draw: st.DrawFn, *, fractional: bool = False, max_channels: int = 5) -> list[Row]:
    k = draw(st.integers(1, max_channels))
    names = CHANNELS[:k]
    n = draw(st.integers(1, 12))
    rows: list[Row] = []
    for _ in range(n):
        path = draw(st.lists(st.sampled_from(names), min_size=1, max_size=6))
        if fractional:
            conv = draw(
                st.one_of(st.just(0.0), st.floats(1e-6, 5, allow_nan=False, allow_infinity=False))
            )
        else:
            conv = float(draw(st.integers(0, 5)))
        value = (
            draw(
                st.one_of(
                    st.just(0.0), st.floats(1e-3, 1000, allow_nan=False, allow_infinity=False)
                )
            )
            if conv > 0
            else 0.0
        )
        nulls = float(draw(st.integers(0, 5)))
        rows.append((path, conv, value, nulls))
    return rows


def to_frame(rows: list[Row]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "path": [" > ".join(p) for p, *_ in rows],
            "conv": [c for _, c, _, _ in rows],
            "value": [v for _, _, v, _ in rows],
            "null": [n for *_, n in rows],
        }
    )


def journeys_of(rows: list[Row]) -> la.Journeys:
    return la.Journeys.from_paths(to_frame(rows), conversions="conv", value="value", null="null")


# --------------------------------------------------------------------------- references


def ref_weights(path: list[str], model: str) -> list[float]:
    """Per-touch weights of one path, written out case by case."""
    n = len(path)
    if model == "first":
        return [1.0] + [0.0] * (n - 1)
    if model == "last":
        return [0.0] * (n - 1) + [1.0]
    if model == "linear":
        return [1.0 / n] * n
    if model == "position":
        if n == 1:
            return [1.0]
        if n == 2:
            return [0.5, 0.5]
        return [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]
    if model == "decay":  # positions, half-life one step
        raw = [2.0 ** -(n - 1 - i) for i in range(n)]
        return [r / sum(raw) for r in raw]
    if model == "lnd":
        for i in range(n - 1, -1, -1):
            if path[i] != "direct":
                return [1.0 if k == i else 0.0 for k in range(n)]
        return [0.0] * (n - 1) + [1.0]
    raise AssertionError(model)


def collapse(path: list[str]) -> list[str]:
    return [c for i, c in enumerate(path) if i == 0 or path[i - 1] != c]


def unique(path: list[str]) -> list[str]:
    return list(dict.fromkeys(path))


def ref_rule(rows: list[Row], model: str, prep=lambda p: p) -> dict[str, tuple[float, float]]:
    conv: dict[str, float] = defaultdict(float)
    val: dict[str, float] = defaultdict(float)
    for path, c, v, _ in rows:
        p = prep(path)
        for ch, w in zip(p, ref_weights(p, model), strict=True):
            conv[ch] += w * c
            val[ch] += w * v
    return {ch: (conv[ch], val[ch]) for ch in conv}


def ref_shapley(rows: list[Row]) -> dict[str, tuple[float, float]]:
    """Brute-force Shapley over all 2^n coalitions of the subset-sum game."""
    players = sorted({c for p, *_ in rows for c in p})
    n = len(players)

    def worth(coalition: frozenset[str], idx: int) -> float:
        return sum(r[idx] for r in rows if set(r[0]) <= coalition)

    out = {}
    for c in players:
        others = [p for p in players if p != c]
        phi = [0.0, 0.0]
        for size in range(n):
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for s in itertools.combinations(others, size):
                coal = frozenset(s)
                for k, idx in enumerate((1, 2)):
                    phi[k] += w * (worth(coal | {c}, idx) - worth(coal, idx))
        out[c] = (phi[0], phi[1])
    return out


def ref_markov(rows: list[Row], order: int = 1, repeats: str = "collapse"):
    """Removal effects by value iteration on a dict-of-dicts chain (no linear algebra)."""
    counts: dict[object, dict[object, float]] = defaultdict(lambda: defaultdict(float))
    conv_end: dict[object, float] = defaultdict(float)
    val_end: dict[object, float] = defaultdict(float)
    for path, c, v, nl in rows:
        states = [tuple(path[i : i + order]) for i in range(max(len(path) - order + 1, 1))]
        if repeats == "collapse":
            states = collapse(states)  # type: ignore[arg-type]
        w = c + nl
        seq = ["START", *states]
        for a, b in itertools.pairwise(seq):
            counts[a][b] += w
        counts[states[-1]]["CONV"] += c
        counts[states[-1]]["NULL"] += nl
        conv_end[states[-1]] += c
        val_end[states[-1]] += v
    probs = {
        s: {t: x / sum(row.values()) for t, x in row.items()}
        for s, row in counts.items()
        if sum(row.values()) > 0
    }

    def absorb(removed: str | None) -> tuple[float, float]:
        p: dict[object, float] = defaultdict(float)
        e: dict[object, float] = defaultdict(float)
        for _ in range(20_000):
            delta = 0.0
            for s, row in probs.items():
                if removed is not None and s != "START" and removed in s:  # type: ignore[operator]
                    continue
                vbar = val_end[s] / conv_end[s] if conv_end[s] > 0 else 0.0
                new_p = sum(
                    q * (1.0 if t == "CONV" else p[t]) for t, q in row.items() if t != "NULL"
                )
                new_e = sum(
                    q * (vbar if t == "CONV" else e[t]) for t, q in row.items() if t != "NULL"
                )
                delta = max(delta, abs(new_p - p[s]), abs(new_e - e[s]))
                p[s], e[s] = new_p, new_e
            if delta < 1e-15:
                break
        return p["START"], e["START"]

    base_p, base_e = absorb(None)
    channels = sorted({c for r in rows for c in r[0]})
    re = {c: 1 - absorb(c)[0] / base_p if base_p > 0 else 0.0 for c in channels}
    rev = {c: 1 - absorb(c)[1] / base_e if base_e > 0 else 0.0 for c in channels}
    tc, tv = sum(r[1] for r in rows), sum(r[2] for r in rows)
    sre, srev = sum(re.values()), sum(rev.values())
    return {
        c: (tc * re[c] / sre if sre > 0 else 0.0, tv * rev[c] / srev if srev > 0 else 0.0)
        for c in channels
    }, base_p


def assert_credit(result: la.AttributionResult, expected: dict[str, tuple[float, float]]) -> None:
    conv, val = result.credit(), result.credit("value")
    for ch in result.channels:
        want = expected.get(ch, (0.0, 0.0))
        assert conv[ch] == pytest.approx(want[0], rel=1e-9, abs=1e-9), ch
        assert val[ch] == pytest.approx(want[1], rel=1e-9, abs=1e-7), ch


# --------------------------------------------------------------------------- tests

RULES = [
    (la.FirstTouch(), "first", lambda p: p),
    (la.LastTouch(), "last", lambda p: p),
    (la.LastNonDirect(), "lnd", lambda p: p),
    (la.Linear(), "linear", lambda p: p),
    (la.Linear(repeats="collapse"), "linear", collapse),
    (la.Linear(repeats="unique"), "linear", unique),
    (la.PositionBased(), "position", lambda p: p),
    (la.PositionBased(repeats="collapse"), "position", collapse),
    (la.TimeDecay(), "decay", lambda p: p),
]


@pytest.mark.parametrize(("model", "ref", "prep"), RULES, ids=lambda x: getattr(x, "name", None))
@settings(max_examples=25, deadline=None)
@given(rows=path_rows(fractional=True))
def test_rules_match_reference(model, ref, prep, rows) -> None:
    assert_credit(model.attribute(journeys_of(rows)), ref_rule(rows, ref, prep))


@settings(max_examples=40, deadline=None)
@given(rows=path_rows(fractional=True))
def test_shapley_matches_brute_force(rows) -> None:
    assert_credit(la.Shapley().attribute(journeys_of(rows)), ref_shapley(rows))


@pytest.mark.parametrize(
    ("order", "repeats"), [(1, "collapse"), (1, "keep"), (2, "collapse"), (3, "keep")]
)
@settings(max_examples=15, deadline=None)
@given(rows=path_rows(max_channels=4))
def test_markov_matches_value_iteration(order, repeats, rows) -> None:
    res = la.Markov(order=order, repeats=repeats).attribute(journeys_of(rows))
    expected, p_conv = ref_markov(rows, order, repeats)
    assert_credit(res, expected)
    assert res.conversion_probability == pytest.approx(p_conv, abs=1e-12)


def test_markov_against_fundamental_matrix() -> None:
    rows: list[Row] = [
        (["a", "b", "a", "c"], 3, 30.0, 5),
        (["b", "c"], 2, 10.0, 7),
        (["c"], 1, 2.0, 9),
        (["a"], 0, 0.0, 4),
    ]
    res = la.Markov().attribute(journeys_of(rows))
    tm = res.transition_matrix
    states = ["(start)", "a", "b", "c"]
    q = np.zeros((4, 4))
    r = np.zeros(4)
    for f, t, p in tm.itertuples(index=False):
        if t == "(conversion)":
            r[states.index(f)] = p
        elif t != "(null)":
            q[states.index(f), states.index(t)] = p
    # Each transient row plus its absorbing mass sums to one.
    assert tm.groupby("from")["probability"].sum().to_numpy() == pytest.approx(1.0)
    fundamental = np.linalg.inv(np.eye(4) - q)  # N = (I - Q)^-1
    assert res.conversion_probability == pytest.approx((fundamental @ r)[0], rel=1e-12)
    for ch in "abc":
        k = states.index(ch)
        qc, rc = q.copy(), r.copy()
        qc[k, :], rc[k] = 0.0, 0.0
        p_removed = (np.linalg.inv(np.eye(4) - qc) @ rc)[0]
        re = res.removal_effects.set_index("channel").loc[ch, "removal_effect"]
        assert re == pytest.approx(1 - p_removed / res.conversion_probability, rel=1e-12)


ALL_MODELS = [m for m, *_ in RULES] + [la.Shapley(), la.Markov(), la.Markov(order=2)]


@pytest.mark.parametrize("model", ALL_MODELS, ids=repr)
@settings(max_examples=15, deadline=None)
@given(rows=path_rows(fractional=True))
def test_credit_sums_to_totals(model, rows) -> None:
    j = journeys_of(rows)
    res = model.attribute(j)
    assert res.conversions.sum() == pytest.approx(j.total_conversions, rel=1e-9, abs=1e-9)
    assert res.value.sum() == pytest.approx(j.total_value, rel=1e-9, abs=1e-7)
    assert (res.conversions >= -1e-12).all()
    assert j.total_conversions == pytest.approx(sum(r[1] for r in rows))


NAME_BLIND = [m for m in ALL_MODELS if not isinstance(m, la.LastNonDirect)]


@pytest.mark.parametrize("model", NAME_BLIND, ids=repr)
@settings(max_examples=10, deadline=None)
@given(rows=path_rows(), data=st.data())
def test_channel_names_permutation(model, rows, data) -> None:
    names = sorted({c for p, *_ in rows for c in p})
    perm = data.draw(st.permutations(names))
    rename = dict(zip(names, perm, strict=True))
    renamed = [([rename[c] for c in p], c, v, n) for p, c, v, n in rows]
    a = model.attribute(journeys_of(rows)).credit()
    b = model.attribute(journeys_of(renamed)).credit()
    for old, new in rename.items():
        assert b[new] == pytest.approx(a[old], rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("model", ALL_MODELS, ids=repr)
@settings(max_examples=10, deadline=None)
@given(rows=path_rows())
def test_zero_conversions_give_zero_credit(model, rows) -> None:
    zero = [(p, 0.0, 0.0, n + 1) for p, _, _, n in rows]
    res = model.attribute(journeys_of(zero))
    assert not res.conversions.any()
    assert not res.value.any()


@pytest.mark.parametrize("model", ALL_MODELS, ids=repr)
@settings(max_examples=10, deadline=None)
@given(rows=path_rows(fractional=True), scale=st.floats(0.01, 100))
def test_scaling_all_counts_scales_credit(model, rows, scale) -> None:
    scaled = [(p, c * scale, v * scale, n * scale) for p, c, v, n in rows]
    a = model.attribute(journeys_of(rows))
    b = model.attribute(journeys_of(scaled))
    assert b.conversions == pytest.approx(a.conversions * scale, rel=1e-8, abs=1e-9)


@pytest.mark.parametrize("model", ALL_MODELS, ids=repr)
def test_single_channel_takes_everything(model) -> None:
    rows: list[Row] = [(["only"], 2, 20.0, 3), (["only", "only"], 1.5, 5.0, 0)]
    res = model.attribute(journeys_of(rows))
    assert res.credit().to_dict() == {"only": pytest.approx(3.5)}
    assert res.credit("value").to_dict() == {"only": pytest.approx(25.0)}


@settings(max_examples=15, deadline=None)
@given(rows=path_rows(fractional=True), seed=st.integers(0, 2**32 - 1))
def test_row_order_and_merging_do_not_matter(rows, seed) -> None:
    df = to_frame(rows)
    shuffled = df.sample(frac=1.0, random_state=np.random.default_rng(seed)).reset_index(drop=True)
    a = la.compare_attribution(ALL_MODELS, journeys_of(rows)).wide().sort_index()
    b = la.compare_attribution(
        ALL_MODELS, la.Journeys.from_paths(shuffled, conversions="conv", value="value", null="null")
    ).wide()
    pd.testing.assert_frame_equal(a, b.loc[a.index], rtol=1e-9, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(rows=path_rows())
def test_inputs_never_mutated(rows) -> None:
    df = to_frame(rows)
    before = df.copy(deep=True)
    j = la.Journeys.from_paths(df, conversions="conv", value="value", null="null")
    arrays = [a.copy() for a in (j.offsets, j.touches, j.conversions, j.value, j.nulls)]
    la.compare_attribution(ALL_MODELS, j)
    pd.testing.assert_frame_equal(df, before)
    for a, b in zip(arrays, (j.offsets, j.touches, j.conversions, j.value, j.nulls), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="read-only"):
        j.conversions[0] = 1.0


def test_paths_round_trip() -> None:
    rows: list[Row] = [(["a", "b"], 1, 2.0, 0), (["b"], 0, 0.0, 3)]
    j = journeys_of(rows)
    assert j.path_strings() == ["a > b", "b"]
    assert j.collapse_repeats().n_journeys == 2
    assert (
        la.Journeys.from_paths(j.to_frame(), conversions="conversions", value="value", null="nulls")
        .to_frame()
        .equals(j.to_frame())
    )


def test_null_paths_only_matter_to_markov() -> None:
    base: list[Row] = [(["a", "b"], 2, 20.0, 0), (["b"], 1, 5.0, 0)]
    with_nulls = [*base, (["b", "a"], 0, 0.0, 50)]
    for model in (la.FirstTouch(), la.Linear(), la.Shapley()):
        a = model.attribute(journeys_of(base)).credit()
        b = model.attribute(journeys_of(with_nulls)).credit()
        assert a.reindex(b.index, fill_value=0.0).to_dict() == pytest.approx(b.to_dict())
    a = la.Markov().attribute(journeys_of(base)).credit()
    b = la.Markov().attribute(journeys_of(with_nulls)).credit()
    assert b["a"] < a["a"] - 0.5  # many b-walks now end without a conversion
