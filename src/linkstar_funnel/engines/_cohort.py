"""The ``cohort_cells`` capability: customers and their value per cohort cell and age.

A cell is (leaf segment, cohort, acquisition step): the customers whose first order falls in
that ``step`` period (periods end exactly at the cut, ``observation_end``), in that calendar
cohort (``period``: day, week or month, in ``tz``), with that path along the ``by``
hierarchy (the segments of their first order). Per cell: customers, their total value by age
(in steps since acquisition), and the sum and sum of squares of their observed value.

Every backend returns a :class:`CohortCells` for a :class:`CohortQuery`; what both backends
share (the cut, segment labels, the empty-input errors) lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._accounting import RowAccounting
from .._times import cut_ns
from ..errors import EmptyFrameError

__all__ = [
    "MISSING",
    "CellTable",
    "CohortCells",
    "CohortCellsEngine",
    "CohortQuery",
    "cut_ns",
    "factorize_paths",
    "no_orders_error",
    "no_purchases_error",
    "value_by_age",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: The label of a missing segment value.
MISSING = "(missing)"


def _as_tuple(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, Sequence) and not isinstance(value, str) else ()


def _as_end(value: object) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)  # type: ignore[arg-type]


@attrs.frozen
class CohortQuery:
    """What to aggregate: columns, the cut, the age step and the cohort calendar.

    Attributes
    ----------
    customer, time, value
        Column names of the orders.
    step
        Age resolution; periods end exactly at the cut.
    by
        Segment columns, coarse to fine (may be empty).
    observation_end
        Orders strictly before this time are used (naive: in the data's zone); ``None``:
        just after the last order.
    period
        Cohort calendar: ``"D"``, ``"W"`` or ``"M"``.
    tz
        Zone of the cohort calendar (``None``: the data's own).
    refunds
        ``"net"`` (negative values count) or ``"drop"`` (dropped and counted).
    owner
        The public entry point, for messages.
    """

    customer: str
    time: str
    value: str
    step: pd.Timedelta
    by: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)
    observation_end: pd.Timestamp | None = attrs.field(default=None, converter=_as_end)
    period: Literal["D", "W", "M"] = "M"
    tz: str | None = None
    refunds: Literal["net", "drop"] = "net"
    owner: str = "CohortLTV.fit"


@attrs.frozen(eq=False)
class CellTable:
    """Customers grouped by (leaf segment, cohort, acquisition step), with value by age.

    Attributes
    ----------
    leaf, cohort, acq
        Per cell: leaf segment code, cohort code, acquisition step (≤ -1; -1 is the last
        full step before the cut).
    n
        Customers per cell.
    k_obs
        Ages observed per cell (``-acq``).
    value
        Cells x observed ages: the cell's total value at each age, floored at 0 (0 where
        unobserved).
    customer_cell, customer_value
        Per customer: cell, and observed value floored at 0 (empty when the backend
        returns no per-customer values).
    value_sum, value_sq
        Per cell: sum of its customers' observed value (floored at 0), and of the squares.
    """

    leaf: IntArray
    cohort: IntArray
    acq: IntArray
    n: IntArray
    k_obs: IntArray
    value: FloatArray
    customer_cell: IntArray
    customer_value: FloatArray
    value_sum: FloatArray
    value_sq: FloatArray


@attrs.frozen(eq=False)
class CohortCells:
    """What a backend returns for a :class:`CohortQuery`.

    Attributes
    ----------
    cells
        The cells.
    leaf_paths
        Per leaf code, its segment labels along ``by`` (text; missing: :data:`MISSING`),
        sorted.
    cohort_labels
        Per cohort code, the cohort's start, sorted.
    cut_ns
        The cut as int64 nanoseconds (UTC instant for zoned data, wall clock for naive).
    tz
        The time column's zone (``None``: naive).
    customers
        Per customer (the rows of ``cells.customer_cell``), their id; empty when the
        backend returns no per-customer values.
    accounting
        Rows read, used and dropped with reasons.
    """

    cells: CellTable
    leaf_paths: tuple[tuple[str, ...], ...]
    cohort_labels: pd.DatetimeIndex
    cut_ns: int
    tz: Any
    customers: pd.Index
    accounting: RowAccounting


class CohortCellsEngine(Protocol):
    """A backend's ``cohort_cells(source, query) -> CohortCells``."""

    def __call__(self, source: Any, query: CohortQuery, /) -> CohortCells: ...


def factorize_paths(
    paths: Sequence[tuple[str, ...]],
) -> tuple[IntArray, tuple[tuple[str, ...], ...]]:
    """Codes of segment paths, numbered in sorted order, and the sorted distinct paths."""
    index: dict[tuple[str, ...], int] = {}
    codes = np.fromiter(
        (index.setdefault(p, len(index)) for p in paths), dtype=np.int64, count=len(paths)
    )
    ordered = sorted(index, key=lambda p: tuple(map(str, p)))
    rank = np.empty(len(index), dtype=np.int64)
    for new, p in enumerate(ordered):
        rank[index[p]] = new
    return rank[codes], tuple(ordered)


def value_by_age(
    cell: IntArray, age: IntArray, value: FloatArray, n_cells: int, k_max: int
) -> FloatArray:
    """Cells x ``k_max`` ages: total value per (cell, age), floored at 0 (refunds net within
    a cell and age)."""
    flat = np.bincount(cell * k_max + age, weights=value, minlength=n_cells * k_max)
    return np.maximum(flat.reshape(n_cells, k_max), 0.0)


def no_orders_error(accounting: RowAccounting) -> EmptyFrameError:
    """No order falls before the cut."""
    return EmptyFrameError(f"No orders fall before observation_end: {accounting}.")


def no_purchases_error(value: str) -> EmptyFrameError:
    """Every order before the cut is a refund or free: no value to model."""
    msg = (
        f"No purchases in the orders frame: every order before observation_end is a "
        f"refund or free (column {value!r} ≤ 0), so there is no value to model."
    )
    return EmptyFrameError(msg)
