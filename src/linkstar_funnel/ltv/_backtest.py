"""Backtests: cut at a date, forecast to a later one, compare with what happened.

Errors per cohort (and segment) and in aggregate — absolute percentage error (APE) of the
cohort's holdout value — and per customer: the normalized Gini (how well predictions rank
customers by what they went on to spend; 1 is a perfect ranking) and the decile MAPE
(customers in ten groups by prediction; mean APE of each group's total).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._deprecation import renamed_params
from .._params import (
    ColumnName,
    Columns,
    InstanceOf,
    Integer,
    Options,
    Satisfies,
    Timestamp,
    validate_params,
)
from .._validators import bad_parameter
from ..errors import DataQualityWarning, ParameterError
from ..results import Provenance, ResultMixin, Summary
from ..schema import Column, TimeValues, validate
from ._protocol import LTVModel, fit_model

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["BacktestResult", "backtest", "decile_mape", "normalized_gini"]

FloatArray = npt.NDArray[np.float64]


def _scores(actual: object, predicted: object, owner: str) -> tuple[FloatArray, FloatArray]:
    """Both arguments as finite 1-d float arrays of one length, or a ParameterError."""
    out = []
    for name, values in (("actual", actual), ("predicted", predicted)):
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            arr = np.full((1, 1), np.nan)
        if arr.ndim != 1 or not np.isfinite(arr).all():
            raise bad_parameter(owner, name, "a 1-d sequence of finite numbers", values)
        out.append(arr)
    if len(out[0]) != len(out[1]):
        msg = (
            f"The 'actual' and 'predicted' parameters of {owner} must have the same length. "
            f"Got {len(out[0])} and {len(out[1])} values instead."
        )
        raise ParameterError(msg)
    return out[0], out[1]


def normalized_gini(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> float:
    """Gini of ``actual`` ordered by ``predicted``, over the Gini of the perfect order.

    Examples
    --------
    >>> normalized_gini([1, 2, 3, 10], [0.1, 0.2, 0.3, 0.9])
    1.0
    >>> round(normalized_gini([1, 2, 3, 10], [0.9, 0.3, 0.2, 0.1]), 3)
    -1.0
    """
    a, p = _scores(actual, predicted, "normalized_gini")

    def gini(order_by: FloatArray) -> float:
        # ties in the ordering are broken by the actual value ascending (pessimistic)
        idx = np.lexsort((a, -order_by))
        cum = np.cumsum(a[idx]) / a.sum()
        return float(cum.sum() / len(a) - (len(a) + 1) / (2 * len(a)))

    best = gini(a) if len(a) >= 2 and a.sum() > 0 else 0.0
    if best == 0:
        return _undefined("normalized_gini", "needs two or more customers with some value")
    return gini(p) / best


@validate_params(groups=Integer(1))
def decile_mape(actual: npt.ArrayLike, predicted: npt.ArrayLike, groups: int = 10) -> float:
    """Mean APE of group totals, customers split into ``groups`` by prediction.

    Examples
    --------
    >>> decile_mape([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], groups=2)
    0.0
    """
    a, p = _scores(actual, predicted, "decile_mape")
    order = np.argsort(p, kind="stable")
    errs = []
    for part in np.array_split(order, groups):
        total = a[part].sum()
        if len(part) and total > 0:
            errs.append(abs(p[part].sum() - total) / total)
    if not errs:
        return _undefined("decile_mape", "needs a group with some actual value")
    return float(np.mean(errs))


def _undefined(owner: str, why: str) -> float:
    warnings.warn(f"{owner} is undefined (NaN): it {why}.", DataQualityWarning, stacklevel=3)
    return float("nan")


@attrs.frozen(eq=False)
class BacktestResult(ResultMixin):
    """Backtest errors per model, cohort and segment, and per-customer ranking metrics."""

    cohorts: pd.DataFrame = attrs.field(repr=False)
    metrics: pd.DataFrame = attrs.field(repr=False)
    customers: pd.DataFrame = attrs.field(repr=False)
    cutoff: pd.Timestamp
    end: pd.Timestamp
    by: tuple[str, ...]
    provenance: Provenance = attrs.field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Per model, cohort and segment: ``customers``, ``actual``, ``predicted``, ``ape``."""
        return self.cohorts.copy()

    def best(self) -> pd.DataFrame:
        """The model with the lowest holdout APE per segment (all cohorts together)."""
        keys = list(self.by)
        g = self.cohorts.groupby(["model", *keys], observed=True, sort=True)[
            ["actual", "predicted"]
        ].sum()
        g["ape"] = (g["predicted"] - g["actual"]).abs() / g["actual"]
        g = g.reset_index()
        if not keys:
            return g.loc[[g["ape"].idxmin()]].reset_index(drop=True)
        return g.loc[g.groupby(keys, observed=True)["ape"].idxmin()].reset_index(drop=True)

    def summary(self) -> Summary:
        """Aggregate and per-customer metrics for every model."""
        facts = (
            ("cut", str(self.cutoff)),
            ("forecast to", str(self.end)),
            ("customers", f"{self.customers['customer'].nunique():,}"),
        )
        return Summary(
            "LTV backtest",
            facts=facts,
            table=self.metrics.round(4),
            notes=tuple(self.provenance.lines()),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Actual vs forecast holdout value by cohort and model."""
        from ._plot import plot_backtest

        return plot_backtest(self, ax=ax, **kwargs)


@renamed_params(cohort="period")
@validate_params(
    models=Satisfies(
        lambda m: (
            isinstance(m, LTVModel)
            or (
                isinstance(m, Mapping)
                and bool(m)
                and all(isinstance(v, LTVModel) for v in m.values())
            )
        ),
        "an LTVModel or a non-empty mapping of names to LTVModels",
    ),
    cutoff=Timestamp(),
    end=Timestamp(),
    customer=ColumnName(),
    time=ColumnName(),
    value=ColumnName(),
    by=[None, Columns()],
    period=Options("D", "W", "M"),
    tz=[None, InstanceOf(str, description="an IANA time zone name such as 'Europe/London'")],
)
def backtest(
    models: LTVModel | Mapping[str, LTVModel],
    orders: pd.DataFrame,
    *,
    cutoff: object,
    end: object,
    customer: str = "customer_id",
    time: str = "timestamp",
    value: str = "revenue",
    by: str | Sequence[str] | None = None,
    period: str = "M",
    tz: str | None = None,
) -> BacktestResult:
    """Fit each model on orders before ``cutoff``, forecast to ``end``, compare with the truth.

    Cohorts are customers by the calendar ``period`` (``"D"``, ``"W"``, ``"M"``; formerly
    ``cohort``, deprecated) of their first order; segments are the ``by`` values of that order. Only customers seen before
    ``cutoff`` are scored (new customers after the cut are outside every model here).

    Examples
    --------
    >>> import linkstar_funnel as lf
    >>> store = lf.datasets.make_demo_store(n_users=4000, seed=2)
    >>> res = lf.ltv.backtest(
    ...     {"cohort": lf.ltv.CohortLTV(horizon="60D", use_prophet=False)},
    ...     store.orders, cutoff="2026-03-01", end="2026-03-29")
    >>> list(res.metrics.columns)
    ['model', 'actual', 'predicted', 'ape', 'mean_cohort_ape', 'gini', 'decile_mape']
    """
    named = dict(models) if isinstance(models, Mapping) else {type(models).__name__: models}
    by_cols = () if by is None else (by,) if isinstance(by, str) else tuple(by)
    cols = [
        Column("customer", customer, "key"),
        Column("time", time, "time"),
        Column("value", value, "number"),
    ] + [Column(f"by:{c}", c, "category", required=False) for c in by_cols]
    table = validate(orders, cols, frame_name="orders")
    tv = table.times["time"]
    cut_ns, end_ns = _instant(cutoff, tv, "cutoff"), _instant(end, tv, "end")
    if end_ns <= cut_ns:
        err = bad_parameter("backtest", "end", "a time after the cutoff", end)
        raise err
    ns, cust, val = tv.ns, table.codes["customer"], table.numbers["value"]
    order = np.lexsort((ns, cust))
    first = order[np.r_[True, cust[order][1:] != cust[order][:-1]]]
    first = first[ns[first] < cut_ns]
    known = np.zeros(len(table.labels["customer"]), dtype=bool)
    known[cust[first]] = True
    hold = known[cust] & (ns >= cut_ns) & (ns < end_ns)
    actual = np.bincount(cust[hold], weights=val[hold], minlength=len(known))[cust[first]]
    labels = table.labels["customer"].take(cust[first])
    info = pd.DataFrame({"customer": labels, "actual": actual})
    info["cohort"] = TimeValues(ns[first], tv.tz, tv.column).bucket(period, tz)
    for c in by_cols:
        code = table.codes[f"by:{c}"]
        lab = np.asarray(table.labels[f"by:{c}"].astype(str), dtype=object)
        vals = code[first]
        info[c] = np.where(
            vals >= 0, lab[np.maximum(vals, 0)] if len(lab) else "(missing)", "(missing)"
        )
    cut_ts = _as_ts(cut_ns, tv)
    end_ts = _as_ts(end_ns, tv)
    parts, metrics, per_customer = [], [], []
    for name, model in named.items():
        fitted = fit_model(
            model,
            orders,
            customer=customer,
            time=time,
            value=value,
            observation_end=cut_ts,
            by=list(by_cols) or None,
        )
        pred = fitted.expected_customer_revenue(end_ts)
        frame = info.assign(model=name, predicted=pred.reindex(labels).fillna(0.0).to_numpy())
        per_customer.append(frame)
        g = frame.groupby(["cohort", *by_cols], observed=True, sort=True).agg(
            customers=("customer", "size"), actual=("actual", "sum"), predicted=("predicted", "sum")
        )
        g["ape"] = (g["predicted"] - g["actual"]).abs() / g["actual"].where(g["actual"] > 0)
        parts.append(g.reset_index().assign(model=name))
        total_a, total_p = frame["actual"].sum(), frame["predicted"].sum()
        metrics.append(
            {
                "model": name,
                "actual": total_a,
                "predicted": total_p,
                "ape": abs(total_p - total_a) / total_a if total_a > 0 else float("nan"),
                "mean_cohort_ape": float(g["ape"].mean()),
                "gini": normalized_gini(frame["actual"], frame["predicted"]),
                "decile_mape": decile_mape(frame["actual"], frame["predicted"]),
            }
        )
    cohorts = pd.concat(parts, ignore_index=True)
    cohorts = cohorts[["model", "cohort", *by_cols, "customers", "actual", "predicted", "ape"]]
    notes: tuple[str, ...] = ()
    no_revenue = int(cohorts["ape"].isna().sum())
    if no_revenue:
        note = (
            f"APE is undefined (NaN) for {no_revenue:,} of {len(cohorts):,} cohort rows: "
            "their customers spent nothing in the holdout (actual 0)"
        )
        notes = (note,)
        warnings.warn(f"backtest: {note}.", DataQualityWarning, stacklevel=2)
    return BacktestResult(
        cohorts=cohorts,
        metrics=pd.DataFrame(metrics),
        customers=pd.concat(per_customer, ignore_index=True),
        cutoff=cut_ts,
        end=end_ts,
        by=by_cols,
        provenance=Provenance(dict(named), {"orders": table.accounting}, notes),
    )


def _instant(value: object, tv: TimeValues, param: str) -> int:
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        err = bad_parameter("backtest", param, "a date or time", value)
        raise err from exc
    if tv.tz is not None:
        ts = ts.tz_localize(tv.tz) if ts.tz is None else ts
        return int(ts.tz_convert("UTC").value)
    return int((ts.tz_localize(None) if ts.tz is not None else ts).value)


def _as_ts(ns: int, tv: TimeValues) -> pd.Timestamp:
    ts = pd.Timestamp(ns)
    return ts.tz_localize("UTC").tz_convert(tv.tz) if tv.tz is not None else ts
