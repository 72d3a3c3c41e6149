"""Read the two periods a decomposition compares: mappings or frames of leaf values.

Rows are segments. With ``segments=`` key columns, the two periods are matched on the keys
(a segment found in one period only is *absent* from the other: every node is 0 there);
without keys, rows are matched by position and both periods must have as many rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ColumnNotFoundError, ParameterError, SchemaError, _close_names
from ..schema import Column, RowAccounting, validate

__all__ = ["Pair", "read_pair", "segment_tuple"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def segment_tuple(segments: str | Sequence[str] | None, owner: str) -> tuple[str, ...]:
    """Normalise ``segments=`` to a tuple of column names."""
    if segments is None:
        return ()
    if isinstance(segments, str):
        return (segments,)
    out = tuple(segments)
    if not all(isinstance(s, str) for s in out):
        msg = (
            f"The 'segments' parameter of {owner} must be a column name or a list of "
            f"column names. Got {segments!r} instead."
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
    cols = [Column(f"segment {s}", s, "category") for s in segments]
    cols += [Column(leaf, columns.get(leaf, leaf), "number") for leaf in leaves]
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


def read_pair(
    leaves: Sequence[str],
    before: object,
    after: object,
    *,
    segments: tuple[str, ...] = (),
    columns: Mapping[str, str] | None = None,
) -> Pair:
    """Read and align the leaf values of two periods."""
    columns = dict(columns or {})
    tables = []
    accounting: dict[str, RowAccounting] = {}
    for name, data in (("before", before), ("after", after)):
        if isinstance(data, Mapping):
            if segments:
                msg = (
                    f"The 'segments' parameter needs frames; {name!r} is a mapping.\nHint: "
                    "give pandas Series indexed by segment instead, or pass frames."
                )
                raise ParameterError(msg)
            keys, values = _table_from_mapping(leaves, data, name)
            accounting[name] = RowAccounting(rows_in=len(keys))
        elif isinstance(data, pd.DataFrame) or hasattr(data, "to_pandas"):
            keys, values, accounting[name] = _table_from_frame(
                leaves, data, name, segments, columns
            )
        else:
            msg = (
                f"The {name!r} parameter must be a mapping of leaf values or a DataFrame. "
                f"Got {type(data).__name__} instead."
            )
            raise ParameterError(msg)
        tables.append((keys, values))
    (k0, v0), (k1, v1) = tables
    key_cols = tuple(str(c) for c in k0.columns)
    if key_cols and key_cols == tuple(str(c) for c in k1.columns):
        return _align(k0, v0, k1, v1, key_cols, accounting)
    if len(k0) != len(k1):
        msg = (
            f"The 'before' and 'after' data have {len(k0)} and {len(k1)} rows.\nHint: "
            "pass segments=[...] to match rows by segment key columns."
        )
        raise SchemaError(msg)
    keys = k0 if k0.shape[1] else k1
    absent = np.zeros(len(keys), dtype=bool)
    return Pair(keys, v0, v1, absent, absent.copy(), accounting)


def _align(
    k0: pd.DataFrame,
    v0: Mapping[str, FloatArray],
    k1: pd.DataFrame,
    v1: Mapping[str, FloatArray],
    segments: tuple[str, ...],
    accounting: Mapping[str, RowAccounting],
) -> Pair:
    i0 = pd.MultiIndex.from_frame(k0) if len(segments) > 1 else pd.Index(k0[segments[0]])
    i1 = pd.MultiIndex.from_frame(k1) if len(segments) > 1 else pd.Index(k1[segments[0]])
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
