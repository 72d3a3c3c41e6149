"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchases, exponential lifetimes.

While active, a customer buys at rate λ ~ Gamma(r, alpha); their lifetime is exponential with
rate μ ~ Gamma(s, β). The likelihood follows Fader & Hardie's (2005) note, with the Gauss
hypergeometric function taken in the branch whose argument lies in [0, 1), the
difference of its two terms taken in log space.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt
from scipy.special import expit, gammaln, hyp2f1

from .._params import validate_params
from ..results import Provenance
from ._betageo import MAXITER, PENALIZER, UNIT
from ._count import CountModelResult, read_rfm
from ._mle import compress, fit_mle
from ._units import TimeUnit

__all__ = ["ParetoNBD", "ParetoNBDResult", "pareto_log_likelihood"]

FloatArray = npt.NDArray[np.float64]


def _log_a0(params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """log of the integral term A0 (-inf where t_x = T)."""
    r, alpha, s, beta = params
    rsx = r + s + x
    if alpha >= beta:
        m, diff, b2 = alpha, alpha - beta, s + 1.0
    else:
        m, diff, b2 = beta, beta - alpha, r + x
    l1 = np.log(hyp2f1(rsx, b2, rsx + 1.0, diff / (m + tx))) - rsx * np.log(m + tx)
    l2 = np.log(hyp2f1(rsx, b2, rsx + 1.0, diff / (m + T))) - rsx * np.log(m + T)
    gap = np.minimum(l2 - l1, 0.0)
    with np.errstate(divide="ignore"):
        return np.asarray(l1 + np.log(-np.expm1(gap)), dtype=np.float64)


def pareto_log_likelihood(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer Pareto/NBD log-likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> ll = pareto_log_likelihood(np.array([0.553, 10.578, 0.606, 11.669]),
    ...                            np.array([0.0, 2.0]), np.array([0.0, 30.43]),
    ...                            np.array([38.86, 38.86]))
    >>> np.round(ll, 4)
    array([-0.521 , -9.5543])
    """
    r, alpha, s, beta = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) - np.log(r + s + x) + _log_a0(params, x, tx, T)
    return np.asarray(head + np.logaddexp(alive, died), dtype=np.float64)


@attrs.frozen
class ParetoNBD:
    """Pareto/NBD model spec; :meth:`fit` returns a :class:`ParetoNBDResult`.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0: plain maximum likelihood), with ``alpha`` and
        ``beta`` taken in units of the oldest customer's age: the same data in days or in
        weeks give the same fit.
    maxiter
        Optimiser iterations.
    """

    penalizer: float = attrs.field(default=0.0, validator=PENALIZER)
    maxiter: int = attrs.field(default=2000, validator=MAXITER)

    @validate_params(unit=UNIT)
    def fit(self, data: object, *, unit: TimeUnit | str | None = None) -> ParetoNBDResult:
        """Fit by maximum likelihood (see :meth:`BetaGeo.fit` for the parameters)."""
        d = read_rfm(data, unit=unit, owner="ParetoNBD.fit")
        (x, tx, T), w = compress(d.frequency, d.recency, d.T)
        mean_t = max(float(np.mean(d.T)), 1e-3)
        x0 = {
            "r": 1.0,
            "alpha": mean_t / max(float(np.mean(d.frequency)), 0.1),
            "s": 1.0,
            "beta": mean_t,
        }
        mle = fit_mle(
            lambda p: pareto_log_likelihood(p, x, tx, T),
            x0,
            weights=w,
            owner="ParetoNBD.fit",
            penalizer=self.penalizer,
            maxiter=self.maxiter,
            # alpha and beta are times: penalised in units of the oldest customer's age,
            # so the same data in days or weeks give the same fit
            penalty_scale=(
                1.0,
                1.0 / max(float(np.max(d.T)), 1e-9),
                1.0,
                1.0 / max(float(np.max(d.T)), 1e-9),
            ),
        )
        prov = Provenance(self, {"rfm": d.accounting}, (f"time unit: {d.unit}",))
        return ParetoNBDResult(self, mle, d.unit, d, prov)


@attrs.frozen(eq=False)
class ParetoNBDResult(CountModelResult):
    """A fitted Pareto/NBD model: parameters ``r``, ``alpha``, ``s``, ``beta`` in :attr:`unit`."""

    _title: str = attrs.field(default="Pareto/NBD purchase model", init=False, repr=False)

    def _unconditional(self, t: FloatArray) -> FloatArray:
        r, alpha, s, beta = self.mle.values
        if abs(s - 1.0) < 1e-8:
            return np.asarray(r * beta / alpha * np.log1p(t / beta), dtype=np.float64)
        out = r * beta / (alpha * (s - 1.0)) * (1.0 - (beta / (beta + t)) ** (s - 1.0))
        return np.asarray(out, dtype=np.float64)

    def _p_alive(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, s, beta = self.mle.values
        p = np.asarray(self.mle.values)
        lt = (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + T)
            + s * np.log(beta + T)
            + _log_a0(p, x, tx, T)
        )
        return np.asarray(expit(-lt), dtype=np.float64)

    def _conditional(self, t: float, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, s, beta = self.mle.values
        if abs(s - 1.0) < 1e-8:
            rate = np.log1p(t / (beta + T)) * (beta + T)
        else:
            rate = (beta + T) / (s - 1.0) * (1.0 - ((beta + T) / (beta + T + t)) ** (s - 1.0))
        out = (r + x) / (alpha + T) * rate * self._p_alive(x, tx, T)
        return np.asarray(out, dtype=np.float64)
