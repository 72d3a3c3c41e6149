"""Bad-input cases of :class:`linkstar_funnel.ltv.AutoLTV`, :class:`~linkstar_funnel.ltv.ModifiedBetaGeo`
and their results."""

from __future__ import annotations

import functools
import warnings

import linkstar_funnel as lf
import linkstar_funnel.ltv  # binds lf.ltv until the package root exports it

from .cases import Case, orders, retail, rfm

#: Public callables of the area not driven here, with the reason.
EXEMPT: dict[str, str] = {
    "ltv.AutoLTVResult": "result record: built by AutoLTV.fit from validated input, not by users",
    "ltv.ModifiedBetaGeoResult": "result record: built by ModifiedBetaGeo.fit, not by users",
}

SPEC = lf.ltv.AutoLTV(horizon="180D", window="60D", folds=1, use_prophet=False)


@functools.cache
def auto_fit() -> lf.ltv.AutoLTVResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        return SPEC.fit(retail(), observation_end="2011-09-30")


@functools.cache
def mbg_fit() -> lf.ltv.ModifiedBetaGeoResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.ConvergenceWarning)
        return lf.ltv.ModifiedBetaGeo().fit(rfm())


CASES: list[Case] = [
    Case(
        "ltv.ModifiedBetaGeo.fit",
        lambda **kw: lf.ltv.ModifiedBetaGeo(**kw).fit(rfm()),
        (lf.ltv.ModifiedBetaGeo, lf.ltv.ModifiedBetaGeo.fit),
        params={"penalizer": 0.0, "maxiter": 2000},
    ),
    Case(
        "ModifiedBetaGeoResult.probability_of_purchases",
        lambda **kw: mbg_fit().probability_of_purchases(**kw),
        (lf.ltv.ModifiedBetaGeoResult.probability_of_purchases,),
        params={"t": "12W", "n": 2},
    ),
    Case(
        "ltv.AutoLTV",
        lambda orders, **kw: lf.ltv.AutoLTV(use_prophet=False, folds=1, **kw).fit(
            orders, observation_end="2011-09-30"
        ),
        (lf.ltv.AutoLTV, lf.ltv.AutoLTV.fit),
        orders,
        {
            "horizon": "180D",
            "window": "60D",
            "candidates": ("cohort", "bgnbd", "blend"),
            "step": "7D",
            "period": "M",
            "unit": "W",
        },
        columns={"orders": ("customer_id", "timestamp", "revenue")},
    ),
    Case(
        "ltv.AutoLTV.fit_orders",
        SPEC.fit_orders,
        (lf.ltv.AutoLTV.fit_orders,),
        orders,
        {
            "customer": "customer_id",
            "time": "timestamp",
            "value": "revenue",
            "observation_end": "2011-09-30",
            "by": "country",
        },
        columns={"orders": ("customer_id", "timestamp", "revenue", "country")},
    ),
    Case(
        "AutoLTVResult.expected_revenue",
        lambda **kw: auto_fit().expected_revenue(**kw),
        (lf.ltv.AutoLTVResult.expected_revenue,),
        params={"until": "2012-03-31", "alpha": 0.1},
    ),
    Case(
        "AutoLTVResult.expected_customer_revenue",
        lambda **kw: auto_fit().expected_customer_revenue(**kw),
        (lf.ltv.AutoLTVResult.expected_customer_revenue,),
        params={"until": "2012-03-31"},
    ),
    Case(
        "AutoLTVResult.predict",
        lambda **kw: auto_fit().predict(**kw),
        (lf.ltv.AutoLTVResult.predict,),
        params={"at": "90D", "alpha": 0.1},
    ),
]
