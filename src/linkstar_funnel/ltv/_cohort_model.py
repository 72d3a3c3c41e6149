"""The cohort model estimated from cohort cells, for :class:`~._cohort.CohortLTV`.

From the cells (customers and value by age per leaf segment, cohort and acquisition step):

1. node totals: customers ``N`` and observed value ``S`` by age, per node of the hierarchy;
2. the pooling strength κ (given, or estimated by empirical Bayes) and the customers' CV²;
3. cohort levels and the root age curve, alternately (a multiplicative row-column model on
   the incomplete cohort x age triangle, as in chain-ladder), giving each node's exposure
   ``D`` (level-weighted customers observed at each age);
4. forecast shapes for the root and for segments with enough customers and ages;
5. pooled age curves of every node, then each cohort's level relative to its segment's
   curve, from repeat ages (age 0 holds the acquisition order).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..engines import CellTable
from ._cohort_curves import ancestor_at, customer_cv2, pooled_curves, ratio
from ._pooling import Hierarchy, auto_kappa, clip_cv2, group_sum, shrink_level
from ._prophet import MIN_AGES, IncrementForecast, forecast_increments, tail_forecast

__all__ = ["CohortEstimate", "ForecastSettings", "estimate"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Progress = Callable[[int, int], None]
#: Level-weighted customers an age needs to be used by a forecast.
MIN_AT_RISK = 20.0
#: Alternations of the row-column (cohort level x age curve) estimate.
LEVEL_ROUNDS = 10


@attrs.frozen
class ForecastSettings:
    """How the age curves are forecast (from the :class:`CohortLTV` spec)."""

    horizon_steps: int
    step_days: float
    pooling_strength: float | str
    min_customers: int
    use_prophet: bool
    n_jobs: int


@attrs.frozen(eq=False)
class CohortEstimate:
    """Per leaf segment, its curve and shape sd by age; per cell, its level and variance."""

    leaf_curves: FloatArray
    leaf_sd: FloatArray
    cell_level: FloatArray
    cell_level_var: FloatArray
    kappa: float
    cv2: float
    methods: dict[str, int]


@attrs.frozen(eq=False)
class _Cells:
    """The cells with what every stage reads: observed and repeat ages, node of each cell
    at each depth, cohort groups (leaf x cohort)."""

    cells: CellTable
    hier: Hierarchy
    observed: npt.NDArray[np.bool_]
    repeat: npt.NDArray[np.bool_]
    cell_nodes: list[IntArray]
    n: FloatArray
    group: IntArray
    n_groups: int

    @classmethod
    def of(cls, cells: CellTable, hier: Hierarchy, n_cohorts: int) -> _Cells:
        observed = np.arange(cells.value.shape[1])[None, :] < cells.k_obs[:, None]
        repeat = observed.copy()
        repeat[:, 0] = False
        cell_nodes = [
            ancestor_at(hier, hier.leaf_node, d)[cells.leaf]
            for d in range(int(hier.depth.max()) + 1)
        ]
        ug, group = np.unique(cells.leaf * n_cohorts + cells.cohort, return_inverse=True)
        return cls(
            cells,
            hier,
            observed,
            repeat,
            cell_nodes,
            cells.n.astype(np.float64),
            group.ravel().astype(np.int64),
            len(ug),
        )

    def by_node(self, per_cell: FloatArray) -> FloatArray:
        """Sum of a per-cell quantity over each node's cells."""
        out = np.zeros((self.hier.n_nodes, *per_cell.shape[1:]))
        for cell_node in self.cell_nodes:
            out += group_sum(cell_node, self.hier.n_nodes, per_cell)
        return out

    def by_group(self, per_cell: FloatArray) -> FloatArray:
        return np.bincount(self.group, weights=per_cell, minlength=self.n_groups).astype(np.float64)


def estimate(
    cells: CellTable,
    hier: Hierarchy,
    n_cohorts: int,
    settings: ForecastSettings,
    progress: Progress | None = None,
    spark: Any = None,
) -> CohortEstimate:
    """Estimate the cohort model from its cells (see the module docstring)."""
    c = _Cells.of(cells, hier, n_cohorts)
    root_obs = ratio(cells.value.sum(axis=0), (c.n[:, None] * c.observed).sum(axis=0))
    cv2 = clip_cv2(customer_cv2(cells, np.r_[0.0, np.cumsum(root_obs)][cells.k_obs]))
    N, S = c.by_node(c.n), c.by_node(cells.value)
    kappa = _pooling_strength(c, S, N, root_obs, cv2, settings.pooling_strength)
    obs_rep = c.by_group((cells.value * c.repeat).sum(axis=1))
    level = _row_column_levels(c, obs_rep, kappa)
    D = c.by_node((c.n * level[c.group])[:, None] * c.observed)
    k_total = cells.value.shape[1] + settings.horizon_steps + 1
    nodes = [0] + [
        i
        for i in range(1, hier.n_nodes)
        if N[i] >= settings.min_customers and int((D[i] >= MIN_AT_RISK).sum()) > MIN_AGES
    ]
    forecasts = forecast_nodes(nodes, S, D, k_total, settings, progress, spark)
    curves, sds, methods = pooled_curves(hier, S, D, N, forecasts, k_total, kappa)
    leaf_curves = curves[hier.leaf_node]
    # Cohort levels relative to their segment's (pooled) curve, from repeat ages.
    k_obs_max = cells.value.shape[1]
    expected = (c.n[:, None] * c.repeat * leaf_curves[cells.leaf, :k_obs_max]).sum(axis=1)
    n_g = c.by_group(c.n)
    level_g = _shrunk_levels(obs_rep, c.by_group(expected), n_g, kappa)
    return CohortEstimate(
        leaf_curves=leaf_curves,
        leaf_sd=sds[hier.leaf_node],
        cell_level=level_g[c.group],
        cell_level_var=np.asarray(cv2 / (n_g + kappa), dtype=np.float64)[c.group],
        kappa=kappa,
        cv2=cv2,
        methods=methods,
    )


def _pooling_strength(
    c: _Cells, S: FloatArray, N: FloatArray, root_obs: FloatArray, cv2: float, given: object
) -> float:
    """κ as given, or by empirical Bayes from the leaves' levels relative to the root."""
    if given != "auto":
        return float(given)  # type: ignore[arg-type]
    leaves = c.hier.leaf_node
    if len(leaves) < 2:
        return 100.0
    exposure = group_sum(c.cell_nodes[-1], c.hier.n_nodes, c.n[:, None] * c.observed)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = S[leaves].sum(axis=1) / (exposure @ root_obs)[leaves]
    return auto_kappa(ratios, N[leaves], cv2)


def _shrunk_levels(
    observed: FloatArray, expected: FloatArray, n: FloatArray, kappa: float
) -> FloatArray:
    return np.asarray(
        [shrink_level(o, e, k, kappa) for o, e, k in zip(observed, expected, n, strict=True)]
    )


def _row_column_levels(c: _Cells, obs_rep: FloatArray, kappa: float) -> FloatArray:
    """Cohort-group levels (mean 1, customer-weighted) and the root age curve, alternately."""
    n_g = c.by_group(c.n)
    value_by_age = c.cells.value.sum(axis=0)
    level = np.ones(c.n_groups)
    for _ in range(LEVEL_ROUNDS):
        exposure = (c.n * level[c.group])[:, None] * c.observed
        m = ratio(value_by_age, exposure.sum(axis=0))
        level = _shrunk_levels(obs_rep, c.by_group((c.n[:, None] * c.repeat) @ m), n_g, kappa)
        level /= np.average(level, weights=n_g)
    return level


def forecast_nodes(
    nodes: list[int],
    S: FloatArray,
    D: FloatArray,
    k_total: int,
    settings: ForecastSettings,
    progress: Progress | None = None,
    spark: Any = None,
) -> dict[int, tuple[int, IncrementForecast]]:
    """Each node's increments forecast from its last usable age to ``k_total`` ages: in
    process, in ``n_jobs`` local processes, or on Spark."""
    jobs = []
    for node in nodes:
        usable = D[node] >= MIN_AT_RISK
        last = int(np.flatnonzero(usable).max()) if usable.any() else 0
        ages = np.arange(last + 1, dtype=np.float64)
        inc = ratio(S[node, : last + 1], D[node, : last + 1])
        future = np.arange(last + 1, k_total, dtype=np.float64)
        jobs.append((node, last, ages, inc, D[node, : last + 1], future))
    out: dict[int, tuple[int, IncrementForecast]] = {}
    step_days, use_prophet = settings.step_days, settings.use_prophet
    total = len(jobs)
    if spark is not None:
        from ._spark import forecast_on_spark

        out = forecast_on_spark(spark, jobs, forecast_job, step_days, use_prophet)
        if progress is not None:
            progress(total, total)
        return out
    if settings.n_jobs > 1 and total > 1:
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=settings.n_jobs, mp_context=ctx) as pool:
            futures = {pool.submit(forecast_job, j[2:], step_days, use_prophet): j for j in jobs}
            for done, fut in enumerate(cf.as_completed(futures), start=1):
                node, last = futures[fut][:2]
                out[node] = (last, fut.result())
                if progress is not None:
                    progress(done, total)
        return out
    for done, j in enumerate(jobs, start=1):
        out[j[0]] = (j[1], forecast_job(j[2:], step_days, use_prophet))
        if progress is not None:
            progress(done, total)
    return out


def forecast_job(
    job: tuple[FloatArray, FloatArray, FloatArray, FloatArray], step_days: float, use_prophet: bool
) -> IncrementForecast:
    """One node's forecast (a top-level function: it runs in worker processes)."""
    ages, inc, at_risk, future = job
    if use_prophet:
        return forecast_increments(ages, inc, at_risk, future, step_days=step_days)
    return tail_forecast(ages, inc, at_risk, future)
