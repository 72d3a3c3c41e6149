"""The Ibis ``cohort_cells``: the cohort model's cells aggregated where the orders live.

Only small aggregates come back: customers, their value and its square per (segment path,
first-order quarter-hour, acquisition step), and order value per (segment path, first-order
quarter-hour, acquisition step, age). The client turns quarter-hours into cohorts (day, week
or month in any time zone) and merges them into the same
:class:`~linkstar_funnel.engines._cohort.CellTable` the in-memory backend builds. There are
no per-customer values.

Times are counted exactly in integers: whole seconds since the epoch plus the milliseconds
(or, on engines that extract them, the microseconds) past the second, in the coarsest unit
that divides both ``step`` and the cut. SQL timestamps hold microseconds: a cut between
two microseconds is the next microsecond, which splits microsecond times exactly as the
in-memory engine splits them; ``step`` must be a whole number of microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..._accounting import RowAccounting
from ..._times import TimeValues
from ...errors import EmptyFrameError, ParameterError, SchemaError
from .._cohort import (
    MISSING,
    CellTable,
    CohortCells,
    CohortQuery,
    cut_ns,
    factorize_paths,
    no_orders_error,
    no_purchases_error,
    value_by_age,
)
from ._errors import backend_name, execute
from ._tables import check_columns, check_numbers, check_time, epoch_seconds, sql_table

__all__ = ["cohort_cells"]

IntArray = npt.NDArray[np.int64]
_NS = 1_000_000_000
_QUARTER_S = 900
#: Units (in ns) periods can be counted in, coarsest first.
_UNITS = (_NS, 1_000_000, 1_000)


def cohort_cells(source: Any, query: CohortQuery) -> CohortCells:
    """Aggregate the orders of ``source`` (any input of the SQL engine) into cohort cells."""
    src = sql_table(source)
    t = src.table
    check_columns(
        t,
        [("customer", query.customer), ("time", query.time), ("value", query.value)]
        + [("by", b) for b in query.by]
        + ([("row_order", src.row_order)] if src.row_order else []),
        "orders",
    )
    check_time(t, query.time, "orders")
    check_numbers(t, query.value, "orders")
    step = int(query.step.value)
    if step % 1_000:
        msg = (
            f"The 'step' parameter of {query.owner} must be a whole number of microseconds "
            f"on the SQL engine (SQL timestamps hold microseconds). Got {query.step} instead."
        )
        raise ParameterError(msg)
    tz = t[query.time].type().timezone
    acc, ok, last_ns = _accounting(t, query)
    cut = cut_ns(query.observation_end, tz, last_ns, owner=query.owner)
    cut_us = -(-cut // 1_000)  # the first microsecond at or after the cut
    unit = next(u for u in _UNITS if step % u == 0 and (cut_us * 1_000) % u == 0)
    clock = _clock(t[query.time], unit)
    cut_u, step_u = cut_us * 1_000 // unit, step // unit
    late = ok & (clock >= cut_u)
    acc, kept = _drop_late_and_refunds(t, query, acc, ok, late)
    per_cell, per_age, seg_names = _aggregate(kept, query, src.row_order, unit, cut_u, step_u)
    if per_cell.empty:
        raise no_orders_error(acc)
    cells, leaf_paths, labels = _cells(per_cell, per_age, seg_names, tz, query)
    return CohortCells(
        cells=cells,
        leaf_paths=leaf_paths,
        cohort_labels=labels,
        cut_ns=cut,
        tz=tz,
        customers=pd.Index([], name=query.customer),
        accounting=acc,
    )


def _clock(column: Any, unit: int) -> Any:
    """Time since the epoch in whole ``unit`` (ns per unit), floored, as an int64 column."""
    seconds = epoch_seconds(column.truncate("s"))
    if unit == _NS:
        return seconds
    if unit == 1_000_000:
        return seconds * 1_000 + column.millisecond().cast("int64")
    if backend_name(column) == "pyspark":  # Ibis extracts no microseconds on Spark
        return _unix_micros(column)
    return seconds * 1_000_000 + column.microsecond().cast("int64")


def _unix_micros(column: Any) -> Any:
    """Spark's ``unix_micros`` (exact microseconds since the epoch), as an Ibis builtin."""
    import ibis
    import ibis.expr.datatypes as dt

    def unix_micros(value: Any) -> Any:
        """Microseconds since the epoch."""

    # Real types, not the strings this module's annotations are: Ibis reads them.
    unix_micros.__annotations__ = {"value": dt.timestamp, "return": dt.int64}
    return ibis.udf.scalar.builtin(name="unix_micros")(unix_micros)(column)


def _accounting(t: Any, query: CohortQuery) -> tuple[RowAccounting, Any, int]:
    """Rows read and dropped for missing values, the usable-row predicate, the last time."""
    import ibis

    roles = (("customer", query.customer), ("time", query.time), ("value", query.value))
    ok: Any = ibis.literal(True)
    aggs: dict[str, Any] = {"rows_in": t.count()}
    for i, (_, col) in enumerate(roles):
        aggs[f"miss{i}"] = ibis.ifelse(ok & t[col].isnull(), 1, 0).sum()  # noqa: PD003 - Ibis expression
        ok = ok & t[col].notnull()  # noqa: PD004 - Ibis expression
    time_type = t[query.time].type()
    aggs["t_max"] = ibis.ifelse(ok, t[query.time], ibis.null(time_type)).max()
    aggs["inf"] = ibis.ifelse(t[query.value].cast("float64").isinf(), 1, 0).sum()
    head = execute(t.aggregate(**aggs), "orders accounting").iloc[0]
    if not pd.isna(head["inf"]) and int(head["inf"]):
        msg = f"Column {query.value!r} of the orders table holds infinite values."
        raise SchemaError(msg)
    acc = RowAccounting(rows_in=int(head["rows_in"]))
    for i, (role, col) in enumerate(roles):
        acc = acc.with_dropped(f"missing {role}", int(head[f"miss{i}"] or 0), column=col)
    if pd.isna(head["t_max"]):
        msg = f"The orders table has no row with a customer, a time and a value: {acc}."
        raise EmptyFrameError(msg)
    last = pd.Timestamp(head["t_max"])
    if time_type.timezone is not None and last.tz is None:
        last = last.tz_localize("UTC")
    last_ns = int(last.as_unit("ns").value)
    return acc, ok, last_ns


def _drop_late_and_refunds(
    t: Any, query: CohortQuery, acc: RowAccounting, ok: Any, late: Any
) -> tuple[RowAccounting, Any]:
    """Count the rows at or after the cut (and refunds, if dropped); the kept rows."""
    import ibis

    drop_refunds = query.refunds == "drop"
    value = t[query.value]
    # A column-shaped False: a scalar literal would make the count below a scalar.
    refund = ok & ~late & (value < 0) if drop_refunds else value.isnull() & False  # noqa: PD003 - Ibis expression
    used = ok & ~late & ~refund
    counts = execute(
        t.aggregate(
            late=ibis.ifelse(late, 1, 0).sum(),
            refund=ibis.ifelse(refund, 1, 0).sum(),
            used=ibis.ifelse(used, 1, 0).sum(),
            paid=ibis.ifelse(used & (value > 0), 1, 0).sum(),
        ),
        "orders after the cut",
    ).iloc[0]
    acc = acc.with_dropped(
        "at or after observation_end", int(counts["late"] or 0), column=query.time
    )
    if drop_refunds:
        acc = acc.with_dropped("refund", int(counts["refund"] or 0), column=query.value)
    if not int(counts["used"] or 0):
        raise no_orders_error(acc)
    if not int(counts["paid"] or 0):  # as the in-memory backend: nothing to model
        raise no_purchases_error(query.value)
    return acc, t.filter(used)


def _aggregate(
    kept: Any, query: CohortQuery, row_order: str | None, unit: int, cut_u: int, step_u: int
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Per (segments, first quarter-hour, acquisition step): customers, value, value²; and
    value per (those, age)."""
    import ibis

    segs = {f"__lf_b{i}": kept[b] for i, b in enumerate(query.by)}
    tie = [kept[row_order]] if row_order else [kept[b] for b in query.by]
    time = kept[query.time]
    # Periods before the cut are negative: floor((u - cut) / step) = -ceil((cut - u) / step),
    # and for cut - u ≥ 1, ceil((cut - u) / step) = (cut - u - 1) // step + 1.
    rows = kept.select(
        __lf_c=kept[query.customer],
        __lf_s=epoch_seconds(time.truncate("s")),
        __lf_v=kept[query.value].cast("float64"),
        __lf_p=-((cut_u - _clock(time, unit) - 1) // step_u + 1),
        __lf_rank=ibis.row_number().over(group_by=kept[query.customer], order_by=[time, *tie]),
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
    joined = rows.select("__lf_c", "__lf_v", "__lf_p").join(cust.select("__lf_c", *keys), "__lf_c")
    joined = joined.mutate(__lf_age=joined["__lf_p"] - joined["__lf_a"])
    per_age = execute(
        joined.group_by([*keys, "__lf_age"]).aggregate(__lf_rev=joined["__lf_v"].sum()),
        "cohort value by age",
    )
    return per_cell, per_age, seg_names


def _labelled(frame: pd.DataFrame, seg_names: Sequence[str]) -> pd.DataFrame:
    """Segment values as the in-memory backend labels them (text; missing: MISSING)."""
    out = frame.copy()
    for c in seg_names:
        out[c] = frame[c].astype(object).where(frame[c].notna(), MISSING).astype(str)
    return out


def _cells(
    per_cell: pd.DataFrame,
    per_age: pd.DataFrame,
    seg_names: Sequence[str],
    tz: Any,
    query: CohortQuery,
) -> tuple[CellTable, tuple[tuple[str, ...], ...], pd.DatetimeIndex]:
    """Merge the engine's (segments, quarter-hour, acquisition) rows into model cells."""
    pc, pa = _labelled(per_cell, seg_names), _labelled(per_age, seg_names)
    quarter_ns = pc["__lf_q"].to_numpy(np.int64) * (_QUARTER_S * _NS)
    starts = TimeValues(quarter_ns, tz, "cohort").bucket(query.period, query.tz)
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

    k_obs = (-ukey[:, 2]).astype(np.int64)
    # (segments, quarter-hour, acquisition) is unique in per_cell: its cell, per age row.
    keys = [*seg_names, "__lf_q", "__lf_a"]
    cell_of_age = (
        pa[keys]
        .merge(pc[keys].assign(__lf_cell=cell_of_row), on=keys, how="left", validate="m:1")[
            "__lf_cell"
        ]
        .to_numpy(np.int64)
    )
    cells = CellTable(
        leaf=ukey[:, 0].astype(np.int64),
        cohort=ukey[:, 1].astype(np.int64),
        acq=ukey[:, 2].astype(np.int64),
        n=np.rint(per("__lf_n")).astype(np.int64),
        k_obs=k_obs,
        value=value_by_age(
            cell_of_age,
            per_age["__lf_age"].to_numpy(np.int64),
            per_age["__lf_rev"].to_numpy(np.float64),
            n_cells,
            int(k_obs.max()),
        ),
        customer_cell=np.zeros(0, dtype=np.int64),
        customer_value=np.zeros(0),
        value_sum=per("__lf_s1"),
        value_sq=per("__lf_s2"),
    )
    return cells, leaf_paths, pd.DatetimeIndex(coh_labels)
