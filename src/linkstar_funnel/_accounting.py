"""Row accounting: rows in, rows used, and rows dropped by reason (carried by every result)."""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd

from .errors import ParameterError

__all__ = ["DroppedRows", "RowAccounting"]


@attrs.frozen
class DroppedRows:
    """Rows left out of a computation for one reason."""

    reason: str
    count: int
    column: str | None = None

    def __str__(self) -> str:
        where = f" (column {self.column!r})" if self.column else ""
        return f"{self.count:,} {self.reason}{where}"


@attrs.frozen
class RowAccounting:
    """How many rows came in, how many were used, and why the others were dropped.

    Examples
    --------
    >>> acc = RowAccounting(rows_in=10).with_dropped("missing user", 3, column="user_id")
    >>> acc.rows_used
    7
    >>> acc.to_frame()
             reason   column  rows
    0  missing user  user_id     3
    """

    rows_in: int
    dropped: tuple[DroppedRows, ...] = ()

    @property
    def rows_dropped(self) -> int:
        """Total rows dropped, all reasons."""
        return sum(d.count for d in self.dropped)

    @property
    def rows_used(self) -> int:
        """Rows that reached the computation."""
        return self.rows_in - self.rows_dropped

    def with_dropped(self, reason: str, count: int, *, column: str | None = None) -> RowAccounting:
        """Return a copy that also records ``count`` rows dropped for ``reason`` (if any)."""
        if count < 0:
            msg = f"A dropped-row count must be ≥ 0. Got {count} for {reason!r}."
            raise ParameterError(msg)
        if count == 0:
            return self
        return attrs.evolve(self, dropped=(*self.dropped, DroppedRows(reason, int(count), column)))

    def to_frame(self) -> pd.DataFrame:
        """One row per drop reason: ``reason``, ``column``, ``rows``."""
        return pd.DataFrame(
            {
                "reason": [d.reason for d in self.dropped],
                "column": [d.column for d in self.dropped],
                "rows": np.array([d.count for d in self.dropped], dtype=np.int64),
            }
        )

    def __str__(self) -> str:
        head = (
            f"{self.rows_in:,} {'row' if self.rows_in == 1 else 'rows'} in, {self.rows_used:,} used"
        )
        if not self.dropped:
            return head + ", none dropped"
        return f"{head}, {self.rows_dropped:,} dropped: " + ", ".join(map(str, self.dropped))
