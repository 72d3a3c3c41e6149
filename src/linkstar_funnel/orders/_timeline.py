"""``Timeline``: orders' status times, as events, lead times and outcome rates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import (
    ColumnName,
    Columns,
    Duration,
    Real,
    Satisfies,
    Timestamp,
    validate_params,
)
from .._validators import bad_parameter
from ..errors import ParameterError
from ..results import Provenance
from ._events import REPURCHASE, timeline_events
from ._lead_times import LeadTimeSpec, LeadTimesResult, lead_times
from ._observe import to_times
from ._rates import OrderRatesResult, RateSpec, order_rates
from ._read import OUTCOMES, OrderTimes, read_columns, read_history

__all__ = ["DEFAULT_STEPS", "Timeline"]

IntArray = npt.NDArray[np.int64]

#: The steps of an order, in order, unless told otherwise.
DEFAULT_STEPS: tuple[str, ...] = ("paid", "shipped", "delivered", "reviewed")


def _names(value: object) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) >= 1
        and all(isinstance(v, str) and v for v in value)
        and len(set(value)) == len(value)
    )


def _step_map(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and len(value) >= 1
        and all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items())
        and len(set(value.values())) == len(value)
    )


_BY = [None, Columns(), Satisfies(lambda v: isinstance(v, list | tuple) and not v, "an empty list")]
_STEPS_MAP = Satisfies(_step_map, "a mapping of step name -> time column, e.g. {'paid': 'paid_at'}")
_STEPS = Satisfies(_names, "a list of distinct status labels, in order")
_LABEL = [None, ColumnName()]
_END = [None, Timestamp()]
_ALPHA = Real(0, 1, closed="neither")
_PAIR_BY = _BY


def _sla(value: object) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and Duration().accepts(v) for k, v in value.items()
    )


def _by_list(by: str | Sequence[str] | None) -> tuple[str, ...]:
    return (by,) if isinstance(by, str) else tuple(by or ())


def _check_distinct(owner: str, roles: Mapping[str, str], by: tuple[str, ...]) -> None:
    seen: dict[str, str] = {}
    for role, name in [*roles.items(), *((f"by {b}", b) for b in by)]:
        if name in seen:
            raise bad_parameter(
                owner,
                role.removeprefix("by "),
                f"a column other than the {seen[name]} column",
                name,
            )
        seen[name] = role


@attrs.frozen(eq=False, repr=False)
class Timeline:
    """Orders with a time per status: paid, shipped, delivered, reviewed, refunded...

    Build it with :meth:`from_columns` (a time column per status) or :meth:`from_history`
    (a row per status change). Then :meth:`events` gives an event log a ``Funnel`` reads,
    :meth:`lead_times` the time between steps (orders still open are censored, not
    failures: Kaplan-Meier quantiles), and :meth:`rates` refund, return and cancel rates.

    Times that contradict each other (a status going backwards, a refund before payment,
    a step missing before a later one) are kept, counted in :meth:`data_quality` and in
    every result's provenance, and left out of the measures they contradict: a lead time
    is never negative.

    Attributes
    ----------
    data
        The orders as read (an internal record).
    order, customer
        The order and customer column names (used again by :meth:`events`).
    by
        Segment columns kept for ``by=`` of the analyses.
    """

    data: OrderTimes
    order: str
    customer: str
    by: tuple[str, ...]

    # ------------------------------------------------------------------ constructors

    @classmethod
    @validate_params(
        order=ColumnName(),
        customer=ColumnName(),
        steps=_STEPS_MAP,
        refunded=_LABEL,
        returned=_LABEL,
        cancelled=_LABEL,
        by=_BY,
        observation_end=_END,
    )
    def from_columns(
        cls,
        orders: object,
        *,
        order: str = "order_id",
        customer: str = "customer_id",
        steps: Mapping[str, str],
        refunded: str | None = None,
        returned: str | None = None,
        cancelled: str | None = None,
        by: str | Sequence[str] | None = (),
        observation_end: object = None,
    ) -> Timeline:
        """A timeline from one row per order with a time column per status.

        Parameters
        ----------
        orders
            The order table (never modified). Several rows of one order (order lines) are
            merged: the earliest time of each status, the smallest customer and segment
            labels (counted in :meth:`data_quality`).
        order, customer
            Order id and customer id columns.
        steps
            Step name -> time column, in the order an order goes through them, e.g.
            ``{"paid": "paid_at", "shipped": "shipped_at", "delivered": "delivered_at",
            "reviewed": "reviewed_at"}``. A missing time means the step has not happened.
        refunded, returned, cancelled
            Time columns of these outcomes, if any.
        by
            Segment columns to keep (``country``, ``channel``, ``carrier``, ``sku``...).
        observation_end
            When the data ends: statuses not reached by then are still open (censored).
            Default: the latest time in the data. Later times count as not yet happened.

        Raises
        ------
        ColumnNotFoundError
            A named column is missing.
        EmptyFrameError
            No row has an order, customer and at least one status time.
        TimeZoneError
            Time columns mix zone-aware and naive times.
        ParameterError
            Two roles name the same column, or a step is named like an outcome.

        Examples
        --------
        >>> import pandas as pd
        >>> from linkstar_funnel.orders import Timeline
        >>> t = pd.to_datetime
        >>> orders = pd.DataFrame({
        ...     "order_id": [1, 2, 3], "customer_id": ["a", "b", "a"],
        ...     "paid_at": t(["2026-03-01", "2026-03-01", "2026-03-09"]),
        ...     "shipped_at": t(["2026-03-02", "2026-03-04", None]),
        ...     "delivered_at": t(["2026-03-06", None, None]),
        ...     "refunded_at": t([None, "2026-03-08", None])})
        >>> tl = Timeline.from_columns(orders, steps={"paid": "paid_at",
        ...     "shipped": "shipped_at", "delivered": "delivered_at"}, refunded="refunded_at")
        >>> tl
        Timeline(orders=3, steps=paid -> shipped -> delivered, outcomes=refunded, observation_end=2026-03-09 00:00:00)
        >>> tl.events()[["customer_id", "timestamp", "event", "order_id"]]
          customer_id  timestamp        event  order_id
        0           a 2026-03-01         paid         1
        1           b 2026-03-01         paid         2
        2           a 2026-03-02      shipped         1
        3           b 2026-03-04      shipped         2
        4           a 2026-03-06    delivered         1
        5           b 2026-03-08     refunded         2
        6           a 2026-03-09         paid         3
        7           a 2026-03-09   repurchase         3
        """
        owner = "Timeline.from_columns"
        outcomes = {
            name: col
            for name, col in zip(OUTCOMES, (refunded, returned, cancelled), strict=True)
            if col is not None
        }
        keys = _by_list(by)
        clash = [s for s in steps if s in OUTCOMES or s == REPURCHASE]
        if clash:
            raise bad_parameter(
                owner, "steps", f"step names other than {[*OUTCOMES, REPURCHASE]}", dict(steps)
            )
        roles = {"order": order, "customer": customer}
        roles.update({f"steps[{s!r}]": c for s, c in steps.items()})
        roles.update(outcomes)
        _check_distinct(owner, roles, keys)
        data = read_columns(
            orders,
            order=order,
            customer=customer,
            steps=steps,
            outcomes=outcomes,
            by=keys,
            observation_end=observation_end,
            owner=owner,
        )
        return cls(data, order, customer, keys)

    @classmethod
    @validate_params(
        order=ColumnName(),
        customer=ColumnName(),
        status=ColumnName(),
        time=ColumnName(),
        steps=_STEPS,
        refunded=_LABEL,
        returned=_LABEL,
        cancelled=_LABEL,
        by=_BY,
        observation_end=_END,
    )
    def from_history(
        cls,
        history: object,
        *,
        order: str = "order_id",
        customer: str = "customer_id",
        status: str = "status",
        time: str = "changed_at",
        steps: Sequence[str] = DEFAULT_STEPS,
        refunded: str | None = "refunded",
        returned: str | None = "returned",
        cancelled: str | None = "cancelled",
        by: str | Sequence[str] | None = (),
        observation_end: object = None,
    ) -> Timeline:
        """A timeline from one row per status change (what shop exports give).

        Parameters
        ----------
        history
            ``order``, ``customer``, ``status``, ``time`` (and segment) columns; never
            modified. The earliest time of each status per order is kept; repeated
            statuses, statuses going backwards and other statuses (``"created"``,
            ``"pending"``) are counted in :meth:`data_quality`.
        order, customer, status, time
            Column names.
        steps
            The status labels of the steps, in order (default ``paid, shipped,
            delivered, reviewed``): they are also the event names.
        refunded, returned, cancelled
            The status labels of these outcomes (``None``: the export has none).
        by
            Segment columns to keep (an order's smallest label where its rows differ).
        observation_end
            As in :meth:`from_columns`.

        Raises
        ------
        ColumnNotFoundError, EmptyFrameError, ParameterError
            As in :meth:`from_columns`; no row has a known status.

        Examples
        --------
        >>> import pandas as pd
        >>> from linkstar_funnel.orders import Timeline
        >>> history = pd.DataFrame({
        ...     "order_id": [7, 7, 7, 7, 8],
        ...     "customer_id": ["c1"] * 5,
        ...     "status": ["paid", "shipped", "shipped", "delivered", "paid"],
        ...     "changed_at": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03",
        ...                                   "2026-03-05", "2026-03-04"])})
        >>> tl = Timeline.from_history(history)
        >>> tl.data_quality()
                      issue  count   unit  column             consequence
        0  a status repeated      1   rows  status  the earliest time kept
        """
        owner = "Timeline.from_history"
        outcomes = {
            name: label
            for name, label in zip(OUTCOMES, (refunded, returned, cancelled), strict=True)
            if label is not None
        }
        labels = [*steps, *outcomes.values()]
        if len(set(labels)) < len(labels) or REPURCHASE in steps:
            raise bad_parameter(
                owner, "steps", f"labels distinct from the outcome labels {list(outcomes.values())}",
                list(steps),
            )  # fmt: skip
        keys = _by_list(by)
        _check_distinct(
            owner, {"order": order, "customer": customer, "status": status, "time": time}, keys
        )
        data = read_history(
            history,
            order=order,
            customer=customer,
            status=status,
            time=time,
            steps=tuple(steps),
            outcomes=outcomes,
            by=keys,
            observation_end=observation_end,
            owner=owner,
        )
        return cls(data, order, customer, keys)

    # ------------------------------------------------------------------ facts

    @property
    def steps(self) -> tuple[str, ...]:
        """The steps, in order."""
        return self.data.steps

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The outcomes with times: among ``refunded``, ``returned``, ``cancelled``."""
        return self.data.outcomes

    @property
    def observation_end(self) -> pd.Timestamp:
        """The end of observation (in the data's zone, or naive)."""
        return to_times(np.array([self.data.end_ns], dtype=np.int64), self.data.tz)[0]

    @property
    def n_orders(self) -> int:
        """Orders on the timeline."""
        return len(self.data.order)

    def __repr__(self) -> str:
        out = ", ".join(self.outcomes) or "none"
        return (
            f"Timeline(orders={self.n_orders:,}, steps={' -> '.join(self.steps)}, "
            f"outcomes={out}, observation_end={self.observation_end})"
        )

    def data_quality(self) -> pd.DataFrame:
        """What was found wrong in the input: ``issue``, ``count``, ``unit`` (rows or
        orders), ``column``, ``consequence`` (what the analyses do about it)."""
        return pd.DataFrame(
            [attrs.asdict(p) for p in self.data.problems],
            columns=["issue", "count", "unit", "column", "consequence"],
        )

    def _provenance(self, spec: object) -> Provenance:
        return Provenance(
            spec,
            {"orders": self.data.accounting},
            notes=tuple(str(p) for p in self.data.problems),
        )

    def _check_by(self, owner: str, by: str | Sequence[str] | None) -> tuple[str, ...]:
        keys = _by_list(by)
        unknown = [k for k in keys if k not in self.by]
        if unknown:
            raise bad_parameter(
                owner, "by", f"segment columns kept on the timeline ({list(self.by)})", by
            )
        return keys

    # ------------------------------------------------------------------ analyses

    @validate_params(time=ColumnName(), event=ColumnName())
    def events(self, *, time: str = "timestamp", event: str = "event") -> pd.DataFrame:
        """The timeline as an event log that :class:`~linkstar_funnel.Funnel` reads.

        One row per status reached by ``observation_end``: the customer column, ``time``,
        ``event`` (the step or outcome name), the order column and the segments; plus a
        ``"repurchase"`` event at a customer's next paid order after each delivered one
        (the first order paid after the delivery; "paid" is the first step, "delivered"
        the step of that name, else the last step). Sorted by time, customer and order.

        Parameters
        ----------
        time, event
            Names of the time and event columns written.

        Examples
        --------
        >>> import linkstar_funnel as lf
        >>> from linkstar_funnel.datasets._demo_timelines import demo_timelines
        >>> from linkstar_funnel.orders import Timeline
        >>> store = lf.datasets.make_demo_store(2_000, seed=1)
        >>> demo = demo_timelines(store.orders, seed=1)
        >>> tl = Timeline.from_columns(demo.orders, **demo.columns)
        >>> stages = ["paid", "shipped", "delivered", "repurchase"]
        >>> result = lf.Funnel(stages, window="60D").compute(tl.events(), user="customer_id")
        >>> result.to_frame()["users"].tolist()
        [81, 76, 70, 18]
        """
        owner = "Timeline.events"
        roles = [self.customer, time, event, self.order, *self.by]
        if len(set(roles)) < len(roles):
            taken = [self.customer, self.order, *self.by]
            param = "time" if time in taken or time == event else "event"
            got = time if param == "time" else event
            raise bad_parameter(owner, param, f"a name other than the columns {taken}", got)
        return timeline_events(self.data, self.customer, self.order, self.by, time, event)

    @validate_params(
        sla=[
            None,
            Satisfies(_sla, "a mapping of 'step->step' -> duration, e.g. {'paid->shipped': '2D'}"),
        ],
        by=_PAIR_BY,
        alpha=_ALPHA,
    )
    def lead_times(
        self,
        sla: Mapping[str, object] | None = None,
        *,
        by: str | Sequence[str] | None = (),
        alpha: float = 0.05,
    ) -> LeadTimesResult:
        """Time from one step to another, per segment; open orders are censored.

        Each pair is measured over the orders that reached its first step by
        ``observation_end``. An order that reached the second step gives its duration;
        one that has not is *censored* at ``observation_end`` (or at its refund, return
        or cancellation, after which it will not get there): it is known to take at least
        that long, not to have failed. Quantiles are Kaplan-Meier estimates (equal to the
        plain quantiles when nothing is censored). An order whose times contradict the
        pair (the second step before the first, or a later step reached with this one
        missing) is left out of that pair and counted.

        Parameters
        ----------
        sla
            ``"step->step"`` -> duration (``{"paid->shipped": "2D"}``). With it the pairs
            are its keys, and each row adds the share of orders over the SLA with a Wilson
            interval: over / decided, where decided orders are those delivered (to the
            step) and those still open beyond the SLA (already late); an order still open
            within its SLA is not decided yet. Without it: consecutive steps.
        by
            Segment columns among the timeline's ``by``.
        alpha
            One minus the level of the intervals.

        Raises
        ------
        ParameterError
            A pair is not two steps in order, or ``by`` names a column not kept.
        EmptyFrameError
            No order reached a pair's first step by ``observation_end``.

        Examples
        --------
        >>> import pandas as pd
        >>> from linkstar_funnel.orders import Timeline
        >>> orders = pd.DataFrame({
        ...     "order_id": [1, 2, 3, 4], "customer_id": [1, 2, 3, 4],
        ...     "paid_at": pd.to_datetime(["2026-03-01"] * 3 + ["2026-03-05"]),
        ...     "shipped_at": pd.to_datetime(["2026-03-02", "2026-03-04", "2026-03-03", None]),
        ...     "delivered_at": pd.to_datetime(["2026-03-05", None, None, None])})
        >>> tl = Timeline.from_columns(orders, steps={"paid": "paid_at",
        ...     "shipped": "shipped_at", "delivered": "delivered_at"})
        >>> lt = tl.lead_times(sla={"paid->shipped": "2D"})
        >>> lt.to_frame()[["pair", "orders", "open", "median", "p90", "over_sla", "decided"]]
                    pair  orders  open median    p90  over_sla  decided
        0  paid->shipped       4     1 2 days 3 days         1        3
        """
        owner = "Timeline.lead_times"
        keys = self._check_by(owner, by)
        limits = {k: pd.Timedelta(v) for k, v in (sla or {}).items()}  # type: ignore[arg-type]
        if sla is not None and not sla:
            raise bad_parameter(owner, "sla", "a non-empty mapping (or None)", sla)
        names = (
            list(limits)
            if limits
            else [f"{a}->{b}" for a, b in zip(self.steps, self.steps[1:], strict=False)]
        )
        if not names:
            msg = (
                f"The timeline has one step ({self.steps[0]!r}): a lead time needs two.\n"
                "Hint: build it with more steps."
            )
            raise ParameterError(msg)
        pairs = [self._pair(owner, n) for n in names]
        spec = LeadTimeSpec(tuple(names), limits, keys, alpha, self.observation_end)
        return lead_times(self.data, pairs, limits, keys, alpha, spec, self._provenance(spec))

    def _pair(self, owner: str, name: str) -> tuple[str, str]:
        parts = name.split("->")
        steps = self.steps
        if (
            len(parts) != 2
            or not all(p in steps for p in parts)
            or (steps.index(parts[0]) >= steps.index(parts[1]))
        ):
            raise bad_parameter(
                owner, "sla", f"keys 'a->b' with steps a before b among {list(steps)}", name
            )
        return parts[0], parts[1]

    @validate_params(by=_PAIR_BY, alpha=_ALPHA, settle=[None, Duration()])
    def rates(
        self,
        *,
        by: str | Sequence[str] | None = (),
        alpha: float = 0.05,
        settle: str | None = None,
    ) -> OrderRatesResult:
        """Refund, return and cancel rates per segment, with Wilson intervals.

        A refund or cancel rate is over the orders that reached the first step (paid) by
        ``observation_end``; a return rate over those delivered. An outcome timed before
        its base step is left out (and counted). Recent orders have had less time to be
        refunded, which biases a rate low: ``settle`` leaves them out.

        Parameters
        ----------
        by
            Segment columns among the timeline's ``by`` (``"sku"`` too, when kept).
        alpha
            One minus the level of the intervals.
        settle
            Leave out orders whose base step is less than this long before
            ``observation_end`` (``"30D"``), counted in the provenance.

        Raises
        ------
        EmptyFrameError
            The timeline has no outcome times, or no order is old enough.

        Examples
        --------
        >>> import pandas as pd
        >>> from linkstar_funnel.orders import Timeline
        >>> orders = pd.DataFrame({
        ...     "order_id": [1, 2, 3, 4], "customer_id": [1, 2, 3, 4],
        ...     "channel": ["ads", "ads", "seo", "seo"],
        ...     "paid_at": pd.to_datetime(["2026-03-01"] * 4),
        ...     "refunded_at": pd.to_datetime(["2026-03-05", None, None, None])})
        >>> tl = Timeline.from_columns(orders, steps={"paid": "paid_at"},
        ...                            refunded="refunded_at", by="channel")
        >>> tl.rates(by="channel").to_frame()[["channel", "outcome", "successes", "trials", "rate"]]
          channel   outcome  successes  trials  rate
        0     ads  refunded          1       2   0.5
        1     seo  refunded          0       2   0.0
        """
        keys = self._check_by("Timeline.rates", by)
        wait = None if settle is None else pd.Timedelta(settle)
        spec = RateSpec(keys, alpha, self.observation_end, wait)
        return order_rates(self.data, keys, alpha, spec, self._provenance(spec))
