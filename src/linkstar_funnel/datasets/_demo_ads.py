"""The demo store's ad delivery: creative-level cost, impressions and clicks.

Derived, seeded, from the store's own spend (one row per day and paid campaign): each
row's cost is split among the campaign's creatives (Dirichlet around their share of the
campaign, to the cent, summing exactly to the campaign's cost); impressions follow from a
cost per mille per channel, clicks from a click-through rate per channel times the
creative's click multiplier (the same multiplier that drives the store's click rates).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._params import Integer, validate_params
from ..schema import Column, validate
from ._demo_params import creative_table

__all__ = ["CPM", "CTR", "demo_ad_spend"]

#: Cost per 1,000 impressions per channel (USD), before noise.
CPM: Mapping[str, float] = {
    "paid_search": 25.0,
    "paid_social": 9.0,
    "email": 0.5,
    "affiliate": 6.0,
}
#: Click-through rate per channel, before the creative's click multiplier.
CTR: Mapping[str, float] = {
    "paid_search": 0.035,
    "paid_social": 0.009,
    "email": 0.02,
    "affiliate": 0.006,
}
_CONCENTRATION = 60.0  # Dirichlet concentration of the cost split (higher: closer to shares)
_CPM_SIGMA = 0.15  # log-normal noise of the daily CPM


def _split_cents(rng: np.random.Generator, cost: float, shares: np.ndarray) -> np.ndarray:
    """``cost`` split by a Dirichlet draw around ``shares``, to the cent, summing exactly."""
    cents = round(cost * 100)
    if len(shares) == 1:
        return np.array([cents / 100])
    weights = rng.dirichlet(_CONCENTRATION * shares)
    parts = np.floor(weights * cents).astype(np.int64)
    parts[np.argmax(weights)] += cents - parts.sum()
    return parts / 100


@validate_params(seed=Integer(0, 2**63 - 1))
def demo_ad_spend(spend: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Creative-level cost, impressions and clicks from the demo store's spend.

    Parameters
    ----------
    spend
        The demo store's ``spend`` (``date``, ``channel``, ``campaign``, ``cost``).
    seed
        Seed of the :class:`numpy.random.Generator`; the same spend and seed give the same
        frame.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``channel``, ``campaign``, ``creative`` (categoricals), ``impressions``
        and ``clicks`` (int64), ``cost`` (float, USD). Per day and campaign, the creatives'
        cost sums to the store's cost to the cent.

    Examples
    --------
    >>> from linkstar_funnel.datasets import make_demo_store
    >>> store = make_demo_store(n_users=2_000, days=14)
    >>> ads = demo_ad_spend(store.spend)
    >>> list(ads.columns)
    ['date', 'channel', 'campaign', 'creative', 'impressions', 'clicks', 'cost']
    >>> bool(abs(ads["cost"].sum() - store.spend["cost"].sum()) < 0.01)
    True
    """
    table = validate(
        spend,
        [
            Column("date", "date", "time"),
            Column("campaign", "campaign", "category"),
            Column("cost", "cost", "number"),
        ],
        frame_name="spend",
    )
    creatives = creative_table()
    rng = np.random.default_rng(seed)
    dates = table.times["date"].to_index()
    campaigns = table.labels["campaign"].take(table.codes["campaign"])
    costs = table.numbers["cost"]
    by_campaign = {
        str(name): (
            str(part["channel"].iloc[0]),
            part["share_in_channel"].to_numpy(dtype=np.float64) / part["share_in_channel"].sum(),
            part["click_multiplier"].to_numpy(dtype=np.float64),
            list(part["creative"]),
        )
        for name, part in creatives.groupby("campaign", sort=False)
    }
    rows: list[tuple[object, ...]] = []
    for date, campaign, cost in zip(dates, campaigns, costs, strict=True):
        if str(campaign) not in by_campaign:
            continue
        channel, shares, multiplier, names = by_campaign[str(campaign)]
        parts = _split_cents(rng, float(cost), shares)
        cpm = CPM.get(channel, 5.0) * rng.lognormal(-(_CPM_SIGMA**2) / 2, _CPM_SIGMA, len(parts))
        impressions = np.round(parts / cpm * 1000).astype(np.int64)
        clicks = rng.binomial(impressions, np.minimum(CTR.get(channel, 0.01) * multiplier, 1.0))
        rows += [
            (date, channel, campaign, n, int(i), int(c), float(p))
            for n, i, c, p in zip(names, impressions, clicks, parts, strict=True)
        ]
    out = pd.DataFrame(
        rows, columns=["date", "channel", "campaign", "creative", "impressions", "clicks", "cost"]
    )
    for col, values in (
        ("channel", list(dict.fromkeys(creatives["channel"]))),
        ("campaign", list(dict.fromkeys(creatives["campaign"]))),
        ("creative", list(creatives["creative"])),
    ):
        out[col] = pd.Categorical(out[col], categories=values)
    out["impressions"] = out["impressions"].astype(np.int64)
    out["clicks"] = out["clicks"].astype(np.int64)
    return out
