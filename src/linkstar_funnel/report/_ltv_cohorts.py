"""What the report's LTV section shows, computed once: cohort curves, BG/NBD + Gamma-Gamma.

:func:`ltv_view` fits, on one order table,

* :class:`~linkstar_funnel.ltv.CohortLTV`: cumulative value per acquired customer by age,
  cohorts by first-purchase month, segments by the country of the first order (the
  :data:`TOP_SEGMENTS` largest by customers, the rest pooled into one "other" segment), forecast
  to :data:`HORIZON` with :data:`ALPHA`-level intervals;
* :class:`~linkstar_funnel.ltv.BetaGeo` and :class:`~linkstar_funnel.ltv.GammaGamma` on the
  weekly RFM summary, with P(alive) and the expected CLV over the next 12 months, discounted
  at :data:`DISCOUNT_RATE` a year;
* when the orders span long enough, a :func:`~linkstar_funnel.ltv.backtest` of both at a cut
  near 55% of the span (the first of the nearest month), forecast to the last order day.

Warnings of the library (e.g. a BG/NBD estimate at the edge of its domain) are kept as text
for the page instead of going to stderr.
"""

from __future__ import annotations

import warnings

import attrs
import numpy as np
import pandas as pd

from ..errors import LinkstarError, LinkstarWarning
from ..ltv import (
    BacktestResult,
    BetaGeo,
    BetaGeoResult,
    CohortForecastResult,
    CohortLTV,
    CohortLTVResult,
    GammaGamma,
    GammaGammaResult,
    ProbabilisticLTV,
    RFMResult,
    backtest,
    customer_lifetime_value,
    rfm_summary,
)
from ._warning_notes import warning_notes

__all__ = [
    "ALPHA",
    "BACKTEST_MODELS",
    "DISCOUNT_RATE",
    "HORIZON",
    "LTV_AGE",
    "MIN_DAYS",
    "TOP_SEGMENTS",
    "LTVView",
    "backtest_window",
    "ltv_view",
    "order_span",
    "parse_times",
    "segment_labels",
    "weighted",
]

#: Age the cohort curves are forecast to.
HORIZON = "365D"
#: Age of the "12-month" value per customer (52 weekly steps: 364 days).
LTV_AGE = "365D"
#: The intervals cover 1 - ALPHA.
ALPHA = 0.10
#: Yearly discount rate of the BG/NBD + Gamma-Gamma CLV.
DISCOUNT_RATE = 0.10
#: Segments (countries) fitted on their own; the others are pooled into one.
TOP_SEGMENTS = 3
#: Names of the two models in the backtest.
BACKTEST_MODELS = ("cohort model", "BG/NBD + Gamma-Gamma")
#: Fewer days of orders than this are too short for a 12-month LTV: the section says so.
MIN_DAYS = 56
_MIN_BACKTEST_DAYS = 120


@attrs.frozen(eq=False)
class LTVView:
    """The fitted models and forecasts the LTV section renders.

    Attributes
    ----------
    fit
        The cohort model (cohorts by first-purchase month, segments by :attr:`segment`).
    curves
        Its forecast at every weekly age to the horizon (intervals at ``1 - ALPHA``).
    at_12m
        Its forecast at 52 weeks (364 days), the "12-month value per customer".
    segment
        The segment column (``"country"``) or ``None``.
    pooled, other
        The segment values folded into the "other" segment, and its label (or ``None``).
    rfm, bg, gg
        Weekly RFM summary of all orders, and the BG/NBD and Gamma-Gamma fits on it.
    clv
        Expected value per customer over the next 12 months (discounted, see
        :data:`DISCOUNT_RATE`).
    expected_purchases, p_alive
        Expected purchases over the next 12 months and P(alive), per customer.
    customer_segment
        Each customer's segment (that of their first order).
    backtest
        Holdout errors of both models (``None`` when the orders span too little time).
    notes
        Warnings of the library, as text.
    """

    fit: CohortLTVResult
    curves: CohortForecastResult
    at_12m: CohortForecastResult
    segment: str | None
    pooled: tuple[str, ...]
    other: str | None
    rfm: RFMResult
    bg: BetaGeoResult
    gg: GammaGammaResult
    clv: pd.Series
    expected_purchases: pd.Series
    p_alive: pd.Series
    customer_segment: pd.Series
    backtest: BacktestResult | None
    notes: tuple[str, ...]


def segment_labels(
    orders: pd.DataFrame, *, customer: str, time: str, segment: str, top: int = TOP_SEGMENTS
) -> tuple[pd.Series, tuple[str, ...], str | None]:
    """Each row's segment: its value when among the ``top`` by customers, else "other".

    Customers are counted by the segment of their first order (ties in time: row order).
    Returns the row labels, the values pooled into "other" (largest first) and its label.
    """
    values = orders[segment].astype("string").fillna("(missing)").astype(object)
    first = (
        pd.DataFrame({"c": orders[customer], "t": orders[time], "s": values})
        .sort_values("t", kind="stable")
        .groupby("c", sort=False)["s"]
        .first()
    )
    counts = first.value_counts(sort=False)
    ranked = sorted(counts.index, key=lambda v: (-int(counts[v]), str(v)))
    keep, rest = ranked[:top], tuple(str(v) for v in ranked[top:])
    if len(rest) <= 1:  # nothing to pool: one leftover keeps its own name
        return values.rename(segment), (), None
    other = f"other ({len(rest)} {'countries' if segment == 'country' else 'values'})"
    labels = values.where(values.isin(keep), other)
    return labels.rename(segment), rest, other


def parse_times(orders: pd.DataFrame, time: str) -> pd.DataFrame:
    """``orders`` with ``time`` as datetimes (CSV files give text; unparseable: NaT)."""
    if time not in orders.columns or pd.api.types.is_datetime64_any_dtype(orders[time]):
        return orders
    return orders.assign(**{time: pd.to_datetime(orders[time], errors="coerce", utc=True)})


def order_span(orders: pd.DataFrame, time: str) -> pd.Timedelta:
    """Time from the first to the last order (zero without usable times)."""
    times = parse_times(orders, time)[time].dropna() if time in orders.columns else None
    if times is None or times.empty:
        return pd.Timedelta(0)
    return pd.Timedelta(times.max() - times.min())


def backtest_window(first: pd.Timestamp, last: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The backtest's cut (first of the month nearest 55% of the span) and end (last day + 1).

    Examples
    --------
    >>> cut, end = backtest_window(pd.Timestamp("2010-12-01 08:26"),
    ...                            pd.Timestamp("2011-12-09 12:50"))
    >>> str(cut.date()), str(end.date())
    ('2011-07-01', '2011-12-10')
    """
    naive = [t.tz_localize(None) if t.tz is not None else t for t in (first, last)]
    mid = naive[0] + 0.55 * (naive[1] - naive[0])
    start = mid.to_period("M").to_timestamp()
    nxt = (mid.to_period("M") + 1).to_timestamp()
    cut = nxt if (nxt - mid) < (mid - start) else start
    return cut, naive[1].floor("D") + pd.Timedelta(days=1)


def ltv_view(
    orders: pd.DataFrame,
    *,
    customer: str,
    time: str,
    value: str,
    segment: str | None,
    tz: str | None = None,
    use_prophet: bool = True,
    run_backtest: bool = True,
    top: int = TOP_SEGMENTS,
) -> LTVView:
    """Fit the section's models on ``orders`` (never modified); see the module docstring.

    Parameters
    ----------
    orders
        One row per order.
    customer, time, value
        Column names.
    segment
        Segment column (``"country"``), or ``None`` for one curve per cohort.
    tz
        IANA zone months and days are read in (default: the data's own).
    use_prophet
        Forecast the cohort curves' increments with prophet (else a power-law tail).
    run_backtest
        Also backtest the cohort model against BG/NBD + Gamma-Gamma.
    top
        Segments fitted on their own; the rest are pooled.
    """
    frame = orders = parse_times(orders, time)
    pooled: tuple[str, ...] = ()
    other = None
    if segment is not None:
        labels, pooled, other = segment_labels(
            orders, customer=customer, time=time, segment=segment, top=top
        )
        frame = orders.assign(**{segment: labels.to_numpy()})
    cohort_spec = CohortLTV(horizon=HORIZON, period="M", use_prophet=use_prophet, tz=tz)
    with warnings.catch_warnings(record=True, action="always", category=LinkstarWarning) as caught:
        fit = cohort_spec.fit(frame, customer=customer, time=time, value=value, by=segment)
        rfm = rfm_summary(frame, customer=customer, time=time, value=value, period="W", tz=tz)
        bg = BetaGeo().fit(rfm)
        gg = GammaGamma().fit(rfm)
        clv = customer_lifetime_value(
            bg, gg, rfm, horizon="12M", period="1M", annual_discount_rate=DISCOUNT_RATE
        )
        result, failed = None, ""
        if run_backtest:
            result, failed = _backtest(frame, cohort_spec, segment, (customer, time, value))
    notes = warning_notes(caught)
    if failed:
        notes += (failed,)
    first_segment = pd.Series(dtype=object)
    if segment is not None:
        first_segment = (
            frame[[customer, time, segment]]
            .sort_values(time, kind="stable")
            .groupby(customer, sort=False)[segment]
            .first()
        )
    return LTVView(
        fit=fit,
        curves=fit.predict(alpha=ALPHA),
        at_12m=fit.predict(at=LTV_AGE, alpha=ALPHA),
        segment=segment,
        pooled=pooled,
        other=other,
        rfm=rfm,
        bg=bg,
        gg=gg,
        clv=clv,
        expected_purchases=bg.conditional_expected_purchases("12M"),
        p_alive=bg.p_alive(),
        customer_segment=first_segment,
        backtest=result,
        notes=notes,
    )


def _backtest(
    frame: pd.DataFrame, spec: CohortLTV, segment: str | None, cols: tuple[str, str, str]
) -> tuple[BacktestResult | None, str]:
    customer, time, value = cols
    times = frame[time]
    first, last = pd.Timestamp(times.min()), pd.Timestamp(times.max())
    if (last - first) < pd.Timedelta(days=_MIN_BACKTEST_DAYS):
        return None, ""
    cut, end = backtest_window(first, last)
    models = dict(zip(BACKTEST_MODELS, (spec, ProbabilisticLTV()), strict=True))
    try:
        result = backtest(
            models,  # type: ignore[arg-type]  # both are LTVModels
            frame,
            cutoff=cut,
            end=end,
            customer=customer,
            time=time,
            value=value,
            by=segment,
        )
    except LinkstarError as exc:
        return None, f"Backtest not available: {' '.join(str(exc).split())}"
    return result, ""


def weighted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Customer-weighted ``value``, ``lower``, ``upper`` by ``keys`` (as ``CohortForecastResult.ltv``)."""
    w = frame["customers"].to_numpy(dtype=np.float64)
    parts = (
        frame.assign(
            _v=frame["value"] * w,
            _l=frame["lower"] * w,
            _u=frame["upper"] * w,
            _w=w,
            _o=frame["observed"].astype(np.float64) * w,
        )
        .groupby(keys, sort=True, observed=True)[["_v", "_l", "_u", "_w", "_o"]]
        .sum()
    )
    return pd.DataFrame(
        {
            "customers": parts["_w"].astype(np.int64),
            "value": parts["_v"] / parts["_w"],
            "lower": parts["_l"] / parts["_w"],
            "upper": parts["_u"] / parts["_w"],
            "observed": parts["_o"] / parts["_w"],
        }
    ).reset_index()
