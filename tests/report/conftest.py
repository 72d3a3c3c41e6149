"""Fixtures for the report tests: small event and order frames, drawn off-screen."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import numpy as np
import pandas as pd
import pytest

HOSTILE = "<script>alert(1)</script>"


def make_events(n: int = 2_000, seed: int = 0) -> pd.DataFrame:
    """A small event log with a hostile country name and a few unusable rows."""
    rng = np.random.default_rng(seed)
    users = rng.integers(0, 300, n)
    start = pd.Timestamp("2026-02-01", tz="UTC")
    seconds = rng.integers(0, 20 * 86_400, n)
    frame = pd.DataFrame(
        {
            "user_id": users,
            "timestamp": start + pd.to_timedelta(seconds, unit="s"),
            "event": rng.choice(["visit", "product_view", "add_to_cart", "payment"], n),
            "country": rng.choice(["US", "DE", "JP", HOSTILE], n),
            "platform": rng.choice(["site", "amazon", "tiktok_shop"], n),
        }
    )
    frame["user_id"] = frame["user_id"].astype("Int64")
    frame.loc[frame.index[:7], "user_id"] = pd.NA
    frame.loc[frame.index[7:10], "timestamp"] = pd.NaT
    frame.loc[frame.index[10:15], "country"] = None
    return frame


def make_orders(n: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-02-01", tz="UTC")
    return pd.DataFrame(
        {
            "order_id": np.arange(n),
            "customer_id": rng.integers(0, 120, n),
            "timestamp": start + pd.to_timedelta(rng.integers(0, 20 * 86_400, n), unit="s"),
            "revenue": rng.gamma(2.0, 30.0, n).round(2),
            "status": rng.choice(["paid", "shipped", "delivered", "refunded"], n),
            "country": rng.choice(["US", "DE", HOSTILE], n),
            "platform": rng.choice(["site", "amazon"], n),
        }
    )


@pytest.fixture
def events() -> pd.DataFrame:
    return make_events()


@pytest.fixture
def orders() -> pd.DataFrame:
    return make_orders()
