"""The linear pass over every entity and its attempts: compiled, in
:mod:`linkstar_funnel._kernels.funnel` (built when the package is installed).

Rows come grouped by entity and time-ordered from :mod:`._funnel_sort`.

Conventions (all arrays int64): stages are 0-based bits of ``ms`` (row -> stages matched);
``xs`` holds exclusion bits; ``NEG`` marks "no chain". Per entity and attempt the pass
fills ``reach_pos[s]`` (sorted position of the row serving stage ``s`` when the entity
first reached it, -1 if never) and ``reach_start[s]`` (start time of the chain with the
latest start among those reaching ``s`` first). The semantics are documented in
``linkstar_funnel.funnel``'s ``Funnel``; ``tests/funnel/reference.py`` states them as plain
Python. The options come as one :class:`PassOptions` record, unpacked at the kernel's
boundary.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..._kernels.funnel import (
    CH_DEDUPLICATION,
    CH_INCREASE,
    CH_ORDER,
    CH_REENTRY,
    NEG,
    ORDERED,
    STRICT,
    UNORDERED,
    funnel_pass,
)

__all__ = [
    "CH_DEDUPLICATION",
    "CH_INCREASE",
    "CH_ORDER",
    "CH_REENTRY",
    "NEG",
    "ORDERED",
    "STRICT",
    "UNORDERED",
    "PassOptions",
    "funnel_pass",
]


class PassOptions(NamedTuple):
    """The kernel pass's options, lowered from a ``FunnelQuery`` (times in ns since t0).

    ``mode`` is :data:`ORDERED`, :data:`STRICT` or :data:`UNORDERED`; ``gaps`` one
    maximum gap per transition (int64 max: none); ``ex_from`` / ``ex_to`` 0-based steps of
    the exclusions (bit ``x`` of ``xs``); ``attribution`` -1 first touch, -2 last touch,
    else the 0-based step whose event gives the segment; ``clickhouse`` the ClickHouse
    ``windowFunnel`` mode flags (``CH_*`` OR-ed; 0: the library's own semantics).
    """

    k_n: int
    window: int
    gaps: Any
    has_gaps: bool
    mode: int
    entry_first: bool
    strict_inc: bool
    distinct: bool
    noise_breaks: bool
    totals: bool
    ex_from: Any
    ex_to: Any
    attribution: int
    clickhouse: int = 0
