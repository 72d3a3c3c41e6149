"""``Funnel.from_counts``: a :class:`FunnelResult` from already-aggregated stage counts."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..engines.memory.funnel import segment_codes
from ..errors import ColumnNotFoundError, ParameterError
from ..schema import Column, as_frame, validate
from ._checks import as_columns
from ._result import FunnelResult, tidy_counts

__all__ = ["exact_counts", "from_counts"]

IntArray = npt.NDArray[np.int64]
_MAX = int(np.iinfo(np.int64).max)


def from_counts(
    counts: Mapping[Any, Any] | pd.DataFrame,
    *,
    stage: str = "stage",
    count: str = "count",
    by: str | Sequence[str] | None = None,
) -> FunnelResult:
    """See :meth:`Funnel.from_counts`."""
    by_cols = as_columns(by)
    if isinstance(counts, Mapping):
        if by_cols:
            msg = "The 'by' parameter of Funnel.from_counts needs a frame, not a dict."
            raise ParameterError(msg)
        frame = pd.DataFrame(
            {stage: list(counts.keys()), count: pd.Series(list(counts.values()), dtype=object)}
        )
    else:
        frame = as_frame(counts, frame_name="counts")
    if count not in frame.columns:
        raise ColumnNotFoundError(count, frame.columns, role="count", frame_name="counts")
    columns = [Column("stage", stage, "category")]
    columns += [Column(f"by{i}", b, "category", required=False) for i, b in enumerate(by_cols)]
    table = validate(frame, columns, frame_name="counts")
    names = table.labels["stage"].astype(str).to_numpy()[table.codes["stage"]]
    column = None if isinstance(counts, Mapping) else count
    values = exact_counts(table.take(frame[count].to_numpy(dtype=object)), names, column=column)
    stages = list(dict.fromkeys(names))
    if len(stages) < 2:
        msg = f"Funnel.from_counts needs at least 2 stages. Got {stages!r} instead."
        raise ParameterError(msg)
    stage_code = pd.Index(stages).get_indexer(names)
    seg, labels = segment_codes(table, by_cols)
    if not by_cols and len(set(names)) != len(names):
        msg = f"Stage names in Funnel.from_counts must be unique. Got {list(names)!r}."
        raise ParameterError(msg)
    reach = _sum_cells(values, seg, stage_code, len(labels), len(stages), names, count)
    bad = np.flatnonzero((np.diff(reach, axis=1) > 0).any(axis=1))
    if len(bad):
        msg = (
            "Funnel.from_counts needs counts that never increase down the funnel; "
            f"segment row {int(bad[0])} has {reach[bad[0]].tolist()}."
        )
        raise ParameterError(msg)
    tidy = tidy_counts(stages, labels, reach)
    return FunnelResult.build(
        spec=None, counts=tidy, by=by_cols, attempts=None, accounting=table.accounting
    )


def _sum_cells(
    values: IntArray,
    seg: IntArray,
    stage_code: IntArray,
    n_seg: int,
    n_stages: int,
    names: npt.NDArray[Any],
    column: str,
) -> IntArray:
    """Counts summed per (segment, stage) cell, exactly (Python integers), within int64."""
    cells = np.zeros((n_seg, n_stages), dtype=object)
    cells[:] = 0
    np.add.at(cells, (seg, stage_code), values.astype(object))
    too_big = np.flatnonzero((cells > _MAX).any(axis=0))
    if len(too_big):
        msg = (
            f"The counts of stage {str(pd.unique(names)[too_big[0]])!r} (column {column!r}) add "
            f"up to more than {_MAX:,} (the int64 limit) within one segment."
        )
        raise ParameterError(msg)
    return cells.astype(np.int64)


def exact_counts(
    values: npt.NDArray[Any], names: npt.NDArray[Any], *, column: str | None
) -> IntArray:
    """Counts as int64, exactly: whole non-negative numbers within int64, else a
    :class:`ParameterError` naming the first stage (``names``, per value) that breaks it.

    Accepts integers of any type and whole floats (``300.0``); refuses missing values,
    infinities, fractions, negatives, booleans, text and numbers beyond int64.
    """
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        n = _whole(v)
        if n is None:
            where = "" if column is None else f" (column {column!r})"
            msg = (
                f"The count of stage {names[i]!r}{where} must be a whole number in "
                f"[0, {_MAX:,}]. Got {v!r} instead."
            )
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                msg += "\nHint: a stage nobody reached has count 0, not a missing value."
            raise ParameterError(msg)
        out[i] = n
    return out


def _whole(v: object) -> int | None:
    """``v`` as a Python int if it is a whole number in [0, int64 max], else None."""
    if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real):
        return None
    if isinstance(v, numbers.Integral):
        n = int(v)
    else:
        x = float(v)
        if not math.isfinite(x) or x != math.floor(x) or x >= 2.0**63:
            return None
        n = int(x)
    return n if 0 <= n <= _MAX else None
