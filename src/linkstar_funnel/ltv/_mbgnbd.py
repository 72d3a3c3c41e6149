"""MBG/NBD (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe 2008): BG/NBD with drop-out
possible at time 0 too.

While active, a customer buys at a Poisson rate λ ~ Gamma(r, alpha); at the start and after
each purchase they drop out with probability p ~ Beta(a, b). Unlike BG/NBD, a customer with
no repeat purchase may be gone, so P(alive) is below 1 for everyone.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt
from scipy.special import betaln, gammaln

from .._params import Integer, validate_params
from ..results import Provenance
from ._betageo import MAXITER, PENALIZER, UNIT
from ._bgnbd_math import expected_while_alive
from ._count import CountModelResult, read_rfm
from ._mle import compress, fit_mle
from ._units import SpanLike, TimeUnit

__all__ = ["ModifiedBetaGeo", "ModifiedBetaGeoResult", "mbgnbd_log_likelihood"]

FloatArray = npt.NDArray[np.float64]


def mbgnbd_log_likelihood(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer MBG/NBD log-likelihood, in log space (``betaln``, ``logaddexp``).

    Examples
    --------
    >>> import numpy as np
    >>> ll = mbgnbd_log_likelihood(np.array([1.0, 1.0, 1.0, 1.0]),
    ...                            np.array([1.0, 3.0]), np.array([2.0, 2.0]), np.array([5.0, 6.0]))
    >>> ll.shape
    (2,)
    """
    r, alpha, a, b = (float(v) for v in params)
    x, tx, T = (np.asarray(v, dtype=np.float64) for v in (x, tx, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x + 1.0) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    return np.asarray(a1 + a2 + a3 + np.logaddexp(a4, 0.0), dtype=np.float64)


@attrs.frozen
class ModifiedBetaGeo:
    """MBG/NBD model spec; :meth:`fit` returns a :class:`ModifiedBetaGeoResult`.

    As with BG/NBD, data without visible drop-out push ``a`` toward 0 (the NBD limit);
    unlike :class:`BetaGeo`, that limit is not fitted separately here: a
    :class:`~linkstar_funnel.errors.ConvergenceWarning` says when a parameter runs to the
    edge of its domain.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0: plain maximum likelihood), with ``alpha`` taken in
        units of the oldest customer's age, as :class:`BetaGeo` does.
    maxiter
        Optimiser iterations.

    Examples
    --------
    >>> import linkstar_funnel as lf
    >>> orders = lf.datasets.online_retail_orders()
    >>> rfm = lf.ltv.rfm_summary(orders, period="D")
    >>> fit = lf.ltv.ModifiedBetaGeo().fit(rfm)
    >>> fit.model, sorted(fit.params)
    ('MBG/NBD', ['a', 'alpha', 'b', 'r'])
    >>> bool(fit.p_alive().max() < 1.0)
    True
    >>> round(sum(fit.probability_of_purchases("90D", n) for n in range(300)), 6)
    1.0
    """

    penalizer: float = attrs.field(default=0.0, validator=PENALIZER)
    maxiter: int = attrs.field(default=2000, validator=MAXITER)

    @validate_params(unit=UNIT)
    def fit(self, data: object, *, unit: TimeUnit | str | None = None) -> ModifiedBetaGeoResult:
        """Fit by maximum likelihood.

        Parameters
        ----------
        data
            An :class:`~linkstar_funnel.ltv.RFMResult` or any frame with ``frequency``,
            ``recency`` and ``T`` columns.
        unit
            The unit of ``recency`` and ``T``: required for a plain frame; for an RFM
            summary, converts it.

        Raises
        ------
        ConvergenceError
            The optimiser found no finite optimum (its message is attached).
        """
        d = read_rfm(data, unit=unit, owner="ModifiedBetaGeo.fit")
        (x, tx, T), w = compress(d.frequency, d.recency, d.T)
        time_scale = 1.0 / max(float(np.max(d.T)), 1e-9)
        alpha0 = max(float(np.mean(d.T)), 1e-3) / max(float(np.mean(d.frequency)), 0.1)
        mle = fit_mle(
            lambda p: mbgnbd_log_likelihood(p, x, tx, T),
            {"r": 1.0, "alpha": alpha0, "a": 1.0, "b": 1.0},
            weights=w,
            owner="ModifiedBetaGeo.fit",
            penalizer=self.penalizer,
            maxiter=self.maxiter,
            penalty_scale=(1.0, time_scale, 1.0, 1.0),
        )
        prov = Provenance(self, {"rfm": d.accounting}, (f"time unit: {d.unit}",))
        return ModifiedBetaGeoResult(self, mle, d.unit, d, prov)


@attrs.frozen(eq=False)
class ModifiedBetaGeoResult(CountModelResult):
    """A fitted MBG/NBD model: parameters ``r``, ``alpha``, ``a``, ``b`` in :attr:`unit`."""

    _title: str = attrs.field(default="MBG/NBD purchase model", init=False, repr=False)

    def _unconditional(self, t: FloatArray) -> FloatArray:
        # alive at 0 with probability 1 - p: Beta(a, b) reweighted to Beta(a, b + 1)
        r, alpha, a, b = self.mle.values
        out = [
            b
            / (a + b)
            * expected_while_alive(a, np.array([b + 1.0]), np.array([alpha]), np.array([r]), s)[0]
            for s in np.asarray(t, dtype=np.float64)
        ]
        return np.asarray(out, dtype=np.float64)

    def _p_alive(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, a, b = self.mle.values
        log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return np.asarray(1.0 / (1.0 + np.exp(log_odds)), dtype=np.float64)

    def _conditional(self, t: float, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, a, b = self.mle.values
        alive = expected_while_alive(a, b + x + 1.0, alpha + T, r + x, t)
        return np.asarray(alive * self._p_alive(x, tx, T), dtype=np.float64)

    @validate_params(n=Integer(0, 1_000_000))
    def probability_of_purchases(self, t: SpanLike, n: int) -> float:
        """P(N(t) = n): probability a newly acquired customer makes exactly ``n`` repeat
        purchases within ``t``."""
        r, alpha, a, b = self.mle.values
        s = self._span(t)
        if s <= 0:
            return 1.0 if n == 0 else 0.0
        log_q = np.log(s / (alpha + s)) if s > 0 else -np.inf
        log_p0 = r * np.log(alpha / (alpha + s))
        j = np.arange(n)
        with np.errstate(divide="ignore"):
            terms = np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1.0) + j * log_q)
            first = np.exp(
                betaln(a, b + n + 1.0)
                - betaln(a, b)
                + gammaln(r + n)
                - gammaln(r)
                - gammaln(n + 1.0)
                + log_p0
                + n * log_q
            )
        second = np.exp(betaln(a + 1.0, b + n) - betaln(a, b)) * (
            1.0 - np.exp(log_p0) * float(terms.sum())
        )
        return float(first + second)
