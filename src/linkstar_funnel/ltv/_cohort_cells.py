"""From validated orders to the cohort model's cells, for :class:`~._cohort.CohortLTV`.

The cut time (``observed_until``), each customer's leaf segment path along the ``by``
hierarchy, and the :class:`~._cohort_fit.CellTable`: customers grouped by (leaf segment,
cohort, acquisition step), with their value by age.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._validators import bad_parameter
from ..schema import TimeValues
from ._cohort_fit import CellTable

__all__ = ["MISSING", "build_cells", "cut_ns", "factorize_paths", "segment_paths"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MISSING = "(missing)"


def cut_ns(observed_until: object, tv: TimeValues) -> int:
    if observed_until is None:
        return int(tv.ns.max()) + 1
    try:
        ts = pd.Timestamp(observed_until)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        err = bad_parameter("CohortLTV.fit", "observed_until", "a date or time", observed_until)
        raise err from exc
    if pd.isna(ts):
        err = bad_parameter(
            "CohortLTV.fit", "observed_until", "a date or time, not NaT", observed_until
        )
        raise err
    if tv.tz is not None:
        ts = ts.tz_localize(tv.tz) if ts.tz is None else ts
        return int(ts.tz_convert("UTC").value)
    return int((ts.tz_localize(None) if ts.tz is not None else ts).value)


def segment_paths(
    codes: dict[str, IntArray] | object,
    labels: dict[str, pd.Index] | object,
    by_cols: tuple[str, ...],
    first_rows: npt.NDArray[np.intp],
) -> list[tuple[str, ...]]:
    assert isinstance(codes, dict)
    assert isinstance(labels, dict)
    if not by_cols:
        return [()] * len(first_rows)
    columns = []
    for c in by_cols:
        code = codes[f"by:{c}"][first_rows]
        lab = np.asarray(labels[f"by:{c}"].astype(str), dtype=object)
        columns.append(
            np.where(code >= 0, lab[np.maximum(code, 0)] if len(lab) else MISSING, MISSING)
        )
    return list(zip(*columns, strict=True))


def factorize_paths(paths: list[tuple[str, ...]]) -> tuple[IntArray, list[tuple[str, ...]]]:
    index: dict[tuple[str, ...], int] = {}
    codes = np.fromiter(
        (index.setdefault(p, len(index)) for p in paths), dtype=np.int64, count=len(paths)
    )
    ordered = sorted(index, key=lambda p: tuple(map(str, p)))
    rank = np.empty(len(index), dtype=np.int64)
    for new, p in enumerate(ordered):
        rank[index[p]] = new
    return rank[codes], ordered


def build_cells(
    leaf: IntArray,
    cohort: IntArray,
    acq: IntArray,
    cidx: IntArray,
    period: IntArray,
    value: FloatArray,
) -> CellTable:
    """Group customers by (leaf, cohort, acquisition step); revenue by cell and age."""
    key = np.column_stack([leaf, cohort, acq])
    ukey, cust_cell, n = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    cust_cell = cust_cell.ravel()
    k_obs = -ukey[:, 2]
    k_max = int(k_obs.max())
    age = period - acq[cidx]
    cell_row = cust_cell[cidx]
    flat = np.bincount(cell_row * k_max + age, weights=value, minlength=len(ukey) * k_max)
    revenue = np.maximum(flat.reshape(len(ukey), k_max), 0.0)
    customer_value = np.maximum(np.bincount(cidx, weights=value, minlength=len(cust_cell)), 0.0)
    return CellTable(
        leaf=ukey[:, 0].astype(np.int64),
        cohort=ukey[:, 1].astype(np.int64),
        acq=ukey[:, 2].astype(np.int64),
        n=n.astype(np.int64),
        k_obs=k_obs.astype(np.int64),
        revenue=revenue,
        customer_cell=cust_cell.astype(np.int64),
        customer_value=customer_value,
        value_sum=np.bincount(cust_cell, weights=customer_value, minlength=len(ukey)).astype(
            np.float64
        ),
        value_sq=np.bincount(cust_cell, weights=customer_value**2, minlength=len(ukey)).astype(
            np.float64
        ),
    )
