"""Types of the compiled pass-preparation kernels (:mod:`linkstar_funnel._kernels.sort`)."""

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["_count", "_fill_pointers", "_order_by_time", "_scatter"]

_Ints: TypeAlias = npt.NDArray[np.int64]
_Bits: TypeAlias = npt.NDArray[np.signedinteger[Any]]

def _count(
    lo: int,
    hi: int,
    ent: _Ints,
    ev: _Ints,
    lut: _Bits,
    extra: _Bits,
    xlut: _Bits,
    xextra: _Bits,
    keep_all: bool,
    counts: _Bits,
) -> None: ...
def _fill_pointers(counts: _Bits) -> _Ints: ...
def _scatter(
    lo: int,
    hi: int,
    ent: _Ints,
    ts: _Ints,
    ev: _Ints,
    lut: _Bits,
    extra: _Bits,
    xlut: _Bits,
    xextra: _Bits,
    seg: _Ints,
    keep_all: bool,
    t0: int,
    fill: _Bits,
    ts_s: _Ints,
    ms_s: _Bits,
    xs_s: _Bits,
    seg_s: _Ints,
) -> None: ...
def _order_by_time(
    starts: _Ints, e_lo: int, e_hi: int, ts_s: _Ints, ms_s: _Bits, xs_s: _Bits, seg_s: _Ints
) -> None: ...
