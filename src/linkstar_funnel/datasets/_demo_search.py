"""On-site search, search clicks and multi-item orders for the demo store (seeded).

Shoppers search a small electronics-accessories catalogue in their market's language,
click results, and some buy within the hour. Orders hold several lines: the product found,
often its planted companions (a phone case with a screen protector...), and a few others;
a share of orders is cancelled (``C`` ids), some lines are returns (quantity < 0) and some
have quantity 0, as in real exports.

The seeded problem: the German index lacks two translations, so German searches for
``kopfhörer`` (earbuds) and ``ladekabel`` (USB-C cable) find nothing. Both are among the
most searched German terms; :attr:`DemoSearch.truth` records them, and the planted
companion pairs with the chance each is added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .._params import Integer, Timestamp, validate_params
from .._validators import bad_parameter

__all__ = ["DemoSearch", "make_demo_search", "simulate_search"]

# product id, name, category, price (USD), search term per language (en, de, ja in romaji,
# pt): text every plotting font draws
CATALOGUE: tuple[tuple[str, str, str, float, tuple[str, str, str, str]], ...] = (
    ("P01", "phone case", "phone", 19.0, ("phone case", "handyhülle", "sumaho keesu", "capinha")),
    (
        "P02",
        "screen protector",
        "phone",
        12.0,
        ("screen protector", "schutzfolie", "hogo firumu", "película"),
    ),
    (
        "P03",
        "usb-c cable",
        "power",
        9.0,
        ("usb-c cable", "ladekabel", "usb-c keeburu", "cabo usb-c"),
    ),
    ("P04", "wall charger", "power", 24.0, ("charger", "ladegerät", "juudenki", "carregador")),
    (
        "P05",
        "power bank",
        "power",
        39.0,
        ("power bank", "powerbank", "mobairu batterii", "power bank"),
    ),
    (
        "P06",
        "wireless earbuds",
        "audio",
        59.0,
        ("earbuds", "kopfhörer", "iyahon", "fone de ouvido"),
    ),
    ("P07", "earbud tips", "audio", 8.0, ("ear tips", "ohrstöpsel", "iyaapiisu", "ponteiras")),
    (
        "P08",
        "smart watch",
        "wearables",
        129.0,
        ("smart watch", "smartwatch", "sumaato uocchi", "relógio"),
    ),
    (
        "P09",
        "watch strap",
        "wearables",
        15.0,
        ("watch strap", "uhrenarmband", "bando", "pulseira"),
    ),
    (
        "P10",
        "laptop sleeve",
        "computer",
        29.0,
        ("laptop sleeve", "laptophülle", "pc keesu", "capa notebook"),
    ),
    ("P11", "wireless mouse", "computer", 25.0, ("mouse", "maus", "mausu", "mouse")),
    ("P12", "keyboard", "computer", 49.0, ("keyboard", "tastatur", "kiiboodo", "teclado")),
)
LANGUAGES = ("en", "de", "ja", "pt")
#: Market -> language of its searches.
MARKET_LANGUAGE: Mapping[str, str] = {
    "US": "en",
    "GB": "en",
    "AU": "en",
    "DE": "de",
    "JP": "ja",
    "BR": "pt",
}
#: (language, term): searches that find nothing (the seeded problem).
ZERO_RESULT_TERMS: tuple[tuple[str, str], ...] = (("de", "kopfhörer"), ("de", "ladekabel"))
#: Planted companions: (product, companion, chance the companion joins an order of it).
COMPANIONS: tuple[tuple[str, str, float], ...] = (
    ("P01", "P02", 0.55),
    ("P04", "P03", 0.45),
    ("P06", "P07", 0.35),
    ("P08", "P09", 0.5),
    ("P10", "P11", 0.3),
    ("P11", "P12", 0.25),
)
#: Search popularity of each product (same order as CATALOGUE).
POPULARITY = np.array([14, 6, 9, 8, 5, 12, 2, 6, 2, 4, 5, 4], dtype=np.float64)
CLICK_RATE = 0.55
BUY_RATE = 0.18
WINDOW_S = 3_600
CANCEL_RATE = 0.03
RETURN_RATE = 0.02
ZERO_QTY_RATE = 0.01


@attrs.frozen(eq=False)
class DemoSearch:
    """Search events, clicks, orders and their lines, with the truth behind them.

    Attributes
    ----------
    searches
        ``user_id``, ``timestamp`` (UTC), ``search_term`` (as typed: varied case and
        spacing), ``result_count``, ``country``, ``device``, ``language``.
    search_clicks
        ``user_id``, ``timestamp``, ``position`` (1 = first result), ``product_id``.
    orders
        ``order_id``, ``user_id``, ``timestamp``, ``revenue`` (USD, kept lines).
    order_lines
        ``order_id`` (cancelled orders start with ``C``), ``product_id``, ``quantity``
        (negative: return; 0: zero-quantity line), ``unit_price``, ``country``.
    categories, product_names
        ``product_id`` -> category, and -> name.
    truth
        ``zero_result_terms`` and ``companions`` as planted.
    """

    searches: pd.DataFrame
    search_clicks: pd.DataFrame
    orders: pd.DataFrame
    order_lines: pd.DataFrame
    categories: pd.Series
    product_names: pd.Series
    truth: Mapping[str, Any]


def _typed(rng: np.random.Generator, terms: np.ndarray) -> np.ndarray:
    """Terms as people type them: some capitalised, upper case, or with extra spaces."""
    style = rng.choice(4, len(terms), p=[0.6, 0.2, 0.1, 0.1])
    out = terms.astype(object).copy()
    out[style == 1] = [t.title() for t in terms[style == 1]]
    out[style == 2] = [t.upper() for t in terms[style == 2]]
    out[style == 3] = [" " + t.replace(" ", "  ") + " " for t in terms[style == 3]]
    return out


def _lines(rng: np.random.Generator, first: np.ndarray, order_ids: np.ndarray) -> pd.DataFrame:
    """Order lines: the product found, its companions by chance, 0-2 random others."""
    ids = [p[0] for p in CATALOGUE]
    companions: dict[int, list[tuple[int, float]]] = {}
    for a, b, chance in COMPANIONS:
        companions.setdefault(ids.index(a), []).append((ids.index(b), chance))
    order_col, product_col = [], []
    for oid, p in zip(order_ids.tolist(), first.tolist(), strict=True):
        basket = {p}
        for q, chance in companions.get(p, []):
            if rng.random() < chance:
                basket.add(q)
        for q in rng.choice(len(CATALOGUE), rng.integers(0, 3), replace=False).tolist():
            basket.add(q)
        for q in sorted(basket):
            order_col.append(oid)
            product_col.append(q)
    product = np.asarray(product_col, dtype=np.int64)
    qty = rng.integers(1, 4, len(product)).astype(np.int64)
    qty[rng.random(len(qty)) < RETURN_RATE] *= -1
    qty[rng.random(len(qty)) < ZERO_QTY_RATE] = 0
    price = np.array([p[3] for p in CATALOGUE])
    return pd.DataFrame(
        {
            "order_id": np.asarray(order_col, dtype=object),
            "product_id": np.asarray(ids, dtype=object)[product],
            "quantity": qty,
            "unit_price": price[product],
        }
    )


def simulate_search(
    rng: np.random.Generator,
    users: pd.DataFrame,
    start: pd.Timestamp,
    days: int,
    searches_per_user: float = 2.5,
) -> DemoSearch:
    """Searches, clicks and orders of ``users`` (``user_id``, ``country``, ``device``) over
    ``days`` days from ``start`` (UTC); see the module docstring."""
    n_users = len(users)
    per_user = rng.poisson(searches_per_user, n_users)
    who = np.repeat(np.arange(n_users), per_user)
    n = len(who)
    country = users["country"].to_numpy(dtype=object)[who]
    language = np.array([MARKET_LANGUAGE.get(c, "en") for c in country], dtype=object)
    lang_code = np.array([LANGUAGES.index(x) for x in language], dtype=np.int64)
    product = rng.choice(len(CATALOGUE), n, p=POPULARITY / POPULARITY.sum())
    term = np.array([CATALOGUE[p][4][k] for p, k in zip(product, lang_code, strict=True)])
    broken = np.zeros(n, dtype=bool)
    for lang, bad in ZERO_RESULT_TERMS:
        broken |= (language == lang) & (term == bad)
    results = np.where(broken, 0, rng.poisson(24, n) + 1)
    seconds = rng.integers(0, days * 86_400 - WINDOW_S, n)
    t_search = start + pd.to_timedelta(seconds, unit="s")
    clicked = (results > 0) & (rng.random(n) < CLICK_RATE)
    c_delay = rng.integers(5, 600, n)
    position = np.minimum(rng.geometric(0.45, n), results.clip(min=1))
    bought = clicked & (rng.random(n) < BUY_RATE)
    o_delay = c_delay + rng.integers(60, 2_400, n)
    user_ids = users["user_id"].to_numpy(dtype=object)
    searches = pd.DataFrame(
        {
            "user_id": user_ids[who],
            "timestamp": t_search,
            "search_term": _typed(rng, term),
            "result_count": results.astype(np.int64),
            "country": country,
            "device": users["device"].to_numpy(dtype=object)[who],
            "language": language,
        }
    )
    clicks = pd.DataFrame(
        {
            "user_id": user_ids[who][clicked],
            "timestamp": t_search[clicked] + pd.to_timedelta(c_delay[clicked], unit="s"),
            "position": position[clicked].astype(np.int64),
            "product_id": np.array([CATALOGUE[p][0] for p in product[clicked]], dtype=object),
        }
    )
    n_orders = int(bought.sum())
    order_ids = np.array([f"{100_000 + i}" for i in range(n_orders)], dtype=object)
    cancelled = rng.random(n_orders) < CANCEL_RATE
    order_ids[cancelled] = np.char.add("C", order_ids[cancelled].astype(str))
    lines = _lines(rng, product[bought], order_ids)
    lines.loc[lines["order_id"].str.startswith("C"), "quantity"] *= -1
    lines["country"] = lines["order_id"].map(dict(zip(order_ids, country[bought], strict=True)))
    kept = lines[(lines["quantity"] > 0) & ~lines["order_id"].str.startswith("C")]
    revenue = (kept["quantity"] * kept["unit_price"]).groupby(kept["order_id"]).sum()
    orders = pd.DataFrame(
        {
            "order_id": order_ids,
            "user_id": user_ids[who][bought],
            "timestamp": t_search[bought] + pd.to_timedelta(o_delay[bought], unit="s"),
            "revenue": revenue.reindex(order_ids).fillna(0.0).to_numpy(),
        }
    )[~cancelled]
    ids = [p[0] for p in CATALOGUE]
    return DemoSearch(
        searches=searches.sort_values("timestamp", kind="stable", ignore_index=True),
        search_clicks=clicks.sort_values("timestamp", kind="stable", ignore_index=True),
        orders=orders.sort_values("timestamp", kind="stable", ignore_index=True),
        order_lines=lines,
        categories=pd.Series([p[2] for p in CATALOGUE], index=ids, name="category"),
        product_names=pd.Series([p[1] for p in CATALOGUE], index=ids, name="name"),
        truth={"zero_result_terms": ZERO_RESULT_TERMS, "companions": COMPANIONS},
    )


@validate_params(
    n_users=Integer(1, 10_000_000),
    seed=Integer(0, 2**63 - 1),
    start=Timestamp(),
    days=Integer(1, 1_095),
)
def make_demo_search(
    n_users: int = 3_000,
    *,
    seed: int = 0,
    start: str | dt.date = "2026-01-05",
    days: int = 28,
) -> DemoSearch:
    """Search and basket data of ``n_users`` demo shoppers (markets as the demo store's).

    Parameters
    ----------
    n_users
        Number of shoppers (1 to 10 million).
    seed
        Seed of the :class:`numpy.random.Generator`; the same arguments give the same data.
    start
        First day of the data (naive times are taken as UTC).
    days
        Length of the data in days (1 to 1,095).

    Raises
    ------
    ParameterError
        A parameter outside its domain (named in the message).

    Examples
    --------
    >>> demo = make_demo_search(500, seed=1)
    >>> sorted(demo.searches.columns)
    ['country', 'device', 'language', 'result_count', 'search_term', 'timestamp', 'user_id']
    >>> bool((demo.searches["result_count"] == 0).any())
    True
    """
    first = pd.Timestamp(start)
    first = first.tz_localize("UTC") if first.tz is None else first.tz_convert("UTC")
    if first > pd.Timestamp.max.tz_localize("UTC") - pd.Timedelta(days=days + 1):
        expected = f"a date at least {days + 1} days before {pd.Timestamp.max:%Y-%m-%d}"
        error = bad_parameter("make_demo_search", "start", expected, start)
        raise error
    rng = np.random.default_rng(seed)
    markets = np.array(list(MARKET_LANGUAGE), dtype=object)
    users = pd.DataFrame(
        {
            "user_id": np.array([f"u{i:06d}" for i in range(n_users)], dtype=object),
            "country": rng.choice(markets, n_users, p=[0.34, 0.18, 0.09, 0.15, 0.12, 0.12]),
            "device": rng.choice(
                np.array(["mobile", "desktop", "tablet"], dtype=object),
                n_users,
                p=[0.6, 0.32, 0.08],
            ),
        }
    )
    return simulate_search(rng, users, first, days)
