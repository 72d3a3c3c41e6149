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

import warnings
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from .._counts import count_column
from .._params import ColumnName, Real, Satisfies, validate_params
from ..errors import ColumnNotFoundError, DataQualityWarning, SchemaError
from ..schema import Column, Table, as_frame, validate

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


_VALUES = ("orders_per_success", "value_per_success")


def validate_observations(data: object, *, frame_name: str = "observations") -> pd.DataFrame:
    """Check a rate-observation frame (or :class:`RateSource`) and return a clean copy.

    The frame goes through the schema layer (:func:`linkstar_funnel.schema.validate`). The
    copy has ``successes``/``trials`` as int64, ``stage`` as text, ``base`` as object
    (None when absent), ``step`` as bool, and segment columns as they came. Rows with
    ``trials == 0`` are kept (comparisons leave them out and count them).

    Raises
    ------
    ColumnNotFoundError
        ``stage``, ``successes`` or ``trials`` is missing.
    EmptyFrameError
        The frame has no rows.
    SchemaError
        Counts are missing, negative, fractional, infinite, beyond 2**53, or
        ``successes > trials``; a stage is missing; ``step`` is not boolean; a value
        column is not numeric or negative.
    """
    frame = _read(data, frame_name)
    cols = [
        Column("stage", "stage", "category", required=False),
        Column("successes", "successes", "number", required=False),
        Column("trials", "trials", "number", required=False),
    ]
    if "base" in frame.columns:
        cols.append(Column("base", "base", "category", required=False))
    cols += [Column(c, c, "number", required=False) for c in _VALUES if c in frame.columns]
    table = validate(frame, cols, frame_name=frame_name)
    out = frame.copy()
    for col in ("successes", "trials"):
        out[col] = count_column(table.numbers[col], column=col, frame_name=frame_name)
    out["stage"] = _labels(table, "stage", frame_name, required=True)
    bad = out["successes"].to_numpy() > out["trials"].to_numpy()
    if bad.any():
        row = out.loc[bad].iloc[0]
        msg = (
            f"Column 'successes' of the {frame_name} frame must not exceed 'trials'. "
            f"Got {int(row['successes'])} > {int(row['trials'])} for stage {row['stage']!r} "
            f"({int(bad.sum())} row(s))."
        )
        raise SchemaError(msg)
    out["base"] = _labels(table, "base", frame_name, required=False) if "base" in out else None
    out["step"] = _step(out["step"], frame_name) if "step" in out.columns else True
    for col in _VALUES:
        if col in out.columns:
            values = table.numbers[col]
            if (values < 0).any():
                msg = f"Column {col!r} of the {frame_name} frame must be ≥ 0."
                raise SchemaError(msg)
            out[col] = values
    return out


def _labels(table: Table, role: str, frame_name: str, *, required: bool) -> list[str | None]:
    """A category column as text, ``None`` where missing (an error when ``required``)."""
    codes = table.codes[role]
    if required and (codes < 0).any():
        msg = (
            f"Column {role!r} of the {frame_name} frame has {int((codes < 0).sum())} missing "
            "value(s); every row needs a stage."
        )
        raise SchemaError(msg)
    text = [str(v) for v in table.labels[role]]
    return [None if c < 0 else text[c] for c in codes]


def _step(series: pd.Series, frame_name: str) -> pd.Series:
    if series.isna().any() or pd.api.types.infer_dtype(series, skipna=False) != "boolean":
        msg = (
            f"Column 'step' of the {frame_name} frame must hold True or False for every "
            f"row. Got dtype {series.dtype} with values {series.unique()[:3].tolist()!r}."
        )
        raise SchemaError(msg)
    return series.astype(bool)


def _names(value: object, *, empty: bool) -> bool:
    """A list or tuple of distinct non-empty strings (may be empty when ``empty``)."""
    return (
        isinstance(value, list | tuple)
        and (empty or len(value) > 0)
        and all(isinstance(v, str) and v for v in value)
        and len(set(value)) == len(value)
    )


@validate_params(
    stages=[
        None,
        Satisfies(
            lambda v: _names(v, empty=False) and len(v) >= 2,
            "a list of at least two distinct stage names",
        ),
    ],
    stage=ColumnName(),
    count=ColumnName(),
    by=[ColumnName(), Satisfies(lambda v: _names(v, empty=True), "a list of column names")],
    value_per_order=[None, Real(0)],
)
def observations_from_counts(
    counts: pd.DataFrame,
    *,
    stages: Sequence[str] | None = None,
    stage: str = "stage",
    count: str = "users",
    by: str | Sequence[str] = (),
    value_per_order: float | None = None,
) -> pd.DataFrame:
    """Rate observations from entities reaching each stage of an ordered funnel.

    For every pair of stages ``base < stage`` (in funnel order) and every segment, one row
    with ``successes`` = count at ``stage``, ``trials`` = count at ``base``, ``step`` =
    whether ``base`` is the previous stage, and ``orders_per_success`` = count at the last
    stage / count at ``stage`` (each extra entity reaching ``stage`` is worth that many
    final conversions if downstream rates hold; NaN when no entity reached ``stage``).
    ``value_per_success`` is ``orders_per_success * value_per_order`` when
    ``value_per_order`` (AOV) is given.

    Parameters
    ----------
    counts
        Long frame: ``[by...]``, ``stage``, ``count`` (e.g. a ``FunnelResult.to_frame()``);
        read through the schema layer, never modified. Rows of the same stage and segment
        are summed.
    stages
        Funnel order (at least two stages); defaults to order of first appearance in
        ``counts``.
    stage, count, by
        Column names.
    value_per_order
        Average order value, to express impact in money.

    Raises
    ------
    SchemaError
        A count is missing, negative, fractional or beyond 2**53; a stage or segment label
        is missing; a segment lacks a stage; a later stage counts more than an earlier one.

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
    keys = [by] if isinstance(by, str) else list(by)
    frame = as_frame(counts, frame_name="counts")
    for col in keys:
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns, role="by", frame_name="counts")
    table = validate(
        frame,
        [
            Column("stage", stage, "category", required=False),
            Column("count", count, "number", required=False),
            *[Column(f"by {k}", k, "category", required=False) for k in keys],
        ],
        frame_name="counts",
    )
    values = count_column(table.numbers["count"], column=count, frame_name="counts")
    labels = _labels(table, "stage", "counts", required=True)
    for k in keys:
        if (table.codes[f"by {k}"] < 0).any():
            msg = (
                f"Column {k!r} of the counts frame has missing labels."
                f"\nHint: fill them in, e.g. counts.fillna({{{k!r}: 'unknown'}})."
            )
            raise SchemaError(msg)
    order = [str(s) for s in (stages if stages is not None else dict.fromkeys(labels))]
    if len(order) < 2:
        msg = f"The counts frame has one stage ({order[0]!r}); a rate needs at least two."
        raise SchemaError(msg)
    long = frame[keys].assign(_stage=np.asarray(labels, dtype=object), _count=values)
    wide = (
        long.pivot_table(
            index=keys, columns="_stage", values="_count", aggfunc="sum", observed=True, sort=False
        )
        if keys
        else long.groupby("_stage", sort=False)["_count"].sum().to_frame().T
    )
    missing = [s for s in order if s not in wide.columns]
    if missing:
        msg = f"The counts frame has no rows for stage(s) {missing} of stages={order}."
        raise SchemaError(msg)
    wide = wide[order]
    _check_wide(wide, keys, count)
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
    unknown = int(out["orders_per_success"].isna().sum())
    if unknown:
        warnings.warn(
            f"orders_per_success{' and value_per_success' if value_per_order is not None else ''}"
            f" is NaN in {unknown} of {len(out)} observation rows: their stage had no "
            "successes, so there is no downstream rate to apply (comparisons leave their "
            "impact out).",
            DataQualityWarning,
            stacklevel=3,
        )
    return out[[*keys, *[c for c in out.columns if c not in keys]]]


def _check_wide(wide: pd.DataFrame, keys: list[str], count: str) -> None:
    """Every segment has every stage, sums are exact counts, and counts never increase."""
    values = wide.to_numpy(dtype=np.float64)

    def where(i: int) -> str:
        if not keys:
            return ""
        labels = wide.index[i] if len(keys) > 1 else (wide.index[i],)
        return f" for {dict(zip(keys, labels, strict=True))}"

    gaps = np.isnan(values)
    if gaps.any():
        i, j = (int(v[0]) for v in np.nonzero(gaps))
        msg = (
            f"The counts frame has no row for stage {wide.columns[j]!r}{where(i)}."
            "\nHint: add a row with a count of 0 where no entity reached a stage."
        )
        raise SchemaError(msg)
    count_column(values.ravel(), column=count, frame_name="counts (summed per stage)")
    rises = values[:, 1:] > values[:, :-1]
    if rises.any():
        i, j = (int(v[0]) for v in np.nonzero(rises))
        msg = (
            f"Column {count!r} of the counts frame rises down the funnel{where(i)}: "
            f"{values[i, j + 1]:,.0f} at {wide.columns[j + 1]!r} > {values[i, j]:,.0f} at "
            f"{wide.columns[j]!r}.\nHint: pass stages=[...] in funnel order; each stage counts "
            "the entities that reached it."
        )
        raise SchemaError(msg)


def index_one() -> pd.DataFrame:
    """A frame with one row and no columns."""
    return pd.DataFrame(index=range(1))
