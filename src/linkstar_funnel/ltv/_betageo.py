"""BG/NBD (Fader, Hardie & Lee 2005): purchase counts of customers who may drop out.

While active, a customer buys at a Poisson rate λ ~ Gamma(r, alpha); after each purchase they
drop out with probability p ~ Beta(a, b).
"""

from __future__ import annotations

import warnings

import attrs
import numpy as np
import numpy.typing as npt
from scipy.special import expit

from .._params import Integer, Real, validate_params
from ..errors import ConvergenceWarning
from ..results import Provenance
from ._bgnbd_math import (
    bgnbd_gradient,
    bgnbd_log_likelihood,
    expected_while_alive,
    nbd_gradient,
    nbd_log_likelihood,
)
from ._count import CountModelResult, RFMData, read_rfm
from ._mle import MLEFit, compress, emit, fit_mle
from ._rfm_rules import UNIT_CODE
from ._units import TimeUnit

__all__ = ["NBD_GAIN", "BetaGeo", "BetaGeoResult", "bgnbd_log_likelihood"]

FloatArray = npt.NDArray[np.float64]

NBD_GAIN = 0.01
"""BG/NBD is kept over its NBD limit only if it raises the log-likelihood by more than this.

Far below any statistical significance (a likelihood-ratio statistic of 0.02), far above
the optimiser's precision: the choice is the data's, not the platform's.
"""


PENALIZER = Real(0)
"""A model's penalizer: a finite number ≥ 0."""
MAXITER = Integer(1)
"""A model's optimiser iterations: a positive integer."""
UNIT = [None, UNIT_CODE]
"""The ``unit=`` of a fit: None or a time unit."""


@attrs.frozen
class BetaGeo:
    """BG/NBD model spec; :meth:`fit` returns a :class:`BetaGeoResult`.

    The drop-out probability's Beta(a, b) may collapse onto 0 (``a -> 0``: nobody drops
    out), the NBD model. The fit then lands on a boundary, and optimisers stop anywhere
    along it; so the NBD limit is fitted too, and BG/NBD is kept only when it raises the
    log-likelihood by more than :data:`NBD_GAIN` (0.01). Otherwise the result is the NBD
    limit, flagged by :attr:`BetaGeoResult.at_boundary`, with ``a = 0``, ``b`` NaN (not
    identified), P(alive) 1, and one :class:`~linkstar_funnel.errors.ConvergenceWarning`.
    The choice depends on the data only, not on the platform.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0: plain maximum likelihood), with ``alpha`` taken in
        units of the oldest customer's age: the same data in days or in weeks give the same
        fit.
    maxiter
        Optimiser iterations.

    Examples
    --------
    >>> import warnings
    >>> import linkstar_funnel as lf
    >>> orders = lf.datasets.online_retail_orders()
    >>> rfm = lf.ltv.rfm_summary(orders, period="W")
    >>> fit = lf.ltv.BetaGeo().fit(rfm)
    >>> fit.model, sorted(fit.params)
    ('BG/NBD', ['a', 'alpha', 'b', 'r'])
    >>> fit.unit
    TimeUnit(code='W')
    >>> round(fit.expected_purchases("12M"), 2) == round(fit.expected_purchases("365.25D"), 2)
    True

    Cut at the end of June 2011, the data show no drop-out: the fit is the NBD limit.

    >>> early = lf.ltv.rfm_summary(orders, period="W", observation_end="2011-06-30")
    >>> with warnings.catch_warnings(record=True, action="always") as caught:
    ...     nbd = lf.ltv.BetaGeo().fit(early)
    >>> nbd.model, nbd.at_boundary, nbd.params["a"], len(caught)
    ('NBD (BG/NBD limit a → 0)', True, 0.0, 1)
    >>> float(nbd.p_alive().min())
    1.0
    """

    penalizer: float = attrs.field(default=0.0, validator=PENALIZER)
    maxiter: int = attrs.field(default=2000, validator=MAXITER)

    @validate_params(unit=UNIT)
    def fit(self, data: object, *, unit: TimeUnit | str | None = None) -> BetaGeoResult:
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
        d = read_rfm(data, unit=unit, owner="BetaGeo.fit")
        mle = _fit_bgnbd(d, penalizer=self.penalizer, maxiter=self.maxiter)
        prov = Provenance(self, {"rfm": d.accounting}, (f"time unit: {d.unit}",))
        return BetaGeoResult(self, mle, d.unit, d, prov)


def _fit_bgnbd(d: RFMData, *, penalizer: float, maxiter: int) -> MLEFit:
    """BG/NBD or its NBD limit, whichever the fixed rule :data:`NBD_GAIN` picks.

    Both are fitted with exact gradients. The penalty acts on ``alpha`` measured in units
    of the oldest customer's age (as lifetimes scales time), so it does not depend on the
    unit the data are given in. When the NBD limit is picked, one
    :class:`~linkstar_funnel.errors.ConvergenceWarning` says so; the estimates are then
    ``r``, ``alpha`` of the NBD, ``a = 0`` and ``b`` NaN (any ``b`` gives the same model).
    """
    owner = "BetaGeo.fit"
    (x, tx, T), w = compress(d.frequency, d.recency, d.T)
    time_scale = 1.0 / max(float(np.max(d.T)), 1e-9)
    alpha0 = max(float(np.mean(d.T)), 1e-3) / max(float(np.mean(d.frequency)), 0.1)
    common = {"weights": w, "owner": owner, "penalizer": penalizer, "maxiter": maxiter}
    nbd = fit_mle(
        lambda p: nbd_log_likelihood(p, x, tx, T),
        {"r": 1.0, "alpha": alpha0},
        gradient=lambda p: nbd_gradient(p, x, tx, T),
        penalty_scale=(1.0, time_scale),
        warn=False,
        **common,  # type: ignore[arg-type]
    )
    r0, a0 = nbd.values
    fits = [
        fit_mle(
            lambda p: bgnbd_log_likelihood(p, x, tx, T),
            {"r": r0, "alpha": a0, "a": a, "b": b},
            gradient=lambda p: bgnbd_gradient(p, x, tx, T),
            penalty_scale=(1.0, time_scale, 1.0, 1.0),
            warn=False,
            **common,  # type: ignore[arg-type]
        )
        for a, b in _STARTS
    ]
    full = max(fits, key=lambda f: _penalised(f, penalizer, time_scale))
    gain = _penalised(full, penalizer, time_scale) - _penalised(nbd, penalizer, time_scale)
    if gain > NBD_GAIN:
        emit(full, stacklevel=3)
        return full
    emit(nbd, stacklevel=3)
    r, alpha = nbd.values
    warnings.warn(
        f"{owner}: the likelihood is highest at BG/NBD's NBD limit (a → 0: no customer "
        f"ever drops out); the best BG/NBD fit gains {max(gain, 0.0):.2g} in "
        f"log-likelihood, not more than {NBD_GAIN}. Fitted as NBD: r={r:.4g}, "
        f"alpha={alpha:.4g} ({d.unit}), a = 0 and b not identified (NaN); P(alive) is 1 "
        "for every customer.",
        ConvergenceWarning,
        stacklevel=3,
    )
    cov = np.full((4, 4), np.nan)
    cov[:2, :2] = nbd.log_cov
    return attrs.evolve(
        nbd,
        names=("r", "alpha", "a", "b"),
        values=(r, alpha, 0.0, float("nan")),
        log_cov=cov,
        message="NBD limit (a → 0): " + nbd.message,
    )


_STARTS = ((1.0, 1.0), (0.1, 1.0), (1.0, 10.0))
"""Starting (a, b) of the BG/NBD fits (from the NBD's r and alpha); the best is kept."""


def _penalised(mle: MLEFit, penalizer: float, time_scale: float) -> float:
    """The penalised total log-likelihood the fit maximised."""
    v = np.asarray(mle.values)
    v[1] *= time_scale
    return mle.log_likelihood - penalizer * float(v @ v) * mle.n_obs


@attrs.frozen(eq=False)
class BetaGeoResult(CountModelResult):
    """A fitted BG/NBD model: parameters ``r``, ``alpha``, ``a``, ``b`` in :attr:`unit`."""

    _title: str = attrs.field(default="BG/NBD purchase model", init=False, repr=False)

    @property
    def at_boundary(self) -> bool:
        """Whether the fit is BG/NBD's NBD limit (``a = 0``: nobody drops out)."""
        return self.mle.values[2] == 0.0

    @property
    def model(self) -> str:
        """``"BG/NBD"``, or ``"NBD (BG/NBD limit a → 0)"`` when :attr:`at_boundary`."""
        return "NBD (BG/NBD limit a → 0)" if self.at_boundary else "BG/NBD"

    def _unconditional(self, t: FloatArray) -> FloatArray:
        r, alpha, a, b = self.mle.values
        t = np.asarray(t, dtype=np.float64)
        out = [
            expected_while_alive(a, np.array([b]), np.array([alpha]), np.array([r]), s)[0]
            for s in t
        ]
        return np.asarray(out, dtype=np.float64)

    def _log_odds_dead(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, a, b = self.mle.values
        if a == 0.0:
            return np.full(np.shape(x), -np.inf)
        x1 = np.maximum(x, 1.0)
        lt = np.log(a) - np.log(b + x1 - 1.0) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return np.where(x > 0, lt, -np.inf)

    def _p_alive(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        return np.asarray(expit(-self._log_odds_dead(x, tx, T)), dtype=np.float64)

    def _conditional(self, t: float, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, a, b = self.mle.values
        alive = expected_while_alive(a, b + x, alpha + T, r + x, t)
        return np.asarray(alive * self._p_alive(x, tx, T), dtype=np.float64)
