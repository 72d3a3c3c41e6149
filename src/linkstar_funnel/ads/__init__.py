"""Ad economics: what each channel, campaign and creative costs and returns.

* :func:`economics` — spend at any grain (channel, campaign, creative, day) with
  impressions and clicks, conversions from any attribution model (or a frame) credited
  down to that grain, and total revenue: CTR, CPC, CPM, CVR, CPA, ROAS, ACoS, TACoS and
  MER per row (:class:`AdEconomicsResult`), in one reporting currency;
* :data:`METRICS` — the definition of every metric (:class:`Metric`).

A ratio whose denominator is 0 is NaN, never 0 or inf, with a warning saying why.
"""

from __future__ import annotations

from ._economics import AdEconomicsResult, economics
from ._metrics import METRICS, Metric

__all__ = ["METRICS", "AdEconomicsResult", "Metric", "economics"]
