"""The cohort model's data aggregated in the engine, for :class:`~linkstar_funnel.ltv.CohortLTV`.

On an engine table only small aggregates come back: customers, their value and its square
per (segment path, first-order quarter-hour, acquisition step), and order value per
(segment path, first-order quarter-hour, acquisition step, age). The client turns
quarter-hours into cohorts (day, week or month in any time zone) and merges them into the
same :class:`~linkstar_funnel.ltv._cohort_fit.CellTable` the in-memory path builds, so the
fit that follows is the same. There are no per-customer values, so the fit has no
per-customer predictions.

Periods are counted in whole seconds: ``observed_until`` and ``step`` must be whole seconds;
the default ``observed_until`` is the second after the last order (for orders at whole
seconds, exactly the in-memory default).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ...errors import EmptyFrameError, ParameterError, SchemaError
from ...ltv._cohort_cells import MISSING, cut_ns, factorize_paths
from ...ltv._cohort_fit import CellTable
from ...schema import RowAccounting, TimeValues
from ._errors import execute
from ._tables import check_columns, check_numbers, check_time, epoch_seconds, sql_table

__all__ = ["EngineCells", "engine_cells"]

IntArray = npt.NDArray[np.int64]
_NS = 1_000_000_000
_QUARTER_S = 900


@attrs.frozen(eq=False)
class EngineCells:
    """What :meth:`CohortLTV.fit` needs from the engine."""

    cells: CellTable
    leaf_paths: list[tuple[str, ...]]
    cohort_labels: pd.DatetimeIndex
    cut: int
    tz: Any
    accounting: RowAccounting


def _whole_seconds(ns: int, param: str, value: object) -> int:
    if ns % _NS:
        msg = (
            f"The {param!r} parameter of CohortLTV.fit must be a whole number of seconds on "
            f"the SQL engine. Got {value!r} ({pd.Timedelta(ns % _NS, unit='ns')} past the "
            "second) instead."
        )
        raise ParameterError(msg)
    return ns // _NS


def engine_cells(
    source: object,
    *,
    customer: str,
    time: str,
    value: str,
    by_cols: tuple[str, ...],
    observed_until: object,
    step: pd.Timedelta,
    cohort: str,
    cohort_tz: str | None,
    drop_refunds: bool,
) -> EngineCells:
    """Aggregate the orders in the engine into the cohort model's cells."""
    import ibis

    src = sql_table(source)
    t = src.table
    check_columns(
        t,
        [("customer", customer), ("time", time), ("value", value)]
        + [("by", b) for b in by_cols]
        + ([("row_order", src.row_order)] if src.row_order else []),
        "orders",
    )
    check_time(t, time, "orders")
    check_numbers(t, value, "orders")
    step_s = _whole_seconds(int(step.value), "step", step)
    tz = t[time].type().timezone
    # Row accounting and the last time, in one query.
    ok: Any = ibis.literal(True)
    aggs: dict[str, Any] = {"rows_in": t.count()}
    for i, col in enumerate((customer, time, value)):
        aggs[f"miss{i}"] = ibis.ifelse(ok & t[col].isnull(), 1, 0).sum()  # noqa: PD003 - Ibis expression
        ok = ok & t[col].notnull()  # noqa: PD004 - Ibis expression
    aggs["t_max"] = ibis.ifelse(ok, t[time], ibis.null(t[time].type())).max()
    aggs["inf"] = ibis.ifelse(t[value].cast("float64").isinf(), 1, 0).sum()
    head = execute(t.aggregate(**aggs), "orders accounting").iloc[0]
    if not pd.isna(head["inf"]) and int(head["inf"]):
        msg = f"Column {value!r} of the orders table holds infinite values."
        raise SchemaError(msg)
    acc = RowAccounting(rows_in=int(head["rows_in"]))
    for i, (role, col) in enumerate((("customer", customer), ("time", time), ("value", value))):
        acc = acc.with_dropped(f"missing {role}", int(head[f"miss{i}"] or 0), column=col)
    if pd.isna(head["t_max"]):
        msg = f"The orders table has no row with a customer, a time and a value: {acc}."
        raise EmptyFrameError(msg)
    last_ns = int(pd.Timestamp(head["t_max"]).as_unit("ns").value)
    if observed_until is None:
        cut_s = last_ns // _NS + 1
    else:
        cut_s = _whole_seconds(
            cut_ns(observed_until, TimeValues(np.array([last_ns]), tz, time)),
            "observed_until",
            observed_until,
        )
    secs = epoch_seconds(t[time])
    late = ok & (secs >= cut_s)
    refund = ok & ~late & (t[value] < 0) if drop_refunds else t[value].isnull() & False  # noqa: PD003 - Ibis expression
    used = ok & ~late & ~refund
    counts = execute(
        t.aggregate(
            late=ibis.ifelse(late, 1, 0).sum(),
            refund=ibis.ifelse(refund, 1, 0).sum(),
            used=ibis.ifelse(used, 1, 0).sum(),
            paid=ibis.ifelse(used & (t[value] > 0), 1, 0).sum(),
        ),
        "orders after the cut",
    ).iloc[0]
    acc = acc.with_dropped("at or after observed_until", int(counts["late"] or 0), column=time)
    if drop_refunds:
        acc = acc.with_dropped("refund", int(counts["refund"] or 0), column=value)
    if not int(counts["used"] or 0):
        msg = f"No orders fall before observed_until: {acc}."
        raise EmptyFrameError(msg)
    if not int(counts["paid"] or 0):  # as the in-memory fit: nothing to model
        msg = (
            f"No purchases in the orders frame: every order before observed_until is a "
            f"refund or free (column {value!r} ≤ 0), so there is no value to model."
        )
        raise EmptyFrameError(msg)
    kept = t.filter(ok & ~late & ~refund)
    segs = {f"__lf_b{i}": kept[b] for i, b in enumerate(by_cols)}
    tie = [kept[src.row_order]] if src.row_order else [kept[b] for b in by_cols]
    # Periods before the cut are negative: floor((s - cut) / step) = -ceil((cut - s) / step).
    rows = kept.select(
        __lf_c=kept[customer],
        __lf_s=secs,
        __lf_v=kept[value].cast("float64"),
        __lf_p=-((cut_s - epoch_seconds(kept[time]) + step_s - 1) // step_s),
        __lf_rank=ibis.row_number().over(group_by=kept[customer], order_by=[kept[time], *tie]),
        **segs,
    )
    seg_names = list(segs)
    firsts = rows.filter(rows["__lf_rank"] == 0)
    firsts = firsts.select(
        "__lf_c", *seg_names, __lf_q=firsts["__lf_s"] // _QUARTER_S, __lf_a=firsts["__lf_p"]
    )
    values = rows.group_by("__lf_c").aggregate(__lf_total=rows["__lf_v"].sum())
    cust = firsts.join(values, "__lf_c")
    pos = ibis.greatest(cust["__lf_total"], 0.0)
    keys = [*seg_names, "__lf_q", "__lf_a"]
    per_cell = execute(
        cust.group_by(keys).aggregate(
            __lf_n=cust.count(), __lf_s1=pos.sum(), __lf_s2=(pos * pos).sum()
        ),
        "cohort cells",
    )
    if per_cell.empty:
        msg = f"No orders fall before observed_until: {acc}."
        raise EmptyFrameError(msg)
    joined = rows.select("__lf_c", "__lf_v", "__lf_p").join(cust.select("__lf_c", *keys), "__lf_c")
    joined = joined.mutate(__lf_age=joined["__lf_p"] - joined["__lf_a"])
    per_age = execute(
        joined.group_by([*keys, "__lf_age"]).aggregate(__lf_rev=joined["__lf_v"].sum()),
        "cohort revenue by age",
    )
    cells, leaf_paths, labels = _cells(per_cell, per_age, seg_names, tz, cohort, cohort_tz)
    return EngineCells(cells, leaf_paths, labels, cut_s * _NS, tz, acc)


def _cells(
    per_cell: pd.DataFrame,
    per_age: pd.DataFrame,
    seg_names: Sequence[str],
    tz: Any,
    cohort: str,
    cohort_tz: str | None,
) -> tuple[CellTable, list[tuple[str, ...]], pd.DatetimeIndex]:
    """Merge the engine's (segments, quarter-hour, acquisition) rows into model cells."""

    def labelled(frame: pd.DataFrame) -> pd.DataFrame:
        """Segment values as the in-memory path labels them (text; missing: MISSING)."""
        out = frame.copy()
        for c in seg_names:
            out[c] = frame[c].astype(object).where(frame[c].notna(), MISSING).astype(str)
        return out

    pc, pa = labelled(per_cell), labelled(per_age)
    starts = TimeValues(pc["__lf_q"].to_numpy(np.int64) * (_QUARTER_S * _NS), tz, "cohort").bucket(
        cohort, cohort_tz
    )
    paths: list[tuple[str, ...]] = (
        list(zip(*(pc[c] for c in seg_names), strict=True)) if seg_names else [()] * len(pc)
    )
    leaf, leaf_paths = factorize_paths(paths)
    coh_code, coh_labels = pd.factorize(starts, sort=True)
    key = np.column_stack([leaf, coh_code, pc["__lf_a"].to_numpy(np.int64)])
    ukey, cell_of_row = np.unique(key, axis=0, return_inverse=True)
    cell_of_row = cell_of_row.ravel()
    n_cells = len(ukey)

    def per(col: str) -> npt.NDArray[np.float64]:
        weights = per_cell[col].to_numpy(np.float64)
        return np.bincount(cell_of_row, weights=weights, minlength=n_cells).astype(np.float64)

    k_obs = -ukey[:, 2]
    k_max = int(k_obs.max())
    # (segments, quarter-hour, acquisition) is unique in per_cell: its cell, per age row.
    keys = [*seg_names, "__lf_q", "__lf_a"]
    rows = (
        pa[keys]
        .merge(pc[keys].assign(__lf_cell=cell_of_row), on=keys, how="left", validate="m:1")[
            "__lf_cell"
        ]
        .to_numpy(np.int64)
    )
    age = per_age["__lf_age"].to_numpy(np.int64)
    flat = np.bincount(
        rows * k_max + age,
        weights=per_age["__lf_rev"].to_numpy(np.float64),
        minlength=n_cells * k_max,
    )
    cells = CellTable(
        leaf=ukey[:, 0].astype(np.int64),
        cohort=ukey[:, 1].astype(np.int64),
        acq=ukey[:, 2].astype(np.int64),
        n=np.rint(per("__lf_n")).astype(np.int64),
        k_obs=k_obs.astype(np.int64),
        revenue=np.maximum(flat.reshape(n_cells, k_max), 0.0),
        customer_cell=np.zeros(0, dtype=np.int64),
        customer_value=np.zeros(0),
        value_sum=per("__lf_s1"),
        value_sq=per("__lf_s2"),
    )
    return cells, leaf_paths, pd.DatetimeIndex(coh_labels)
