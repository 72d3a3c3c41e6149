"""linkstar_funnel: typed e-commerce operations analytics.

Funnels (where buyers drop out), attribution (which channel earned the sale), KPI trees
(which driver moved GMV), LTV forecasting (what a customer is worth) and benchmarks
(how we compare), as small composable objects over pandas frames; and around them the
order journey after payment (``orders``), identity stitching (``IdentityGraph``),
retention and lifecycle, experiments, ad economics and targets, on-site search,
market baskets, and readers of the platforms' exports (``io``).
"""

from __future__ import annotations

from . import (
    ads,
    attribution,
    basket,
    benchmark,
    datasets,
    engines,
    errors,
    experiment,
    funnel,
    identity,
    io,
    kpi,
    ltv,
    monitor,
    orders,
    overview,
    plotting,
    report,
    results,
    retention,
    schema,
    search,
    sql,
    stages,
    stats,
)
from ._deprecation import renamed_attributes
from ._version import __version__
from .attribution import (
    AttributionComparisonResult,
    AttributionModel,
    AttributionResult,
    ChannelEconomicsResult,
    FirstTouch,
    Journeys,
    LastNonDirect,
    LastTouch,
    Linear,
    Markov,
    MarkovResult,
    PositionBased,
    Shapley,
    TimeDecay,
    channel_economics,
    check_attribution_model,
    compare_attribution,
)
from .benchmark import Benchmark, BenchmarkComparisonResult, RateSource, Reference
from .errors import (
    ColumnNotFoundError,
    ConformanceError,
    ConvergenceError,
    ConvergenceWarning,
    DataQualityWarning,
    DatasetError,
    EmptyFrameError,
    EngineError,
    LinkstarError,
    LinkstarWarning,
    ParameterError,
    RegistryError,
    SchemaError,
    TimeColumnError,
    TimeZoneError,
)
from .experiment import ExperimentResult
from .funnel import Exclusion, Funnel, FunnelResult
from .identity import IdentityGraph
from .kpi import (
    Decomposition,
    DecompositionResult,
    KPITree,
    KPIValuesResult,
    MixRateResult,
    SensitivityResult,
    TargetResult,
)
from .overview import OverviewResult, describe_events, describe_orders
from .results import Provenance, Result, Summary, check_result
from .retention import Lifecycle, LifecycleResult, Retention, RetentionResult
from .schema import RowAccounting
from .stages import (
    Stage,
    StageMatcher,
    check_stage_matcher,
    register_template,
    stage_template,
    stage_templates,
)

__all__ = [
    "AttributionComparisonResult",
    "AttributionModel",
    "AttributionResult",
    "Benchmark",
    "BenchmarkComparisonResult",
    "ChannelEconomicsResult",
    "ColumnNotFoundError",
    "ConformanceError",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataQualityWarning",
    "DatasetError",
    "Decomposition",
    "DecompositionResult",
    "EmptyFrameError",
    "EngineError",
    "Exclusion",
    "ExperimentResult",
    "FirstTouch",
    "Funnel",
    "FunnelResult",
    "IdentityGraph",
    "Journeys",
    "KPITree",
    "KPIValuesResult",
    "LastNonDirect",
    "LastTouch",
    "Lifecycle",
    "LifecycleResult",
    "Linear",
    "LinkstarError",
    "LinkstarWarning",
    "Markov",
    "MarkovResult",
    "MixRateResult",
    "OverviewResult",
    "ParameterError",
    "PositionBased",
    "Provenance",
    "RateSource",
    "Reference",
    "RegistryError",
    "Result",
    "Retention",
    "RetentionResult",
    "RowAccounting",
    "SchemaError",
    "SensitivityResult",
    "Shapley",
    "Stage",
    "StageMatcher",
    "Summary",
    "TargetResult",
    "TimeColumnError",
    "TimeDecay",
    "TimeZoneError",
    "__version__",
    "ads",
    "attribution",
    "basket",
    "benchmark",
    "channel_economics",
    "check_attribution_model",
    "check_result",
    "check_stage_matcher",
    "compare_attribution",
    "datasets",
    "describe_events",
    "describe_orders",
    "engines",
    "errors",
    "experiment",
    "funnel",
    "identity",
    "io",
    "kpi",
    "ltv",
    "monitor",
    "orders",
    "overview",
    "plotting",
    "register_template",
    "report",
    "results",
    "retention",
    "schema",
    "search",
    "sql",
    "stage_template",
    "stage_templates",
    "stages",
    "stats",
]


#: Names renamed for uniform ``*Result`` naming; the old ones work for one release.
__getattr__ = renamed_attributes(
    "linkstar_funnel",
    {
        "AttributionComparison": ("AttributionComparisonResult", AttributionComparisonResult),
        "BenchmarkComparison": ("BenchmarkComparisonResult", BenchmarkComparisonResult),
        "ChannelEconomics": ("ChannelEconomicsResult", ChannelEconomicsResult),
        "DataOverview": ("OverviewResult", OverviewResult),
        "KPIValues": ("KPIValuesResult", KPIValuesResult),
    },
)


def __dir__() -> list[str]:
    """Only the public API (``dir(lf)`` lists ``__all__``, not import leftovers)."""
    return sorted(__all__)
