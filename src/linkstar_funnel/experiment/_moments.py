"""Per-arm sufficient statistics and the effect of a treatment arm against its control.

The formulas are GrowthBook's ``gbstats`` 0.8.0 (the release on PyPI), written for numpy
arrays (one element per comparison):

* an arm is summarised by its units ``n``, its (CUPED-adjusted) mean, its unadjusted mean
  and the per-unit variance of what is averaged: ``p (1 - p)`` for a rate (no ``n - 1``),
  the sample variance for a mean, the delta-method variance for a ratio
  ``sum(m) / sum(d)``, and ``var(y) + theta**2 var(x) - 2 theta cov(y, x)`` with CUPED;
* CUPED's ``theta`` is the pooled regression slope of the metric on its covariate over the
  two arms compared (``cov(y, x) / var(x)``; 0, i.e. no adjustment, when either has no
  variance);
* the relative effect is ``(mean_b - mean_a) / raw_mean_a`` with the delta-method variance
  ``v_b / (raw_a**2 n_b) + v_a raw_b**2 / (raw_a**4 n_a)``; the absolute effect is
  ``mean_b - mean_a`` with variance ``v_b / n_b + v_a / n_a``.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["Arm", "Effect", "effect", "proportion_arm", "ratio_arm", "sample_mean_arm"]

FloatArray = npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class Arm:
    """Summaries of arms (arrays, one element per arm or per comparison).

    ``raw_variance`` is the per-unit variance without CUPED (equal to ``variance`` when no
    covariate is used), for the variance reduction CUPED reports.
    """

    n: FloatArray
    mean: FloatArray
    raw_mean: FloatArray
    variance: FloatArray
    raw_variance: FloatArray


@attrs.frozen(eq=False)
class Effect:
    """The effect of arm ``b`` against arm ``a``: estimate and variance of the estimate,
    the per-unit variances (for the Welch degrees of freedom) and the arms' units."""

    estimate: FloatArray
    variance: FloatArray
    raw_variance: FloatArray
    n_a: FloatArray
    n_b: FloatArray
    v_a: FloatArray
    v_b: FloatArray
    raw_a: FloatArray


def _div(num: FloatArray, den: FloatArray) -> FloatArray:
    """``num / den`` where ``den != 0``, else 0 (gbstats' convention for empty arms)."""
    safe = np.where(den != 0, den, 1.0)
    return np.where(den != 0, num / safe, 0.0)


def proportion_arm(users: FloatArray, conversions: FloatArray) -> Arm:
    """Rates: mean ``x / n``, per-unit variance ``p (1 - p)`` (gbstats' ProportionStatistic)."""
    p = _div(conversions, users)
    var = p * (1.0 - p)
    return Arm(users, p, p, var, var)


def _sample_variance(n: FloatArray, s: FloatArray, ss: FloatArray) -> FloatArray:
    return np.where(n > 1, _div(ss - _div(s * s, n), n - 1.0), 0.0)


def _covariance(n: FloatArray, s1: FloatArray, s2: FloatArray, cross: FloatArray) -> FloatArray:
    return np.where(n > 1, _div(cross - _div(s1 * s2, n), n - 1.0), 0.0)


def sample_mean_arm(n: FloatArray, s: FloatArray, ss: FloatArray) -> Arm:
    """Means of a value per unit: sample variance (``n - 1``) per unit."""
    mean = _div(s, n)
    var = _sample_variance(n, s, ss)
    return Arm(n, mean, mean, var, var)


def ratio_arm(
    n: FloatArray,
    m: FloatArray,
    mm: FloatArray,
    d: FloatArray,
    dd: FloatArray,
    md: FloatArray,
) -> Arm:
    """Ratio ``sum(m) / sum(d)`` over units, with the delta-method per-unit variance."""
    mean = _div(m, d)
    mu_m, mu_d = _div(m, n), _div(d, n)
    var_m, var_d = _sample_variance(n, m, mm), _sample_variance(n, d, dd)
    cov = _covariance(n, m, d, md)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        var = var_m / mu_d**2 - 2.0 * cov * mu_m / mu_d**3 + mu_m**2 * var_d / mu_d**4
    var = np.where((mu_d == 0) | (n <= 1), 0.0, var)
    return Arm(n, mean, mean, var, var)


def cuped_pair(
    control: tuple[FloatArray, ...], treatment: tuple[FloatArray, ...]
) -> tuple[Arm, Arm, FloatArray]:
    """CUPED arms for each (control, treatment) pair, and the pooled ``theta`` used.

    Each side is ``(n, s, ss, pre_s, pre_ss, cross)``: units, sum and sum of squares of the
    metric and of its covariate, and the sum of their products.
    """
    n_a, s_a, ss_a, x_a, xx_a, sx_a = control
    n_b, s_b, ss_b, x_b, xx_b, sx_b = treatment
    n = n_a + n_b
    var_post = _sample_variance(n, s_a + s_b, ss_a + ss_b)
    var_pre = _sample_variance(n, x_a + x_b, xx_a + xx_b)
    cov = _covariance(n, s_a + s_b, x_a + x_b, sx_a + sx_b)
    usable = (var_pre != 0) & (var_post != 0)
    theta = np.where(usable, _div(cov, np.where(usable, var_pre, 1.0)), 0.0)

    def arm(n1: FloatArray, s: FloatArray, ss: FloatArray, x: FloatArray, xx: FloatArray,
            sx: FloatArray) -> Arm:  # fmt: skip
        raw = _div(s, n1)
        v_y = _sample_variance(n1, s, ss)
        v_x = _sample_variance(n1, x, xx)
        c = _covariance(n1, s, x, sx)
        var = np.where(n1 > 1, v_y + theta**2 * v_x - 2.0 * theta * c, 0.0)
        return Arm(n1, raw - theta * _div(x, n1), raw, var, v_y)

    return arm(*control), arm(*treatment), theta


def effect(a: Arm, b: Arm, *, relative: bool) -> Effect:
    """The effect of ``b`` against ``a`` (relative or absolute) and its variance."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if relative:
            est = (b.mean - a.mean) / a.raw_mean

            def var_of(v_a: FloatArray, v_b: FloatArray) -> FloatArray:
                return v_b / (a.raw_mean**2 * b.n) + v_a * b.raw_mean**2 / (a.raw_mean**4 * a.n)
        else:
            est = b.mean - a.mean

            def var_of(v_a: FloatArray, v_b: FloatArray) -> FloatArray:
                return v_b / b.n + v_a / a.n

        var = var_of(a.variance, b.variance)
        raw_var = var_of(a.raw_variance, b.raw_variance)
    return Effect(est, var, raw_var, a.n, b.n, a.variance, b.variance, a.raw_mean)
