"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV").

A customer's transaction values are Gamma(p, nu) with nu ~ Gamma(q, v) across customers; the
model is fitted on customers with at least one repeat purchase and a positive mean repeat
value, and assumes spend is independent of purchase frequency.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import gammaln

from ..errors import DataQualityWarning, EmptyFrameError, SchemaError
from ..results import Provenance, ResultMixin, Summary
from ._betageo import MAXITER, PENALIZER
from ._count import RFMData, read_rfm
from ._mle import MLEFit, compress, fit_mle

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["GammaGamma", "GammaGammaResult", "gamma_gamma_log_likelihood"]

FloatArray = npt.NDArray[np.float64]


def gamma_gamma_log_likelihood(params: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    """Per-customer Gamma-Gamma log-likelihood of the mean repeat value ``m`` over ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> ll = gamma_gamma_log_likelihood(np.array([6.25, 3.74, 15.44]),
    ...                                 np.array([2.0]), np.array([22.35]))
    >>> round(float(ll[0]), 4)
    -3.5513
    """
    p, q, v = params
    px = p * x
    out = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + v)
    )
    return np.asarray(out, dtype=np.float64)


@attrs.frozen
class GammaGamma:
    """Gamma-Gamma spend model spec; :meth:`fit` returns a :class:`GammaGammaResult`.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0: plain maximum likelihood), with ``v`` taken in
        units of the mean repeat value: the currency unit does not change the fit.
    maxiter
        Optimiser iterations.
    """

    penalizer: float = attrs.field(default=0.0, validator=PENALIZER)
    maxiter: int = attrs.field(default=2000, validator=MAXITER)

    def fit(self, data: object) -> GammaGammaResult:
        """Fit on the customers with ``frequency > 0`` and ``monetary_value > 0``.

        Others are left out and counted in the provenance (they carry no spend information
        beyond their first purchase, which the model excludes by convention).
        """
        d = read_rfm(data, unit=None, owner="GammaGamma.fit", need_time=False, need_monetary=True)
        assert d.monetary_value is not None
        usable = (d.frequency > 0) & (d.monetary_value > 0)
        acc = d.accounting.with_dropped(
            "no repeat purchase or no positive repeat value",
            int((~usable).sum()),
            column="monetary_value",
        )
        if not usable.any():
            msg = "GammaGamma.fit needs customers with frequency > 0 and monetary_value > 0."
            raise EmptyFrameError(msg)
        (x, m), w = compress(d.frequency[usable], d.monetary_value[usable])
        mean_m = float(np.average(m, weights=w))
        x0 = {"p": 1.0, "q": 2.0, "v": mean_m}
        mle = fit_mle(
            lambda p: gamma_gamma_log_likelihood(p, x, m),
            x0,
            weights=w,
            owner="GammaGamma.fit",
            penalizer=self.penalizer,
            maxiter=self.maxiter,
            # v is money: penalised in units of the mean repeat value, so the same data in
            # pounds or in pence give the same fit
            penalty_scale=(1.0, 1.0, 1.0 / mean_m),
        )
        return GammaGammaResult(self, mle, d, Provenance(self, {"rfm": acc}))


@attrs.frozen(eq=False)
class GammaGammaResult(ResultMixin):
    """A fitted Gamma-Gamma model: parameters ``p``, ``q``, ``v``."""

    spec: GammaGamma
    mle: MLEFit = attrs.field(repr=False)
    data: RFMData = attrs.field(repr=False)
    provenance: Provenance = attrs.field(repr=False)

    @property
    def params(self) -> dict[str, float]:
        """Estimates by name."""
        return self.mle.params

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors by name."""
        return self.mle.standard_errors

    @property
    def log_likelihood(self) -> float:
        """Log-likelihood at the estimates."""
        return self.mle.log_likelihood

    def params_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Estimates, standard errors and ``1 - alpha`` intervals."""
        return self.mle.params_frame(alpha)

    @property
    def mean_spend(self) -> float:
        """Population mean transaction value, ``p v / (q - 1)`` (infinite when q ≤ 1)."""
        p, q, v = self.mle.values  # noqa: PD011 - a tuple, not pandas
        return p * v / (q - 1.0) if q > 1.0 else float("inf")

    def conditional_expected_value(self, data: object = None) -> pd.Series:
        """Expected value of each customer's future transactions given their history.

        Customers without repeat purchases get the population mean :attr:`mean_spend`.
        """
        d = (
            self.data
            if data is None
            else read_rfm(
                data, unit=None, owner="GammaGammaResult", need_time=False, need_monetary=True
            )
        )
        assert d.monetary_value is not None
        if np.any((d.frequency > 0) & (d.monetary_value < 0)):
            msg = (
                "Column 'monetary_value' of the GammaGammaResult input must be ≥ 0 for customers "
                "with repeat purchases (the mean value of those purchases)."
            )
            raise SchemaError(msg)
        p, q, v = self.mle.values  # noqa: PD011 - a tuple, not pandas
        x = d.frequency
        m = np.where(x > 0, np.maximum(d.monetary_value, 0.0), 0.0)
        denominator = p * x + q - 1.0
        undefined = denominator <= 0
        if undefined.any():  # q <= 1: the spend distribution has no mean for them
            warnings.warn(
                f"GammaGammaResult: q = {q:.3g} ≤ 1, so the mean transaction value is infinite for "
                f"customers with too few repeat purchases; their expected value is NaN "
                f"({int(undefined.sum()):,} of {len(x):,} customers).",
                DataQualityWarning,
                stacklevel=2,
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(undefined, np.nan, p * (v + x * m) / denominator)
        return pd.Series(out, index=d.index, name="expected_value")

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter with its standard error and 95% interval."""
        return self.params_frame().reset_index()

    def summary(self, alpha: float = 0.05) -> Summary:
        """Parameters with intervals and the implied mean spend."""
        facts = (
            ("customers used", f"{self.mle.n_obs:,}"),
            ("log-likelihood", f"{self.log_likelihood:,.1f}"),
            ("mean transaction value", f"{self.mean_spend:,.2f}"),
            ("converged", "yes" if self.mle.converged else f"no ({self.mle.message})"),
        )
        table = self.params_frame(alpha).reset_index().round(4)
        return Summary(
            "Gamma-Gamma spend model",
            facts=facts,
            table=table,
            notes=tuple(self.provenance.lines()),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Observed mean repeat values against the fitted population distribution."""
        from ._plot import plot_spend_fit

        return plot_spend_fit(self, ax=ax, **kwargs)
