"""Read the two periods a decomposition compares: mappings or frames of leaf values.

Rows are segments. With ``by=`` key columns, the two periods are matched on the keys
(a segment found in one period only is *absent* from the other: every node is 0 there);
without keys, rows are matched by position and both periods must have as many rows. A
row with a missing leaf value is dropped with its partner in the other period, and both
are counted: a segment with a hole is not "absent", and rows are never re-paired.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import (
    ColumnNotFoundError,
    EmptyFrameError,
    ParameterError,
    SchemaError,
    _close_names,
)
from ..schema import Column, RowAccounting, key_kind, validate

__all__ = ["MissingOk", "Pair", "by_tuple", "read_pair"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: Which rows' missing values mean something (kept): leaf name → values in, mask out.
MissingOk = Callable[[Mapping[str, FloatArray]], BoolArray]


def by_tuple(by: str | Sequence[str] | None, owner: str) -> tuple[str, ...]:
    """Normalise ``by=`` (segment key columns) to a tuple of column names."""
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    out = tuple(by)
    if not all(isinstance(s, str) for s in out):
        msg = (
            f"The 'by' parameter of {owner} must be a column name or a list of "
            f"column names. Got {by!r} instead."
        )
        raise ParameterError(msg)
    return out


@attrs.frozen(eq=False)
class Pair:
    """Leaf values of two periods over the same rows (segments)."""

    keys: pd.DataFrame
    before: Mapping[str, FloatArray]
    after: Mapping[str, FloatArray]
    absent_before: BoolArray
    absent_after: BoolArray
    accounting: Mapping[str, RowAccounting]

    @property
    def n(self) -> int:
        """Number of rows (segments)."""
        return len(self.keys)


def _table_from_mapping(
    leaves: Sequence[str], data: Mapping[Any, Any], name: str
) -> tuple[pd.DataFrame, dict[str, FloatArray]]:
    missing = [leaf for leaf in leaves if leaf not in data]
    if missing:
        keys = [str(k) for k in data]
        msg = f"The {name!r} mapping has no value for the leaf {missing[0]!r}. Got keys {keys}."
        close = _close_names(missing[0], keys)
        if close:
            msg += "\nHint: did you mean " + " or ".join(repr(c) for c in close) + "?"
        raise ParameterError(msg)
    series = {leaf: data[leaf] for leaf in leaves}
    indexed = [v for v in series.values() if isinstance(v, pd.Series)]
    if indexed:
        index = indexed[0].index
        for v in indexed[1:]:
            index = index.union(v.index, sort=False)
    else:
        sizes = {np.size(v) for v in series.values() if np.ndim(v) > 0}
        if len(sizes) > 1:
            msg = (
                f"The {name!r} mapping holds arrays of different lengths {sorted(sizes)}; "
                "one value per segment is expected for every leaf."
            )
            raise ParameterError(msg)
        index = pd.RangeIndex(sizes.pop() if sizes else 1)
    out: dict[str, FloatArray] = {}
    for leaf, v in series.items():
        if isinstance(v, pd.Series):
            arr = v.reindex(index).to_numpy(dtype=np.float64, na_value=np.nan)
        elif np.ndim(v) == 0:
            arr = np.full(len(index), _number(v, leaf, name), dtype=np.float64)
        else:
            arr = np.asarray(v, dtype=np.float64).reshape(-1)
        if not np.isfinite(arr).all():
            msg = (
                f"The {name!r} value of the leaf {leaf!r} must be finite numbers. "
                f"Got {arr[~np.isfinite(arr)][:3].tolist()} instead."
            )
            raise ParameterError(msg)
        out[leaf] = arr
    if not indexed:
        return pd.DataFrame(index=pd.RangeIndex(len(index))), out
    if isinstance(index, pd.MultiIndex):
        return index.to_frame(index=False), out
    name = "segment" if index.name is None else str(index.name)
    return pd.DataFrame({name: np.asarray(index)}), out


def _number(value: object, leaf: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        msg = f"The {name!r} value of the leaf {leaf!r} must be a number. Got {value!r} instead."
        raise ParameterError(msg)
    return float(value)


def _table_from_frame(
    leaves: Sequence[str],
    data: object,
    name: str,
    segments: tuple[str, ...],
    columns: Mapping[str, str],
) -> tuple[pd.DataFrame, dict[str, FloatArray], RowAccounting]:
    """Keys and leaf values of one period; a missing key drops its row, a missing leaf
    value stays NaN (the pairing decides, and counts, what goes)."""
    cols = [Column(f"segment {s}", s, "category") for s in segments]
    cols += [Column(leaf, columns.get(leaf, leaf), "number", required=False) for leaf in leaves]
    table = validate(data, cols, frame_name=name)
    keys = pd.DataFrame(
        {s: table.labels[f"segment {s}"].take(table.codes[f"segment {s}"]) for s in segments},
        index=pd.RangeIndex(table.n_rows),
    )
    if segments and keys.duplicated().any():
        dup = keys[keys.duplicated()].iloc[0].to_dict()
        msg = (
            f"The {name} frame has several rows for the segment {dup}; one row per segment "
            "is expected.\nHint: aggregate first, e.g. "
            f"df.groupby({list(segments)!r}, as_index=False).sum()."
        )
        raise SchemaError(msg)
    return keys, {leaf: table.numbers[leaf] for leaf in leaves}, table.accounting


def _holes(
    values: Mapping[str, FloatArray],
    accounting: RowAccounting,
    columns: Mapping[str, str],
    missing_ok: MissingOk | None,
) -> tuple[BoolArray, RowAccounting]:
    """Rows with a missing leaf value (not excused by ``missing_ok``), counted per leaf."""
    n = len(next(iter(values.values()))) if values else 0
    hole = np.zeros(n, dtype=bool)
    excused = missing_ok(values) if missing_ok is not None else np.zeros(n, dtype=bool)
    for leaf, v in values.items():
        newly = np.isnan(v) & ~excused & ~hole
        accounting = accounting.with_dropped(
            f"missing {leaf}", int(newly.sum()), column=columns.get(leaf, leaf)
        )
        hole |= newly
    return hole, accounting


def read_pair(
    leaves: Sequence[str],
    before: object,
    after: object,
    *,
    by: tuple[str, ...] = (),
    columns: Mapping[str, str] | None = None,
    missing_ok: MissingOk | None = None,
) -> Pair:
    """Read and align the leaf values of two periods.

    A row with a missing leaf value is dropped together with its partner in the other
    period (same segment keys, or same position without keys), both counted; rows are
    never re-paired by position after a drop. ``missing_ok`` marks rows whose NaNs are
    meaningful (a rate where the weight is 0) and are kept.
    """
    columns = dict(columns or {})
    tables = []
    accounting: dict[str, RowAccounting] = {}
    for name, data in (("before", before), ("after", after)):
        if isinstance(data, Mapping):
            if by:
                msg = (
                    f"The 'by' parameter needs frames; {name!r} is a mapping.\nHint: "
                    "give pandas Series indexed by segment instead, or pass frames."
                )
                raise ParameterError(msg)
            keys, values = _table_from_mapping(leaves, data, name)
            acc = RowAccounting(rows_in=len(keys))
        elif isinstance(data, pd.DataFrame) or hasattr(data, "to_pandas"):
            keys, values, acc = _table_from_frame(leaves, data, name, by, columns)
        else:
            msg = (
                f"The {name!r} parameter must be a mapping of leaf values or a DataFrame. "
                f"Got {type(data).__name__} instead."
            )
            raise ParameterError(msg)
        hole, accounting[name] = _holes(values, acc, columns, missing_ok)
        tables.append((keys, values, hole))
    (k0, v0, h0), (k1, v1, h1) = tables
    key_cols = tuple(str(c) for c in k0.columns)
    keyed = bool(key_cols) and key_cols == tuple(str(c) for c in k1.columns)
    if not keyed and len(k0) != len(k1):
        msg = (
            f"The 'before' and 'after' data have {len(k0)} and {len(k1)} rows.\nHint: "
            "pass by=[...] to match rows by segment key columns."
        )
        raise SchemaError(msg)
    if keyed:
        _check_key_kinds(k0, k1, key_cols)
        i0, i1 = _index(k0, key_cols), _index(k1, key_cols)
        holes = i0[h0].append(i1[h1])
        drop0, drop1 = i0.isin(holes), i1.isin(holes)
    else:
        drop0 = drop1 = h0 | h1
    for name, drop, own in (("before", drop0, h0), ("after", drop1, h1)):
        accounting[name] = accounting[name].with_dropped(
            "paired with a row dropped in the other period", int((drop & ~own).sum())
        )
        if drop.all():
            msg = (
                f"No rows of the {name!r} data are usable: {accounting[name]}."
                "\nHint: fill the missing leaf values, or drop those rows in both periods."
            )
            raise EmptyFrameError(msg)
    k0, v0 = _keep(k0, v0, ~drop0)
    k1, v1 = _keep(k1, v1, ~drop1)
    if keyed:
        return _align(k0, v0, k1, v1, key_cols, accounting)
    keys = k0 if k0.shape[1] else k1
    absent = np.zeros(len(keys), dtype=bool)
    return Pair(keys, v0, v1, absent, absent.copy(), accounting)


def _check_key_kinds(k0: pd.DataFrame, k1: pd.DataFrame, segments: tuple[str, ...]) -> None:
    """Refuse keys that can never match (numbers in one period, text in the other): every
    segment would read as gone in one period and new in the other."""
    for col in segments:
        a, b = key_kind(k0[col]), key_kind(k1[col])
        if a is not None and b is not None and a != b:
            msg = (
                f"The segment column {col!r} holds {a} in the 'before' data (dtype "
                f"{k0[col].dtype}) and {b} in the 'after' data (dtype {k1[col].dtype}): no "
                "segment could match.\nHint: cast one side, e.g. "
                f"df[{col!r}] = df[{col!r}].astype(str)."
            )
            raise SchemaError(msg)


def _index(keys: pd.DataFrame, segments: tuple[str, ...]) -> pd.Index:
    if len(segments) > 1:
        return pd.MultiIndex.from_frame(keys)
    return cast("pd.Index", pd.Index(keys[segments[0]]))


def _keep(
    keys: pd.DataFrame, values: Mapping[str, FloatArray], keep: BoolArray
) -> tuple[pd.DataFrame, dict[str, FloatArray]]:
    if keep.all():
        return keys, dict(values)
    return keys[keep].reset_index(drop=True), {k: v[keep] for k, v in values.items()}


def _align(
    k0: pd.DataFrame,
    v0: Mapping[str, FloatArray],
    k1: pd.DataFrame,
    v1: Mapping[str, FloatArray],
    segments: tuple[str, ...],
    accounting: Mapping[str, RowAccounting],
) -> Pair:
    i0, i1 = _index(k0, segments), _index(k1, segments)
    union = i0.append(i1[~i1.isin(i0)])
    pos0 = i0.get_indexer(union)
    pos1 = i1.get_indexer(union)
    absent0, absent1 = pos0 < 0, pos1 < 0

    def take(values: Mapping[str, FloatArray], pos: npt.NDArray[np.intp]) -> dict[str, FloatArray]:
        return {k: np.where(pos < 0, 0.0, v[np.maximum(pos, 0)]) for k, v in values.items()}

    keys = union.to_frame(index=False) if len(segments) > 1 else pd.DataFrame({segments[0]: union})
    return Pair(keys, take(v0, pos0), take(v1, pos1), absent0, absent1, accounting)


def missing_column_check(frame: pd.DataFrame, column: str, role: str, frame_name: str) -> None:
    """Raise :class:`ColumnNotFoundError` when ``column`` is not in ``frame``."""
    if column not in frame.columns:
        raise ColumnNotFoundError(column, frame.columns, role=role, frame_name=frame_name)
