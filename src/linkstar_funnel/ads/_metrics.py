"""The ad metrics, each defined once: what it divides by what, and why it can be undefined.

Every ratio is NaN (never 0, never inf) where its denominator is 0, and the reason is
stated. CPA and ROAS mean what they mean in
:class:`~linkstar_funnel.attribution.ChannelEconomicsResult`: cost over attributed
conversions, attributed value over cost.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["METRICS", "Metric", "ratio_metrics"]

FloatArray = npt.NDArray[np.float64]


@attrs.frozen
class Metric:
    """One ratio metric: ``scale * numerator / denominator``.

    Attributes
    ----------
    name
        The column name (``"acos"``).
    numerator, denominator
        The columns divided.
    scale
        A constant factor (1,000 for CPM).
    definition
        The definition in words, as the guide states it.
    undefined
        Why the metric is NaN where the denominator is 0.
    """

    name: str
    numerator: str
    denominator: str
    definition: str
    undefined: str
    scale: float = 1.0


#: Every metric of :func:`linkstar_funnel.ads.economics`, in the order of its columns.
METRICS: tuple[Metric, ...] = (
    Metric("ctr", "clicks", "impressions", "click-through rate: clicks / impressions",
           "no impressions"),
    Metric("cpc", "cost", "clicks", "cost per click: cost / clicks", "no clicks"),
    Metric("cpm", "cost", "impressions", "cost per mille: 1,000 * cost / impressions",
           "no impressions", scale=1000.0),
    Metric("cvr", "orders", "clicks", "conversion rate: attributed orders / clicks",
           "no clicks"),
    Metric("cpa", "cost", "orders", "cost per acquisition: cost / attributed orders",
           "no attributed orders"),
    Metric("roas", "revenue", "cost", "return on ad spend: attributed revenue / cost",
           "no cost"),
    Metric("acos", "cost", "revenue", "advertising cost of sales: cost / attributed revenue "
           "(= 1 / roas)", "no attributed revenue"),
    Metric("tacos", "cost", "total_revenue", "total advertising cost of sales: cost / total "
           "revenue (all sales, paid and organic)", "no total revenue"),
    Metric("mer", "total_revenue", "total_cost", "marketing efficiency ratio: total revenue / "
           "total cost (blended, of the row's group)", "no cost in the group"),
)  # fmt: skip


def ratio_metrics(
    columns: Mapping[str, FloatArray],
) -> tuple[dict[str, FloatArray], dict[str, tuple[int, str]]]:
    """Every metric whose inputs are in ``columns``; NaN where the denominator is 0.

    Returns the metric arrays and, per metric with NaNs, ``(rows, reason)``. A zero
    numerator over a zero denominator is NaN too (0/0 is undefined, not 0).

    Examples
    --------
    >>> out, why = ratio_metrics({"cost": np.array([10.0, 0.0]),
    ...                           "revenue": np.array([40.0, 5.0])})
    >>> out["roas"].tolist(), out["acos"].tolist()
    ([4.0, nan], [0.25, 0.0])
    >>> why
    {'roas': (1, 'no cost')}
    """
    out: dict[str, FloatArray] = {}
    reasons: dict[str, tuple[int, str]] = {}
    for m in METRICS:
        if m.numerator not in columns or m.denominator not in columns:
            continue
        num = np.asarray(columns[m.numerator], dtype=np.float64)
        den = np.asarray(columns[m.denominator], dtype=np.float64)
        zero = den == 0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = np.where(zero, np.nan, m.scale * num / np.where(zero, 1.0, den))
        out[m.name] = value.astype(np.float64)
        if zero.any():
            reasons[m.name] = (int(zero.sum()), m.undefined)
    return out, reasons
