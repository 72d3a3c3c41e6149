"""The fixed ground truth of the synthetic demo store: markets, segments, rates, delays.

Everything here is a constant table; :mod:`._demo_store` turns it into the ``DemoTruth``
users see and :mod:`._demo_journeys` / :mod:`._demo_orders` sample from it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Funnel stages, in order. ``impression`` is every user's entry (for organic and direct
#: users: a listing or search-result view).
STAGES: tuple[str, ...] = (
    "impression",
    "click",
    "visit",
    "product_view",
    "add_to_cart",
    "checkout",
    "payment",
)
#: Events that are not funnel stages.
NOISE_EVENTS: tuple[str, ...] = ("search", "page_view", "wishlist", "share")
NOISE_WEIGHTS: tuple[float, ...] = (0.35, 0.45, 0.12, 0.08)
EVENTS: tuple[str, ...] = STAGES + NOISE_EVENTS

# country, IANA zone, currency, USD per unit of currency (fixed illustrative rate),
# share of users, mean order value in USD.
MARKETS: tuple[tuple[str, str, str, float, float, float], ...] = (
    ("US", "America/New_York", "USD", 1.0, 0.34, 82.0),
    ("GB", "Europe/London", "GBP", 1.27, 0.18, 68.0),
    ("DE", "Europe/Berlin", "EUR", 1.08, 0.15, 74.0),
    ("JP", "Asia/Tokyo", "JPY", 0.0067, 0.12, 96.0),
    ("AU", "Australia/Sydney", "AUD", 0.66, 0.09, 88.0),
    ("BR", "America/Sao_Paulo", "BRL", 0.18, 0.12, 46.0),
)
COUNTRIES: tuple[str, ...] = tuple(m[0] for m in MARKETS)
PLATFORMS: tuple[str, ...] = ("own_site", "amazon", "tiktok_shop")
PLATFORM_SHARES: tuple[float, ...] = (0.5, 0.3, 0.2)
DEVICES: tuple[str, ...] = ("mobile", "desktop", "tablet")
#: Device shares given the platform (rows follow PLATFORMS).
DEVICE_SHARES: tuple[tuple[float, ...], ...] = (
    (0.55, 0.35, 0.10),
    (0.60, 0.30, 0.10),
    (0.92, 0.03, 0.05),
)
#: Share of sessions after a user's first in which the device differs from the first.
DEVICE_SWITCH_RATE = 0.1
CHANNELS: tuple[str, ...] = (
    "paid_search",
    "paid_social",
    "organic",
    "email",
    "affiliate",
    "direct",
)
ACQUISITION_SHARES: tuple[float, ...] = (0.24, 0.26, 0.18, 0.08, 0.10, 0.14)
#: Channel mix of the touch that brings a user back for a later session.
RETURN_SHARES: tuple[float, ...] = (0.12, 0.13, 0.15, 0.30, 0.05, 0.25)
#: Channel mix of extra ad touches that lead to no session (views, ignored emails).
VIEW_SHARES: tuple[float, ...] = (0.20, 0.50, 0.0, 0.15, 0.15, 0.0)
VIEW_TOUCHES_PER_USER = 0.8

# channel, campaign, campaign share in channel, cost per acquired user (USD),
# ((creative, share in campaign, click-rate multiplier), ...)
CAMPAIGNS: tuple[tuple[str, str, float, float, tuple[tuple[str, float, float], ...]], ...] = (
    ("paid_search", "brand_search", 0.3, 0.9, (("bs_exact_a", 0.6, 1.0), ("bs_exact_b", 0.4, 1.0))),
    (
        "paid_search",
        "generic_search",
        0.5,
        1.6,
        (("gs_rsa_a", 0.5, 1.0), ("gs_rsa_b", 0.35, 0.9), ("gs_rsa_test", 0.15, 1.25)),
    ),
    ("paid_search", "shopping_ads", 0.2, 1.2, (("sh_feed_main", 0.8, 1.0), ("sh_feed_sale", 0.2, 1.1))),
    (
        "paid_social",
        "prospecting_video",
        0.5,
        1.1,
        (
            ("pv_ugc_a", 0.40, 1.15),
            ("pv_studio", 0.30, 0.9),
            ("pv_unboxing", 0.25, 1.0),
            ("pv_test_hook", 0.05, 0.6),
        ),
    ),
    ("paid_social", "retargeting_carousel", 0.3, 0.7, (("rt_carousel_a", 0.6, 1.0), ("rt_carousel_b", 0.4, 0.85))),
    (
        "paid_social",
        "creator_collab",
        0.2,
        1.4,
        (("cc_creator_1", 0.5, 1.2), ("cc_creator_2", 0.4, 1.0), ("cc_creator_3", 0.1, 0.7)),
    ),
    ("organic", "seo", 0.7, 0.0, (("seo_listing", 1.0, 1.0),)),
    ("organic", "organic_social", 0.3, 0.0, (("os_post", 1.0, 1.0),)),
    ("email", "newsletter", 0.6, 0.05, (("nl_weekly", 0.7, 1.0), ("nl_promo", 0.3, 1.1))),
    ("email", "abandoned_cart", 0.4, 0.03, (("ac_reminder_1", 0.7, 1.0), ("ac_reminder_2", 0.3, 0.9))),
    ("affiliate", "coupon_sites", 0.6, 0.8, (("cp_banner", 0.5, 0.95), ("cp_textlink", 0.5, 1.05))),
    ("affiliate", "review_blogs", 0.4, 1.0, (("rb_article_a", 0.7, 1.0), ("rb_article_b", 0.3, 1.1))),
    ("direct", "direct", 1.0, 0.0, (("direct_none", 1.0, 1.0),)),
)  # fmt: skip

#: Conditional rate of reaching each stage after ``impression`` given the previous one,
#: for the reference cell (US, own_site, organic; device and creative multipliers of 1).
BASE_RATES: tuple[float, ...] = (0.42, 0.88, 0.68, 0.30, 0.58, 0.72)
#: Multipliers per stage (click ... payment) by segment value.
MULTIPLIERS: dict[str, dict[str, tuple[float, ...]]] = {
    "country": {
        "US": (1.00, 1.00, 1.00, 1.00, 1.00, 1.00),
        "GB": (1.02, 1.00, 1.00, 1.04, 1.00, 1.02),
        "DE": (0.95, 1.00, 1.03, 0.98, 0.95, 1.05),
        "JP": (0.85, 1.02, 1.05, 0.92, 1.00, 1.08),
        "AU": (1.00, 1.00, 1.00, 1.02, 1.02, 1.00),
        "BR": (1.10, 0.95, 0.95, 1.00, 0.90, 0.80),
    },
    "platform": {
        "own_site": (1.00, 1.00, 1.00, 1.00, 1.00, 1.00),
        "amazon": (0.90, 1.05, 1.10, 1.15, 1.20, 1.10),
        "tiktok_shop": (1.30, 0.98, 0.95, 0.90, 0.85, 0.90),
    },
    "device": {
        "mobile": (1.05, 1.00, 1.00, 0.95, 0.92, 0.97),
        "desktop": (0.90, 1.00, 1.05, 1.10, 1.12, 1.05),
        "tablet": (1.00, 1.00, 1.00, 1.00, 0.98, 1.00),
    },
    "channel": {
        "paid_search": (1.10, 1.00, 1.05, 1.05, 1.00, 1.00),
        "paid_social": (0.90, 0.95, 0.90, 0.85, 0.90, 0.95),
        "organic": (1.00, 1.00, 1.00, 1.00, 1.00, 1.00),
        "email": (1.15, 1.00, 1.05, 1.15, 1.10, 1.02),
        "affiliate": (1.05, 1.00, 1.00, 1.05, 1.12, 1.02),
        "direct": (1.20, 1.00, 1.05, 1.10, 1.05, 1.03),
    },
}
#: Rates are capped here after multiplying (no cell reaches it with the tables above).
RATE_CAP = 0.97

# Per stage (click ... payment): chance the stage happens in a later session, and the
# same-session delay after the previous stage: a minimum plus an exponential (seconds).
NEW_SESSION_RATES: tuple[float, ...] = (0.15, 0.0, 0.0, 0.30, 0.25, 0.10)
SAME_SESSION_MIN_S: tuple[float, ...] = (5.0, 1.0, 10.0, 30.0, 20.0, 30.0)
SAME_SESSION_MEAN_S: tuple[float, ...] = (20.0, 4.0, 90.0, 240.0, 180.0, 150.0)
#: Days until a later session: 1 + Geometric(p) - 1, capped (a share lands beyond 7 days).
GAP_DAYS_P = 0.3
GAP_DAYS_CAP = 21
#: Extra product views per product-viewing user (Poisson mean), within 20 minutes.
EXTRA_PRODUCT_VIEWS = 1.2
#: Noise events per on-site funnel event (Poisson mean), within 10 minutes after it.
NOISE_PER_STAGE_EVENT = 0.6
#: Share of users who have clicked that later restart the funnel (never beyond their level).
RESTART_RATE = 0.05

#: Relative activity by local hour 0..23 (evening peak, night trough).
HOURLY_PROFILE: tuple[float, ...] = (
    0.9, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.1, 1.6, 1.9, 2.0, 2.1,
    2.4, 2.2, 2.0, 2.0, 2.1, 2.3, 2.7, 3.2, 3.6, 3.5, 2.8, 1.8,
)  # fmt: skip
#: Relative activity by local weekday, Monday first.
WEEKDAY_PROFILE: tuple[float, ...] = (1.0, 0.97, 0.97, 1.0, 0.92, 0.85, 1.15)

# Repeat purchases: BG/NBD with rates per day; Gamma-Gamma spend per market.
BGNBD = {"r": 0.6, "alpha": 30.0, "a": 1.0, "b": 3.0}
GAMMA_GAMMA_P = 5.0
GAMMA_GAMMA_Q = 4.0
REFUND_RATES: tuple[float, ...] = (0.04, 0.03, 0.06)  # by PLATFORMS
UNIT_PRICE_USD = 40.0


def creative_table() -> pd.DataFrame:
    """One row per creative: channel, campaign, creative, their codes, shares and effects.

    ``share_in_channel`` is the chance a user of the channel sees this creative;
    ``click_multiplier`` scales the click rate; ``cost_per_user`` is what the campaign
    pays per acquired (impressed) user, in USD.
    """
    rows = []
    for channel, campaign, c_share, cost, creatives in CAMPAIGNS:
        for creative, share, click in creatives:
            rows.append((channel, campaign, creative, c_share * share, click, cost))
    table = pd.DataFrame(
        rows,
        columns=[
            "channel",
            "campaign",
            "creative",
            "share_in_channel",
            "click_multiplier",
            "cost_per_user",
        ],
    )
    table["channel_code"] = table["channel"].map({c: i for i, c in enumerate(CHANNELS)})
    campaigns = list(dict.fromkeys(table["campaign"]))
    table["campaign_code"] = table["campaign"].map({c: i for i, c in enumerate(campaigns)})
    return table


def rate_array() -> FloatArray:
    """True conditional rates, shape (stage 1..6, country, platform, device, creative)."""
    creatives = creative_table()
    shape = (len(STAGES) - 1, len(COUNTRIES), len(PLATFORMS), len(DEVICES), len(creatives))
    rates = np.broadcast_to(np.asarray(BASE_RATES)[:, None, None, None, None], shape).copy()
    dims = (("country", COUNTRIES), ("platform", PLATFORMS), ("device", DEVICES))
    for axis, (dim, values) in enumerate(dims, start=1):
        mult = np.array([MULTIPLIERS[dim][v] for v in values]).T  # (stage, value)
        view = [1, 1, 1, 1, 1]
        view[0], view[axis] = mult.shape
        rates *= mult.reshape(view)
    by_channel = np.array([MULTIPLIERS["channel"][c] for c in creatives["channel"]]).T
    rates *= by_channel[:, None, None, None, :]
    rates[0] *= creatives["click_multiplier"].to_numpy()
    return np.asarray(np.minimum(rates, RATE_CAP), dtype=np.float64)


def categorical(codes: npt.NDArray[np.integer], categories: tuple[str, ...]) -> pd.Categorical:
    """A Categorical with fixed categories (the same whatever the seed)."""
    dtype = pd.CategoricalDtype(categories=list(categories))
    return pd.Categorical.from_codes(codes.astype(np.int64, copy=False), dtype=dtype)


def sample_codes(rng: np.random.Generator, probs: FloatArray, size: int) -> IntArray:
    """Draw ``size`` codes with the given probabilities (normalised), vectorised."""
    cdf = np.cumsum(probs / probs.sum())
    out = np.searchsorted(cdf, rng.random(size), side="right")
    return np.minimum(out, len(probs) - 1).astype(np.int64)


def sample_within(
    rng: np.random.Generator, group: IntArray, probs_by_group: FloatArray
) -> IntArray:
    """Draw a code per row from the row's group's distribution (rows of ``probs_by_group``)."""
    cdf = np.cumsum(probs_by_group / probs_by_group.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(group))
    out = np.empty(len(group), dtype=np.int64)
    for g in range(probs_by_group.shape[0]):
        rows = np.flatnonzero(group == g)
        out[rows] = np.searchsorted(cdf[g], u[rows], side="right")
    return np.asarray(np.minimum(out, probs_by_group.shape[1] - 1), dtype=np.int64)


def creative_probs_by_channel() -> FloatArray:
    """Shape (channel, creative): the chance of each creative given the channel."""
    creatives = creative_table()
    probs = np.zeros((len(CHANNELS), len(creatives)))
    probs[creatives["channel_code"].to_numpy(), np.arange(len(creatives))] = creatives[
        "share_in_channel"
    ].to_numpy()
    return probs
