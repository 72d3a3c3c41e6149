"""compare_rates / compare_means / compare_funnel: against plain-Python references, and
their promises on awkward data (no NaN without a warning, typed errors, inputs untouched)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import linkstar_funnel.experiment as ex
from linkstar_funnel.errors import (
    ColumnNotFoundError,
    DataQualityWarning,
    ParameterError,
    SchemaError,
)
from linkstar_funnel.results import check_result
from linkstar_funnel.stats import bh_qvalues, holm_pvalues

# ----------------------------------------------------------------- slow references


def _mean_var(xs: list[float]) -> tuple[float, float]:
    n = len(xs)
    m = sum(xs) / n
    return m, sum((x - m) ** 2 for x in xs) / (n - 1)


def _cov(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


def _welch(
    mean: tuple[float, float],
    raw: tuple[float, float],
    var: tuple[float, float],
    n: tuple[int, int],
    alpha: float,
) -> tuple[float, float, float, float]:
    """Relative lift, CI and p-value, written out from the delta method and Welch's dof."""
    (ma, mb), (ra, rb), (va, vb), (na, nb) = mean, raw, var, n
    lift = (mb - ma) / ra
    v = vb / (ra**2 * nb) + va * rb**2 / (ra**4 * na)
    dof = (va / na + vb / nb) ** 2 / ((vb / nb) ** 2 / (nb - 1) + (va / na) ** 2 / (na - 1))
    half = stats.t.ppf(1 - alpha / 2, dof) * math.sqrt(v)
    p = 2 * stats.t.sf(abs(lift) / math.sqrt(v), dof)
    return lift, lift - half, lift + half, p


def _assert_row(row: pd.Series, ref: tuple[float, float, float, float]) -> None:
    got = (row["lift"], row["ci_low"], row["ci_high"], row["p_value"])
    np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-12)


revenue = st.lists(
    st.one_of(st.just(0.0), st.floats(0.5, 500.0, allow_nan=False)), min_size=3, max_size=40
).filter(lambda v: sum(v) > 0 and len(set(v)) > 1)


@settings(max_examples=25, deadline=None)
@given(a=revenue, b=revenue, alpha=st.sampled_from([0.01, 0.05, 0.1]))
def test_compare_means_equals_the_reference(a: list[float], b: list[float], alpha: float) -> None:
    frame = pd.DataFrame({"variant": ["A"] * len(a) + ["B"] * len(b), "value": a + b})
    split = {"A": len(a), "B": len(b)}
    row = ex.compare_means(frame, control="A", alpha=alpha, weights=split).to_frame().iloc[1]
    (ma, va), (mb, vb) = _mean_var(a), _mean_var(b)
    _assert_row(row, _welch((ma, mb), (ma, mb), (va, vb), (len(a), len(b)), alpha))


@settings(max_examples=25, deadline=None)
@given(
    a=st.lists(st.tuples(st.floats(1, 100), st.floats(-5, 5)), min_size=4, max_size=30),
    b=st.lists(st.tuples(st.floats(1, 100), st.floats(-5, 5)), min_size=4, max_size=30),
    slope=st.floats(0.0, 2.0),
)
def test_cuped_equals_the_reference(
    a: list[tuple[float, float]], b: list[tuple[float, float]], slope: float
) -> None:
    pre = [x for x, _ in a] + [x for x, _ in b]
    post = [slope * x + 10 + e for x, e in a + b]
    if len(set(pre)) < 2 or len(set(post)) < 2:
        return
    frame = pd.DataFrame({"variant": ["A"] * len(a) + ["B"] * len(b), "y": post, "x": pre})
    theta = _cov(post, pre) / _mean_var(pre)[1]
    arms = [(post[: len(a)], pre[: len(a)]), (post[len(a) :], pre[len(a) :])]
    adj = [[y - theta * x for y, x in zip(ys, xs, strict=True)] for ys, xs in arms]
    (ma, va), (mb, vb) = _mean_var(adj[0]), _mean_var(adj[1])
    plain_v = [_mean_var(arms[0][0])[1], _mean_var(arms[1][0])[1]]
    if min(va, vb, *plain_v) < 1e-6:  # an arm with (almost) no variation: checked elsewhere
        return
    split = {"A": len(a), "B": len(b)}
    res = ex.compare_means(frame, value="y", covariate="x", control="A", weights=split)
    res = res.to_frame()
    ra, rb = _mean_var(arms[0][0])[0], _mean_var(arms[1][0])[0]
    _assert_row(res.iloc[1], _welch((ma, mb), (ra, rb), (va, vb), (len(a), len(b)), 0.05))

    # The variance reduction is that of the lift's delta-method variance.
    def lift_var(v_a: float, v_b: float) -> float:
        return v_b / (ra**2 * len(b)) + v_a * rb**2 / (ra**4 * len(a))

    expected = 1 - lift_var(va, vb) / lift_var(*plain_v)
    assert math.isclose(res.iloc[1]["variance_reduction"], expected, rel_tol=1e-6, abs_tol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    a=st.lists(st.tuples(st.integers(0, 4), st.floats(5, 80)), min_size=3, max_size=30),
    b=st.lists(st.tuples(st.integers(0, 4), st.floats(5, 80)), min_size=3, max_size=30),
)
def test_ratio_metric_equals_the_delta_method(
    a: list[tuple[int, float]], b: list[tuple[int, float]]
) -> None:
    rows = [(k, float(o), o * p) for k, arm in (("A", a), ("B", b)) for o, p in arm]
    frame = pd.DataFrame(rows, columns=["variant", "orders", "revenue"])
    sums = [(sum(o for o, _ in arm), sum(o * p for o, p in arm)) for arm in (a, b)]
    if any(d == 0 for d, _ in sums):
        return
    stats_ = []
    for arm in (a, b):
        d = [float(o) for o, _ in arm]
        m = [o * p for o, p in arm]
        (mm, vm), (md, vd) = _mean_var(m), _mean_var(d)
        c = _cov(m, d)
        r = mm / md
        stats_.append((r, vm / md**2 - 2 * c * mm / md**3 + mm**2 * vd / md**4))
    (ra, va), (rb, vb) = stats_
    if va <= 0 and vb <= 0:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # a degenerate draw is allowed
        res = ex.compare_means(
            frame, value="revenue", denominator="orders", control="A",
            weights={"A": len(a), "B": len(b)},
        )  # fmt: skip
    row = res.to_frame().iloc[1]
    if va <= 0 or vb <= 0:  # Welch's dof needs both; the lift is still the ratio's
        assert math.isclose(row["lift"], rb / ra - 1, rel_tol=1e-9)
        return
    _assert_row(row, _welch((ra, rb), (ra, rb), (va, vb), (len(a), len(b)), 0.05))


# ----------------------------------------------------------------- rates and funnels

counts_st = st.lists(
    st.tuples(st.integers(50, 5_000), st.floats(0.01, 0.5)), min_size=2, max_size=4
)


@settings(max_examples=25, deadline=None)
@given(arms=counts_st, method=st.sampled_from(["frequentist", "sequential", "bayesian"]))
def test_rows_of_a_variant_add_up_and_the_funnel_path_agrees(
    arms: list[tuple[int, float]], method: str
) -> None:
    names = ["control", "B", "C", "D"][: len(arms)]
    users = [n for n, _ in arms]
    conv = [max(1, round(n * p)) for n, p in arms]
    one = pd.DataFrame({"variant": names, "users": users, "conversions": conv})
    # the same counts over two days
    first = [c // 2 for c in conv]
    halves = pd.DataFrame(
        {
            "variant": names * 2,
            "users": [n // 2 for n in users] + [n - n // 2 for n in users],
            "conversions": first + [c - f for c, f in zip(conv, first, strict=True)],
        }
    )
    weights = dict(zip(names, users, strict=True))
    kw = {"control": "control", "method": method, "weights": weights}
    a = ex.compare_rates(one, **kw).to_frame()  # type: ignore[arg-type]
    b = ex.compare_rates(halves, **kw).to_frame()  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a, b)
    funnel = pd.DataFrame(
        {
            "variant": names * 2,
            "stage": ["visit"] * len(names) + ["buy"] * len(names),
            "step": [1] * len(names) + [2] * len(names),
            "users": users + conv,
        }
    )
    f = ex.compare_funnel(funnel, **kw).to_frame()  # type: ignore[arg-type]
    assert f["stage"].eq("buy").all()
    pd.testing.assert_frame_equal(f.drop(columns=["stage", "step"]), a)
    assert a["is_control"].tolist() == [True] + [False] * (len(names) - 1)
    assert (a["rate"].between(0, 1)).all()


def test_holm_by_default_bh_on_request_across_variants_and_steps() -> None:
    counts = pd.DataFrame(
        {"variant": ["A", "B", "C", "D"], "users": [4_000] * 4, "conversions": [200, 245, 230, 190]}
    )
    holm = ex.compare_rates(counts, control="A").to_frame().iloc[1:]
    bh = ex.compare_rates(counts, control="A", correction="bh").to_frame().iloc[1:]
    raw = ex.compare_rates(counts, control="A", correction=None).to_frame().iloc[1:]
    p = raw["p_value"].to_numpy()
    np.testing.assert_allclose(holm["p_value_adjusted"], holm_pvalues(p))
    np.testing.assert_allclose(bh["p_value_adjusted"], bh_qvalues(p))
    np.testing.assert_allclose(raw["p_value_adjusted"], p)
    assert (holm["significant"] == (holm["p_value_adjusted"] <= 0.05)).all()


def test_sample_ratio_mismatch_warns_and_weights_set_the_split() -> None:
    counts = pd.DataFrame(
        {"variant": ["A", "B"], "users": [10_000, 10_600], "conversions": [300, 320]}
    )
    with pytest.warns(DataQualityWarning, match="sample ratio mismatch"):
        res = ex.compare_rates(counts, control="A")
    assert res.srm_p_value < 0.001
    assert res.lines()[0].startswith("Warning: sample ratio mismatch")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fine = ex.compare_rates(counts, control="A", weights={"A": 10_000, "B": 10_600})
    assert fine.srm_p_value == pytest.approx(1.0)


def test_zero_conversions_give_a_warned_nan_or_a_defined_difference() -> None:
    counts = pd.DataFrame({"variant": ["A", "B"], "users": [500, 500], "conversions": [0, 4]})
    with pytest.warns(DataQualityWarning, match="control's mean is 0"):
        res = ex.compare_rates(counts, control="A")
    rel = res.to_frame()
    assert res.lines() == ["B: conversions cannot be compared (no answer)."]
    assert math.isnan(rel["lift"].iloc[1])
    assert not rel["significant"].iloc[1]
    absolute = ex.compare_rates(counts, control="A", absolute=True).to_frame()
    assert absolute["lift"].iloc[1] == pytest.approx(0.008)
    assert absolute["ci_low"].iloc[1] < 0.008 < absolute["ci_high"].iloc[1]


def test_tiny_and_flat_arms_are_explained() -> None:
    one = pd.DataFrame({"variant": ["A", "B", "B"], "value": [3.0, 1.0, 2.0]})
    with pytest.warns(DataQualityWarning, match="fewer than 2 units"):
        res = ex.compare_means(one, control="A", weights={"A": 1, "B": 2})
    assert math.isnan(res.to_frame()["lift"].iloc[1])
    assert "cannot be compared" in res.lines()[0]
    flat = pd.DataFrame({"variant": ["A", "A", "B", "B"], "value": [2.0, 2.0, 2.0, 2.0]})
    with pytest.warns(DataQualityWarning, match="no variation"):
        ex.compare_means(flat, control="A")


def test_bad_input_is_a_typed_error() -> None:
    counts = pd.DataFrame({"variant": ["A", "B"], "users": [100, 100], "conversions": [5, 7]})
    with pytest.raises(ParameterError, match="'control' parameter of compare_rates"):
        ex.compare_rates(counts, control="Z")
    with pytest.raises(ColumnNotFoundError):
        ex.compare_rates(counts, control="A", conversions="orders")
    with pytest.raises(SchemaError, match="at most 'users'"):
        ex.compare_rates(counts.assign(conversions=[5, 700]), control="A")
    with pytest.raises(SchemaError, match="at least two variants"):
        ex.compare_rates(counts.iloc[:1], control="A")
    with pytest.raises(ParameterError, match="'method'"):
        ex.compare_rates(counts, control="A", method="magic")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'weights'"):
        ex.compare_rates(counts, control="A", weights={"A": 1})
    per_user = pd.DataFrame({"variant": ["A", "B"], "value": [1.0, 2.0], "x": [1.0, 1.0]})
    with pytest.raises(ParameterError, match="covariate"):
        ex.compare_means(per_user, control="A", covariate="x", denominator="x")


def test_inputs_are_not_modified_and_results_keep_the_conventions() -> None:
    rng = np.random.default_rng(5)
    per_user = pd.DataFrame(
        {
            "variant": rng.choice(["control", "B"], 400),
            "revenue": rng.gamma(1.0, 20.0, 400),
            "before": rng.gamma(1.0, 20.0, 400),
            "orders": rng.integers(1, 4, 400).astype(float),
        }
    )
    before = per_user.copy()
    results = [
        ex.compare_means(per_user, value="revenue", control="control"),
        ex.compare_means(per_user, value="revenue", covariate="before", control="control"),
        ex.compare_means(
            per_user, value="revenue", denominator="orders", control="control", method="bayesian"
        ),
    ]
    pd.testing.assert_frame_equal(per_user, before)
    for res in results:
        check_result(res)
        assert str(res.summary()).startswith("Experiment")


def test_sentences_read_plainly() -> None:
    counts = pd.DataFrame(
        {"variant": ["A", "B"], "users": [20_000, 20_000], "conversions": [700, 600]}
    )
    (line,) = ex.compare_rates(counts, control="A").lines()
    assert line.startswith("B lowers conversions by 14.3% (95% CI -")
    (bayes,) = ex.compare_rates(counts, control="A", method="bayesian").lines()
    assert "credible interval" in bayes
    assert "chance to beat control" in bayes
    (diff,) = ex.compare_rates(counts, control="A", absolute=True).lines()
    assert "0.50 pp" in diff


def test_correct_adjusts_several_metrics_as_one_family() -> None:
    rng = np.random.default_rng(8)
    per_user = pd.DataFrame(
        {
            "variant": np.repeat(["A", "B", "C"], 300),
            "revenue": rng.gamma(1.0, 20.0, 900) * np.repeat([1.0, 1.15, 1.0], 300),
            "orders": rng.integers(1, 4, 900).astype(float),
        }
    )
    counts = pd.DataFrame(
        {"variant": ["A", "B", "C"], "users": [300] * 3, "conversions": [30, 41, 28]}
    )
    results = [
        ex.compare_means(per_user, value="revenue", control="A"),
        ex.compare_means(per_user, value="revenue", denominator="orders", control="A"),
        ex.compare_rates(counts, control="A", method="sequential"),
    ]
    raw = np.concatenate([r.to_frame()["p_value"].to_numpy()[1:] for r in results])
    for correction, adjust in (("holm", holm_pvalues), ("bh", bh_qvalues)):
        joint = ex.correct(results, correction=correction)  # type: ignore[arg-type]
        got = np.concatenate([r.to_frame()["p_value_adjusted"].to_numpy()[1:] for r in joint])
        np.testing.assert_allclose(got, adjust(raw))
        for r in joint:
            t = r.to_frame()
            assert (t["significant"] == (~t["is_control"] & (t["p_value_adjusted"] <= 0.05))).all()
            assert r.spec.correction == correction
            assert "adjusted together" in r.provenance.notes[-1]
    bayes = ex.compare_rates(counts, control="A", method="bayesian")
    with pytest.raises(ParameterError, match="Bayesian"):
        ex.correct([results[0], bayes])
    with pytest.raises(ParameterError, match="'results'"):
        ex.correct([])
