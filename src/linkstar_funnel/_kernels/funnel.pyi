"""Types of the compiled funnel pass (:mod:`linkstar_funnel._kernels.funnel`)."""

from typing import Any, Final, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "CH_DEDUPLICATION",
    "CH_INCREASE",
    "CH_ORDER",
    "CH_REENTRY",
    "NEG",
    "ORDERED",
    "STRICT",
    "UNORDERED",
    "funnel_pass",
]

CH_DEDUPLICATION: Final[int]
CH_ORDER: Final[int]
CH_INCREASE: Final[int]
CH_REENTRY: Final[int]
NEG: Final[int]
ORDERED: Final[int]
STRICT: Final[int]
UNORDERED: Final[int]

_Ints: TypeAlias = npt.NDArray[np.int64]
_Bits: TypeAlias = npt.NDArray[np.signedinteger[Any]]

class _Options(Protocol):
    """What the pass reads of its options record (``PassOptions``)."""

    @property
    def k_n(self) -> int: ...
    @property
    def window(self) -> int: ...
    @property
    def gaps(self) -> Any: ...
    @property
    def has_gaps(self) -> bool: ...
    @property
    def mode(self) -> int: ...
    @property
    def entry_first(self) -> bool: ...
    @property
    def strict_inc(self) -> bool: ...
    @property
    def distinct(self) -> bool: ...
    @property
    def noise_breaks(self) -> bool: ...
    @property
    def totals(self) -> bool: ...
    @property
    def ex_from(self) -> Any: ...
    @property
    def ex_to(self) -> Any: ...
    @property
    def attribution(self) -> int: ...
    @property
    def clickhouse(self) -> int: ...

def funnel_pass(
    starts: _Ints,
    ts: _Ints,
    ms: _Bits,
    xs: _Bits,
    seg: _Ints,
    opts: _Options,
    dense: bool,
    d_level: npt.NDArray[np.int8],
    d_seg: _Ints,
) -> tuple[_Ints, npt.NDArray[np.int8], _Ints, _Ints, _Ints, _Ints]: ...
