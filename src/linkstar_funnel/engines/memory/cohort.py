"""The in-memory ``cohort_cells``: orders validated into arrays, grouped into cohort cells."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ...schema import MAX_SQUARABLE, Column, Table, TimeValues, validate
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

__all__ = ["build_cells", "cohort_cells"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def cohort_cells(source: Any, query: CohortQuery) -> CohortCells:
    """Group the orders in ``source`` (a pandas frame) into cohort cells."""
    cols = [
        Column("customer", query.customer, "key"),
        Column("time", query.time, "time"),
        Column("value", query.value, "number", max_abs=MAX_SQUARABLE),
    ] + [Column(f"by:{c}", c, "category", required=False) for c in query.by]
    table = validate(source, cols, frame_name="orders")
    tv = table.times["time"]
    ns, val = tv.ns, table.numbers["value"]
    last = int(ns.max()) if len(ns) else 0
    cut = cut_ns(query.observation_end, tv.tz, last, owner=query.owner)
    late = ns >= cut
    acc = table.accounting.with_dropped(
        "at or after observation_end", int(late.sum()), column=query.time
    )
    keep = ~late
    if query.refunds == "drop":
        refund = keep & (val < 0)
        acc = acc.with_dropped("refund", int(refund.sum()), column=query.value)
        keep &= ~refund
    if not keep.any():
        raise no_orders_error(acc)
    if not (val[keep] > 0).any():
        raise no_purchases_error(query.value)
    rows = np.flatnonzero(keep)
    cust = table.codes["customer"][rows]
    period = np.floor_divide(ns[rows] - cut, int(query.step.value))
    order = np.lexsort((ns[rows], cust))
    first_rows = order[np.r_[True, cust[order][1:] != cust[order][:-1]]]  # one per customer
    cust_codes = cust[first_rows]
    # Customer codes are not contiguous after drops: map them to 0..n-1.
    remap = np.full(int(cust.max()) + 1, -1, dtype=np.int64)
    remap[cust_codes] = np.arange(len(cust_codes))
    cohort_start = TimeValues(ns[rows][first_rows], tv.tz, tv.column).bucket(query.period, query.tz)
    coh_code, coh_labels = pd.factorize(cohort_start, sort=True)
    leaf, leaf_paths = factorize_paths(_segment_paths(table, query.by, rows[first_rows]))
    cells = build_cells(
        leaf,
        np.asarray(coh_code, np.int64),
        period[first_rows],
        remap[cust],
        period,
        val[rows],
    )
    return CohortCells(
        cells=cells,
        leaf_paths=leaf_paths,
        cohort_labels=pd.DatetimeIndex(coh_labels),
        cut_ns=cut,
        tz=tv.tz,
        customers=table.labels["customer"].take(cust_codes),
        accounting=acc,
    )


def _segment_paths(
    table: Table, by: tuple[str, ...], first_rows: npt.NDArray[np.intp]
) -> list[tuple[str, ...]]:
    """Each customer's segment labels (text; missing: MISSING) at their first order."""
    if not by:
        return [()] * len(first_rows)
    columns = []
    for c in by:
        code = table.codes[f"by:{c}"][first_rows]
        lab = np.asarray(table.labels[f"by:{c}"].astype(str), dtype=object)
        columns.append(
            np.where(code >= 0, lab[np.maximum(code, 0)] if len(lab) else MISSING, MISSING)
        )
    return list(zip(*columns, strict=True))


def build_cells(
    leaf: IntArray,
    cohort: IntArray,
    acq: IntArray,
    cidx: IntArray,
    period: IntArray,
    value: FloatArray,
) -> CellTable:
    """Group customers by (leaf, cohort, acquisition step); value by cell and age.

    ``leaf``, ``cohort``, ``acq`` are per customer; ``cidx`` (customer), ``period`` and
    ``value`` per order.
    """
    key = np.column_stack([leaf, cohort, acq])
    ukey, cust_cell, n = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    cust_cell = cust_cell.ravel().astype(np.int64)
    k_obs = (-ukey[:, 2]).astype(np.int64)
    by_age = value_by_age(cust_cell[cidx], period - acq[cidx], value, len(ukey), int(k_obs.max()))
    customer_value = np.maximum(np.bincount(cidx, weights=value, minlength=len(cust_cell)), 0.0)
    return CellTable(
        leaf=ukey[:, 0].astype(np.int64),
        cohort=ukey[:, 1].astype(np.int64),
        acq=ukey[:, 2].astype(np.int64),
        n=n.astype(np.int64),
        k_obs=k_obs,
        value=by_age,
        customer_cell=cust_cell,
        customer_value=customer_value,
        value_sum=np.bincount(cust_cell, weights=customer_value, minlength=len(ukey)).astype(
            np.float64
        ),
        value_sq=np.bincount(cust_cell, weights=customer_value**2, minlength=len(ukey)).astype(
            np.float64
        ),
    )
