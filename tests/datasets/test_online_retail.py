from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.datasets import _online_retail, load_online_retail, online_retail_orders
from linkstar_funnel.errors import DatasetError, LinkstarError

COLUMNS = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    return load_online_retail()


def test_loader_returns_every_row_unchanged(lines: pd.DataFrame) -> None:
    assert lines.shape == (541_909, 8)
    assert list(lines.columns) == COLUMNS
    assert pd.api.types.is_datetime64_dtype(lines["InvoiceDate"])
    assert lines["InvoiceDate"].dt.tz is None
    assert lines["Quantity"].dtype == np.float64
    assert lines["CustomerID"].dtype == np.float64
    assert 0.24 < lines["CustomerID"].isna().mean() < 0.26
    # Messy on purpose: cancellations, negative quantities and non-products are all there.
    assert lines["InvoiceNo"].str.startswith("C").sum() == 9_288
    assert (lines["Quantity"] < 0).sum() > 10_000
    assert lines["StockCode"].eq("POST").any()
    assert lines["Country"].nunique() == 38  # 37 countries plus "Unspecified"
    assert lines["CustomerID"].nunique() == 4_372
    assert lines["InvoiceNo"].nunique() == 25_900


def test_loader_gives_a_fresh_frame_each_call(lines: pd.DataFrame) -> None:
    first = load_online_retail()
    first.loc[0, "Quantity"] = -1.0
    assert load_online_retail().loc[0, "Quantity"] == lines.loc[0, "Quantity"]


def test_missing_file_raises_dataset_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_online_retail, "_FILE", "no_such_file.parquet")
    with pytest.raises(DatasetError, match="missing") as info:
        load_online_retail()
    assert isinstance(info.value, LinkstarError)
    assert isinstance(info.value, OSError)


def test_unreadable_file_raises_dataset_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_online_retail, "_FILE", "../__init__.py")
    with pytest.raises(DatasetError, match="cannot be read"):
        load_online_retail()


def test_orders_view_applies_and_counts_its_rules(lines: pd.DataFrame) -> None:
    orders, accounting = _online_retail._clean_orders(lines)
    counts = {d.reason: d.count for d in accounting.dropped}
    assert counts == {
        "missing customer": 135_080,
        "cancellation": 8_905,
        "non-product line": 1_550,
        "non-positive quantity or price": 34,
    }
    assert accounting.rows_used == 396_340 == orders["lines"].sum()
    assert len(orders) == 18_402
    assert orders["customer_id"].nunique() == 4_334
    assert orders["order_id"].is_unique
    assert not orders["order_id"].str.startswith("C").any()
    assert (orders["revenue"] > 0).all()
    assert (orders["units"] > 0).all()
    assert str(orders["timestamp"].dt.tz) == "Europe/London"
    assert orders["timestamp"].is_monotonic_increasing
    assert orders["timestamp"].notna().all()
    # Revenue equals the kept lines' Quantity x UnitPrice, summed per invoice.
    one = orders.iloc[0]
    invoice = lines[lines["InvoiceNo"] == one["order_id"]]
    assert one["revenue"] == pytest.approx((invoice["Quantity"] * invoice["UnitPrice"]).sum())


def test_public_orders_view_matches_the_helper() -> None:
    orders = online_retail_orders()
    assert list(orders.columns) == [
        "order_id",
        "customer_id",
        "timestamp",
        "revenue",
        "units",
        "lines",
        "country",
    ]
    assert orders["customer_id"].dtype == np.int64
    assert len(orders) == 18_402
