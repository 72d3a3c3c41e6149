"""Status times of the demo store's orders: payment, shipping, delivery, review, refunds.

:func:`demo_timelines` takes the demo store's ``orders`` (payment time, country, platform)
and draws, with a seeded generator, what happens after payment:

* **cancelled** before shipping with probability :data:`CANCEL_RATE`;
* **shipped** after a log-normal handling time whose median depends on the platform
  (:data:`SHIP_MEDIAN_DAYS`);
* **delivered** after a log-normal transit time whose median is the market's
  (:data:`TRANSIT_MEDIAN_DAYS`) times the carrier's factor (:data:`CARRIERS`);
* **reviewed** by a share of delivered, unrefunded orders (:data:`REVIEW_RATES`);
* **refunded**: the orders the store marks ``refunded`` (drawn with its
  ``REFUND_RATES`` by platform; drawn here the same way when ``status`` is absent),
  unless cancelled first; most after a **return**. The true refund rate of a platform is
  its ``REFUND_RATES`` entry times ``1 - CANCEL_RATE``.

Times after the end of the data are not known yet (missing), as in a real export, so
open orders are censored. Repeat orders are the store's own (BG/NBD repeats). A long
``history`` frame (one row per status change) carries known data-quality faults: repeated
status rows, statuses going backwards and statuses outside the steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .._accounting import RowAccounting
from .._params import Integer, Timestamp, validate_params
from ..errors import SchemaError
from ..schema import Column, validate
from ._demo_params import COUNTRIES, PLATFORMS, REFUND_RATES, categorical

__all__ = [
    "CANCEL_RATE",
    "CARRIERS",
    "REVIEW_RATES",
    "SHIP_MEDIAN_DAYS",
    "TRANSIT_MEDIAN_DAYS",
    "DemoTimelines",
    "demo_timelines",
]

#: Median handling time (paid -> shipped), days, by platform (PLATFORMS order).
SHIP_MEDIAN_DAYS: tuple[float, ...] = (1.5, 0.8, 2.5)
#: Median transit time (shipped -> delivered), days, by market (COUNTRIES order).
TRANSIT_MEDIAN_DAYS: tuple[float, ...] = (5.0, 6.0, 7.0, 8.0, 9.0, 14.0)
#: Log-normal sigma of both durations.
SIGMA = 0.5
#: Carriers: name, factor on the market's transit median, share per market (COUNTRIES order).
CARRIERS: tuple[tuple[str, float, tuple[float, ...]], ...] = (
    ("express", 0.6, (0.3, 0.3, 0.3, 0.2, 0.3, 0.2)),
    ("standard", 1.0, (0.5, 0.5, 0.5, 0.6, 0.5, 0.4)),
    ("postal", 1.5, (0.2, 0.2, 0.2, 0.2, 0.2, 0.4)),
)
#: Share of orders cancelled before shipping.
CANCEL_RATE = 0.02
#: Share of refunded orders that were returned first (the others: refunded without return).
RETURN_SHARE = 0.7
#: Share of delivered, unrefunded orders reviewed, by market.
REVIEW_RATES: tuple[float, ...] = (0.25, 0.2, 0.22, 0.15, 0.2, 0.3)
#: Share of orders whose history repeats a status row (a second, later row).
REPEAT_ROW_RATE = 0.02
#: Share of orders whose history has a stray "created" row (a status outside the steps).
CREATED_RATE = 0.5

_STEPS = {
    "paid": "paid_at",
    "shipped": "shipped_at",
    "delivered": "delivered_at",
    "reviewed": "reviewed_at",
}
_OUTCOMES = {"refunded": "refunded_at", "returned": "returned_at", "cancelled": "cancelled_at"}
#: The columns read, as (role, name, kind); rows missing any of them are dropped and counted.
_NEEDED = (
    Column("order", "order_id", "key"),
    Column("customer", "customer_id", "key"),
    Column("time", "timestamp", "time"),
    Column("country", "country", "category"),
    Column("platform", "platform", "category"),
)
#: Latest payment time drawn on: later ones leave no room for the drawn durations.
_LAST_PAID = pd.Timestamp("2200-01-01", tz="UTC")


@attrs.frozen(eq=False, repr=False)
class DemoTimelines:
    """Status times of the demo store's orders, and the truth they were drawn from.

    Attributes
    ----------
    orders
        The input orders' ``order_id``, ``customer_id``, ``country``, ``platform``,
        ``channel`` (when given), a drawn ``carrier``, ``is_repeat`` (not the customer's
        first order), and ``paid_at``, ``shipped_at``, ``delivered_at``, ``reviewed_at``,
        ``refunded_at``, ``returned_at``, ``cancelled_at`` (UTC; missing when it has not
        happened by ``end``).
    history
        One row per status change: ``order_id``, ``customer_id``, ``status``,
        ``changed_at``, ``country``, ``carrier``; with the faults counted in ``faults``.
    columns
        Keyword arguments of ``Timeline.from_columns`` for ``orders``.
    truth
        The full drawn times (before the cut at ``end``) and the parameters.
    end
        The end of the data (the censoring time).
    faults
        How many faulty rows ``history`` has: ``"repeated"`` (a status row repeated later),
        ``"backwards"`` (of those, repeats of an earlier step after a later one),
        ``"created"`` (rows with a status outside the steps).
    accounting
        The input orders: how many came in, and how many were dropped (and why) for a
        missing ``order_id``, ``customer_id``, ``timestamp``, ``country`` or ``platform``.
    """

    orders: pd.DataFrame
    history: pd.DataFrame
    columns: Mapping[str, Any]
    truth: pd.DataFrame
    end: pd.Timestamp
    faults: Mapping[str, int]
    accounting: RowAccounting = attrs.field(factory=lambda: RowAccounting(rows_in=0))

    def __repr__(self) -> str:
        return f"DemoTimelines(orders={len(self.orders):,}, history={len(self.history):,}, end={self.end})"

    @staticmethod
    def true_medians() -> pd.DataFrame:
        """The true medians (days): handling by platform, transit by country and carrier."""
        ship = pd.DataFrame(
            {"pair": "paid->shipped", "platform": PLATFORMS, "median_days": SHIP_MEDIAN_DAYS}
        )
        transit = pd.DataFrame(
            [
                {"pair": "shipped->delivered", "country": c, "carrier": name,
                 "median_days": TRANSIT_MEDIAN_DAYS[i] * factor}
                for i, c in enumerate(COUNTRIES)
                for name, factor, _ in CARRIERS
            ]
        )  # fmt: skip
        return pd.concat([ship, transit], ignore_index=True)


def _codes(series: pd.Series, labels: tuple[str, ...], column: str) -> np.ndarray:
    text = series.astype(str).to_numpy()
    index = {v: i for i, v in enumerate(labels)}
    codes = np.array([index.get(v, -1) for v in text], dtype=np.int64)
    if (codes < 0).any():
        msg = (
            f"Column {column!r} of the orders frame must hold the demo store's labels "
            f"{list(labels)}. Got {sorted(set(text[codes < 0]))[:3]} instead."
        )
        raise SchemaError(msg)
    return codes


@validate_params(
    seed=Integer(0, 2**63 - 1),
    end=[None, Timestamp()],
)
def demo_timelines(orders: pd.DataFrame, *, seed: int = 0, end: object = None) -> DemoTimelines:
    """Draw status times, refunds, returns, reviews and cancellations for demo orders.

    Parameters
    ----------
    orders
        ``make_demo_store(...).orders`` (or rows of it); never modified. Reads
        ``order_id`` (unique), ``customer_id``, ``timestamp`` (naive times are taken as
        UTC), ``country`` and ``platform`` (the demo store's labels), and ``status`` and
        ``channel`` when present. Rows missing one of the five are dropped and counted in
        :attr:`DemoTimelines.accounting`.
    seed
        Seed of the :class:`numpy.random.Generator`.
    end
        End of the data (UTC): later times are cut (not yet happened). Default: the
        midnight after the last payment.

    Raises
    ------
    ColumnNotFoundError, EmptyFrameError, TimeColumnError
        A needed column is missing, no row is usable, or ``timestamp`` holds no times.
    SchemaError
        Repeated order ids, labels outside the demo store's, or payments after 2200.

    Examples
    --------
    >>> from linkstar_funnel.datasets import make_demo_store
    >>> from linkstar_funnel.datasets._demo_timelines import demo_timelines
    >>> demo = demo_timelines(make_demo_store(2_000, seed=1).orders, seed=1)
    >>> demo
    DemoTimelines(orders=117, history=424, end=2026-03-30 00:00:00+00:00)
    >>> int(demo.orders["delivered_at"].notna().sum()), int(demo.orders["refunded_at"].notna().sum())
    (95, 4)
    """
    checked = validate(orders, _NEEDED, frame_name="orders")
    if checked.rows is not None:
        orders = orders.iloc[checked.rows]
    repeated = orders["order_id"].duplicated()
    if repeated.any():
        msg = (
            "Column 'order_id' of the orders frame must name each order once. Got "
            f"{int(repeated.sum()):,} repeated ids, e.g. {orders['order_id'][repeated].tolist()[0]!r}."
        )
        raise SchemaError(msg)
    paid_ns = checked.times["time"].ns
    if paid_ns.max() >= _LAST_PAID.value:
        msg = (
            f"Column 'timestamp' of the orders frame must hold payments before {_LAST_PAID:%Y}. "
            f"Got {_times(paid_ns).max()} instead."
        )
        raise SchemaError(msg)
    rng = np.random.default_rng(seed)
    n = len(orders)
    paid = _times(paid_ns)
    stop = (
        pd.Timestamp(paid.max()).ceil("D") if end is None else _utc(pd.Timestamp(end))  # type: ignore[arg-type]
    )
    country = _codes(orders["country"], COUNTRIES, "country")
    platform = _codes(orders["platform"], PLATFORMS, "platform")

    shares = np.array([s for _, _, s in CARRIERS]).T  # (country, carrier)
    carrier = (rng.random(n)[:, None] > np.cumsum(shares[country], axis=1)).sum(axis=1)
    carrier = np.minimum(carrier, len(CARRIERS) - 1)
    factor = np.array([f for _, f, _ in CARRIERS])[carrier]

    def lognormal(median_days: np.ndarray) -> np.ndarray:
        days = median_days * np.exp(SIGMA * rng.standard_normal(n))
        return np.round(days * 86_400).astype(np.int64) * 10**9

    handling = lognormal(np.asarray(SHIP_MEDIAN_DAYS)[platform])
    transit = lognormal(np.asarray(TRANSIT_MEDIAN_DAYS)[country] * factor)
    cancelled = rng.random(n) < CANCEL_RATE
    drawn_refund = rng.random(n) < np.asarray(REFUND_RATES)[platform]
    if "status" in orders.columns:  # the store's own refunds (drawn with the same rates)
        drawn_refund = orders["status"].astype(str).to_numpy() == "refunded"
    refunded = ~cancelled & drawn_refund
    returned = refunded & (rng.random(n) < RETURN_SHARE)
    reviewed = ~cancelled & ~refunded & (rng.random(n) < np.asarray(REVIEW_RATES)[country])

    nat = np.iinfo(np.int64).min
    shipped_ns = np.where(cancelled, nat, paid_ns + handling)
    delivered_ns = np.where(cancelled, nat, shipped_ns + transit)
    cancel_ns = np.where(
        cancelled, paid_ns + (handling // 10**9 * rng.random(n)).astype(np.int64) * 10**9, nat
    )

    def gap(mean_days: float) -> np.ndarray:
        return np.round(rng.exponential(mean_days, n) * 86_400).astype(np.int64) * 10**9

    returned_ns = np.where(returned, delivered_ns + gap(6.0), nat)
    refund_ns = np.where(
        returned, returned_ns + gap(2.0), np.where(refunded, delivered_ns + gap(4.0), nat)
    )
    review_ns = np.where(reviewed, delivered_ns + gap(4.0), nat)

    drawn = {
        "paid_at": paid_ns,
        "shipped_at": shipped_ns,
        "delivered_at": delivered_ns,
        "reviewed_at": review_ns,
        "refunded_at": refund_ns,
        "returned_at": returned_ns,
        "cancelled_at": cancel_ns,
    }
    ids = {
        "order_id": orders["order_id"].to_numpy(),
        "customer_id": orders["customer_id"].to_numpy(),
    }
    first_paid = pd.Series(paid_ns).groupby(orders["customer_id"].to_numpy()).transform("min")
    labels: dict[str, Any] = {
        "country": orders["country"].to_numpy(),
        "platform": orders["platform"].to_numpy(),
    }
    if "channel" in orders.columns:
        labels["channel"] = orders["channel"].to_numpy()
    labels["carrier"] = categorical(carrier, tuple(c for c, _, _ in CARRIERS))
    labels["is_repeat"] = paid_ns > first_paid.to_numpy()
    truth = pd.DataFrame({**ids, **labels, **{k: _times(v) for k, v in drawn.items()}})
    cut = stop.value
    seen = {k: _times(np.where((v != nat) & (v <= cut), v, nat)) for k, v in drawn.items()}
    table = pd.DataFrame({**ids, **labels, **seen})
    history, faults = _history(rng, table)
    columns: dict[str, Any] = {
        "order": "order_id",
        "customer": "customer_id",
        "steps": dict(_STEPS),
        **dict(_OUTCOMES),
        "by": ["country", "platform", "carrier", *(["channel"] if "channel" in labels else [])],
        "observation_end": stop,
    }
    return DemoTimelines(
        orders=table,
        history=history,
        columns=MappingProxyType(columns),
        truth=truth,
        end=stop,
        faults=MappingProxyType(faults),
        accounting=checked.accounting,
    )


def _utc(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")


def _times(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")


def _history(rng: np.random.Generator, table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per status change, with repeated rows (some going backwards) and "created"."""
    names = {**{v: k for k, v in _STEPS.items()}, **{v: k for k, v in _OUTCOMES.items()}}
    parts = []
    for column, status in names.items():
        t = table[column]
        have = t.notna().to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "order_id": table["order_id"].to_numpy()[have],
                    "customer_id": table["customer_id"].to_numpy()[have],
                    "status": status,
                    "changed_at": pd.DatetimeIndex(t)[have],
                    "country": table["country"].to_numpy()[have],
                    "carrier": table["carrier"].to_numpy()[have],
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True)
    steps_only = rows.loc[rows["status"].isin(["paid", "shipped"])]
    repeat = steps_only.loc[rng.random(len(steps_only)) < REPEAT_ROW_RATE * 2].copy()
    repeat["changed_at"] = repeat["changed_at"] + pd.to_timedelta(
        rng.uniform(0.5, 4.0, len(repeat)), unit="D"
    )
    repeat["changed_at"] = repeat["changed_at"].dt.round("s")
    # a repeat goes "backwards" when the order had reached a later step before it
    by_order = table.set_index("order_id")
    when = repeat["changed_at"].to_numpy()
    back = np.zeros(len(repeat), dtype=bool)
    for later in ("shipped_at", "delivered_at", "reviewed_at"):
        step_time = by_order[later].reindex(repeat["order_id"]).to_numpy()
        after = repeat["status"].to_numpy() == "paid" if later == "shipped_at" else True
        back |= after & pd.notna(step_time) & (step_time < when)
    backwards = int(back.sum())
    paid = rows.loc[rows["status"] == "paid"]
    created = paid.loc[rng.random(len(paid)) < CREATED_RATE].copy()
    created["status"] = "created"
    created["changed_at"] = created["changed_at"] - pd.Timedelta(minutes=5)
    history = pd.concat([rows, repeat, created], ignore_index=True)
    history = history.sort_values(["changed_at", "order_id", "status"], kind="stable")
    history = history.reset_index(drop=True)
    history["status"] = history["status"].astype(str)
    faults = {"repeated": len(repeat), "backwards": backwards, "created": len(created)}
    return history, faults
