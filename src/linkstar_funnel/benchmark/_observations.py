"""Rate observations: the neutral input every comparison reads, and how to build it.

A *rate observation* frame has one row per stage (and segment):

========================  ==================================================================
``stage``                 the stage or metric, matched with a :class:`Reference`'s ``stage``
``successes``             entities reaching the stage (non-negative integers)
``trials``                entities at its base (``successes <= trials``)
``base`` (optional)       the stage the rate is measured from (its denominator)
``step`` (optional)       whether the row is the stage's step rate (from the previous
                          stage); without the column every row is
``orders_per_success``    (optional) final conversions per success: the downstream rate
``value_per_success``     (optional) value (GMV) per success
``period`` (optional)     for history: the time bucket of the row
any other column          a segment column (``country``, ``device``...)
========================  ==================================================================

Any result can be compared with a :class:`~linkstar_funnel.benchmark.Benchmark` by
implementing :class:`RateSource`: one method returning such a frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..errors import ColumnNotFoundError, SchemaError
from ..schema import as_frame

__all__ = [
    "RESERVED",
    "RateSource",
    "observations_from_counts",
    "segment_columns",
    "validate_observations",
]

#: Column names with a meaning in a rate-observation frame; all others are segments.
RESERVED: tuple[str, ...] = (
    "stage",
    "base",
    "step",
    "successes",
    "trials",
    "orders_per_success",
    "value_per_success",
    "period",
)


@runtime_checkable
class RateSource(Protocol):
    """Anything that can describe itself as rate observations (see the module docs)."""

    def rate_observations(self) -> pd.DataFrame:
        """One row per stage and segment: ``stage``, ``successes``, ``trials``, ..."""
        ...


def segment_columns(frame: pd.DataFrame) -> list[str]:
    """The segment columns of an observation frame: every non-reserved column, in order."""
    return [str(c) for c in frame.columns if c not in RESERVED]


def _read(data: object, frame_name: str) -> pd.DataFrame:
    if isinstance(data, RateSource) and not isinstance(data, pd.DataFrame):
        data = data.rate_observations()
    return as_frame(data, frame_name=frame_name)


def validate_observations(data: object, *, frame_name: str = "observations") -> pd.DataFrame:
    """Check a rate-observation frame (or :class:`RateSource`) and return a clean copy.

    The copy has ``successes``/``trials`` as int64, ``base`` as object (None when absent),
    ``step`` as bool, and segment columns as they came. Rows with ``trials == 0`` are kept
    (comparisons leave them out and count them).

    Raises
    ------
    ColumnNotFoundError
        ``stage``, ``successes`` or ``trials`` is missing.
    SchemaError
        Counts are missing, negative, fractional, or ``successes > trials``.
    """
    frame = _read(data, frame_name)
    for col in ("stage", "successes", "trials"):
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns, frame_name=frame_name)
    out = frame.copy()
    for col in ("successes", "trials"):
        out[col] = _counts(out[col], col, frame_name)
    bad = out["successes"] > out["trials"]
    if bad.any():
        row = out.loc[bad].iloc[0]
        msg = (
            f"Column 'successes' of the {frame_name} frame must not exceed 'trials'. "
            f"Got {int(row['successes'])} > {int(row['trials'])} for stage {row['stage']!r} "
            f"({int(bad.sum())} row(s))."
        )
        raise SchemaError(msg)
    if out["stage"].isna().any():
        msg = f"Column 'stage' of the {frame_name} frame has missing values."
        raise SchemaError(msg)
    out["stage"] = out["stage"].astype(str).astype(object)
    if "base" in out.columns:
        out["base"] = [None if pd.isna(b) else str(b) for b in out["base"]]
    else:
        out["base"] = None
    out["step"] = out["step"].astype(bool) if "step" in out.columns else True
    for col in ("orders_per_success", "value_per_success"):
        if col in out.columns:
            values = pd.to_numeric(out[col], errors="coerce").astype(np.float64)
            if (values < 0).any():
                msg = f"Column {col!r} of the {frame_name} frame must be ≥ 0."
                raise SchemaError(msg)
            out[col] = values
    return out


def _counts(series: pd.Series, col: str, frame_name: str) -> pd.Series:
    where = f"Column {col!r} of the {frame_name} frame"
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        msg = f"{where} must hold counts (non-negative integers). Got dtype {series.dtype}."
        raise SchemaError(msg)
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any():
        msg = f"{where} has {int(np.isnan(values).sum())} missing value(s); counts are required."
        raise SchemaError(msg)
    if (values < 0).any() or (values != np.round(values)).any() or np.isinf(values).any():
        example = values[(values < 0) | (values != np.round(values))][0]
        msg = f"{where} must hold non-negative integers. Got {example!r} instead."
        raise SchemaError(msg)
    return pd.Series(values.astype(np.int64), index=series.index, name=col)


def observations_from_counts(
    counts: pd.DataFrame,
    *,
    stages: Sequence[str] | None = None,
    stage: str = "stage",
    count: str = "users",
    by: Sequence[str] = (),
    value_per_order: float | None = None,
) -> pd.DataFrame:
    """Rate observations from entities reaching each stage of an ordered funnel.

    For every pair of stages ``base < stage`` (in funnel order) and every segment, one row
    with ``successes`` = count at ``stage``, ``trials`` = count at ``base``, ``step`` =
    whether ``base`` is the previous stage, and ``orders_per_success`` = count at the last
    stage / count at ``stage`` (each extra entity reaching ``stage`` is worth that many
    final conversions if downstream rates hold). ``value_per_success`` is
    ``orders_per_success * value_per_order`` when ``value_per_order`` (AOV) is given.

    Parameters
    ----------
    counts
        Long frame: ``[by...]``, ``stage``, ``count`` (e.g. a ``FunnelResult.to_frame()``).
    stages
        Funnel order; defaults to order of first appearance in ``counts``.
    stage, count, by
        Column names.
    value_per_order
        Average order value, to express impact in money.

    Examples
    --------
    >>> counts = pd.DataFrame({"stage": ["visit", "cart", "order"], "users": [1000, 80, 30]})
    >>> obs = observations_from_counts(counts, value_per_order=50.0)
    >>> obs[["base", "stage", "successes", "trials", "step", "orders_per_success"]]
        base  stage  successes  trials   step  orders_per_success
    0  visit   cart         80    1000   True               0.375
    1  visit  order         30    1000  False               1.000
    2   cart  order         30      80   True               1.000
    """
    frame = as_frame(counts, frame_name="counts")
    for col in (stage, count, *by):
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns, frame_name="counts")
    order = list(stages) if stages is not None else list(dict.fromkeys(frame[stage].astype(str)))
    keys = list(by)
    wide = (
        frame.assign(_stage=frame[stage].astype(str)).pivot_table(
            index=keys or None,
            columns="_stage",
            values=count,
            aggfunc="sum",
            observed=True,
            sort=False,
        )
        if keys
        else frame.assign(_stage=frame[stage].astype(str))
        .groupby("_stage")[count]
        .sum()
        .to_frame()
        .T
    )
    missing = [s for s in order if s not in wide.columns]
    if missing:
        msg = f"The counts frame has no rows for stage(s) {missing} of stages={order}."
        raise SchemaError(msg)
    rows = []
    last = wide[order[-1]].to_numpy(dtype=np.float64)
    seg = wide.index.to_frame(index=False) if keys else None
    for j in range(1, len(order)):
        at = wide[order[j]].to_numpy(dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            per = np.where(at > 0, last / np.where(at > 0, at, 1.0), np.nan)
        for i in range(j):
            part = pd.DataFrame(seg.copy() if seg is not None else index_one())
            part["base"] = order[i]
            part["stage"] = order[j]
            part["successes"] = at.astype(np.int64)
            part["trials"] = wide[order[i]].to_numpy(dtype=np.float64).astype(np.int64)
            part["step"] = i == j - 1
            part["orders_per_success"] = per
            if value_per_order is not None:
                part["value_per_success"] = per * float(value_per_order)
            rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    return out[[*keys, *[c for c in out.columns if c not in keys]]]


def index_one() -> pd.DataFrame:
    """A frame with one row and no columns."""
    return pd.DataFrame(index=range(1))
