"""The :class:`LTVModel` extension point, a BG/NBD + Gamma-Gamma adapter, and a conformance kit.

Any object with ``fit_orders(...)`` returning something with
``expected_customer_revenue(until)`` can be backtested next to the built-ins. Run
:func:`check_ltv_model` on your own class to check it keeps the contract.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs
import numpy as np
import pandas as pd

from .._params import (
    ColumnName,
    Columns,
    InstanceOf,
    Integer,
    Satisfies,
    Timestamp,
    validate_params,
)
from ..errors import EmptyFrameError, ParameterError
from ..schema import Column, validate
from ._betageo import BetaGeo
from ._cohort_cells import cut_ns
from ._count import CountModelFit
from ._gammagamma import GammaGamma, GammaGammaFit
from ._pareto import ParetoNBD
from ._rfm import rfm_summary
from ._units import Span, TimeUnit, as_unit

__all__ = [
    "FittedLTV",
    "LTVModel",
    "ProbabilisticLTV",
    "ProbabilisticLTVFit",
    "check_ltv_model",
]


@runtime_checkable
class FittedLTV(Protocol):
    """A fitted LTV model: expected value per customer from its cut to ``until``."""

    def expected_customer_revenue(self, until: object) -> pd.Series:
        """Expected value per customer (index: customer id) from the cut to ``until``."""
        ...


@runtime_checkable
class LTVModel(Protocol):
    """Anything that fits on orders observed until a cut and forecasts customer value."""

    def fit_orders(
        self,
        orders: pd.DataFrame,
        *,
        customer: str,
        time: str,
        value: str,
        observed_until: object,
        by: str | list[str] | None = None,
    ) -> FittedLTV:
        """Fit on the orders strictly before ``observed_until``."""
        ...


def _unit(value: object) -> TimeUnit:
    return as_unit(value, owner="ProbabilisticLTV", param="freq")


@attrs.frozen
class ProbabilisticLTV:
    """BG/NBD (or Pareto/NBD) purchases * Gamma-Gamma spend, as an :class:`LTVModel`.

    Parameters
    ----------
    purchases
        The count model spec (``BetaGeo()`` or ``ParetoNBD()``).
    spend
        The spend model spec.
    freq
        Time unit of the RFM summary.
    """

    purchases: BetaGeo | ParetoNBD = attrs.field(
        factory=BetaGeo,
        validator=InstanceOf(BetaGeo, ParetoNBD, description="a BetaGeo() or ParetoNBD() spec"),
    )
    spend: GammaGamma = attrs.field(
        factory=GammaGamma, validator=InstanceOf(GammaGamma, description="a GammaGamma() spec")
    )
    freq: TimeUnit = attrs.field(default=TimeUnit("W"), converter=_unit)

    @validate_params(
        customer=ColumnName(),
        time=ColumnName(),
        value=ColumnName(),
        observed_until=Timestamp(),
        by=[None, Columns()],
    )
    def fit_orders(
        self,
        orders: pd.DataFrame,
        *,
        customer: str = "customer_id",
        time: str = "timestamp",
        value: str = "revenue",
        observed_until: object = None,
        by: str | list[str] | None = None,  # noqa: ARG002 - one model for all segments
    ) -> ProbabilisticLTVFit:
        """Summarise orders before ``observed_until`` and fit both models.

        ``observed_until=None`` uses every order (the cut falls just after the last one), as
        :meth:`CohortLTV.fit` does.
        """
        table = validate(
            orders,
            [Column("customer", customer, "key"), Column("time", time, "time")],
            frame_name="orders",
        )
        tv = table.times["time"]
        cut_at = cut_ns(observed_until, tv)
        cut = pd.Timestamp(cut_at)
        if tv.tz is not None:
            cut = cut.tz_localize("UTC").tz_convert(tv.tz)
        before = tv.ns < cut_at
        if not before.any():
            msg = f"No orders fall before observed_until={observed_until!r}."
            raise EmptyFrameError(msg)
        last_day = (cut - pd.Timedelta(1, "ns")).floor("D")
        # rows without a customer or time stay in: rfm_summary drops and counts them
        keep = np.ones(len(table.frame), dtype=bool)
        keep[slice(None) if table.rows is None else table.rows] = before
        frame = table.frame[keep]
        rfm = rfm_summary(
            frame,
            customer=customer,
            time=time,
            value=value,
            freq=self.freq,
            observation_end=last_day.tz_localize(None) if last_day.tz is not None else last_day,
        )
        count_fit = self.purchases.fit(rfm)
        spend_fit = self.spend.fit(rfm)
        return ProbabilisticLTVFit(count_fit, spend_fit, pd.Timestamp(rfm.observation_end), cut)


@attrs.frozen(eq=False)
class ProbabilisticLTVFit:
    """Fitted count and spend models; expected value = purchases * value per purchase."""

    purchases: CountModelFit
    spend: GammaGammaFit
    origin: pd.Timestamp
    observed_until: pd.Timestamp

    @validate_params(until=Timestamp())
    def expected_customer_revenue(self, until: object) -> pd.Series:
        """Expected purchases from the calibration end to ``until`` times expected spend."""
        end = pd.Timestamp(until)  # type: ignore[arg-type]
        cut = self.observed_until
        if cut.tz is not None:
            end = end.tz_localize(cut.tz) if end.tz is None else end.tz_convert(cut.tz)
        elif end.tz is not None:
            end = end.tz_localize(None)
        if end <= cut:
            msg = (
                "The 'until' parameter of ProbabilisticLTVFit.expected_customer_revenue must "
                f"be a time after the cut ({cut}). Got {until!r} instead."
            )
            raise ParameterError(msg)
        end = end.tz_localize(None) if end.tz is not None else end
        days = (end - self.origin) / pd.Timedelta(days=1) - 1.0
        n = self.purchases.conditional_expected_purchases(Span(max(days, 0.0), "D"))
        spend = self.spend.conditional_expected_value(
            pd.DataFrame(
                {
                    "frequency": self.purchases.data.frequency,
                    "monetary_value": _money(self.spend, n.index),
                },
                index=n.index,
            )
        )
        return (n * spend).rename("expected")


def _money(spend: GammaGammaFit, index: pd.Index) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    m = spend.data.monetary_value
    assert m is not None
    out = pd.Series(m, index=spend.data.index).reindex(index).fillna(0.0)
    return np.asarray(out, dtype=np.float64)


@validate_params(
    model=Satisfies(
        lambda m: isinstance(m, LTVModel), "an object with a fit_orders method (an LTVModel)"
    ),
    seed=Integer(0),
)
def check_ltv_model(model: LTVModel, *, seed: int = 0) -> None:
    """Check an :class:`LTVModel` keeps the contract; raise ``AssertionError`` if not.

    On a small seeded order table it checks that the fitted object follows
    :class:`FittedLTV`; that predictions are finite, ≥ 0 and indexed by the customers seen
    before the cut; that they do not decrease as ``until`` moves later; and that they do
    not depend on the order of the rows.

    Examples
    --------
    >>> import linkstar_funnel as lf
    >>> lf.ltv.check_ltv_model(lf.ltv.CohortLTV(horizon="120D", use_prophet=False))
    """
    rng = np.random.default_rng(seed)
    n = 300
    first = rng.integers(0, 90, n)
    rows = []
    for i in range(n):
        k = 1 + rng.poisson(2.0)
        days = np.sort(first[i] + np.r_[0, rng.integers(1, 200, k - 1)])
        rows += [(f"c{i}", d, float(rng.gamma(2.0, 15.0))) for d in days]
    orders = pd.DataFrame(rows, columns=["customer_id", "day", "revenue"])
    orders["timestamp"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(orders.pop("day"), unit="D")
    cut = pd.Timestamp("2025-04-01")
    kw = {"customer": "customer_id", "time": "timestamp", "value": "revenue", "observed_until": cut}
    fitted = model.fit_orders(orders, **kw)  # type: ignore[arg-type]
    _require(
        isinstance(fitted, FittedLTV),
        "fit_orders must return an object with expected_customer_revenue",
    )
    near = fitted.expected_customer_revenue(cut + pd.Timedelta("30D"))
    far = fitted.expected_customer_revenue(cut + pd.Timedelta("120D"))
    seen = set(orders.loc[orders["timestamp"] < cut, "customer_id"])
    _require(isinstance(near, pd.Series), "expected_customer_revenue must return a pandas Series")
    _require(set(near.index) == seen, "predictions must cover the customers seen before the cut")
    _require(bool(np.isfinite(near.to_numpy()).all()), "predictions must be finite")
    _require(bool((near >= 0).all()), "predictions must be ≥ 0")
    _require(
        (far.reindex(near.index) >= near - 1e-9).all(), "predictions must not decrease with until"
    )
    shuffled = orders.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    again = model.fit_orders(shuffled, **kw).expected_customer_revenue(cut + pd.Timedelta("30D"))  # type: ignore[arg-type]
    np.testing.assert_allclose(again.reindex(near.index).to_numpy(), near.to_numpy(), rtol=1e-6)


def _require(condition: object, message: str) -> None:
    """Raise AssertionError (kept under ``python -O``, unlike ``assert``)."""
    if not condition:
        raise AssertionError(message)
