"""Reading path strings (``"a > b > c"``, ChannelAttribution's input) into journeys.

Parsing is vectorised over *distinct* path strings: the path column is factorized first
(hashing, no sort), each distinct string is split once, and the tokens of all of them are
factorized together, so a million rows with a few hundred thousand distinct paths parse
in well under a second.
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import EmptyFrameError, SchemaError
from ..schema import Column, RowAccounting, Table, as_frame, validate
from ._journeys import DIRECT_NONE, Journeys, check_total, weighted_bincount

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
    frame, table, counts = _read(data, path=path, conversions=conversions, value=value, null=null)
    tokens = _Tokens.split(table, sep=sep, path=path, index=frame.index)
    row_empty = tokens.empty_rows(table.codes["path"])
    n_empty = int(row_empty.sum())
    if n_empty and empty == "raise":
        pos = int(np.flatnonzero(row_empty)[0])
        code = int(table.codes["path"][pos])
        what = "missing" if code < 0 else f"empty ({table.labels['path'][code]!r})"
        msg = (
            f"Column {path!r} of the paths frame must hold non-empty paths; row "
            f"{frame.index[pos]!r} is {what} ({n_empty:,} such rows)."
            "\nHint: pass empty='direct' to credit them to '(direct/none)', or empty='drop'."
        )
        raise SchemaError(msg)
    paths = tokens.kept_paths(table.codes["path"], row_empty, direct=empty == "direct")
    accounting = RowAccounting(rows_in=len(frame))
    notes = ["identical path strings merged (counts and values summed)"]
    if n_empty and empty == "direct":
        notes.append(f"{n_empty:,} rows with an empty path credited to {DIRECT_NONE!r}")
    elif n_empty:  # drop
        accounting = accounting.with_dropped("empty path", n_empty, column=path)
        if n_empty == len(frame):
            msg = (
                f"No rows of the paths frame are usable: {accounting}."
                "\nHint: pass empty='direct' to credit them to '(direct/none)'."
            )
            raise EmptyFrameError(msg)
    used = paths.row_target >= 0

    def total(role: str) -> npt.NDArray[np.float64]:
        values = counts.get(role, np.zeros(len(frame)))
        return weighted_bincount(paths.row_target[used], values[used], paths.n_paths)

    return Journeys(
        channels=paths.channels,
        offsets=paths.offsets,
        touches=paths.touches,
        conversions=total("conversions"),
        value=total("value"),
        nulls=total("null"),
        sep=sep,
        inputs={"paths": accounting},
        notes=tuple(notes),
    )


def _read(
    data: object, *, path: str, conversions: str, value: str | None, null: str | None
) -> tuple[pd.DataFrame, Table, dict[str, npt.NDArray[np.float64]]]:
    """The frame, its validated columns, and the checked counts per role."""
    frame = as_frame(data, frame_name="paths")
    cols = [Column("path", path, "category", required=False)]
    cols.append(Column("conversions", conversions, "number", required=False))
    if value is not None:
        cols.append(Column("value", value, "number", required=False))
    if null is not None:
        cols.append(Column("null", null, "number", required=False))
    table = validate(frame, cols, frame_name="paths")
    counts = {
        role: table.numbers[role]
        for role in ("conversions", "value", "null")
        if role in table.numbers
    }
    for role, values in counts.items():
        _check_counts(values, column=table.columns[role], index=frame.index)
        check_total(values, f"Column {table.columns[role]!r} of the paths frame")
    return frame, table, counts


@attrs.frozen
class _Paths:
    """The journeys' paths: channels, CSR touches, and each row's path (-1: dropped)."""

    channels: tuple[str, ...]
    offsets: npt.NDArray[np.int64]
    touches: npt.NDArray[np.int64]
    row_target: npt.NDArray[np.int64]
    n_paths: int


@attrs.frozen
class _Tokens:
    """The distinct path strings split into channel names."""

    lengths: npt.NDArray[np.int64]  # tokens per distinct path
    touch_chan: npt.NDArray[np.int64]  # channel code per token
    channels: list[str]  # channel names (stripped tokens), first appearance
    path_empty: npt.NDArray[np.bool_]  # distinct paths that are blank

    @classmethod
    def split(cls, table: Table, *, sep: str, path: str, index: pd.Index) -> _Tokens:
        """Split and check (no empty name inside a path) the distinct paths of ``table``."""
        labels = table.labels["path"]
        lengths, tok_codes, tok_uniques = _split_distinct(labels, sep=sep, column=path)
        stripped = [str(t).strip() for t in tok_uniques]
        blank_tok = np.array([not s for s in stripped], dtype=bool)
        touch_blank = blank_tok[tok_codes] if len(tok_codes) else np.zeros(0, dtype=bool)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        path_has_blank = (
            np.add.reduceat(touch_blank.astype(np.int64), offsets[:-1]) > 0
            if len(labels) > 0
            else np.zeros(0, dtype=bool)
        )
        path_empty = path_has_blank & (lengths == 1)
        broken = path_has_blank & ~path_empty
        if broken.any():
            first = int(np.flatnonzero(broken)[0])
            row = index[int(np.flatnonzero(table.codes["path"] == first)[0])]
            msg = (
                f"Column {path!r} of the paths frame must hold channel names separated by "
                f"{sep!r}; row {row!r} has an empty channel name: {labels[first]!r}."
                "\nHint: remove doubled, leading or trailing separators."
            )
            raise SchemaError(msg)
        chan_codes, chan_names = pd.factorize(pd.Index(stripped, dtype=object))
        touch_chan = (
            np.asarray(chan_codes, dtype=np.int64)[tok_codes]
            if len(tok_codes)
            else np.zeros(0, np.int64)
        )
        return cls(lengths, touch_chan, [str(c) for c in chan_names], path_empty)

    def empty_rows(self, row_path: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Rows whose path is missing or blank."""
        if not len(self.path_empty):
            return np.ones(len(row_path), dtype=bool)
        return (row_path < 0) | self.path_empty[np.maximum(row_path, 0)]

    def kept_paths(
        self, row_path: npt.NDArray[np.int64], row_empty: npt.NDArray[np.bool_], *, direct: bool
    ) -> _Paths:
        """The non-blank paths (plus one ``"(direct/none)"`` path for the blank rows when
        ``direct``), rows re-pointed at them; channels seen only in blank paths left out."""
        keep_path = ~self.path_empty
        path_new = np.cumsum(keep_path) - 1
        n_keep = int(keep_path.sum())
        row_target = np.where(
            row_empty, -1, path_new[np.maximum(row_path, 0)] if len(keep_path) else -1
        )
        touches = self.touch_chan[np.repeat(keep_path, self.lengths)]
        offsets = np.concatenate([[0], np.cumsum(self.lengths[keep_path])]).astype(np.int64)
        channels = list(self.channels)
        if direct and row_empty.any():
            if DIRECT_NONE not in channels:
                channels.append(DIRECT_NONE)
            row_target = np.where(row_empty, n_keep, row_target)
            touches = np.concatenate([touches, [channels.index(DIRECT_NONE)]])
            offsets = np.concatenate([offsets, [offsets[-1] + 1]])
            n_keep += 1
        present = np.unique(touches)
        if len(present) < len(channels):  # re-code the survivors
            recode = np.full(len(channels), -1, dtype=np.int64)
            recode[present] = np.arange(len(present))
            touches = recode[touches]
            channels = [channels[i] for i in present]
        return _Paths(tuple(channels), offsets, touches, row_target.astype(np.int64), n_keep)


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
