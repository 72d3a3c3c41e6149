"""The :class:`Lifecycle` spec and its result: who is new, returning, resurrecting or dormant.

Semantics (those of PostHog's lifecycle insight), for users active in a period (they did
``event`` in it):

* **new**: the period of the user's first ``event`` in the data;
* **returning**: active in the previous period too;
* **resurrecting**: not active in the previous period, active in some earlier one;
* **dormant**: active in the previous period but not in this one, counted as a negative
  number of users.

Periods run from the first active period to the last period of the data. ``by=``: a user
keeps the segment of their first ``event`` (the first row on ties), so statuses add up
across segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import ColumnName, Columns, Timestamp, validate_params
from ..engines import LifecycleCells, LifecycleQuery, implementation
from ..engines.memory.retention import STATUSES, period_starts
from ..errors import EmptyFrameError
from ..results import Provenance, ResultMixin, Summary
from ..stages import StageMatcher
from ._retention import MATCHER, PERIOD, as_by, check_tz, segment_rank, to_matcher

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["STATUSES", "Lifecycle", "LifecycleResult"]

IntArray = npt.NDArray[np.int64]


@attrs.frozen
class Lifecycle:
    """Lifecycle spec; :meth:`compute` returns a :class:`LifecycleResult`.

    Parameters
    ----------
    event
        The activity (event name or :class:`~linkstar_funnel.Stage`).
    period
        Calendar bucket: ``"D"``, ``"W"`` (ISO weeks from Monday) or ``"M"``.
    tz
        Zone whose calendar defines the periods (``None``: the data's own).

    Examples
    --------
    >>> import pandas as pd
    >>> from linkstar_funnel.retention import Lifecycle
    >>> events = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-04",
    ...                                  "2026-01-02"]),
    ...     "event": "order",
    ... })
    >>> res = Lifecycle("order", period="D").compute(events)
    >>> res.to_frame().pivot(index="period", columns="status", values="users")[
    ...     ["new", "returning", "resurrecting", "dormant"]]
    status      new  returning  resurrecting  dormant
    period
    2026-01-01    1          0             0        0
    2026-01-02    1          1             0        0
    2026-01-03    0          0             0       -2
    2026-01-04    0          0             1        0
    """

    event: StageMatcher = attrs.field(converter=to_matcher, validator=MATCHER)
    period: Literal["D", "W", "M"] = attrs.field(default="W", validator=PERIOD)
    tz: str | None = attrs.field(default="UTC", validator=check_tz)

    @validate_params(
        user=ColumnName(),
        time=ColumnName(),
        event=ColumnName(),
        by=[None, ColumnName(), Columns()],
        observation_end=[None, Timestamp()],
    )
    def compute(
        self,
        events: object,
        *,
        user: str = "user_id",
        time: str = "timestamp",
        event: str = "event",
        by: str | Sequence[str] | None = None,
        observation_end: object = None,
    ) -> LifecycleResult:
        """Users per period and status.

        Parameters
        ----------
        events
            One row per event; never modified. Rows with a missing user, time or event are
            dropped and counted.
        user, time, event
            Column names.
        by
            Segment column(s): a user keeps the value of their first matching event.
        observation_end
            Events at or after this time are dropped (a naive time is read in ``tz``).

        Raises
        ------
        EmptyFrameError
            No event matches ``event``.
        """
        owner = "Lifecycle.compute"
        by_cols = as_by(by, owner)
        query = LifecycleQuery(
            user=user,
            time=time,
            event=event,
            activity=self.event,
            period=self.period,
            tz=self.tz,
            by=by_cols,
            observation_end=observation_end,
            owner=owner,
        )
        _, lifecycle_cells = implementation(events, "lifecycle_cells")
        cells: LifecycleCells = lifecycle_cells(events, query)
        if not cells.active_rows:
            msg = (
                f"No event matches the stage {self.event.name!r}: nobody is active."
                "\nHint: check the event names, 'where' filters and the event column."
            )
            raise EmptyFrameError(msg)
        rank = segment_rank(cells.segments, by_cols)
        counts = np.empty_like(cells.counts)
        counts[:, rank] = cells.counts
        segments = cells.segments.iloc[np.argsort(rank)].reset_index(drop=True)
        frame = _frame(counts, segments, by_cols, cells.first_period, self.period, cells.end_wall)
        notes = (f"periods: {self.period} in {cells.tz or 'the data zone'}", *cells.notes)
        prov = Provenance(self, {"events": cells.accounting}, notes)
        return LifecycleResult(frame, by_cols, self.period, prov)


def _frame(
    counts: IntArray,
    segments: pd.DataFrame,
    by: tuple[str, ...],
    p0: int,
    period: str,
    end: int,
) -> pd.DataFrame:
    n_periods, g, k = counts.shape
    numbers = np.arange(n_periods, dtype=np.int64) + p0
    starts = period_starts(numbers, period)
    ends = period_starts(numbers + 1, period).asi8
    out: dict[str, Any] = {"period": np.repeat(starts, g * k)}
    for b in by:
        labels = segments[b].to_numpy(dtype=object, copy=True)
        labels[pd.isna(labels)] = None  # a missing value as every backend labels it
        out[b] = np.tile(np.repeat(labels, k), n_periods)
    frame = pd.DataFrame(out)
    frame["status"] = np.tile(np.array(STATUSES, dtype=object), n_periods * g)
    frame["users"] = counts.reshape(-1)
    frame["complete"] = np.repeat(ends <= end, g * k)
    return frame


@attrs.frozen(eq=False)
class LifecycleResult(ResultMixin):
    """Users per period (and segment) and status.

    Columns of :meth:`to_frame`: ``period`` (its start, wall clock of ``tz``), the ``by``
    columns, ``status`` (``new``, ``returning``, ``resurrecting``, ``dormant``), ``users``
    (dormant as negative counts) and ``complete`` (the period ends within the data).
    """

    frame: pd.DataFrame = attrs.field(repr=False)
    by: tuple[str, ...]
    period: str
    provenance: Provenance = attrs.field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The long table (a copy)."""
        return self.frame.copy()

    def summary(self) -> Summary:
        """Totals per status and the quick ratio (new + resurrecting) / dormant."""
        f = self.frame
        tot = f.groupby("status", sort=False)["users"].sum().reindex(list(STATUSES))
        gained = int(tot["new"] + tot["resurrecting"])
        lost = -int(tot["dormant"])
        quick = f"{gained / lost:.2f}" if lost else "n/a (no dormant users)"
        facts = (
            ("periods", f"{f['period'].nunique():,} ({self.period})"),
            *((s, f"{int(tot[s]):,}") for s in STATUSES),
            ("quick ratio (new + resurrecting) / dormant", quick),
        )
        return Summary("Lifecycle", facts=facts, notes=tuple(self.provenance.lines()))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Stacked bars per period (segments pooled): dormant below zero."""
        from ._plot import plot_lifecycle

        return plot_lifecycle(self.frame, self.period, ax=ax, **kwargs)
