"""LTV forecasting: RFM summaries, BG/NBD, Pareto/NBD, Gamma-Gamma, cohort curves, backtests.

* :func:`rfm_summary`, :func:`calibration_holdout` — per-customer frequency, recency, age
  and monetary value from orders, with explicit rules for refunds, zero-value orders and
  missing ids, in an explicit :class:`TimeUnit`.
* :class:`BetaGeo`, :class:`ModifiedBetaGeo`, :class:`ParetoNBD`, :class:`GammaGamma` — maximum-likelihood models
  (specs) whose ``fit`` returns immutable fitted results; :func:`customer_lifetime_value`.
* :class:`CohortLTV` — cumulative value per acquired customer by age, per cohort and
  segment, forecast with prophet and pooled across a segment hierarchy.
* :class:`AutoLTV` — per segment, the model that did best in a backtest inside the
  calibration data; per-customer forecasts ranked by BG/NBD.
* :func:`backtest`, :func:`unit_economics` — holdout errors; LTV:CAC and payback.
* :class:`LTVModel` — the extension protocol, with :func:`check_ltv_model`.

Results are named ``*Result``; the former names (``CohortLTVFit``, ``RFMSummary``,
``BetaGeoFit``...) still work for one release, with a :class:`DeprecationWarning`.
"""

from __future__ import annotations

from .._deprecation import renamed_attributes
from ._auto import AutoLTV, AutoLTVResult
from ._backtest import BacktestResult, backtest, decile_mape, normalized_gini
from ._betageo import BetaGeo, BetaGeoResult
from ._clv import customer_lifetime_value
from ._cohort import CohortLTV
from ._cohort_fit import CohortForecastResult, CohortLTVResult
from ._count import CountModelResult
from ._economics import UnitEconomicsResult, unit_economics
from ._gammagamma import GammaGamma, GammaGammaResult
from ._mbgnbd import ModifiedBetaGeo, ModifiedBetaGeoResult
from ._pareto import ParetoNBD, ParetoNBDResult
from ._protocol import (
    FittedLTV,
    LTVModel,
    ProbabilisticLTV,
    ProbabilisticLTVResult,
    check_ltv_model,
)
from ._rfm import RFMResult, RFMRules, rfm_summary
from ._rfm_holdout import CalibrationHoldoutResult, calibration_holdout
from ._rfm_segments import RFMSegmentsResult, rfm_segments
from ._units import Span, TimeUnit

__all__ = [
    "AutoLTV",
    "AutoLTVResult",
    "BacktestResult",
    "BetaGeo",
    "BetaGeoResult",
    "CalibrationHoldoutResult",
    "CohortForecastResult",
    "CohortLTV",
    "CohortLTVResult",
    "CountModelResult",
    "FittedLTV",
    "GammaGamma",
    "GammaGammaResult",
    "LTVModel",
    "ModifiedBetaGeo",
    "ModifiedBetaGeoResult",
    "ParetoNBD",
    "ParetoNBDResult",
    "ProbabilisticLTV",
    "ProbabilisticLTVResult",
    "RFMResult",
    "RFMRules",
    "RFMSegmentsResult",
    "Span",
    "TimeUnit",
    "UnitEconomicsResult",
    "backtest",
    "calibration_holdout",
    "check_ltv_model",
    "customer_lifetime_value",
    "decile_mape",
    "normalized_gini",
    "rfm_segments",
    "rfm_summary",
    "unit_economics",
]

#: Former names of the results, served for one release with a DeprecationWarning.
_RENAMED: dict[str, tuple[str, object]] = {
    "BetaGeoFit": ("BetaGeoResult", BetaGeoResult),
    "CalibrationHoldout": ("CalibrationHoldoutResult", CalibrationHoldoutResult),
    "CohortForecast": ("CohortForecastResult", CohortForecastResult),
    "CohortLTVFit": ("CohortLTVResult", CohortLTVResult),
    "CountModelFit": ("CountModelResult", CountModelResult),
    "GammaGammaFit": ("GammaGammaResult", GammaGammaResult),
    "ParetoNBDFit": ("ParetoNBDResult", ParetoNBDResult),
    "ProbabilisticLTVFit": ("ProbabilisticLTVResult", ProbabilisticLTVResult),
    "RFMSummary": ("RFMResult", RFMResult),
    "UnitEconomics": ("UnitEconomicsResult", UnitEconomicsResult),
}
__getattr__ = renamed_attributes(__name__, _RENAMED)
