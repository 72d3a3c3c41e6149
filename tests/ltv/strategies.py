"""Hypothesis strategies for LTV tests: small order tables with cohorts and segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

T0 = pd.Timestamp("2025-01-06")


@st.composite
def order_tables(draw: st.DrawFn, max_customers: int = 40) -> pd.DataFrame:
    """Orders of a few customers over ~120 days: id, time, revenue (incl. refunds), channel."""
    n = draw(st.integers(3, max_customers))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        first = int(rng.integers(0, 90))
        k = 1 + int(rng.poisson(1.5))
        days = first + np.r_[0, rng.integers(0, 120, k - 1)]
        channel = ("ads", "email", "seo")[int(rng.integers(0, 3))]
        for d in days:
            value = float(np.round(rng.gamma(2.0, 20.0), 2))
            if rng.random() < 0.05:
                value = -value / 2
            rows.append(
                (
                    f"c{i}",
                    T0 + pd.Timedelta(days=int(d), hours=int(rng.integers(0, 24))),
                    value,
                    channel,
                )
            )
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "revenue", "channel"])


def hierarchical_orders(
    seed: int, leaves: int = 12, per_leaf: tuple[int, int] = (30, 400)
) -> pd.DataFrame:
    """Orders with a channel > campaign > creative hierarchy and segment-specific value."""
    rng = np.random.default_rng(seed)
    rows = []
    cid = 0
    for leaf in range(leaves):
        channel = f"ch{leaf % 3}"
        campaign = f"{channel}-cp{leaf % 2}"
        creative = f"{campaign}-cr{leaf}"
        scale = 20.0 * (1 + leaf % 3)
        for _ in range(int(rng.integers(*per_leaf))):
            first = int(rng.integers(0, 150))
            k = 1 + int(rng.poisson(2.0))
            days = first + np.r_[0, np.sort(rng.exponential(60.0, k - 1)).astype(int)]
            for d in days:
                rows.append(
                    (
                        cid,
                        T0 + pd.Timedelta(days=int(d)),
                        float(rng.gamma(2.0, scale / 2)),
                        channel,
                        campaign,
                        creative,
                    )
                )
            cid += 1
    return pd.DataFrame(
        rows, columns=["customer_id", "timestamp", "revenue", "channel", "campaign", "creative"]
    )
