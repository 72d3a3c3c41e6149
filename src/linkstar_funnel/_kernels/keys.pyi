"""Types of the compiled key-factorizing kernels (:mod:`linkstar_funnel._kernels.keys`)."""

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "_insert",
    "_lookup",
    "_lookup_strings",
    "_number_range",
    "_number_strings",
    "_rehash",
    "_rehash_strings",
    "_renumber",
    "first_seen_codes",
    "first_seen_small",
]

_Ints: TypeAlias = npt.NDArray[np.int64]
_Hashes: TypeAlias = npt.NDArray[np.uint64]
_Bytes: TypeAlias = npt.NDArray[np.uint8]
#: A range's distinct strings: hashes, arena entries, first rows, and the arena.
_StringUniques: TypeAlias = tuple[_Hashes, _Ints, _Ints, _Bytes]

def _insert(
    values: _Ints, i: int, hi: int, table: _Ints, bits: int, codes: _Ints, uniques: _Ints, k: int
) -> tuple[int, int]: ...
def _rehash(uniques: _Ints, k: int, bits: int) -> _Ints: ...
def _number_range(values: _Ints, lo: int, hi: int, codes: _Ints) -> tuple[_Ints, int, _Ints]: ...
def _lookup(table: _Ints, bits: int, keys: _Ints, lo: int, hi: int, out: _Ints) -> None: ...
def _renumber(codes: _Ints, lo: int, hi: int, remap: _Ints) -> None: ...
def first_seen_codes(values: _Ints, lo: int, span: int) -> tuple[_Ints, _Ints]: ...
def _rehash_strings(hashes: _Hashes, entries: _Ints, k: int, bits: int) -> _Ints: ...
def _number_strings(
    pieces: list[tuple[Any, ...]], n_rows: int, codes: _Ints
) -> tuple[_Ints, int, _StringUniques]: ...
def _lookup_strings(
    table: _Ints,
    bits: int,
    arena: _Bytes,
    key_hashes: _Hashes,
    key_entries: _Ints,
    key_arena: _Bytes,
    lo: int,
    hi: int,
    out: _Ints,
) -> None: ...
def first_seen_small(
    values: npt.NDArray[np.signedinteger[Any]], span: int
) -> tuple[_Ints, _Ints]: ...
