"""Frequentist, sequential and Bayesian inference on an :class:`Effect` (gbstats 0.8.0).

* frequentist: two-sided Welch t-test (Welch-Satterthwaite degrees of freedom from the
  arms' per-unit variances) and its ``1 - alpha`` interval;
* sequential: the asymptotic always-valid confidence sequence of Waudby-Smith et al.
  (2023, eq. 9) with ``rho`` from the tuning parameter (eq. 161), and its always-valid
  p-value (eq. 155), computed on the log scale so it never overflows;
* Bayesian: the posterior of the effect under gbstats' default improper flat prior,
  ``Normal(estimate, se)``: chance to beat control, credible interval and the expected
  loss (risk) of shipping the variant or keeping the control.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from ._moments import Effect

__all__ = ["bayesian", "defined", "frequentist", "sequential", "sequential_rho"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def defined(e: Effect, *, relative: bool) -> tuple[BoolArray, list[str]]:
    """Which comparisons have an answer, and why each other one has none."""
    reasons = np.full(e.estimate.shape, "", dtype=object)
    small = (e.n_a < 2) | (e.n_b < 2)
    reasons[small] = "fewer than 2 units in an arm"
    if relative:
        zero = ~small & (e.raw_a == 0)
        reasons[zero] = (
            "the control's mean is 0, so a relative lift is undefined (absolute=True gives the difference)"
        )
    huge = (reasons == "") & np.isinf(e.variance)
    reasons[huge] = "the variance overflows float64"
    flat = (reasons == "") & ~(e.variance > 0)
    reasons[flat] = (
        "no variation left (every unit has the same value, or the covariate explains it all)"
    )
    bad = (reasons == "") & ~np.isfinite(e.estimate)
    reasons[bad] = "the estimate overflows float64"
    return reasons == "", [str(r) for r in reasons]


def frequentist(e: Effect, alpha: float) -> dict[str, FloatArray]:
    """Welch two-sided test: ``p_value``, ``ci_low``, ``ci_high``."""
    # Rows without an answer (see defined) compute NaN here; the caller blanks them.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        se = np.sqrt(e.variance)
        ua, ub = e.v_a / e.n_a, e.v_b / e.n_b
        dof = (ua + ub) ** 2 / (ub**2 / (e.n_b - 1.0) + ua**2 / (e.n_a - 1.0))
        t = np.abs(e.estimate) / se
        p = 2.0 * stats.t.sf(t, dof)
        half = stats.t.ppf(1.0 - alpha / 2.0, dof) * se
    return {"p_value": p, "ci_low": e.estimate - half, "ci_high": e.estimate + half}


def sequential_rho(alpha: float, tuning: float) -> float:
    """``rho`` of the confidence sequence for a tuning parameter (eq. 161)."""
    la = -2.0 * np.log(alpha)
    return float(np.sqrt((la + np.log(la + 1.0)) / tuning))


def sequential(e: Effect, alpha: float, tuning: float) -> dict[str, FloatArray]:
    """Always-valid interval and p-value, with ``N = n_a + n_b`` units so far."""
    n = e.n_a + e.n_b
    rho = sequential_rho(alpha, tuning)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r2n1 = n * rho**2 + 1.0
        s2 = e.variance * n
        half = np.sqrt(s2) * np.sqrt(2.0 * r2n1 * np.log(np.sqrt(r2n1) / alpha) / (n * rho) ** 2)
        st2 = e.estimate**2 * n / e.variance
        log_e = rho**2 * st2 / (2.0 * r2n1) - 0.5 * np.log(r2n1)
        p = np.exp(-np.maximum(log_e, 0.0))
    return {"p_value": p, "ci_low": e.estimate - half, "ci_high": e.estimate + half}


def bayesian(e: Effect, alpha: float) -> dict[str, FloatArray]:
    """Flat-prior posterior ``Normal(estimate, se)``: ``chance_to_win``, credible
    interval, ``risk`` (expected loss of shipping the variant) and ``risk_control``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mu, sd = e.estimate, np.sqrt(e.variance)
        z = mu / sd
        ctw = stats.norm.sf(-z)
        lo = stats.norm.ppf(alpha / 2.0, mu, sd)
        hi = stats.norm.ppf(1.0 - alpha / 2.0, mu, sd)
        # E[max(X, 0)] and E[max(-X, 0)] for X ~ Normal(mu, sd), in closed form.
        dens = sd * stats.norm.pdf(z)
        risk_control = mu * stats.norm.cdf(z) + dens
        risk = -mu * stats.norm.sf(z) + dens
    return {
        "chance_to_win": ctw,
        "ci_low": lo,
        "ci_high": hi,
        "risk": risk,
        "risk_control": risk_control,
    }
