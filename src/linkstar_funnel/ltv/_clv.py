"""Discounted customer lifetime value from a purchase-count model and a spend model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._deprecation import renamed_params
from .._params import InstanceOf, Real, validate_params
from .._validators import bad_parameter
from ._count import CountModelResult
from ._gammagamma import GammaGammaResult
from ._units import SpanLike, as_span

__all__ = ["customer_lifetime_value"]


@renamed_params(step="period")
@validate_params(
    purchases=InstanceOf(CountModelResult, description="a fitted BetaGeo or ParetoNBD model"),
    spend=InstanceOf(GammaGammaResult, description="a fitted GammaGamma model"),
    annual_discount_rate=Real(0, 10, closed="left"),
    margin=Real(0, 1, closed="right"),
)
def customer_lifetime_value(
    purchases: CountModelResult,
    spend: GammaGammaResult,
    data: object = None,
    *,
    horizon: SpanLike = "12M",
    period: SpanLike = "1M",
    annual_discount_rate: float = 0.0,
    margin: float = 1.0,
) -> pd.Series:
    """Expected discounted value of each customer's purchases over ``horizon``.

    The horizon is cut into periods of length ``period``; each period's expected purchases (from the
    count model, given the customer's history) times their expected transaction value (from
    the spend model) times ``margin`` is discounted to the present at
    ``annual_discount_rate``, compounding by the period end's age in years. Both lengths
    carry their units and are converted to the count model's unit, so a weekly model asked
    for 12 months gets 52.18 weeks, never 12.

    Parameters
    ----------
    purchases
        A fitted :class:`BetaGeoResult` or :class:`ParetoNBDResult`.
    spend
        A fitted :class:`GammaGammaResult`.
    data
        An :class:`RFMResult` (or frame with ``frequency``, ``recency``, ``T``,
        ``monetary_value``); default: the count model's fitted data with the spend model's
        monetary values.
    horizon, period
        Lengths of time with their units (``"12M"``, ``"1M"``, ``"26W"``...): the
        horizon, and the periods it is cut into (``period`` was ``step``, deprecated).
    annual_discount_rate
        Yearly discount rate (0.1 for 10% a year), ≥ 0.
    margin
        Share of revenue kept as profit, in (0, 1]; 1 gives revenue CLV.

    Returns
    -------
    pandas.Series
        ``clv`` per customer.

    Examples
    --------
    >>> import linkstar_funnel as lf
    >>> orders = lf.datasets.online_retail_orders()
    >>> rfm = lf.ltv.rfm_summary(orders, period="W")
    >>> bg = lf.ltv.BetaGeo().fit(rfm)
    >>> gg = lf.ltv.GammaGamma().fit(rfm)
    >>> clv = lf.ltv.customer_lifetime_value(bg, gg, rfm, horizon="12M",
    ...                                      annual_discount_rate=0.1)
    >>> bool((clv >= 0).all()), clv.index.name
    (True, 'customer')
    """
    owner = "customer_lifetime_value"
    h = as_span(horizon, owner=owner, param="horizon", model_unit=purchases.unit).to(purchases.unit)
    s = as_span(period, owner=owner, param="period", model_unit=purchases.unit).to(purchases.unit)
    if s <= 0 or h <= 0:
        raise bad_parameter(owner, "horizon", "positive lengths (horizon and period)", horizon)
    if data is None:
        d = purchases.data
        value = spend.conditional_expected_value(
            pd.DataFrame(
                {"frequency": d.frequency, "monetary_value": _monetary(spend, d.index)},
                index=d.index,
            )
        ).to_numpy()
    else:
        d = purchases._arrays(data)
        value = spend.conditional_expected_value(data).reindex(d.index).to_numpy()
    ends = np.minimum(np.arange(1, math.ceil(h / s - 1e-9) + 1) * s, h)
    years = ends * purchases.unit.days / 365.25
    discount = (1.0 + annual_discount_rate) ** -years
    total = np.zeros(len(d.index))
    previous = np.zeros(len(d.index))
    for end, disc in zip(ends, discount, strict=True):
        cum = purchases._conditional(float(end), d.frequency, d.recency, d.T)
        total += (cum - previous) * disc
        previous = cum
    return pd.Series(total * value * margin, index=d.index, name="clv")


def _monetary(
    spend: GammaGammaResult, index: pd.Index
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    money = spend.data.monetary_value
    assert money is not None
    out = pd.Series(money, index=spend.data.index).reindex(index).fillna(0.0)
    return np.asarray(out, dtype=np.float64)
