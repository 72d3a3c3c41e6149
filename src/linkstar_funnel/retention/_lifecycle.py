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
from ..engines.memory.retention import distinct, first_rows, period_starts, read_events
from ..errors import EmptyFrameError
from ..results import Provenance, ResultMixin, Summary
from ..stages import StageMatcher
from ._retention import MATCHER, PERIOD, as_by, check_tz, to_matcher

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["STATUSES", "Lifecycle", "LifecycleResult"]

IntArray = npt.NDArray[np.int64]
#: The statuses, in the order of the result's rows.
STATUSES = ("new", "returning", "resurrecting", "dormant")


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
        ev = read_events(
            events,
            user=user,
            time=time,
            event=event,
            by=by_cols,
            value=None,
            matchers=(self.event,),
            period=self.period,
            tz=self.tz,
            observation_end=observation_end,
            owner=owner,
        )
        act = ev.masks[0]
        if not act.any():
            msg = (
                f"No event matches the stage {self.event.name!r}: nobody is active."
                "\nHint: check the event names, 'where' filters and the event column."
            )
            raise EmptyFrameError(msg)
        au, ap = ev.user[act], ev.period[act]
        p0 = int(ap.min())
        p_last = max(ev.last_period, int(ap.max()))
        span = p_last - p0 + 2
        pairs = distinct(au * span + (ap - p0), (int(au.max()) + 1) * span)
        u, p = pairs // span, pairs % span
        seg_of = np.zeros(int(au.max()) + 1, dtype=np.int64)
        if by_cols:
            users, rows = first_rows(au, ev.time[act])
            seg_of[users] = ev.segment[act][rows]
        counts = _statuses(u, p, seg_of[u], span - 1, max(len(ev.segments), 1))
        frame = _frame(counts, ev.segments, by_cols, p0, self.period, ev.end_wall)
        notes = (f"periods: {self.period} in {ev.tz or 'the data zone'}",)
        prov = Provenance(self, {"events": ev.accounting}, notes)
        return LifecycleResult(frame, by_cols, self.period, prov)


def _statuses(u: IntArray, p: IntArray, seg: IntArray, n_periods: int, g: int) -> IntArray:
    """Counts ``[period, segment, status]`` from distinct active (user, period) pairs sorted
    by user then period."""
    same_prev = np.r_[False, u[1:] == u[:-1]]
    prev_p = np.r_[-10, p[:-1]]
    same_next = np.r_[u[1:] == u[:-1], False]
    next_p = np.r_[p[1:], -10]
    status = np.where(~same_prev, 0, np.where(prev_p == p - 1, 1, 2))
    out = np.zeros((n_periods, g, 4), dtype=np.int64)
    flat = (p * g + seg) * 4 + status
    out += np.bincount(flat, minlength=n_periods * g * 4).reshape(n_periods, g, 4)
    gone = ~(same_next & (next_p == p + 1)) & (p + 1 < n_periods)
    d_flat = ((p[gone] + 1) * g + seg[gone]) * 4 + 3
    out -= np.bincount(d_flat, minlength=n_periods * g * 4).reshape(n_periods, g, 4)
    return out


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
        out[b] = np.tile(np.repeat(segments[b].to_numpy(dtype=object), k), n_periods)
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
