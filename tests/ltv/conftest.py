"""Shared fixtures: the CDNOW sample (the published reference) and a small demo store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import linkstar_funnel as lf
import linkstar_funnel.ltv  # binds lf.ltv until the package root exports it

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """CDNOW 1/10 sample summary: frequency, recency, T (weeks), monetary_value."""
    raw = pd.read_csv(DATA / "cdnow_summary.csv", index_col="ID")
    return raw.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.fixture(scope="session")
def cdnow_transactions() -> pd.DataFrame:
    """The raw CDNOW sample purchases: customer_id, timestamp, units, revenue."""
    raw = pd.read_csv(
        DATA / "cdnow_sample_transactions.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "units", "revenue"],
        dtype={"date": str},
    )
    raw["timestamp"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw[["customer_id", "timestamp", "units", "revenue"]]


@pytest.fixture(scope="session")
def store() -> lf.datasets.DemoStore:
    return lf.datasets.make_demo_store(n_users=6000, seed=3)
