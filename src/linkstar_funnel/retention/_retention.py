"""The :class:`Retention` spec: do users who did ``start`` come back to do ``returning``?

Semantics (those of PostHog's retention insight):

* Periods are calendar buckets in ``tz``: days, ISO weeks (Monday to Sunday) or months.
* ``cohort="first"``: a user's cohort is the period of their first ``start`` event;
  ``cohort="recurring"``: every period in which the user did ``start`` opens a cohort
  membership of its own.
* Period 0 is the cohort period: every member counts (rate 1 by definition). With
  ``returns="classic"`` a member is retained at ``n ≥ 1`` if a ``returning`` event falls in
  period ``cohort + n``; with ``returns="unbounded"``, in ``cohort + n`` or any later period.
* A cell is ``complete`` when period ``cohort + n`` ends at or before the end of the data;
  incomplete cells count what has been seen so far and are never drawn as real drops.
* ``by=``: a membership's segment is the ``by`` value of the earliest ``start`` event of
  that user in the cohort period (the first row on ties).
* ``value=``: revenue of the ``returning`` events per period ``cohort + n`` (n ≥ 0), and
  net revenue retention (revenue at ``n`` over revenue at 0) per cohort.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import (
    ColumnName,
    Columns,
    Integer,
    Options,
    Satisfies,
    Timestamp,
    check_param,
    validate_params,
)
from .._times import check_time_zone
from ..engines import RetentionCells, RetentionQuery, implementation
from ..engines.memory.retention import period_starts
from ..errors import DataQualityWarning, EmptyFrameError, ParameterError
from ..results import Provenance
from ..stages import Stage, StageMatcher
from ._result import RetentionResult

__all__ = [
    "MATCHER",
    "PERIOD",
    "TZ",
    "Retention",
    "as_by",
    "check_tz",
    "segment_rank",
    "to_matcher",
]

_OWNER = "Retention"
PERIOD = Options("D", "W", "M")
TZ = [None, Satisfies(lambda v: isinstance(v, str) and bool(v), "an IANA time zone name")]


def check_tz(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: ``None`` or an IANA zone name that exists."""
    check_param(type(instance).__name__, attribute.name, value, TZ)
    check_time_zone(value, param=attribute.name)


MATCHER = Satisfies(
    lambda v: (
        (isinstance(v, str) and bool(v))
        or (isinstance(v, StageMatcher) and isinstance(v.name, str) and bool(v.name))
    ),
    "an event name or a StageMatcher with a name (e.g. Stage('order'))",
)
#: Names of the result's own columns; a ``by`` column must not take one.
OUTPUT_COLUMNS = (
    "cohort",
    "period",
    "users",
    "retained",
    "rate",
    "complete",
    "revenue",
    "nrr",
    "status",
    "cohorts",
    "low",
    "high",
)


def to_matcher(value: object) -> StageMatcher:
    """A stage from an event name or a matcher."""
    return Stage(value) if isinstance(value, str) else value  # type: ignore[return-value]


def _optional_matcher(value: object) -> StageMatcher | None:
    return None if value is None else to_matcher(value)


def as_by(by: str | Sequence[str] | None, owner: str) -> tuple[str, ...]:
    """``by`` as a tuple of column names, none named like an output column."""
    out = () if by is None else (by,) if isinstance(by, str) else tuple(by)
    clash = [b for b in out if b in OUTPUT_COLUMNS]
    if clash or len(set(out)) != len(out):
        what = f"named like an output column ({clash[0]!r})" if clash else "repeated"
        msg = (
            f"The 'by' parameter of {owner} must name distinct segment columns not named "
            f"like the result's columns {list(OUTPUT_COLUMNS)}. Got {list(out)!r}: {what}."
            "\nHint: rename the column first, e.g. df.rename(columns={'status': 'state'})."
        )
        raise ParameterError(msg)
    return out


@attrs.frozen
class Retention:
    """Retention table spec; :meth:`compute` returns a :class:`RetentionResult`.

    Parameters
    ----------
    start
        The event (name or :class:`~linkstar_funnel.Stage`) that puts a user in a cohort.
    returning
        The event that counts as coming back (default: the same as ``start``).
    period
        Calendar bucket: ``"D"``, ``"W"`` (ISO weeks from Monday) or ``"M"``.
    periods
        Periods after the cohort period to follow (the table has ``0..periods``).
    cohort
        ``"first"`` (cohort of the first ``start`` event) or ``"recurring"`` (every period
        with a ``start`` event).
    returns
        ``"classic"`` (a return in exactly period ``cohort + n``) or ``"unbounded"`` (in
        ``cohort + n`` or later).
    tz
        Zone whose calendar defines the periods (``None``: the data's own zone, or the
        naive clock).

    Examples
    --------
    >>> import pandas as pd
    >>> from linkstar_funnel.retention import Retention
    >>> events = pd.DataFrame({
    ...     "user_id": ["a", "a", "b", "b", "c"],
    ...     "timestamp": pd.to_datetime(["2026-01-05", "2026-01-13", "2026-01-06",
    ...                                  "2026-01-21", "2026-01-14"]),
    ...     "event": "order",
    ... })
    >>> res = Retention("order", period="W", periods=2).compute(events)
    >>> res.to_frame()[["cohort", "period", "users", "retained", "rate", "complete"]]
          cohort  period  users  retained  rate  complete
    0 2026-01-05       0      2         2   1.0      True
    1 2026-01-05       1      2         1   0.5      True
    2 2026-01-05       2      2         1   0.5     False
    3 2026-01-12       0      1         1   1.0      True
    4 2026-01-12       1      1         0   0.0     False
    5 2026-01-12       2      1         0   0.0     False
    """

    start: StageMatcher = attrs.field(converter=to_matcher, validator=MATCHER)
    returning: StageMatcher | None = attrs.field(
        default=None, converter=_optional_matcher, validator=attrs.validators.optional(MATCHER)
    )
    period: Literal["D", "W", "M"] = attrs.field(default="W", validator=PERIOD)
    periods: int = attrs.field(default=12, validator=Integer(1, 1000))
    cohort: Literal["first", "recurring"] = attrs.field(
        default="first", validator=Options("first", "recurring")
    )
    returns: Literal["classic", "unbounded"] = attrs.field(
        default="classic", validator=Options("classic", "unbounded")
    )
    tz: str | None = attrs.field(default="UTC", validator=check_tz)

    @property
    def returning_stage(self) -> StageMatcher:
        """The returning event (``start`` when not given)."""
        return self.start if self.returning is None else self.returning

    @validate_params(
        user=ColumnName(),
        time=ColumnName(),
        event=ColumnName(),
        by=[None, ColumnName(), Columns()],
        value=[None, ColumnName()],
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
        value: str | None = None,
        observation_end: object = None,
    ) -> RetentionResult:
        """The retention table of ``events``.

        Parameters
        ----------
        events
            One row per event (pandas, or anything with ``to_pandas()``); never modified.
            Rows with a missing user, time or event are dropped and counted.
        user, time, event
            Column names.
        by
            Segment column(s); see the module docstring for which value a user takes.
        value
            Revenue column of the ``returning`` events (missing values count as 0).
        observation_end
            Events at or after this time are dropped (a naive time is read in ``tz``);
            default: just after the last event. Cells are complete up to it.

        Returns
        -------
        RetentionResult

        Raises
        ------
        EmptyFrameError
            No event matches ``start``.
        """
        owner = "Retention.compute"
        by_cols = as_by(by, owner)
        query = RetentionQuery(
            user=user,
            time=time,
            event=event,
            start=self.start,
            returning=self.returning_stage,
            period=self.period,
            periods=self.periods,
            tz=self.tz,
            cohort=self.cohort,
            returns=self.returns,
            by=by_cols,
            value=value,
            observation_end=observation_end,
            owner=owner,
        )
        _, retention_cells = implementation(events, "retention_cells")
        cells: RetentionCells = retention_cells(events, query)
        if not cells.start_rows:
            msg = (
                f"No event matches the start stage {self.start.name!r}: there is no cohort."
                "\nHint: check the event names, 'where' filters and the event column."
            )
            raise EmptyFrameError(msg)
        if not cells.returning_rows:
            warnings.warn(
                f"No event matches the returning stage {self.returning_stage.name!r}: "
                "every retention rate after period 0 is 0.",
                DataQualityWarning,
                stacklevel=3,
            )
        frame = _frame(cells, by_cols, self)
        notes = (f"periods: {self.period} in {cells.tz or 'the data zone'}", *cells.notes)
        prov = Provenance(self, {"events": cells.accounting}, notes)
        return RetentionResult(frame, by_cols, self.period, value is not None, prov)


def segment_rank(segments: pd.DataFrame, by: tuple[str, ...]) -> npt.NDArray[np.int64]:
    """Rank of each segment in the result's order: by label, missing values last (the same
    order whatever backend numbered the segments)."""
    n = len(segments)
    if not by or n <= 1:
        return np.zeros(n, dtype=np.int64)
    order = segments.reset_index(drop=True).sort_values(list(by), na_position="last", kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order.index.to_numpy()] = np.arange(n)
    return rank


def _frame(cells: RetentionCells, by: tuple[str, ...], spec: Retention) -> pd.DataFrame:
    rank = segment_rank(cells.segments, by)
    sort = np.lexsort((rank[cells.segment], cells.cohort)) if len(cells.cohort) else slice(None)
    cohorts, seg = cells.cohort[sort], cells.segment[sort]
    retained_cells = cells.retained[sort]
    revenue_cells = None if cells.revenue is None else cells.revenue[sort]
    end = cells.end_wall
    segments = cells.segments
    k = spec.periods + 1
    n_cells = len(cohorts)
    n = np.tile(np.arange(k, dtype=np.int64), n_cells)
    cohort = np.repeat(cohorts, k)
    users = np.repeat(cells.users[sort], k)
    retained = retained_cells.reshape(-1)
    ends = period_starts(cohort + n + 1, spec.period).asi8
    out: dict[str, Any] = {"cohort": period_starts(cohort, spec.period)}
    for b in by:
        labels = segments[b].to_numpy(dtype=object, copy=True)
        labels[pd.isna(labels)] = None  # a missing value as every backend labels it
        out[b] = np.repeat(labels[seg], k)
    frame = pd.DataFrame(out)
    frame["period"] = n
    frame["users"] = users
    frame["retained"] = retained
    frame["rate"] = retained / users
    frame["complete"] = ends <= end
    if revenue_cells is not None:
        revenue = revenue_cells.reshape(-1)
        base = np.repeat(revenue_cells[:, 0], k)
        frame["revenue"] = revenue
        zero = base == 0
        if zero.any():
            warnings.warn(
                f"{int(zero.sum() // k):,} cohort(s) have no revenue in period 0: their net "
                "revenue retention (revenue at n / revenue at 0) is NaN.",
                DataQualityWarning,
                stacklevel=4,
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["nrr"] = np.where(zero, np.nan, revenue / np.where(zero, 1.0, base))
    return frame
