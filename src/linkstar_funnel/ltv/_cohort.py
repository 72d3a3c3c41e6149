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

Time is cut into ``step`` periods ending exactly at ``observation_end``, so every period
used is fully observed, and each customer's acquisition step is the period of their first
order. The cells (customers and value per segment, cohort, acquisition step and age) come
from the engine backend that takes the input (the ``cohort_cells`` capability); the model
is estimated from them in :mod:`._cohort_model`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from .._deprecation import renamed_params
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
from .._validators import bad_parameter, in_choices, positive_duration, positive_int, to_timedelta
from ..engines import CohortCells, CohortQuery, backend_for
from ..results import Provenance
from ..schema import check_time_zone
from ._cohort_fit import CohortLTVResult
from ._cohort_model import ForecastSettings, estimate
from ._pooling import Hierarchy

__all__ = ["CohortLTV"]

Progress = Callable[[int, int], None]


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


@renamed_params(cohort="period")
@attrs.frozen
class CohortLTV:
    """Cohort LTV curves with prophet-forecast increments and hierarchical pooling.

    Parameters
    ----------
    horizon
        Age to forecast to, e.g. ``"180D"`` or ``"365D"``.
    step
        Age resolution (default one week).
    period
        Customers whose first order falls in the same calendar period form a cohort:
        ``"D"`` (day), ``"W"`` (week from Monday) or ``"M"`` (month). (Formerly
        ``cohort``, deprecated.)
    pooling_strength
        Pooling strength (kappa), in customers: how strongly small segments and cohorts
        are pulled toward their parent; ``"auto"`` estimates it from the data (empirical Bayes).
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
    ...     store.orders, by="channel", observation_end="2026-03-16")
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
    period: Literal["D", "W", "M"] = attrs.field(default="M", validator=in_choices({"D", "W", "M"}))
    pooling_strength: float | Literal["auto"] = attrs.field(default="auto", validator=_kappa)
    min_customers: int = attrs.field(default=300, validator=positive_int)
    use_prophet: bool = attrs.field(default=True, validator=Boolean())
    n_jobs: int = attrs.field(default=1, validator=positive_int)
    tz: str | None = attrs.field(default=None, validator=_tz)
    refunds: Literal["net", "drop"] = attrs.field(
        default="net", validator=in_choices({"net", "drop"})
    )

    @renamed_params(observed_until="observation_end")
    @validate_params(
        customer=ColumnName(),
        time=ColumnName(),
        value=ColumnName(),
        by=[None, Columns()],
        observation_end=[None, Timestamp()],
    )
    def fit(
        self,
        orders: object,
        *,
        customer: str = "customer_id",
        time: str = "timestamp",
        value: str = "revenue",
        by: str | Sequence[str] | None = None,
        observation_end: object = None,
        progress: Progress | None = None,
        spark: Any = None,
    ) -> CohortLTVResult:
        """Build the cohort curves from orders and forecast them to the horizon.

        Parameters
        ----------
        orders
            One row per order; never modified. A pandas frame is computed in memory; an
            Ibis table, DuckDB relation, Parquet path, Spark DataFrame or
            :class:`~linkstar_funnel.sql.SQLTable` is aggregated in its engine (only the
            per-cell series come back, so the fit has no per-customer predictions; SQL
            timestamps hold microseconds, and ``step`` must be whole microseconds there).
        customer, time, value
            Column names.
        by
            Segment column, or a hierarchy of them from coarse to fine, such as
            ``["channel", "campaign", "creative"]``. A customer's segment is the one of
            their first order.
        observation_end
            Orders strictly before this time are used; default: just after the last one.
            (Formerly ``observed_until``, deprecated.)
        progress
            Called as ``progress(done, total)`` after each segment forecast.
        spark
            A ``pyspark.sql.SparkSession``: the per-segment forecasts then run on Spark
            (``groupBy(...).applyInPandas``) instead of local processes; ``progress`` is
            called once, when they are all back. The executors need this package (and
            prophet) installed.
        """
        query = CohortQuery(
            customer=customer,
            time=time,
            value=value,
            by=() if by is None else (by,) if isinstance(by, str) else tuple(by),
            observation_end=_observation_end(observation_end),
            step=self.step,
            period=self.period,
            tz=self.tz,
            refunds=self.refunds,
            owner="CohortLTV.fit",
        )
        cells = backend_for(orders).implementation("cohort_cells")(orders, query)
        return self._result(cells, query.by, progress, spark)

    @renamed_params(observed_until="observation_end")
    def fit_orders(
        self,
        orders: object,
        *,
        customer: str = "customer_id",
        time: str = "timestamp",
        value: str = "revenue",
        observation_end: object = None,
        by: str | Sequence[str] | None = None,
    ) -> CohortLTVResult:
        """:class:`~linkstar_funnel.ltv.LTVModel` entry point: :meth:`fit` without progress."""
        return self.fit(
            orders,
            customer=customer,
            time=time,
            value=value,
            by=by,
            observation_end=observation_end,
        )

    def _result(
        self,
        cohort: CohortCells,
        by: tuple[str, ...],
        progress: Progress | None,
        spark: Any,
    ) -> CohortLTVResult:
        """The model estimated from the backend's cells, as its result (built once)."""
        hier = Hierarchy.from_leaf_paths(cohort.leaf_paths)
        settings = ForecastSettings(
            horizon_steps=int(np.ceil(self.horizon / self.step)),
            step_days=self.step / pd.Timedelta(days=1),
            pooling_strength=self.pooling_strength,
            min_customers=self.min_customers,
            use_prophet=self.use_prophet,
            n_jobs=self.n_jobs,
        )
        est = estimate(cohort.cells, hier, len(cohort.cohort_labels), settings, progress, spark)
        cut = pd.Timestamp(cohort.cut_ns, tz="UTC") if cohort.tz else pd.Timestamp(cohort.cut_ns)
        notes = (
            f"observation end {cut}",
            f"pooling strength κ = {est.kappa:,.0f} customers; customer value CV² = {est.cv2:.2f}",
            "age curves: " + ", ".join(f"{v} {k}" for k, v in sorted(est.methods.items())),
        )
        return CohortLTVResult(
            spec=self,
            cells=cohort.cells,
            leaf_curves=est.leaf_curves,
            leaf_sd=est.leaf_sd,
            cell_level=est.cell_level,
            cell_level_var=est.cell_level_var,
            cut_ns=cohort.cut_ns,
            tz=cohort.tz,
            cohort_labels=cohort.cohort_labels,
            leaf_paths=tuple(hier.path_labels[i] for i in hier.leaf_node),
            by=by,
            customers=cohort.customers,
            customer_cell=cohort.cells.customer_cell,
            kappa=est.kappa,
            cv2=est.cv2,
            provenance=Provenance(self, {"orders": cohort.accounting}, notes),
        )


def _observation_end(value: object) -> pd.Timestamp | None:
    """The cut as a timestamp (checked above the dispatch, the same for every backend)."""
    if value is None:
        return None
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if pd.isna(ts):
        err = bad_parameter("CohortLTV.fit", "observation_end", "a date or time, not NaT", value)
        raise err
    return ts
