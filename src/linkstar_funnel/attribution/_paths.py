"""Reading path strings (``"a > b > c"``, ChannelAttribution's input) into journeys.

Parsing is vectorised over *distinct* path strings: the path column is factorized first
(hashing, no sort), each distinct string is split once, and the tokens of all of them are
factorized together, so a million rows with a few hundred thousand distinct paths parse
in well under a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import EmptyFrameError, SchemaError
from ..schema import Column, RowAccounting, as_frame, validate

if TYPE_CHECKING:
    from ._journeys import Journeys

__all__ = ["EmptyPolicy", "parse_paths"]

EmptyPolicy = Literal["raise", "direct", "drop"]


def parse_paths(
    data: object,
    *,
    path: str,
    conversions: str,
    value: str | None,
    null: str | None,
    sep: str,
    empty: EmptyPolicy,
) -> Journeys:
    """Build :class:`Journeys` from a frame of path strings; see ``Journeys.from_paths``."""
    from ._journeys import DIRECT_NONE, Journeys, check_total, weighted_bincount

    frame = as_frame(data, frame_name="paths")
    cols = [Column("path", path, "category", required=False)]
    cols.append(Column("conversions", conversions, "number", required=False))
    if value is not None:
        cols.append(Column("value", value, "number", required=False))
    if null is not None:
        cols.append(Column("null", null, "number", required=False))
    table = validate(frame, cols, frame_name="paths")

    numbers = {
        role: table.numbers[role]
        for role in ("conversions", "value", "null")
        if role in table.numbers
    }
    for role, values in numbers.items():
        _check_counts(values, column=table.columns[role], index=frame.index)
        check_total(values, f"Column {table.columns[role]!r} of the paths frame")
    n_rows = len(frame)
    conv = numbers["conversions"]
    val = numbers.get("value", np.zeros(n_rows))
    nul = numbers.get("null", np.zeros(n_rows))

    row_path = table.codes["path"]
    labels = table.labels["path"]
    lengths, tok_codes, tok_uniques = _split_distinct(labels, sep=sep, column=path)
    uniques = labels  # only read for error messages
    stripped = [str(t).strip() for t in tok_uniques]
    blank_tok = np.array([not s for s in stripped], dtype=bool)
    touch_blank = blank_tok[tok_codes] if len(tok_codes) else np.zeros(0, dtype=bool)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    path_has_blank = (
        np.add.reduceat(touch_blank.astype(np.int64), offsets[:-1]) > 0
        if len(uniques) > 0
        else np.zeros(0, dtype=bool)
    )
    path_empty = path_has_blank & (lengths == 1)
    broken = path_has_blank & ~path_empty
    if broken.any():
        first = int(np.flatnonzero(broken)[0])
        row = frame.index[int(np.flatnonzero(row_path == first)[0])]
        msg = (
            f"Column {path!r} of the paths frame must hold channel names separated by {sep!r}; "
            f"row {row!r} has an empty channel name: {uniques[first]!r}."
            "\nHint: remove doubled, leading or trailing separators."
        )
        raise SchemaError(msg)

    # Rows whose path is missing or empty: by policy.
    row_empty = (row_path < 0) | (path_empty[np.maximum(row_path, 0)] if len(uniques) > 0 else True)
    n_empty = int(row_empty.sum())
    accounting = RowAccounting(rows_in=n_rows)
    notes = ["identical path strings merged (counts and values summed)"]
    if n_empty and empty == "raise":
        pos = int(np.flatnonzero(row_empty)[0])
        what = "missing" if row_path[pos] < 0 else f"empty ({uniques[row_path[pos]]!r})"
        msg = (
            f"Column {path!r} of the paths frame must hold non-empty paths; row "
            f"{frame.index[pos]!r} is {what} ({n_empty:,} such rows)."
            "\nHint: pass empty='direct' to credit them to '(direct/none)', or empty='drop'."
        )
        raise SchemaError(msg)

    chan_codes, chan_names = pd.factorize(pd.Index(stripped, dtype=object))
    channels = [str(c) for c in chan_names]
    touch_chan = (
        np.asarray(chan_codes, dtype=np.int64)[tok_codes]
        if len(tok_codes)
        else np.zeros(0, np.int64)
    )

    keep_path = ~path_empty
    # Distinct paths that are neither empty: reindex rows onto them.
    path_new = np.cumsum(keep_path) - 1
    n_keep = int(keep_path.sum())
    row_target = np.where(
        row_empty, -1, path_new[np.maximum(row_path, 0)] if len(uniques) > 0 else -1
    )
    keep_touch = np.repeat(keep_path, lengths)
    touches = touch_chan[keep_touch]
    offsets = np.concatenate([[0], np.cumsum(lengths[keep_path])]).astype(np.int64)

    if n_empty and empty == "direct":
        if DIRECT_NONE not in channels:
            channels.append(DIRECT_NONE)
        direct_code = channels.index(DIRECT_NONE)
        row_target = np.where(row_empty, n_keep, row_target)
        touches = np.concatenate([touches, [direct_code]])
        offsets = np.concatenate([offsets, [offsets[-1] + 1]])
        n_keep += 1
        notes.append(f"{n_empty:,} rows with an empty path credited to {DIRECT_NONE!r}")
    elif n_empty:  # drop
        accounting = accounting.with_dropped("empty path", n_empty, column=path)
        if n_empty == n_rows:
            msg = (
                f"No rows of the paths frame are usable: {accounting}."
                "\nHint: pass empty='direct' to credit them to '(direct/none)'."
            )
            raise EmptyFrameError(msg)
    used = row_target >= 0
    # Channels seen only in dropped/empty paths are not kept: re-code the survivors.
    present = np.unique(touches)
    if len(present) < len(channels):
        recode = np.full(len(channels), -1, dtype=np.int64)
        recode[present] = np.arange(len(present))
        touches = recode[touches]
        channels = [channels[i] for i in present]

    def total(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return weighted_bincount(row_target[used], values[used], n_keep)

    return Journeys(
        channels=tuple(channels),
        offsets=offsets,
        touches=touches,
        conversions=total(conv),
        value=total(val),
        nulls=total(nul),
        sep=sep,
        inputs={"paths": accounting},
        notes=tuple(notes),
    )


def _split_distinct(
    labels: pd.Index, *, sep: str, column: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[object]]:
    """Split distinct path strings with Arrow: tokens per path, token codes, distinct tokens."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(labels.array, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        arr = None
    if arr is None or arr.null_count:
        bad = next(u for u in labels.tolist() if not isinstance(u, str))
        msg = (
            f"Column {column!r} of the paths frame must hold strings such as 'a > b'. "
            f"Got {bad!r} ({type(bad).__name__}) instead."
        )
        raise SchemaError(msg)
    parts = pc.split_pattern(arr, pattern=sep)
    lengths = np.asarray(pc.list_value_length(parts).to_numpy(zero_copy_only=False), dtype=np.int64)
    encoded = pc.dictionary_encode(pc.list_flatten(parts))
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return lengths, codes, encoded.dictionary.to_pylist()


def _check_counts(values: npt.NDArray[np.float64], *, column: str, index: pd.Index) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        msg = (
            f"Column {column!r} of the paths frame must hold finite numbers ≥ 0; row "
            f"{index[pos]!r} is {float(values[pos])!r} ({int(bad.sum()):,} such rows)."
            f"\nHint: fill them, e.g. df[{column!r}].fillna(0), or drop those rows."
        )
        raise SchemaError(msg)
    neg = values < 0
    if neg.any():
        pos = int(np.flatnonzero(neg)[0])
        msg = (
            f"Column {column!r} of the paths frame must hold numbers ≥ 0; row "
            f"{index[pos]!r} is {float(values[pos])!r} ({int(neg.sum()):,} negative rows)."
        )
        raise SchemaError(msg)
