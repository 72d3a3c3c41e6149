"""BG/NBD (Fader, Hardie & Lee 2005): purchase counts of customers who may drop out.

While active, a customer buys at a Poisson rate λ ~ Gamma(r, alpha); after each purchase they
drop out with probability p ~ Beta(a, b).
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt
from scipy.special import betaln, expit, gammaln, hyp2f1

from .._validators import bad_parameter
from ..results import Provenance
from ._count import CountModelFit, read_rfm
from ._mle import compress, fit_mle
from ._units import TimeUnit

__all__ = ["BetaGeo", "BetaGeoFit", "bgnbd_log_likelihood"]

FloatArray = npt.NDArray[np.float64]


def bgnbd_log_likelihood(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood, in log space (``betaln``, ``logaddexp``).

    Examples
    --------
    >>> import numpy as np
    >>> ll = bgnbd_log_likelihood(np.array([0.243, 4.414, 0.793, 2.426]),
    ...                           np.array([2.0]), np.array([30.43]), np.array([38.86]))
    >>> round(float(ll[0]), 4)
    -9.4586
    """
    r, alpha, a, b = params
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    stay = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    x1 = np.maximum(x, 1.0)
    drop = np.where(x > 0, betaln(a + 1.0, b + x1 - 1.0) - (r + x) * np.log(alpha + tx), -np.inf)
    return np.asarray(base + np.logaddexp(stay, drop), dtype=np.float64)


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise bad_parameter(type(instance).__name__, attribute.name, "a number ≥ 0", value)


@attrs.frozen
class BetaGeo:
    """BG/NBD model spec; :meth:`fit` returns a :class:`BetaGeoFit`.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0: plain maximum likelihood).
    maxiter
        Optimiser iterations.

    Examples
    --------
    >>> import linkstar_funnel as lf
    >>> orders = lf.datasets.online_retail_orders()
    >>> rfm = lf.ltv.rfm_summary(orders, freq="W", observation_end="2011-09-30")
    >>> fit = lf.ltv.BetaGeo().fit(rfm)
    >>> sorted(fit.params)
    ['a', 'alpha', 'b', 'r']
    >>> fit.unit
    TimeUnit(code='W')
    >>> round(fit.expected_purchases("12M"), 2) == round(fit.expected_purchases("365.25D"), 2)
    True
    """

    penalizer: float = attrs.field(default=0.0, validator=_positive)
    maxiter: int = 2000

    def fit(self, data: object, *, unit: TimeUnit | str | None = None) -> BetaGeoFit:
        """Fit by maximum likelihood.

        Parameters
        ----------
        data
            An :class:`~linkstar_funnel.ltv.RFMSummary` or any frame with ``frequency``,
            ``recency`` and ``T`` columns.
        unit
            The unit of ``recency`` and ``T``: required for a plain frame; for an RFM
            summary, converts it.

        Raises
        ------
        ConvergenceError
            The optimiser found no finite optimum (its message is attached).
        """
        d = read_rfm(data, unit=unit, owner="BetaGeo.fit")
        (x, tx, T), w = compress(d.frequency, d.recency, d.T)
        mean_x = float(np.mean(d.frequency))
        x0 = {
            "r": 1.0,
            "alpha": max(float(np.mean(d.T)), 1e-3) / max(mean_x, 0.1),
            "a": 1.0,
            "b": 1.0,
        }
        mle = fit_mle(
            lambda p: bgnbd_log_likelihood(p, x, tx, T),
            x0,
            weights=w,
            owner="BetaGeo.fit",
            penalizer=self.penalizer,
            maxiter=self.maxiter,
        )
        prov = Provenance(self, {"rfm": d.accounting}, (f"time unit: {d.unit}",))
        return BetaGeoFit(self, mle, d.unit, d, prov)


@attrs.frozen(eq=False)
class BetaGeoFit(CountModelFit):
    """A fitted BG/NBD model: parameters ``r``, ``alpha``, ``a``, ``b`` in :attr:`unit`."""

    _title: str = attrs.field(default="BG/NBD purchase model", init=False, repr=False)

    def _unconditional(self, t: FloatArray) -> FloatArray:
        r, alpha, a, b = self.mle.values
        z = t / (alpha + t)
        head = (a + b - 1.0) / (a - 1.0)
        out = head * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1.0, z))
        return np.asarray(out, dtype=np.float64)

    def _log_odds_dead(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, a, b = self.mle.values
        x1 = np.maximum(x, 1.0)
        lt = np.log(a) - np.log(b + x1 - 1.0) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return np.where(x > 0, lt, -np.inf)

    def _p_alive(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        return np.asarray(expit(-self._log_odds_dead(x, tx, T)), dtype=np.float64)

    def _conditional(self, t: float, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, a, b = self.mle.values
        z = t / (alpha + T + t)
        ratio = (alpha + T) / (alpha + T + t)
        head = (a + b + x - 1.0) / (a - 1.0)
        body = 1.0 - ratio ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        return np.asarray(head * body * self._p_alive(x, tx, T), dtype=np.float64)
