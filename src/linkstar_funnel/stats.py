"""Shared statistics for rates: intervals, tests, Bayesian probabilities, FDR control.

The one statistics module of the library: benchmarks, the monitor and the funnel's driver
tables use it rather than their own copies, and it is public so users can run the same
computations on their own counts.

Critical values
    :func:`z_value`.
Intervals
    :func:`wilson_interval` (one rate), :func:`newcombe_interval` (difference of two).
Tests against a fixed reference rate
    :func:`score_test` (z-test with the reference's variance), :func:`binomial_test`
    (exact).
Tests of two rates
    :func:`two_proportion_test` (pooled z-test), :func:`fisher_test` (exact, counts up to
    :data:`FISHER_MAX`).
Bayesian probabilities
    :func:`prob_below` (a rate below a fixed reference), :func:`prob_below_two` (below
    another measured rate), with Jeffreys priors.
Multiple testing
    :func:`bh_qvalues` (Benjamini-Hochberg q-values), :func:`holm_pvalues` (Holm's
    step-down adjusted p-values).

Every function takes counts (``successes`` out of ``trials``) as array-likes, broadcasts
them, and returns float arrays. Confidence levels are given as ``alpha`` (0.05 for a 95%
interval); no critical value is hard-coded. Bad counts (negative, fractional, beyond 2**53,
``successes > trials``, ``trials < 1``) and rates outside [0, 1] raise
:class:`~linkstar_funnel.errors.ParameterError` naming the parameter.

The formulas follow the references statsmodels cites, and the test suite checks them
against statsmodels' ``proportion_confint(method="wilson")``,
``proportions_ztest(..., prop_var=p0)``, ``binomtest``, ``confint_proportions_2indep
(method="newcomb")`` and ``multipletests(method="fdr_bh")`` / ``(method="holm")``.

Examples
--------
>>> from linkstar_funnel import stats
>>> lo, hi = stats.wilson_interval(12, 400, alpha=0.05)
>>> round(float(lo), 4), round(float(hi), 4)
(0.0172, 0.0517)
>>> round(float(stats.score_test(12, 400, 0.052)), 4)
0.0475
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from scipy import stats

from ._counts import count_pair, rate_array
from ._params import Integer, Real, validate_params
from ._validators import bad_parameter
from .errors import DataQualityWarning

__all__ = [
    "FISHER_MAX",
    "bh_qvalues",
    "binomial_test",
    "fisher_test",
    "holm_pvalues",
    "newcombe_interval",
    "prob_below",
    "prob_below_two",
    "score_test",
    "two_proportion_test",
    "wilson_interval",
    "z_value",
]

FloatArray = npt.NDArray[np.float64]
_ALPHA = Real(0, 1, closed="neither")
_REF = ("ref_successes", "ref_trials")
#: Largest trials Fisher's exact test takes (scipy overflows int64 beyond about 3e9).
FISHER_MAX = 10**9


@validate_params(alpha=_ALPHA)
def z_value(alpha: float) -> float:
    """Two-sided standard-normal critical value: ``z`` with ``P(|Z| > z) = alpha``.

    Examples
    --------
    >>> round(z_value(0.05), 4)
    1.96
    """
    return float(stats.norm.isf(alpha / 2.0))


def _counts(
    successes: npt.ArrayLike, trials: npt.ArrayLike, owner: str
) -> tuple[FloatArray, FloatArray]:
    return count_pair(successes, trials, owner=owner)


def _two(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    ref_successes: npt.ArrayLike,
    ref_trials: npt.ArrayLike,
    owner: str,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    x1, n1 = count_pair(successes, trials, owner=owner)
    x2, n2 = count_pair(ref_successes, ref_trials, owner=owner, names=_REF)
    try:
        x1, n1, x2, n2 = np.broadcast_arrays(x1, n1, x2, n2)
    except ValueError:
        expected = f"of a shape broadcastable with 'successes' {x1.shape}"
        raise bad_parameter(owner, "ref_successes", expected, x2.shape) from None
    return x1, n1, x2, n2


def _reference(reference: npt.ArrayLike, shape: tuple[int, ...], owner: str) -> FloatArray:
    p0 = rate_array(reference, owner=owner)
    try:
        return np.broadcast_to(p0, shape)
    except ValueError:
        raise bad_parameter(owner, "reference", f"broadcastable to shape {shape}", p0) from None


@validate_params(alpha=_ALPHA)
def wilson_interval(
    successes: npt.ArrayLike, trials: npt.ArrayLike, *, alpha: float = 0.05
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for a binomial proportion (Wilson, 1927).

    Parameters
    ----------
    successes, trials
        Counts, broadcast together; ``trials`` must be positive.
    alpha
        One minus the confidence level.

    Returns
    -------
    (low, high)
        Float arrays in [0, 1], equal to statsmodels' ``proportion_confint(method="wilson")``
        except at the edges, which are exact: ``low`` is 0 exactly when there are no
        successes (never a rounding residue such as 3e-17) and ``high`` is 1 exactly when
        all trials are successes (never 0.9999999999999999), so ``low <= x / n <= high``.

    Examples
    --------
    >>> low, high = wilson_interval([12, 30], [400, 500])
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([0.0172, 0.0423], [0.0517, 0.0844])
    >>> low, high = wilson_interval([0, 1_000], [1_000, 1_000])
    >>> float(low[0]), float(high[1])
    (0.0, 1.0)
    """
    x, n = _counts(successes, trials, "wilson_interval")
    z = z_value(alpha)
    z2 = z * z
    p = x / n
    denom = 1.0 + z2 / n
    center = (p + z2 / (2.0 * n)) / denom
    half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    low, high = center - half, center + half
    # The edges exactly: 0 iff no successes, 1 iff all. Inside, a lower bound lost to
    # cancellation is taken from the product of the bounds (low * high = p^2 / denom), a
    # bound rounded past the rate is the rate (the true bounds lie strictly either side),
    # and an upper bound that rounds to 1 is the largest float below 1.
    with np.errstate(divide="ignore", invalid="ignore"):
        product_low = p * p / (denom * high)
    low = np.where(x == 0, 0.0, np.minimum(np.where(low > 0.0, low, product_low), p))
    high = np.where(x == n, 1.0, np.minimum(np.maximum(high, p), np.nextafter(1.0, 0.0)))
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def score_test(
    successes: npt.ArrayLike, trials: npt.ArrayLike, reference: npt.ArrayLike
) -> FloatArray:
    """Two-sided score test of ``rate == reference``, with the *reference's* variance.

    ``z = (x/n - p0) / sqrt(p0 (1 - p0) / n)``. Using the observed rate's variance
    instead (the Wald test) over-rejects when the observed rate is near 0 or 1, and is
    undefined when it is 0. Equals statsmodels' ``proportions_ztest(x, n, value=p0,
    prop_var=p0)``. A reference of exactly 0 or 1 gives p = 1 when the data agree and
    p = 0 otherwise.

    Examples
    --------
    >>> round(float(score_test(12, 400, 0.052)), 4)
    0.0475
    >>> score_test([0, 1], [10, 10], 0.0).tolist()
    [1.0, 0.0]
    """
    x, n = _counts(successes, trials, "score_test")
    p0 = _reference(reference, x.shape, "score_test")
    var = p0 * (1.0 - p0) / n
    diff = x / n - p0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(diff) / np.sqrt(var)
    out = 2.0 * stats.norm.sf(z)
    degenerate = var <= 0.0
    return np.where(degenerate, np.where(diff == 0.0, 1.0, 0.0), out)


def binomial_test(
    successes: npt.ArrayLike, trials: npt.ArrayLike, reference: npt.ArrayLike
) -> FloatArray:
    """Two-sided exact binomial test of ``rate == reference`` (scipy's ``binomtest``).

    Examples
    --------
    >>> round(float(binomial_test(12, 400, 0.052)), 4)
    0.0542
    """
    x, n = _counts(successes, trials, "binomial_test")
    p0 = _reference(reference, x.shape, "binomial_test")
    out = np.empty(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        out[i] = stats.binomtest(int(x[i]), int(n[i]), float(p0[i])).pvalue
    return out


def prob_below(
    successes: npt.ArrayLike, trials: npt.ArrayLike, reference: npt.ArrayLike
) -> FloatArray:
    """Posterior ``P(rate < reference)`` under a Jeffreys ``Beta(1/2, 1/2)`` prior.

    Examples
    --------
    >>> round(float(prob_below(12, 400, 0.052)), 4)
    0.9825
    """
    x, n = _counts(successes, trials, "prob_below")
    reference = _reference(reference, x.shape, "prob_below")
    return np.asarray(stats.beta.cdf(reference, x + 0.5, n - x + 0.5), dtype=np.float64)


@validate_params(grid=Integer(1, 1_000_000))
def prob_below_two(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    ref_successes: npt.ArrayLike,
    ref_trials: npt.ArrayLike,
    *,
    grid: int = 4_000,
) -> FloatArray:
    """Posterior ``P(rate < reference rate)``, both rates with independent Jeffreys priors.

    Computed as ``E[P(q > p)]`` over the first posterior by a midpoint rule on its
    quantiles (``grid`` points), which stays accurate however concentrated it is.

    Examples
    --------
    >>> round(float(prob_below_two(12, 400, 30, 500)), 3)
    0.984
    """
    x1, n1, x2, n2 = _two(successes, trials, ref_successes, ref_trials, "prob_below_two")
    u = (np.arange(grid, dtype=np.float64) + 0.5) / grid
    flat = [a.ravel()[:, None] for a in (x1, n1, x2, n2)]
    t = stats.beta.ppf(u[None, :], flat[0] + 0.5, flat[1] - flat[0] + 0.5)
    sf = stats.beta.sf(t, flat[2] + 0.5, flat[3] - flat[2] + 0.5)
    return np.asarray(sf.mean(axis=1), dtype=np.float64).reshape(x1.shape)


def two_proportion_test(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    ref_successes: npt.ArrayLike,
    ref_trials: npt.ArrayLike,
) -> FloatArray:
    """Two-sided z-test of equal rates with the pooled variance (the score test).

    Equals statsmodels' ``proportions_ztest([x1, x2], [n1, n2])``.

    Examples
    --------
    >>> round(float(two_proportion_test(12, 400, 30, 500)), 4)
    0.034
    """
    x1, n1, x2, n2 = _two(successes, trials, ref_successes, ref_trials, "two_proportion_test")
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    diff = x1 / n1 - x2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(diff) / np.sqrt(var)
    return np.where(var <= 0.0, 1.0, 2.0 * stats.norm.sf(z))


def fisher_test(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    ref_successes: npt.ArrayLike,
    ref_trials: npt.ArrayLike,
) -> FloatArray:
    """Two-sided Fisher exact test of equal rates (scipy's ``fisher_exact``).

    For trials up to :data:`FISHER_MAX` (beyond, scipy's integer arithmetic overflows and
    the test runs for minutes; the score test is as accurate there).

    Examples
    --------
    >>> round(float(fisher_test(12, 400, 30, 500)), 4)
    0.0385
    """
    x1, n1, x2, n2 = _two(successes, trials, ref_successes, ref_trials, "fisher_test")
    for name, n in (("trials", n1), ("ref_trials", n2)):
        if (n > FISHER_MAX).any():
            owner, expected = "fisher_test", "counts up to 10**9 (beyond, use test='score')"
            raise bad_parameter(owner, name, expected, int(n.max()))
    out = np.empty(x1.shape, dtype=np.float64)
    for i in np.ndindex(x1.shape):
        table = [[int(x1[i]), int(n1[i] - x1[i])], [int(x2[i]), int(n2[i] - x2[i])]]
        out[i] = stats.fisher_exact(table).pvalue
    return out


@validate_params(alpha=_ALPHA)
def newcombe_interval(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    ref_successes: npt.ArrayLike,
    ref_trials: npt.ArrayLike,
    *,
    alpha: float = 0.05,
) -> tuple[FloatArray, FloatArray]:
    """Newcombe's hybrid score interval for ``rate - reference rate`` (Newcombe, 1998, #10).

    Built from the two Wilson intervals; equals statsmodels'
    ``confint_proportions_2indep(..., method="newcomb", compare="diff")``.

    Examples
    --------
    >>> low, high = newcombe_interval(12, 400, 30, 500)
    >>> round(float(low), 4), round(float(high), 4)
    (-0.0575, -0.002)
    """
    x1, n1, x2, n2 = _two(successes, trials, ref_successes, ref_trials, "newcombe_interval")
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, alpha=alpha)
    l2, u2 = wilson_interval(x2, n2, alpha=alpha)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def bh_qvalues(p_values: npt.ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (q-values).

    ``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` over the ``m`` non-missing p-values sorted
    ascending. Equals statsmodels' ``multipletests(p, method="fdr_bh")[1]``. Missing (NaN)
    p-values stay NaN and don't count in ``m``; a :class:`DataQualityWarning` says how many.

    Examples
    --------
    >>> bh_qvalues([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = rate_array(
        p_values, owner="bh_qvalues", param="p_values", allow_nan=True, what="probabilities"
    )
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m < p.size:
        warnings.warn(
            f"bh_qvalues: {p.size - m} of {p.size} p-value(s) are missing (NaN); their "
            f"q-values are NaN and the other {m} are adjusted among themselves.",
            DataQualityWarning,
            stacklevel=3,
        )
    if m == 0:
        return out
    values = p[ok]
    order = np.argsort(values, kind="stable")
    ranked = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    q = np.empty(m)
    q[order] = adjusted
    out[ok] = q
    return out


def holm_pvalues(p_values: npt.ArrayLike) -> FloatArray:
    """Holm's step-down adjusted p-values (family-wise error control).

    ``p~_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))`` over the ``m`` p-values sorted
    ascending: rejecting where ``p~ <= alpha`` controls the chance of any false positive at
    ``alpha``, uniformly more powerful than Bonferroni. Equals statsmodels'
    ``multipletests(p, method="holm")[1]``. Missing p-values are refused (adjust the
    others among themselves).

    Examples
    --------
    >>> holm_pvalues([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = rate_array(p_values, owner="holm_pvalues", param="p_values", what="probabilities")
    flat = p.ravel()
    m = flat.size
    if m == 0:
        return p.copy()
    order = np.argsort(flat, kind="stable")
    stepped = np.minimum(flat[order] * (m - np.arange(m)), 1.0)
    out = np.empty(m)
    out[order] = np.maximum.accumulate(stepped)
    return out.reshape(p.shape)
