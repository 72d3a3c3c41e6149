"""Factorizing large integer id columns by direct addressing (a perfect hash).

Integer user ids usually fill a range not much wider than their count. Then one linear
pass with a lookup table indexed by ``id - min`` gives the same codes as ``pd.factorize``
(order of first appearance) several times faster, with no sort (the compiled kernel of
:mod:`linkstar_funnel._kernels.keys`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ._kernels.keys import first_seen_codes

__all__ = ["MIN_ROWS", "dense_factorize"]

#: Below this many rows ``pd.factorize`` is as fast.
MIN_ROWS = 1_000_000
#: The lookup table may hold at most this many slots per row (8 bytes each).
MAX_SPAN_PER_ROW = 4


def dense_factorize(
    values: npt.NDArray[np.integer[Any]], *, min_rows: int = MIN_ROWS
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Codes and uniques like ``pd.factorize(values)``, or ``None`` when not worth it.

    Returns ``None`` for fewer than ``min_rows`` values and for ids spread over a range
    wider than ``MAX_SPAN_PER_ROW`` times their count (the lookup table would be too large).

    Examples
    --------
    >>> codes, uniques = dense_factorize(np.array([7, 5, 7, 9]), min_rows=0)
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, 0, 2], [7, 5, 9])
    """
    n = values.size
    if n == 0 or n < min_rows:
        return None
    lo, hi = int(values.min()), int(values.max())
    span = hi - lo + 1
    if span > MAX_SPAN_PER_ROW * n or hi > np.iinfo(np.int64).max:
        return None
    codes, uniques = first_seen_codes(values.astype(np.int64, copy=False), lo, span)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=np.int64)
