"""linkstar_funnel: typed e-commerce operations analytics.

Funnels (where buyers drop out), attribution (which channel earned the sale), KPI trees
(which driver moved GMV), LTV forecasting (what a customer is worth) and benchmarks
(how we compare), as small composable objects over pandas frames.
"""

from __future__ import annotations

from . import (
    benchmark,
    datasets,
    errors,
    kpi,
    ltv,
    monitor,
    overview,
    plotting,
    report,
    results,
    schema,
)
from ._version import __version__
from .benchmark import Benchmark, BenchmarkComparison, RateSource, Reference
from .errors import (
    ColumnNotFoundError,
    ConvergenceError,
    ConvergenceWarning,
    DataQualityWarning,
    DatasetError,
    EmptyFrameError,
    LinkstarError,
    LinkstarWarning,
    ParameterError,
    RegistryError,
    SchemaError,
    TimeColumnError,
    TimeZoneError,
)
from .kpi import (
    Decomposition,
    DecompositionResult,
    KPITree,
    KPIValues,
    MixRateResult,
    SensitivityResult,
    TargetResult,
)
from .overview import DataOverview, describe_events, describe_orders
from .results import Provenance, Result, Summary
from .schema import RowAccounting

__all__ = [
    "Benchmark",
    "BenchmarkComparison",
    "ColumnNotFoundError",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataOverview",
    "DataQualityWarning",
    "DatasetError",
    "Decomposition",
    "DecompositionResult",
    "EmptyFrameError",
    "KPITree",
    "KPIValues",
    "LinkstarError",
    "LinkstarWarning",
    "MixRateResult",
    "ParameterError",
    "Provenance",
    "RateSource",
    "Reference",
    "RegistryError",
    "Result",
    "RowAccounting",
    "SchemaError",
    "SensitivityResult",
    "Summary",
    "TargetResult",
    "TimeColumnError",
    "TimeZoneError",
    "__version__",
    "benchmark",
    "datasets",
    "describe_events",
    "describe_orders",
    "errors",
    "kpi",
    "ltv",
    "monitor",
    "overview",
    "plotting",
    "report",
    "results",
    "schema",
]
