"""LTV forecasting: RFM summaries, BG/NBD, Pareto/NBD, Gamma-Gamma, cohort curves, backtests.

* :func:`rfm_summary`, :func:`calibration_holdout` — per-customer frequency, recency, age
  and monetary value from orders, with explicit rules for refunds, zero-value orders and
  missing ids, in an explicit :class:`TimeUnit`.
* :class:`BetaGeo`, :class:`ParetoNBD`, :class:`GammaGamma` — maximum-likelihood models
  (specs) whose ``fit`` returns immutable fitted results; :func:`customer_lifetime_value`.
* :class:`CohortLTV` — cumulative value per acquired customer by age, per cohort and
  segment, forecast with prophet and pooled across a segment hierarchy.
* :func:`backtest`, :func:`unit_economics` — holdout errors; LTV:CAC and payback.
* :class:`LTVModel` — the extension protocol, with :func:`check_ltv_model`.
"""

from __future__ import annotations

from ._backtest import BacktestResult, backtest, decile_mape, normalized_gini
from ._betageo import BetaGeo, BetaGeoFit
from ._clv import customer_lifetime_value
from ._cohort import CohortLTV
from ._cohort_fit import CohortForecast, CohortLTVFit
from ._economics import UnitEconomics, unit_economics
from ._gammagamma import GammaGamma, GammaGammaFit
from ._pareto import ParetoNBD, ParetoNBDFit
from ._protocol import (
    FittedLTV,
    LTVModel,
    ProbabilisticLTV,
    ProbabilisticLTVFit,
    check_ltv_model,
)
from ._rfm import RFMRules, RFMSummary, rfm_summary
from ._rfm_holdout import CalibrationHoldout, calibration_holdout
from ._units import Span, TimeUnit

__all__ = [
    "BacktestResult",
    "BetaGeo",
    "BetaGeoFit",
    "CalibrationHoldout",
    "CohortForecast",
    "CohortLTV",
    "CohortLTVFit",
    "FittedLTV",
    "GammaGamma",
    "GammaGammaFit",
    "LTVModel",
    "ParetoNBD",
    "ParetoNBDFit",
    "ProbabilisticLTV",
    "ProbabilisticLTVFit",
    "RFMRules",
    "RFMSummary",
    "Span",
    "TimeUnit",
    "UnitEconomics",
    "backtest",
    "calibration_holdout",
    "check_ltv_model",
    "customer_lifetime_value",
    "decile_mape",
    "normalized_gini",
    "rfm_summary",
    "unit_economics",
]
