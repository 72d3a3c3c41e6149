"""``Funnel.from_counts``: a :class:`FunnelResult` from already-aggregated stage counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ColumnNotFoundError, EmptyFrameError, ParameterError
from ..schema import RowAccounting
from ._engine import as_columns
from ._result import FunnelResult, tidy_counts


def _bad(msg: str) -> ParameterError:
    return ParameterError(msg)


def from_counts(
    counts: Mapping[str, int] | pd.DataFrame,
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
            raise _bad(msg)
        frame = pd.DataFrame({stage: list(counts.keys()), count: list(counts.values())})
    elif isinstance(counts, pd.DataFrame):
        frame = counts
    else:
        msg = (
            "The 'counts' parameter of Funnel.from_counts must be a dict of stage -> count "
            f"or a DataFrame. Got {type(counts).__name__} instead."
        )
        raise _bad(msg)
    for col, role in [(stage, "stage"), (count, "count"), *((b, "by") for b in by_cols)]:
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns, role=role, frame_name="counts")
    if len(frame) == 0:
        msg = "The counts frame is empty: there is nothing to compute on."
        raise EmptyFrameError(msg)
    values = pd.to_numeric(frame[count], errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(values).any() or (values < 0).any() or (values != np.round(values)).any():
        msg = (
            f"The {count!r} column of the counts must hold non-negative whole numbers. "
            f"Got {frame[count].tolist()[:10]!r} instead."
        )
        raise _bad(msg)
    stages = list(dict.fromkeys(frame[stage].astype(str)))
    if len(stages) < 2:
        msg = f"Funnel.from_counts needs at least 2 stages. Got {stages!r} instead."
        raise _bad(msg)
    new_columns: dict[str, Any] = {count: values.astype(np.int64), stage: frame[stage].astype(str)}
    work = frame.assign(**new_columns)
    if by_cols:
        wide = work.pivot_table(
            index=list(by_cols),
            columns=stage,
            values=count,
            aggfunc="sum",
            sort=False,
            dropna=False,
            fill_value=0,
        )
        labels = wide.index.to_frame(index=False)
    else:
        if work[stage].duplicated().any():
            msg = f"Stage names in Funnel.from_counts must be unique. Got {stages!r}."
            raise _bad(msg)
        wide = work.set_index(stage)[[count]].T
        labels = pd.DataFrame(index=range(1))
    reach = wide[stages].to_numpy(dtype=np.int64)
    bad = np.flatnonzero((np.diff(reach, axis=1) > 0).any(axis=1))
    if len(bad):
        msg = (
            "Funnel.from_counts needs counts that never increase down the funnel; "
            f"segment row {int(bad[0])} has {reach[bad[0]].tolist()}."
        )
        raise _bad(msg)
    tidy = tidy_counts(stages, labels.reset_index(drop=True), reach)
    rows = RowAccounting(rows_in=len(frame))
    return FunnelResult.build(spec=None, counts=tidy, by=by_cols, attempts=None, accounting=rows)
