"""Orders (first purchases and BG/NBD repeat purchases) and daily ad spend of the demo store."""

from __future__ import annotations

import attrs
import numpy as np

from ._demo_clock import DAY, Clock
from ._demo_journeys import Journeys
from ._demo_params import (
    BGNBD,
    GAMMA_GAMMA_P,
    GAMMA_GAMMA_Q,
    MARKETS,
    REFUND_RATES,
    UNIT_PRICE_USD,
    BoolArray,
    FloatArray,
    IntArray,
    creative_table,
)

__all__ = ["OrderArrays", "gamma_gamma_scale", "order_status", "simulate_orders", "simulate_spend"]

#: Spend noise: cost = count x cost per user x LogNormal with mean 1 and this sigma.
SPEND_SIGMA = 0.2
#: Order age (days before the window's end) below which it is still "paid", "shipped".
PAID_DAYS = 2.0
SHIPPED_DAYS = 6.0


@attrs.frozen(eq=False)
class OrderArrays:
    """One entry per order: user index, UTC seconds, USD revenue, units, first-order flag."""

    user: IntArray
    time: IntArray
    revenue: FloatArray
    units: IntArray
    first: BoolArray


def gamma_gamma_scale() -> FloatArray:
    """Gamma-Gamma ``gamma`` (rate of the spend-rate prior) per market: mean spend = AOV."""
    aov = np.array([m[5] for m in MARKETS])
    return aov * (GAMMA_GAMMA_Q - 1.0) / GAMMA_GAMMA_P


def simulate_orders(rng: np.random.Generator, clock: Clock, journeys: Journeys) -> OrderArrays:
    """First orders at each payment, then repeats from a BG/NBD process with Gamma-Gamma spend.

    A customer's purchase rate ``lambda ~ Gamma(r, alpha)`` (per day) and dropout chance
    ``p ~ Beta(a, b)`` are drawn once; after every purchase the customer drops out with
    chance ``p``, else buys again after an ``Exponential(lambda)`` gap rounded up to whole
    days (the order's hour then follows the market's daily cycle). Each customer's spend
    rate ``nu ~ Gamma(q, gamma_market)``; each order's value is ``Gamma(p, nu)`` in USD.
    """
    buyers = np.flatnonzero(journeys.reached[6])
    m = len(buyers)
    lam = rng.gamma(BGNBD["r"], 1.0 / BGNBD["alpha"], m)
    dropout = rng.beta(BGNBD["a"], BGNBD["b"], m)
    country = journeys.users.country[buyers]
    nu = rng.gamma(GAMMA_GAMMA_Q, 1.0 / gamma_gamma_scale()[country])

    who: list[IntArray] = [np.arange(m, dtype=np.int64)]
    when: list[IntArray] = [journeys.stage_time[6, buyers]]
    active, t = who[0], when[0]
    while len(active):
        alive = rng.random(len(active)) >= dropout[active]
        active, t = active[alive], t[alive]
        gap = np.maximum(np.ceil(rng.exponential(1.0 / lam[active])), 1).astype(np.int64)
        t = clock.later_day(rng, t, country[active], gap)
        inside = t < clock.end_s
        active, t = active[inside], t[inside]
        who.append(active)
        when.append(t)

    customer = np.concatenate(who)
    revenue = np.round(rng.gamma(GAMMA_GAMMA_P, 1.0 / nu[customer]), 2)
    extra_units = rng.poisson(np.maximum(revenue / UNIT_PRICE_USD - 1.0, 0.0))
    first = np.zeros(len(customer), dtype=bool)
    first[:m] = True
    return OrderArrays(
        user=buyers[customer],
        time=np.concatenate(when),
        revenue=revenue,
        units=(1 + extra_units).astype(np.int64),
        first=first,
    )


def order_status(
    rng: np.random.Generator, utc_s: IntArray, platform: IntArray, end_s: int
) -> IntArray:
    """Codes into (paid, shipped, delivered, refunded): refunds by platform, else by age."""
    age_days = (end_s - utc_s) / DAY
    status = np.where(age_days < PAID_DAYS, 0, np.where(age_days < SHIPPED_DAYS, 1, 2))
    refunded = rng.random(len(utc_s)) < np.asarray(REFUND_RATES)[platform]
    return np.where(refunded, 3, status).astype(np.int64)


def simulate_spend(
    rng: np.random.Generator, clock: Clock, journeys: Journeys
) -> tuple[IntArray, IntArray, FloatArray]:
    """Daily cost of every paid campaign: acquired users that UTC day x cost per user x noise.

    Returns the day number, campaign code and cost (USD) of each (day, paid campaign) row;
    days without acquisitions cost 0.
    """
    table = creative_table()
    n_campaigns = int(table["campaign_code"].max()) + 1
    users = journeys.users
    day = journeys.stage_time[0] // DAY
    campaign = table["campaign_code"].to_numpy()[users.creative]
    counts = np.bincount(day * n_campaigns + campaign, minlength=clock.days * n_campaigns)
    counts = counts.reshape(clock.days, n_campaigns)
    cost_per_user = table.groupby("campaign_code")["cost_per_user"].first().to_numpy()
    paid = np.flatnonzero(cost_per_user > 0)
    noise = rng.lognormal(-(SPEND_SIGMA**2) / 2, SPEND_SIGMA, (clock.days, len(paid)))
    cost = np.round(counts[:, paid] * cost_per_user[paid] * noise, 2)
    days = np.repeat(np.arange(clock.days, dtype=np.int64), len(paid))
    campaigns = np.tile(paid.astype(np.int64), clock.days)
    return days, campaigns, cost.ravel()
