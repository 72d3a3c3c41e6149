"""Capability ``kpi_leaf_sums``: a KPI tree's leaf columns summed per period and segment.

The KPI package lowers ``KPITree.evaluate`` to a :class:`KPILeafSumsQuery` (which columns
are keys, which are leaves, whether rows are summed), asks the dispatch for the backend
that takes the input and evaluates the tree, once, on the :class:`KPILeafSums` it gets
back. Backends only read, drop (and count) and sum; they know nothing of trees.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.engines.memory.kpi import kpi_leaf_sums
>>> frame = pd.DataFrame({"month": ["2024-01", "2024-01", "2024-02"],
...                       "sessions": [10.0, 20.0, None]})
>>> query = KPILeafSumsQuery(leaves=(("sessions", "sessions"),), period="month")
>>> out = kpi_leaf_sums(frame, query)
>>> out.keys
     month
0  2024-01
>>> out.sums["sessions"], out.rows
(array([30.]), array([2]))
>>> print(out.accounting)
3 rows in, 2 used, 1 dropped: 1 missing sessions (column 'sessions')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._accounting import RowAccounting
from .._validators import bad_parameter

__all__ = ["KPILeafSums", "KPILeafSumsEngine", "KPILeafSumsQuery"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_OWNER = "KPILeafSumsQuery"


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    out = tuple(value) if isinstance(value, tuple | list) else None
    if out is None or not all(isinstance(v, str) for v in out):
        raise bad_parameter(_OWNER, "by", "a tuple of column names", value)
    return out


def _pairs(value: object) -> tuple[tuple[str, str], ...]:
    expected = "a tuple of (leaf name, column name) pairs"
    if not isinstance(value, tuple | list):
        raise bad_parameter(_OWNER, "leaves", expected, value)
    out: list[tuple[str, str]] = []
    for pair in value:
        if not (
            isinstance(pair, tuple | list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and isinstance(pair[1], str)
        ):
            raise bad_parameter(_OWNER, "leaves", expected, pair)
        out.append((pair[0], pair[1]))
    return tuple(out)


def _optional_name(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise bad_parameter(_OWNER, attribute.name, "a column name or None", value)


@attrs.frozen
class KPILeafSumsQuery:
    """What to read and sum: the options record of the ``kpi_leaf_sums`` capability.

    Rows with a missing key or leaf value are dropped and counted, in the order period,
    ``by`` columns, leaves (a row is counted once, for its first missing column); reasons
    read ``"missing period"``, ``"missing segment <column>"``, ``"missing <leaf>"``.

    Parameters
    ----------
    leaves
        ``(leaf name, column name)`` pairs: the number columns to sum, under the names the
        output uses (two leaves may read the same column).
    period
        The period key column, if any (labels such as ``"2024-01"``; compared as given).
    by
        Segment key columns.
    aggregate
        ``True``: rows with the same keys are summed, one output row per key (without
        keys, one row in all). ``False``: each kept row is its own output row, as given
        (frames already holding one row per period and segment).
    frame_name
        How messages name the input (``"the KPI frame"``).
    """

    leaves: tuple[tuple[str, str], ...] = attrs.field(converter=_pairs)
    period: str | None = attrs.field(default=None, validator=_optional_name)
    by: tuple[str, ...] = attrs.field(default=(), converter=_names)
    aggregate: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    frame_name: str = attrs.field(default="KPI", validator=attrs.validators.instance_of(str))

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The key columns, period first, in the order of the output's ``keys``."""
        return ((self.period,) if self.period else ()) + self.by

    @property
    def roles(self) -> tuple[tuple[str, str], ...]:
        """``(role, column)`` of every column read, in the order drops are counted."""
        keys = [("period", self.period)] if self.period else []
        keys += [(f"segment {s}", s) for s in self.by]
        return (*keys, *self.leaves)


@attrs.frozen(eq=False)
class KPILeafSums:
    """Leaf sums per key and the row accounting: the output of ``kpi_leaf_sums``.

    Attributes
    ----------
    keys
        One row per output row, one column per key column (``query.key_columns``; no
        columns without keys), on a ``RangeIndex``. Row order is the backend's.
    sums
        Leaf name -> float64 sum per output row.
    rows
        Input rows summed into each output row (1 everywhere when not aggregating).
    accounting
        Rows in, used, and dropped by reason.
    notes
        What the backend wants said in the result's provenance (which engine, the SQL).
    """

    keys: pd.DataFrame
    sums: Mapping[str, FloatArray]
    rows: IntArray
    accounting: RowAccounting
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.rows)


class KPILeafSumsEngine(Protocol):
    """``kpi_leaf_sums(source, query) -> KPILeafSums``, as every backend implements it.

    Raises
    ------
    ColumnNotFoundError
        A key or leaf column is missing.
    SchemaError
        A leaf column does not hold numbers (or holds infinite values).
    EmptyFrameError
        May be raised when no row is usable (the caller checks it too).
    EngineError
        A SQL engine failed; the generated SQL is attached.
    """

    def __call__(self, source: object, query: KPILeafSumsQuery, /) -> KPILeafSums: ...
