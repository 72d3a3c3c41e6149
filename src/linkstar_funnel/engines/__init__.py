"""The engine boundary: one narrow protocol per capability, several backends behind it.

Domain packages (funnel, kpi, ltv, attribution...) validate their parameters, lower their
spec to a typed query record, ask :func:`backend_for` for the backend that takes the input
and build their result once from the backend-independent arrays it returns. Built-in
backends:

* ``"pandas"`` (default): in-memory kernels on pandas DataFrames (and anything with
  ``to_pandas()``);
* ``"ibis"``: SQL compiled through Ibis, for Ibis tables, DuckDB relations, Parquet paths
  and :class:`linkstar_funnel.sql.SQLTable` (extra ``[sql]``);
* ``"pyspark"``: PySpark DataFrames through Ibis' PySpark backend (extra ``[spark]``).

Capabilities, each a Protocol with a typed query record and a backend-independent output
record: ``funnel_levels`` (:class:`FunnelQuery` -> :class:`FunnelLevels`), ``kpi_leaf_sums``
(:class:`KPILeafSumsQuery` -> :class:`KPILeafSums`), ``cohort_cells`` (:class:`CohortQuery`
-> :class:`CohortCells`), ``journey_arrays`` (:class:`JourneyQuery` ->
:class:`JourneyArrays`), ``identity_components`` (:class:`IdentityQuery` ->
:class:`IdentityComponents`), ``basket_pairs`` (:class:`BasketPairsQuery` ->
:class:`BasketPairs`), ``retention_cells`` (:class:`RetentionQuery` ->
:class:`RetentionCells`) and ``lifecycle_cells`` (:class:`LifecycleQuery` ->
:class:`LifecycleCells`). Spark runs the first four; the last four are compiled for Ibis.

A new backend is a :class:`Backend` given to :func:`register_backend`; :func:`check_backend`
holds it to the in-memory engine and lists every difference.

Imports go one way: domain packages -> ``engines`` -> core (``schema``, ``results``,
``errors``, ``stats``). Nothing here imports a domain package.

Examples
--------
>>> import pandas as pd
>>> import linkstar_funnel as lf
>>> lf.engines.backend_for(pd.DataFrame()).name
'pandas'
>>> lf.engines.backends()
['ibis', 'pandas', 'pyspark']
"""

from __future__ import annotations

from ._backends import (
    BACKENDS,
    CAPABILITIES,
    DEFAULT_BACKEND,
    Backend,
    backend_for,
    implementation,
    register_backend,
)
from ._basket import BasketPairs, BasketPairsEngine, BasketPairsQuery
from ._cohort import CellTable, CohortCells, CohortCellsEngine, CohortQuery
from ._funnel import (
    FunnelDurations,
    FunnelEntries,
    FunnelLevels,
    FunnelLevelsEngine,
    FunnelQuery,
)
from ._identity import IdentityComponents, IdentityComponentsEngine, IdentityQuery
from ._journeys import JourneyArrays, JourneyArraysEngine, JourneyQuery
from ._kit import check_backend
from ._kpi import KPILeafSums, KPILeafSumsEngine, KPILeafSumsQuery
from ._retention import (
    LifecycleCells,
    LifecycleCellsEngine,
    LifecycleQuery,
    RetentionCells,
    RetentionCellsEngine,
    RetentionQuery,
)

__all__ = [
    "CAPABILITIES",
    "DEFAULT_BACKEND",
    "Backend",
    "BasketPairs",
    "BasketPairsEngine",
    "BasketPairsQuery",
    "CellTable",
    "CohortCells",
    "CohortCellsEngine",
    "CohortQuery",
    "FunnelDurations",
    "FunnelEntries",
    "FunnelLevels",
    "FunnelLevelsEngine",
    "FunnelQuery",
    "IdentityComponents",
    "IdentityComponentsEngine",
    "IdentityQuery",
    "JourneyArrays",
    "JourneyArraysEngine",
    "JourneyQuery",
    "KPILeafSums",
    "KPILeafSumsEngine",
    "KPILeafSumsQuery",
    "LifecycleCells",
    "LifecycleCellsEngine",
    "LifecycleQuery",
    "RetentionCells",
    "RetentionCellsEngine",
    "RetentionQuery",
    "backend_for",
    "backends",
    "check_backend",
    "implementation",
    "register_backend",
]


def backends() -> list[str]:
    """Names of the registered backends, sorted."""
    return BACKENDS.names()
