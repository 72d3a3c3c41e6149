"""CohortLTV: cumulative value per acquired customer by age, per cohort and segment.

The model, per segment ``g`` (leaf of the ``by`` hierarchy), cohort ``c`` and age ``k`` (in
``step`` periods since the customer's acquisition step)::

    mean increment per customer = L[g, c] * m_g(k)

* ``m_g`` is the segment's age curve: observed means where customers were observed at that
  age, pooled toward the parent's curve (see :mod:`._pooling`); beyond the observed ages,
  the increments are forecast — by prophet's trend on log increments for the root and for
  segments with at least ``min_customers`` customers, otherwise inherited from the parent
  with the segment's level. Increments are ≥ 0, so every cumulative curve is non-decreasing.
* ``L[g, c]`` is the cohort's level relative to its segment's curve, shrunk toward 1.

Time is cut into ``step`` periods ending exactly at ``observed_until``, so every period used
is fully observed, and each customer's acquisition step is the period of their first order.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import (
    Boolean,
    ColumnName,
    Columns,
    Options,
    Real,
    Timestamp,
    check_param,
    validate_params,
)
from .._validators import in_choices, positive_duration, positive_int, to_timedelta
from ..errors import EmptyFrameError
from ..results import Provenance
from ..schema import MAX_SQUARABLE, Column, TimeValues, check_time_zone, validate
from ._cohort_cells import build_cells, cut_ns, factorize_paths, segment_paths
from ._cohort_curves import ancestor_at, customer_cv2, pooled_curves, ratio
from ._cohort_fit import CellTable, CohortLTVFit
from ._pooling import Hierarchy, auto_kappa, clip_cv2, group_sum, shrink_level
from ._prophet import MIN_AGES, IncrementForecast, forecast_increments, tail_forecast

__all__ = ["CohortLTV"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Progress = Callable[[int, int], None]
MIN_AT_RISK = 20.0


def _horizon(value: object) -> pd.Timedelta:
    return to_timedelta(value, param="horizon", owner="CohortLTV")


def _step(value: object) -> pd.Timedelta:
    return to_timedelta(value, param="step", owner="CohortLTV")


def _tz(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_time_zone(value, param=attribute.name)


def _kappa(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # finite: an infinite strength overflows the shrinkage weights to NaN
    check_param("CohortLTV", attribute.name, value, [Options("auto"), Real(0, closed="neither")])


@attrs.frozen
class CohortLTV:
    """Cohort LTV curves with prophet-forecast increments and hierarchical pooling.

    Parameters
    ----------
    horizon
        Age to forecast to, e.g. ``"180D"`` or ``"365D"``.
    step
        Age resolution (default one week).
    cohort
        Customers whose first order falls in the same period form a cohort: ``"D"``
        (day), ``"W"`` (week) or ``"M"`` (month).
    pooling_strength
        Pooling strength (kappa), in customers: how strongly small segments and cohorts are pulled toward
        their parent; ``"auto"`` estimates it from the data (empirical Bayes).
    min_customers
        Segments with at least this many customers get their own forecast shape; smaller
        ones borrow their parent's.
    use_prophet
        Forecast increments with prophet (default); ``False`` uses a power-law tail.
    n_jobs
        Worker processes for the per-segment forecasts (1: in process).
    tz
        IANA zone for cohort dates (default: the data's own).
    refunds
        ``"net"`` (negative values reduce the period's value; a period's value is floored
        at 0) or ``"drop"``.

    Examples
    --------
    >>> import linkstar_funnel as lf
    >>> store = lf.datasets.make_demo_store(n_users=4000, seed=1)
    >>> fit = lf.ltv.CohortLTV(horizon="56D", use_prophet=False).fit(
    ...     store.orders, by="channel", observed_until="2026-03-16")
    >>> frame = fit.predict(at="56D").to_frame()
    >>> list(frame.columns)
    ['cohort', 'channel', 'age', 'customers', 'value', 'lower', 'upper', 'observed']
    >>> bool((frame["lower"] <= frame["value"]).all() and (frame["value"] <= frame["upper"]).all())
    True
    """

    horizon: pd.Timedelta = attrs.field(
        default=pd.Timedelta("365D"), converter=_horizon, validator=positive_duration
    )
    step: pd.Timedelta = attrs.field(
        default=pd.Timedelta("7D"), converter=_step, validator=positive_duration
    )
    cohort: Literal["D", "W", "M"] = attrs.field(default="M", validator=in_choices({"D", "W", "M"}))
    pooling_strength: float | Literal["auto"] = attrs.field(default="auto", validator=_kappa)
    min_customers: int = attrs.field(default=300, validator=positive_int)
    use_prophet: bool = attrs.field(default=True, validator=Boolean())
    n_jobs: int = attrs.field(default=1, validator=positive_int)
    tz: str | None = attrs.field(default=None, validator=_tz)
    refunds: Literal["net", "drop"] = attrs.field(
        default="net", validator=in_choices({"net", "drop"})
    )

    @validate_params(
        customer=ColumnName(),
        time=ColumnName(),
        value=ColumnName(),
        by=[None, Columns()],
        observed_until=[None, Timestamp()],
    )
    def fit(
        self,
        orders: object,
        *,
        customer: str = "customer_id",
        time: str = "timestamp",
        value: str = "revenue",
        by: str | Sequence[str] | None = None,
        observed_until: object = None,
        progress: Progress | None = None,
        spark: Any = None,
    ) -> CohortLTVFit:
        """Build the cohort curves from orders and forecast them to the horizon.

        Parameters
        ----------
        orders
            One row per order; never modified. An Ibis table, DuckDB relation, Spark
            DataFrame or :class:`~linkstar_funnel.sql.SQLTable` is aggregated in its engine
            (only the per-cell series come back; ``observed_until`` and ``step`` in whole
            seconds; the fit then has no per-customer predictions).
        customer, time, value
            Column names.
        by
            Segment column, or a hierarchy of them from coarse to fine, such as
            ``["channel", "campaign", "creative"]``. A customer's segment is the one of
            their first order.
        observed_until
            Orders strictly before this time are used; default: just after the last one.
        progress
            Called as ``progress(done, total)`` after each segment forecast.
        spark
            A ``pyspark.sql.SparkSession``: the per-segment forecasts then run on Spark
            (``groupBy(...).applyInPandas``) instead of local processes; ``progress`` is
            called once, when they are all back. The executors need this package (and
            prophet) installed.
        """
        by_cols = () if by is None else (by,) if isinstance(by, str) else tuple(by)
        horizon_steps = int(np.ceil(self.horizon / self.step))
        from ..sql import is_engine_table  # never imports Ibis

        if is_engine_table(orders):
            from ..engines.sql._cohort import engine_cells

            ec = engine_cells(
                orders,
                customer=customer,
                time=time,
                value=value,
                by_cols=by_cols,
                observed_until=observed_until,
                step=self.step,
                cohort=self.cohort,
                cohort_tz=self.tz,
                drop_refunds=self.refunds == "drop",
            )
            return self._assemble(
                cells=ec.cells,
                hier=Hierarchy.from_leaf_paths(ec.leaf_paths),
                horizon_steps=horizon_steps,
                cut=ec.cut,
                tz=ec.tz,
                coh_labels=ec.cohort_labels,
                by_cols=by_cols,
                customers=pd.Index([], name=customer),
                cust_cell=np.zeros(0, dtype=np.int64),
                provenance_acc=ec.accounting,
                progress=progress,
                spark=spark,
            )
        cols = [
            Column("customer", customer, "key"),
            Column("time", time, "time"),
            Column("value", value, "number", max_abs=MAX_SQUARABLE),
        ] + [Column(f"by:{c}", c, "category", required=False) for c in by_cols]
        table = validate(orders, cols, frame_name="orders")
        acc = table.accounting
        tv = table.times["time"]
        ns = tv.ns
        cut = cut_ns(observed_until, tv)
        late = ns >= cut
        acc = acc.with_dropped("at or after observed_until", int(late.sum()), column=time)
        val = table.numbers["value"]
        keep = ~late
        if self.refunds == "drop":
            refund = keep & (val < 0)
            acc = acc.with_dropped("refund", int(refund.sum()), column=value)
            keep &= ~refund
        if not keep.any():
            msg = f"No orders fall before observed_until: {acc}."
            raise EmptyFrameError(msg)
        if not (val[keep] > 0).any():
            msg = (
                f"No purchases in the orders frame: every order before observed_until is a "
                f"refund or free (column {value!r} ≤ 0), so there is no value to model."
            )
            raise EmptyFrameError(msg)
        rows = np.flatnonzero(keep)
        cust = table.codes["customer"][rows]
        step_ns = int(self.step.value)
        period = np.floor_divide(ns[rows] - cut, step_ns)
        order = np.lexsort((ns[rows], cust))
        first_mask = np.r_[True, cust[order][1:] != cust[order][:-1]]
        first_rows = order[first_mask]  # positions into `rows`, one per customer, by code
        cust_codes = cust[first_rows]
        acq = period[first_rows]
        # Customer codes are not contiguous after drops: map them to 0..n-1.
        remap = np.full(int(cust.max()) + 1, -1, dtype=np.int64)
        remap[cust_codes] = np.arange(len(cust_codes))
        cidx = remap[cust]
        cohort_start = TimeValues(ns[rows][first_rows], tv.tz, tv.column).bucket(
            self.cohort, self.tz
        )
        coh_code, coh_labels = pd.factorize(cohort_start, sort=True)
        paths = segment_paths(table.codes, table.labels, by_cols, rows[first_rows])
        leaf_code, leaf_paths = factorize_paths(paths)
        hier = Hierarchy.from_leaf_paths(leaf_paths)
        cells = build_cells(leaf_code, np.asarray(coh_code, np.int64), acq, cidx, period, val[rows])
        return self._assemble(
            cells=cells,
            hier=hier,
            horizon_steps=horizon_steps,
            cut=cut,
            tz=tv.tz,
            coh_labels=pd.DatetimeIndex(coh_labels),
            by_cols=by_cols,
            customers=table.labels["customer"].take(cust_codes),
            cust_cell=cells.customer_cell,
            provenance_acc=acc,
            progress=progress,
            spark=spark,
        )

    def fit_orders(
        self,
        orders: object,
        *,
        customer: str = "customer_id",
        time: str = "timestamp",
        value: str = "revenue",
        observed_until: object = None,
        by: str | Sequence[str] | None = None,
    ) -> CohortLTVFit:
        """:class:`~linkstar_funnel.ltv.LTVModel` entry point: :meth:`fit` without progress."""
        return self.fit(
            orders, customer=customer, time=time, value=value, by=by, observed_until=observed_until
        )

    def _assemble(
        self,
        *,
        cells: CellTable,
        hier: Hierarchy,
        horizon_steps: int,
        cut: int,
        tz: object,
        coh_labels: pd.DatetimeIndex,
        by_cols: tuple[str, ...],
        customers: pd.Index,
        cust_cell: IntArray,
        provenance_acc: object,
        progress: Progress | None,
        spark: Any = None,
    ) -> CohortLTVFit:
        k_obs_max = cells.revenue.shape[1]
        k_total = k_obs_max + horizon_steps + 1
        observed = np.arange(k_obs_max)[None, :] < cells.k_obs[:, None]
        repeat = observed.copy()
        repeat[:, 0] = False  # age 0 holds the acquisition order: levels read repeat value
        n_nodes = hier.n_nodes
        max_depth = int(hier.depth.max())
        cell_nodes = [
            ancestor_at(hier, hier.leaf_node, d)[cells.leaf] for d in range(max_depth + 1)
        ]
        n_cell = cells.n.astype(np.float64)
        # Per-customer dispersion (CV²) relative to the root's observed curve.
        root_obs = ratio(cells.revenue.sum(axis=0), (n_cell[:, None] * observed).sum(axis=0))
        cum_root = np.r_[0.0, np.cumsum(root_obs)]
        cv2 = clip_cv2(customer_cv2(cells, cum_root[cells.k_obs]))
        N = np.zeros(n_nodes)
        S = np.zeros((n_nodes, k_obs_max))
        for cell_node in cell_nodes:
            N += group_sum(cell_node, n_nodes, n_cell)
            S += group_sum(cell_node, n_nodes, cells.revenue)
        leaf_nodes = hier.leaf_node
        if self.pooling_strength == "auto":
            exp_leaf = group_sum(cell_nodes[-1], n_nodes, n_cell[:, None] * observed) @ root_obs
            with np.errstate(invalid="ignore", divide="ignore"):
                ratios = S[leaf_nodes].sum(axis=1) / exp_leaf[leaf_nodes]
            kappa = auto_kappa(ratios, N[leaf_nodes], cv2) if len(leaf_nodes) > 1 else 100.0
        else:
            kappa = float(self.pooling_strength)
        # Cohort levels and the root age curve, alternately (a multiplicative row-column
        # model on the incomplete cohort * age triangle, as in chain-ladder).
        ug, ginv = np.unique(cells.leaf * len(coh_labels) + cells.cohort, return_inverse=True)
        ginv = ginv.ravel()
        n_g = np.bincount(ginv, weights=n_cell, minlength=len(ug))
        obs_rep = np.bincount(ginv, weights=(cells.revenue * repeat).sum(axis=1), minlength=len(ug))
        level = np.ones(len(ug))
        for _ in range(10):
            exposure = (n_cell * level[ginv])[:, None] * observed
            m = ratio(cells.revenue.sum(axis=0), exposure.sum(axis=0))
            exp_rep = np.bincount(ginv, weights=(n_cell[:, None] * repeat) @ m, minlength=len(ug))
            level = np.asarray(
                [
                    shrink_level(o, e, n, kappa)
                    for o, e, n in zip(obs_rep, exp_rep, n_g, strict=True)
                ]
            )
            level /= np.average(level, weights=n_g)
        exposure = (n_cell * level[ginv])[:, None] * observed
        D = np.zeros((n_nodes, k_obs_max))
        for cell_node in cell_nodes:
            D += group_sum(cell_node, n_nodes, exposure)
        # Forecast shapes: the root, and every segment with enough customers and ages.
        fc_nodes = [0] + [
            int(i)
            for i in range(1, n_nodes)
            if N[i] >= self.min_customers and int((D[i] >= MIN_AT_RISK).sum()) > MIN_AGES
        ]
        forecasts = self._forecasts(fc_nodes, S, D, k_total, progress, spark)
        curves, sds, methods = pooled_curves(hier, S, D, N, forecasts, k_total, kappa)
        # Cohort levels relative to their segment's (pooled) curve, from repeat ages.
        leaf_curve = curves[leaf_nodes]
        exp_cell = (n_cell[:, None] * repeat * leaf_curve[cells.leaf, :k_obs_max]).sum(axis=1)
        exp_g = np.bincount(ginv, weights=exp_cell, minlength=len(ug))
        level_g = np.asarray(
            [shrink_level(o, e, n, kappa) for o, e, n in zip(obs_rep, exp_g, n_g, strict=True)]
        )
        notes = (
            f"observed until {pd.Timestamp(cut, tz='UTC') if tz else pd.Timestamp(cut)}",
            f"pooling strength κ = {kappa:,.0f} customers; customer value CV² = {cv2:.2f}",
            "age curves: " + ", ".join(f"{v} {k}" for k, v in sorted(methods.items())),
        )
        return CohortLTVFit(
            spec=self,
            cells=cells,
            leaf_curves=leaf_curve,
            leaf_sd=sds[leaf_nodes],
            cell_level=level_g[ginv],
            cell_level_var=np.asarray(cv2 / (n_g + kappa), dtype=np.float64)[ginv],
            cut_ns=cut,
            tz=tz,
            cohort_labels=coh_labels,
            leaf_paths=tuple(hier.path_labels[i] for i in leaf_nodes),
            by=by_cols,
            customers=customers,
            customer_cell=cust_cell,
            kappa=kappa,
            cv2=cv2,
            provenance=Provenance(self, {"orders": provenance_acc}, notes),  # type: ignore[dict-item]
        )

    def _forecasts(
        self,
        nodes: list[int],
        S: FloatArray,
        D: FloatArray,
        k_total: int,
        progress: Progress | None,
        spark: Any = None,
    ) -> dict[int, tuple[int, IncrementForecast]]:
        jobs = []
        for node in nodes:
            usable = D[node] >= MIN_AT_RISK
            last = int(np.flatnonzero(usable).max()) if usable.any() else 0
            ages = np.arange(last + 1, dtype=np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                inc = np.where(
                    D[node, : last + 1] > 0, S[node, : last + 1] / D[node, : last + 1], 0.0
                )
            future = np.arange(last + 1, k_total, dtype=np.float64)
            jobs.append((node, last, ages, inc, D[node, : last + 1], future))
        out: dict[int, tuple[int, IncrementForecast]] = {}
        step_days = self.step / pd.Timedelta(days=1)
        total = len(jobs)
        if spark is not None:
            from ._spark import forecast_on_spark

            out = forecast_on_spark(spark, jobs, _forecast_job, step_days, self.use_prophet)
            if progress is not None:
                progress(total, total)
            return out
        if self.n_jobs > 1 and total > 1:
            ctx = multiprocessing.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=self.n_jobs, mp_context=ctx) as pool:
                futures = {
                    pool.submit(_forecast_job, j[2:], step_days, self.use_prophet): j for j in jobs
                }
                for done, fut in enumerate(cf.as_completed(futures), start=1):
                    node, last = futures[fut][:2]
                    out[node] = (last, fut.result())
                    if progress is not None:
                        progress(done, total)
        else:
            for done, j in enumerate(jobs, start=1):
                out[j[0]] = (j[1], _forecast_job(j[2:], step_days, self.use_prophet))
                if progress is not None:
                    progress(done, total)
        return out


def _forecast_job(
    job: tuple[FloatArray, FloatArray, FloatArray, FloatArray], step_days: float, use_prophet: bool
) -> IncrementForecast:
    ages, inc, at_risk, future = job
    if use_prophet:
        return forecast_increments(ages, inc, at_risk, future, step_days=step_days)
    return tail_forecast(ages, inc, at_risk, future)
