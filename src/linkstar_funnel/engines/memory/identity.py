"""``identity_components`` in memory: ids factorized once, then connected components.

Each id column is factorized once (:func:`factorize_ids`, the one door to the factorizer);
only its distinct values are then read as text, checked against the null-like strings and,
where an id type gathers several columns or the values were not text, numbered again per
type. Links are pairs of integer node numbers. The guard counts partners on raw link
counts first: only ids with more raw links than ``max_partners`` have their distinct
partners counted (on the links touching them). SciPy's ``connected_components`` then labels
the nodes on the links kept.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..._accounting import RowAccounting
from ...errors import ColumnNotFoundError, EmptyFrameError, SchemaError
from ...schema import _factorize, as_frame
from .._identity import (
    DEFAULT_NULL_LIKE,
    NO_LINK,
    IdentityComponents,
    IdentityQuery,
    arrow_text,
    component_labels,
    node_text,
    normalize_null_like,
    person_ids,
)

# The capability's records and shared helpers are re-exported here: the identity package
# reads ids as this backend does (a package may not import another's private modules).
__all__ = [
    "DEFAULT_NULL_LIKE",
    "IdentityComponents",
    "IdentityQuery",
    "arrow_text",
    "component_labels",
    "factorize_ids",
    "identity_components",
    "ids_as_text",
    "is_null_like",
    "node_text",
    "normalize_null_like",
    "person_ids",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Columns are factorized in parallel threads from this many rows, on at most this many.
_THREADED_ROWS = 200_000
_MAX_THREADS = 4
#: Whitespace stripped before comparing with the null-like strings (ASCII, as in SQL).
WHITESPACE = " \t\n\r\f\v"


def factorize_ids(values: pd.Series[Any]) -> tuple[IntArray, pd.Index]:
    """Codes (-1 for missing) and distinct values of an id column, in order of first
    appearance: the one place ids are factorized (the schema's factorizer: integers by
    direct addressing or hashing, text by hashing Arrow's buffers on threads)."""
    return _factorize(values)


def _text_of(value: object, column: str, frame_name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        raise _bad_type(column, frame_name, "booleans")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    raise _bad_type(column, frame_name, f"a value {value!r} of type {type(value).__name__}")


def _bad_type(column: str, frame_name: str, found: str) -> SchemaError:
    msg = (
        f"Column {column!r} of the {frame_name} frame must hold ids: text or whole numbers. "
        f"Found {found}.\nHint: convert it, e.g. frame[{column!r}].astype(str)."
    )
    return SchemaError(msg)


def ids_as_text(uniques: pd.Index, column: str, frame_name: str) -> tuple[pd.Index, bool]:
    """Distinct id values as text, and whether they were text already (then still
    distinct). Integers read as their decimal digits, whole floats as integers."""
    dtype = uniques.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        uniques = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
        dtype = uniques.dtype
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return uniques, True
    if pd.api.types.is_bool_dtype(dtype):
        raise _bad_type(column, frame_name, "booleans")
    if pd.api.types.is_integer_dtype(dtype):
        return pd.Index(uniques.astype(str), dtype=object), False
    if pd.api.types.is_float_dtype(dtype):
        values = np.asarray(uniques, dtype=np.float64)
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            raise _bad_type(column, frame_name, f"the non-whole number {values[bad][0]!r}")
        if np.abs(values).max(initial=0.0) >= 2.0**63:
            raise _bad_type(column, frame_name, "numbers too large for exact whole ids")
        return pd.Index(values.astype(np.int64).astype(str), dtype=object), False
    if pd.api.types.is_object_dtype(dtype):
        text = [_text_of(v, column, frame_name) for v in uniques]
        return pd.Index(text, dtype=object), False
    raise _bad_type(column, frame_name, f"values of type {dtype}")


def is_null_like(text: pd.Index, null_like: frozenset[str]) -> BoolArray:
    """Whether each text id is null-like: stripped of ASCII whitespace and in ASCII lower
    case, one of ``null_like``.

    Only the ids that could be (no longer than the longest null-like string, or starting or
    ending with whitespace: read from the Arrow offsets and bytes) are normalized and
    compared.
    """
    out = np.zeros(len(text), dtype=bool)
    if not len(text):
        return out
    arr = arrow_text(text)
    cand = np.flatnonzero(_maybe_null_like(arr, max(len(v.encode()) for v in null_like)))
    if not cand.size:
        return out
    sub = arr.take(pa.array(cand))
    norm = pc.ascii_lower(pc.utf8_trim(sub, WHITESPACE))
    values = pa.array(sorted(null_like), type=norm.type)
    hit = pc.is_in(norm, value_set=values).to_numpy(zero_copy_only=False)
    out[cand] = np.asarray(hit, dtype=bool)
    return out


_WS_BYTES = np.zeros(256, dtype=bool)
_WS_BYTES[[ord(c) for c in WHITESPACE]] = True


def _maybe_null_like(arr: pa.Array, longest: int) -> BoolArray:
    """Ids short enough to be null-like, or padded with whitespace (a large_string array)."""
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    length = np.diff(offsets)
    maybe = length <= longest
    filled = np.flatnonzero(~maybe)
    if filled.size and data_buf is not None:
        data = np.frombuffer(data_buf, dtype=np.uint8)
        first = data[offsets[filled]]
        last = data[offsets[filled + 1] - 1]
        maybe[filled] = _WS_BYTES[first] | _WS_BYTES[last]
    return maybe


def _releases_gil(series: pd.Series[Any]) -> bool:
    """Whether factorizing ``series`` runs in Arrow (text ids in Arrow memory), which lets
    other threads run meanwhile."""
    dtype = series.dtype
    storage = getattr(dtype, "storage", None)
    return isinstance(dtype, pd.ArrowDtype) or storage == "pyarrow"


_Column = tuple[IntArray, pd.Index, bool, BoolArray]


def _read_columns(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    frame_name: str,
    null_like: frozenset[str],
) -> list[_Column]:
    """Per column: row codes, distinct values as text, whether the text was read as
    given (then distinct), and which distinct values are null-like."""
    for col, id_type in columns:
        if col not in frame.columns:
            raise ColumnNotFoundError(
                col, frame.columns, role=f"{id_type} id", frame_name=frame_name
            )

    def read(col: str) -> _Column:
        codes, uniques = factorize_ids(frame[col])
        text, distinct = ids_as_text(uniques, col, frame_name)
        return codes, text, distinct, is_null_like(text, null_like)

    names = [col for col, _ in columns]
    series = [frame[col] for col in names]
    threads = min(len(names), os.cpu_count() or 1, _MAX_THREADS)
    if threads > 1 and len(frame) >= _THREADED_ROWS and all(map(_releases_gil, series)):
        # Arrow releases the GIL while it hashes: the columns are factorized side by side.
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(read, names))
    return [read(col) for col in names]


def _type_nodes(parts: list[_Column], null_like: frozenset[str]) -> tuple[pd.Index, list[IntArray]]:
    """One id type's nodes (its distinct, non-null-like text ids) and, per column, the
    node of each row (-1: missing or null-like)."""
    if len(parts) == 1 and parts[0][2]:
        _, text, _, null = parts[0]
        local = np.arange(len(text), dtype=np.int64)
    else:
        text_all = pd.Index(
            np.concatenate([np.asarray(p[1], dtype=object) for p in parts]), dtype=object
        )
        local, text = factorize_ids(pd.Series(text_all, dtype=object))
        null = is_null_like(text, null_like)
    if null.any():
        keep = ~null
        renumber = np.full(len(text), -1, dtype=np.int64)
        renumber[keep] = np.arange(int(keep.sum()), dtype=np.int64)
        local = renumber[local]
        text = text[keep]
    rows: list[IntArray] = []
    start = 0
    for codes, uniq, _, _ in parts:
        mapping = local[start : start + len(uniq)]
        start += len(uniq)
        if len(parts) == 1 and parts[0][2] and not null.any():
            rows.append(codes)
            continue
        mapped = np.full(len(codes), -1, dtype=np.int64)
        ok = codes >= 0
        mapped[ok] = mapping[codes[ok]]
        rows.append(mapped)
    return text, rows


def _links(nodes: list[IntArray]) -> tuple[IntArray, IntArray, BoolArray]:
    """Links of every pair of columns, and whether each row links anything."""
    heads, tails = [], []
    linked = np.zeros(len(nodes[0]), dtype=bool)
    for i in range(len(nodes)):
        for j in range(i + 1, len(nodes)):
            a, b = nodes[i], nodes[j]
            ok = (a >= 0) & (b >= 0) & (a != b)
            linked |= ok
            if ok.all():
                heads.append(a)
                tails.append(b)
            else:
                heads.append(a[ok])
                tails.append(b[ok])
    return np.concatenate(heads), np.concatenate(tails), linked


def _guard(
    a: IntArray, b: IntArray, n: int, max_partners: int | None
) -> tuple[IntArray, IntArray, IntArray, IntArray, int]:
    """Links kept, over-connected nodes, their partners, and the distinct links left out."""
    none = np.zeros(0, dtype=np.int64)
    if max_partners is None or not a.size:
        return a, b, none, none, 0
    raw = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
    candidate = raw > max_partners
    if not candidate.any():
        return a, b, none, none, 0
    touch = candidate[a] | candidate[b]
    ta, tb = a[touch], b[touch]
    key = np.unique(np.minimum(ta, tb) * n + np.maximum(ta, tb))
    lo, hi = key // n, key % n
    partners = np.bincount(lo, minlength=n) + np.bincount(hi, minlength=n)
    over = candidate & (partners > max_partners)
    if not over.any():
        return a, b, none, none, 0
    left_out = int((over[lo] | over[hi]).sum())
    keep = ~(over[a] | over[b])
    nodes = np.flatnonzero(over).astype(np.int64)
    return a[keep], b[keep], nodes, partners[nodes].astype(np.int64), left_out


def identity_components(source: object, query: IdentityQuery) -> IdentityComponents:
    """The ``"pandas"`` backend's
    :class:`~linkstar_funnel.engines._identity.IdentityComponentsEngine`.

    Raises
    ------
    ColumnNotFoundError
        An id column is missing.
    SchemaError
        An id column holds something other than text or whole numbers.
    EmptyFrameError
        An input has no rows.
    """
    frames: list[pd.DataFrame] = []
    for k, (src, _) in enumerate(query.inputs):
        name = query.frame_name(k)
        frame = as_frame(source if src is None else src, frame_name=name)
        if not len(frame):
            msg = f"The {name} frame is empty: there are no ids to link."
            raise EmptyFrameError(msg)
        frames.append(frame)
    by_type: dict[str, list[tuple[int, int, _Column]]] = {}
    read = []
    for k, ((_, cols), frame) in enumerate(zip(query.inputs, frames, strict=True)):
        parts = _read_columns(frame, cols, query.frame_name(k), query.null_like)
        read.append(parts)
        for j, ((_, id_type), part) in enumerate(zip(cols, parts, strict=True)):
            by_type.setdefault(id_type, []).append((k, j, part))
    id_types = query.id_types
    ids: list[pd.Index] = []
    nodes: list[list[IntArray]] = [[np.empty(0, dtype=np.int64)] * len(p) for p in read]
    offset = 0
    for id_type in id_types:
        entries = by_type[id_type]
        text, rows = _type_nodes([e[2] for e in entries], query.null_like)
        for (k, j, _), row in zip(entries, rows, strict=True):
            nodes[k][j] = np.where(row >= 0, row + offset, -1) if offset else row
        ids.append(text)
        offset += len(text)
    heads, tails, accounting, null_counts = [], [], [], []
    for k, ((_, cols), frame) in enumerate(zip(query.inputs, frames, strict=True)):
        a, b, linked = _links(nodes[k])
        heads.append(a)
        tails.append(b)
        acc = RowAccounting(rows_in=len(frame)).with_dropped(NO_LINK, int((~linked).sum()))
        accounting.append(acc)
        for (col, _), row in zip(cols, nodes[k], strict=True):
            missing = int((row < 0).sum())
            if missing:
                null_counts.append((k, col, missing))
    a, b = np.concatenate(heads), np.concatenate(tails)
    a, b, over, partners, left_out = _guard(a, b, offset, query.max_partners)
    graph = coo_matrix((np.ones(a.size, dtype=np.float64), (a, b)), shape=(offset, offset))
    _, labels = connected_components(graph, directed=True, connection="weak")
    component = np.asarray(labels, dtype=np.int64)
    component[over] = -1
    return IdentityComponents(
        id_types=id_types,
        ids=tuple(ids),
        component=component,
        over_connected=over,
        partners=partners,
        links_left_out=left_out,
        null_like=tuple(null_counts),
        accounting=tuple(accounting),
        notes=("components computed in memory (SciPy connected_components)",),
    )
